package deep

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

// twoHeads is x (4) -> tanh hidden (5) -> classes (3, softmax) and values (2, linear).
func twoHeads(t *testing.T) *Model {
	t.Helper()
	m, err := NewModel(4)
	must(t, err)
	must(t, m.AddDense(5, Tanh))
	hidden, err := m.LastNode()
	must(t, err)
	must(t, m.AddDense(3, Softmax))
	classes, err := m.LastNode()
	must(t, err)
	must(t, m.Connect(hidden))
	must(t, m.AddDense(2, Linear))
	values, err := m.LastNode()
	must(t, err)
	must(t, m.SetOutputs(classes, values))
	return m
}

// Evaluate's values against the losses computed by hand from Predict's rows, in Keras'
// order (total, each output's loss, each output's accuracy).
func TestCompileOutputsEvaluateMatchesByHand(t *testing.T) {
	m := twoHeads(t)
	defer m.Close()
	opt, err := NewOptimizer(SGD)
	must(t, err)
	must(t, m.SetSeed(3))
	must(t, m.CompileOutputs(opt, []Loss{SparseCategoricalCrossentropy, MeanSquaredError}, []float64{0.5, 2},
		MetricAccuracy))
	const n = 32
	x := noise(7, n*4)
	rows := make([]float32, n*3) // a label, then two values
	for i := 0; i < n; i++ {
		rows[i*3] = float32(i % 3)
		rows[i*3+1], rows[i*3+2] = x[i*4]-x[i*4+1], 0.5*x[i*4+2]
	}
	out := predict(t, m, x, 4)
	if len(out) != n*5 {
		t.Fatalf("predict gave %d values, want %d samples of 3 + 2", len(out), n)
	}
	var classLoss, valueLoss, correct float64
	for i := 0; i < n; i++ {
		p := out[i*5 : i*5+5]
		label := int(rows[i*3])
		classLoss -= math.Log(float64(p[label]))
		best := 0
		for c := 1; c < 3; c++ {
			if p[c] > p[best] {
				best = c
			}
		}
		if best == label {
			correct++
		}
		for j := 0; j < 2; j++ {
			d := float64(p[3+j] - rows[i*3+1+j])
			valueLoss += d * d / 2
		}
	}
	classLoss, valueLoss = classLoss/n, valueLoss/n
	data, err := NewDataset([]int64{4}, x)
	must(t, err)
	defer data.Close()
	must(t, data.SetTargets(rows, 3))
	got, err := m.Evaluate(data, n)
	must(t, err)
	want := []float64{0.5*classLoss + 2*valueLoss, classLoss, valueLoss, correct / n}
	if len(got) != 5 {
		t.Fatalf("evaluate gave %d values, want 5: %v", len(got), got)
	}
	for i, w := range want {
		if math.Abs(got[i]-w) > 1e-4*(1+math.Abs(w)) {
			t.Fatalf("evaluate[%d] = %v, want %v (all: %v)", i, got[i], w, got)
		}
	}

	in, err := NewTensor([]int64{n, 4}, x)
	must(t, err)
	defer in.Close()
	parts, err := m.PredictOutputs(in)
	must(t, err)
	for _, p := range parts {
		defer p.Close()
	}
	s0, err := parts[0].Shape()
	must(t, err)
	s1, err := parts[1].Shape()
	must(t, err)
	if len(parts) != 2 || !reflect.DeepEqual(s0, []int64{n, 3}) || !reflect.DeepEqual(s1, []int64{n, 2}) {
		t.Fatalf("PredictOutputs: %d tensors, shapes %v %v", len(parts), s0, s1)
	}
	first, second := tensorData(t, parts[0]), tensorData(t, parts[1])
	for i := 0; i < n; i++ {
		nearF32(t, "classes", first[i*3:i*3+3], out[i*5:i*5+3])
		nearF32(t, "values", second[i*2:i*2+2], out[i*5+3:i*5+5])
	}
}

