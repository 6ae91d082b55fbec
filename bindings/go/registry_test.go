package deep

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Go layer methods against the C library's layer registry: docs/layers.md is generated
// from the registry's field tables (the C suite 'registry' fails when it is stale), so
// comparing the binding with it keeps every layer type and option reachable from Go.

// registryType is one "## Name" section of docs/layers.md.
type registryType struct {
	name, add string
	options   map[string]string // field -> "DEEP_LAYER_X" for the fields set by a layer option
	kinds     map[string]string // field -> kind column
}

// layersDoc is docs/layers.md: LIBDEEP_LAYERS_DOC, else the source tree's (scripts/check-go.sh
// sets the variable, since it tests a copy of the binding). Without either, the tests skip.
func layersDoc(t *testing.T) []registryType {
	t.Helper()
	path := os.Getenv("LIBDEEP_LAYERS_DOC")
	if path == "" {
		path = filepath.Join("..", "..", "docs", "layers.md")
		if !fileExists(path) {
			t.Skip("no docs/layers.md: set LIBDEEP_LAYERS_DOC")
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile("^## (\\w+)$")
	addLine := regexp.MustCompile("^`(deep_model_add_\\w+)`")
	row := regexp.MustCompile("^\\| `(\\w+)` \\| ([^|]*) \\| ([^|]*) \\|")
	var types []registryType
	for _, line := range strings.Split(string(data), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			types = append(types, registryType{name: m[1], options: map[string]string{}, kinds: map[string]string{}})
			continue
		}
		if len(types) == 0 {
			continue
		}
		current := &types[len(types)-1]
		if m := addLine.FindStringSubmatch(line); m != nil && current.add == "" {
			current.add = m[1]
		}
		if m := row.FindStringSubmatch(line); m != nil {
			if option := regexp.MustCompile(`DEEP_LAYER_\w+`).FindString(m[3]); option != "" {
				current.options[m[1]] = option
				current.kinds[m[1]] = strings.TrimSpace(m[2])
			}
		}
	}
	if len(types) < 16 {
		t.Fatalf("%s: only %d layer types read", path, len(types))
	}
	for _, rt := range types {
		if rt.add == "" {
			t.Fatalf("%s: %s names no deep_model_add_* function", path, rt.name)
		}
	}
	return types
}

// addMethods maps each deep_model_add_* to the exported Model methods whose body calls it.
func addMethods(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile("layers.go")
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string][]string{}
	funcs := regexp.MustCompile(`(?m)^func `).Split(string(data), -1)
	name := regexp.MustCompile(`^\(m \*Model\) ([A-Z]\w*)\(`)
	call := regexp.MustCompile(`\bC\.(deep_model_add_\w+)\(`)
	for _, body := range funcs {
		m := name.FindStringSubmatch(body)
		if m == nil {
			continue
		}
		for _, c := range call.FindAllStringSubmatch(body, -1) {
			methods[c[1]] = append(methods[c[1]], m[1])
		}
	}
	return methods
}