// Two outputs learn with Fit; HistoryOutput reads each output's loss and accuracy, and the
// total is the weighted sum of the outputs' losses.
func TestTwoOutputsLearn(t *testing.T) {
	m := twoHeads(t)
	defer m.Close()
	opt, err := NewOptimizer(Adam)
	must(t, err)
	must(t, opt.SetFloat(LearningRate, 0.02))
	must(t, m.SetSeed(4))
	must(t, m.CompileOutputs(opt, []Loss{SparseCategoricalCrossentropy, MeanSquaredError}, nil, MetricAccuracy))
	must(t, m.SetInt(ModelVerbose, 0))
	const n = 256
	x := noise(9, n*4)
	rows := make([]float32, n*3)
	for i := 0; i < n; i++ {
		if x[i*4] > 0.3 {
			rows[i*3] = 2
		} else if x[i*4] > -0.3 {
			rows[i*3] = 1
		}
		rows[i*3+1], rows[i*3+2] = x[i*4+1], -x[i*4+3]
	}
	data, err := NewDataset([]int64{4}, x)
	must(t, err)
	defer data.Close()
	must(t, data.SetTargets(rows, 3))
	var seen []float64 // each epoch's accuracy of output 0, read in the epoch callback
	must(t, m.SetCallbacks(nil, func(e *Epoch) bool {
		v, err := e.HistoryOutput(e.Index, 0, MetricAccuracy, false)
		if err != nil {
			t.Error(err)
		}
		seen = append(seen, v)
		return false
	}))
	must(t, m.Fit(data, 40, 32, nil))
	if len(seen) != 40 || seen[39] != accuracyAt(t, m, 39) {
		t.Fatalf("the epoch callback saw %d accuracies, the last %v", len(seen), seen[len(seen)-1])
	}
	first, err := m.History(0, MetricLoss, false)
	must(t, err)
	last, err := m.History(39, MetricLoss, false)
	must(t, err)
	total, err := m.HistoryOutput(39, -1, MetricLoss, false)
	must(t, err)
	classLoss, err := m.HistoryOutput(39, 0, MetricLoss, false)
	must(t, err)
	valueLoss, err := m.HistoryOutput(39, 1, MetricLoss, false)
	must(t, err)
	accuracy, err := m.HistoryOutput(39, 0, MetricAccuracy, false)
	must(t, err)
	if last > 0.3*first || total != last || math.Abs(total-classLoss-valueLoss) > 0.05*total || accuracy < 0.85 {
		t.Fatalf("loss %v -> %v (total %v = %v + %v?), accuracy %v", first, last, total, classLoss, valueLoss,
			accuracy)
	}
	if _, err := m.HistoryOutput(0, 2, MetricLoss, false); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("HistoryOutput of output 2: %v, want ErrOutOfRange", err)
	}
}

func TestCompileOutputsErrors(t *testing.T) {
	m := twoHeads(t)
	defer m.Close()
	opt, err := NewOptimizer(SGD)
	must(t, err)
	if err := m.CompileOutputs(opt, []Loss{MeanSquaredError, MeanSquaredError}, []float64{1}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("one weight for two losses: %v", err)
	}
	// That failure was the binding's: the optimizer is still the caller's, and the C one
	// (one loss for two outputs) takes it over.
	if err := m.CompileOutputs(opt, []Loss{MeanSquaredError}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("one loss for two outputs: %v", err)
	}
	if err := m.CompileOutputs(opt, []Loss{MeanSquaredError, MeanSquaredError}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("a taken optimizer: %v, want ErrClosed", err)
	}
	if err := m.CompileOutputs(nil, nil, nil); !errors.Is(err, ErrNull) {
		t.Fatalf("nil optimizer: %v", err)
	}
}

func accuracyAt(t *testing.T, m *Model, epoch int) float64 {
	t.Helper()
	v, err := m.HistoryOutput(epoch, 0, MetricAccuracy, false)
	must(t, err)
	return v
}