// layerBuilders makes a model whose last layer is the Go method's layer type.
var layerBuilders = map[string]func() (*Model, error){
	"AddDense": func() (*Model, error) { return build([]int64{4}, func(m *Model) error { return m.AddDense(3, ReLU) }) },
	"AddActivation": func() (*Model, error) {
		return build([]int64{4}, func(m *Model) error { return m.AddActivation(Tanh) })
	},
	"AddDropout": func() (*Model, error) { return build([]int64{4}, func(m *Model) error { return m.AddDropout(0.5) }) },
	"AddFlatten": func() (*Model, error) { return build([]int64{2, 2}, func(m *Model) error { return m.AddFlatten() }) },
	"AddReshape": func() (*Model, error) { return build([]int64{4}, func(m *Model) error { return m.AddReshape(2, -1) }) },
	"AddConv2D": func() (*Model, error) {
		return build([]int64{6, 6, 1}, func(m *Model) error { return m.AddConv2D(2, 3, 3, Same, ReLU) })
	},
	"AddMaxPooling2D": func() (*Model, error) {
		return build([]int64{6, 6, 1}, func(m *Model) error { return m.AddMaxPooling2D(2, 2) })
	},
	"AddAveragePooling2D": func() (*Model, error) {
		return build([]int64{6, 6, 1}, func(m *Model) error { return m.AddAveragePooling2D(2, 2) })
	},
	"AddGlobalAveragePooling2D": func() (*Model, error) {
		return build([]int64{6, 6, 1}, func(m *Model) error { return m.AddGlobalAveragePooling2D() })
	},
	"AddBatchNormalization": func() (*Model, error) {
		return build([]int64{4}, func(m *Model) error { return m.AddBatchNormalization(0.99, 0.001) })
	},
	"AddEmbedding": func() (*Model, error) {
		return build([]int64{5}, func(m *Model) error { return m.AddEmbedding(10, 3, 5) })
	},
	"AddMasking":   func() (*Model, error) { return build([]int64{5, 2}, func(m *Model) error { return m.AddMasking(0) }) },
	"AddLSTM":      func() (*Model, error) { return build([]int64{5, 2}, func(m *Model) error { return m.AddLSTM(3) }) },
	"AddGRU":       func() (*Model, error) { return build([]int64{5, 2}, func(m *Model) error { return m.AddGRU(3) }) },
	"AddSimpleRNN": func() (*Model, error) { return build([]int64{5, 2}, func(m *Model) error { return m.AddSimpleRNN(3) }) },
	"AddConv1D": func() (*Model, error) {
		return build([]int64{6, 2}, func(m *Model) error { return m.AddConv1D(2, 3, Causal, ReLU, DilationRate(2)) })
	},
	"AddMaxPooling1D": func() (*Model, error) {
		return build([]int64{6, 2}, func(m *Model) error { return m.AddMaxPooling1D(2) })
	},
	"AddGlobalAveragePooling1D": func() (*Model, error) {
		return build([]int64{6, 2}, func(m *Model) error { return m.AddGlobalAveragePooling1D() })
	},
	"AddGlobalMaxPooling2D": func() (*Model, error) {
		return build([]int64{3, 3, 2}, func(m *Model) error { return m.AddGlobalMaxPooling2D(KeepDims()) })
	},
	"AddPermute": func() (*Model, error) {
		return build([]int64{2, 3}, func(m *Model) error { return m.AddPermute(2, 1) })
	},
	"AddRepeatVector": func() (*Model, error) { return build([]int64{3}, func(m *Model) error { return m.AddRepeatVector(2) }) },
	"AddBidirectional": func() (*Model, error) {
		return build([]int64{5, 2}, func(m *Model) error {
			if err := m.AddLSTM(3); err != nil {
				return err
			}
			return m.AddBidirectional(MergeConcat)
		})
	},
	"AddConv2DTranspose": func() (*Model, error) {
		return build([]int64{3, 3, 2}, func(m *Model) error { return m.AddConv2DTranspose(2, 3, 3, Same, ReLU, Strides(2, 2)) })
	},
	"AddUpSampling2D": func() (*Model, error) {
		return build([]int64{3, 3, 2}, func(m *Model) error { return m.AddUpSampling2D(2, 2, Bilinear) })
	},
	"AddZeroPadding2D": func() (*Model, error) {
		return build([]int64{3, 3, 2}, func(m *Model) error { return m.AddZeroPadding2D(1, 1, 1, 1) })
	},
	"AddCropping2D": func() (*Model, error) {
		return build([]int64{3, 3, 2}, func(m *Model) error { return m.AddCropping2D(1, 0, 0, 1) })
	},
	"AddLayerNormalization": func() (*Model, error) {
		return build([]int64{2, 4}, func(m *Model) error { return m.AddLayerNormalization(LayerNormEpsilon, true, false) })
	},
	"AddDepthwiseConv2D": func() (*Model, error) {
		return build([]int64{6, 6, 2}, func(m *Model) error { return m.AddDepthwiseConv2D(3, 3, Same, 2, ReLU) })
	},
	"AddSeparableConv2D": func() (*Model, error) {
		return build([]int64{6, 6, 2}, func(m *Model) error { return m.AddSeparableConv2D(4, 3, 3, Same, 2, ReLU) })
	},
	"AddAdd":         mergeBuilder(func(m *Model) error { return m.AddAdd() }),
	"AddSubtract":    mergeBuilder(func(m *Model) error { return m.AddSubtract() }),
	"AddMultiply":    mergeBuilder(func(m *Model) error { return m.AddMultiply() }),
	"AddAverage":     mergeBuilder(func(m *Model) error { return m.AddAverage() }),
	"AddMaximum":     mergeBuilder(func(m *Model) error { return m.AddMaximum() }),
	"AddMinimum":     mergeBuilder(func(m *Model) error { return m.AddMinimum() }),
	"AddConcatenate": mergeBuilder(func(m *Model) error { return m.AddConcatenate(-1) }),
	"AddSpatialDropout2D": func() (*Model, error) {
		return build([]int64{3, 3, 2}, func(m *Model) error { return m.AddSpatialDropout2D(0.2) })
	},
	"AddGaussianNoise": func() (*Model, error) {
		return build([]int64{4}, func(m *Model) error { return m.AddGaussianNoise(0.1) })
	},
	"AddGaussianDropout": func() (*Model, error) {
		return build([]int64{4}, func(m *Model) error { return m.AddGaussianDropout(0.3) })
	},
	"AddLeakyReLU": func() (*Model, error) {
		return build([]int64{4}, func(m *Model) error { return m.AddLeakyReLU(0.1) })
	},
	"AddELU": func() (*Model, error) {
		return build([]int64{4}, func(m *Model) error { return m.AddELU(0.5) })
	},
	"AddReLU": func() (*Model, error) {
		return build([]int64{4}, func(m *Model) error { return m.AddReLU(6, 0.1, 0.5) })
	},
	"AddPReLU": func() (*Model, error) {
		return build([]int64{3, 3, 2}, func(m *Model) error { return m.AddPReLU(1, 2) })
	},
}

// mergeBuilder makes a model of two (4,) inputs joined by a merge layer.
func mergeBuilder(add func(m *Model) error) func() (*Model, error) {
	return func() (*Model, error) {
		return build([]int64{4}, func(m *Model) error {
			second, err := m.AddInput(4)
			if err != nil {
				return err
			}
			if err := m.Connect(0, second); err != nil {
				return err
			}
			return add(m)
		})
	}
}

func build(shape []int64, add func(m *Model) error) (*Model, error) {
	m, err := NewModel(shape...)
	if err != nil {
		return nil, err
	}
	if err := add(m); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// layerOptions are the Go names of the DEEP_LAYER_* values (the enum check proves each
// constant is its C value).
var layerOptions = map[string]LayerOption{
	"DEEP_LAYER_DROPOUT": LayerDropout, "DEEP_LAYER_RECURRENT_DROPOUT": LayerRecurrentDropout,
	"DEEP_LAYER_GO_BACKWARDS": LayerGoBackwards, "DEEP_LAYER_UNIT_FORGET_BIAS": LayerUnitForgetBias,
	"DEEP_LAYER_MASK_ZERO": LayerMaskZero, "DEEP_LAYER_RESET_AFTER": LayerResetAfter,
}

func TestEveryLayerTypeHasAMethod(t *testing.T) {
	methods := addMethods(t)
	for _, rt := range layersDoc(t) {
		if len(methods[rt.add]) != 1 {
			t.Errorf("%s: %s is called by the Model methods %v, want exactly one", rt.name, rt.add, methods[rt.add])
			continue
		}
		builder := layerBuilders[methods[rt.add][0]]
		if builder == nil {
			t.Errorf("%s: layerBuilders has no entry for Model.%s", rt.name, methods[rt.add][0])
			continue
		}
		m, err := builder()
		if err != nil {
			t.Errorf("%s: Model.%s: %v", rt.name, methods[rt.add][0], err)
			continue
		}
		summary, err := m.Summary()
		must(t, err)
		if !strings.Contains(summary, "("+rt.name+")") {
			t.Errorf("%s: the model Model.%s builds has no layer of that type:\n%s", rt.name, methods[rt.add][0], summary)
		}
		m.Close()
	}
}

// Every field set by a layer option is read and written from Go on a layer of its type.
func TestEveryLayerOptionIsReachable(t *testing.T) {
	methods := addMethods(t)
	count := 0
	for _, rt := range layersDoc(t) {
		for field, name := range rt.options {
			option, ok := layerOptions[name]
			if !ok {
				t.Errorf("%s.%s: %s has no Go LayerOption in layerOptions", rt.name, field, name)
				continue
			}
			if len(methods[rt.add]) != 1 || layerBuilders[methods[rt.add][0]] == nil {
				continue // TestEveryLayerTypeHasAMethod reports it
			}
			m, err := layerBuilders[methods[rt.add][0]]()
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(rt.kinds[field], "float") {
				must(t, m.SetLayerFloat(-1, option, 0.25))
				got, err := m.LayerFloat(-1, option)
				must(t, err)
				if got != 0.25 {
					t.Errorf("%s.%s: LayerFloat = %v after SetLayerFloat 0.25", rt.name, field, got)
				}
				if _, err := m.LayerInt(-1, option); !errors.Is(err, ErrInvalidArgument) {
					t.Errorf("%s.%s: LayerInt of a float option: %v", rt.name, field, err)
				}
			} else {
				before, err := m.LayerInt(-1, option)
				must(t, err)
				must(t, m.SetLayerInt(-1, option, 1-before))
				got, err := m.LayerInt(-1, option)
				must(t, err)
				if got != 1-before {
					t.Errorf("%s.%s: LayerInt = %d after SetLayerInt %d", rt.name, field, got, 1-before)
				}
			}
			m.Close()
			count++
		}
	}
	if count < 10 {
		t.Errorf("only %d layer options checked", count)
	}
}
