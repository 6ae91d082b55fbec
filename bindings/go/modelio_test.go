package deep

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// trainedXOR is a compiled model trained a little on XOR, and its test set.
func trainedXOR(t *testing.T, epochs int) (*Model, *Dataset) {
	t.Helper()
	train := xor(t, 11, 400)
	defer train.Close()
	m, err := NewModel(2)
	must(t, err)
	must(t, m.SetSeed(2))
	must(t, m.SetInt(ModelThreads, 1))
	must(t, m.AddDense(16, Tanh))
	must(t, m.AddDense(2, Softmax))
	adam, _ := NewOptimizer(Adam)
	must(t, adam.SetFloat(LearningRate, 0.02))
	must(t, m.Compile(adam, SparseCategoricalCrossentropy, MetricAccuracy))
	must(t, m.Fit(train, epochs, 32, nil))
	return m, xor(t, 12, 200)
}

func predictions(t *testing.T, m *Model, d *Dataset) []float32 {
	t.Helper()
	x, err := d.Features()
	must(t, err)
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	data, err := y.Data()
	must(t, err)
	return data
}

func sameFloats(t *testing.T, what string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d values, then %d", what, len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("%s: value %d is %v, then %v", what, i, a[i], b[i])
		}
	}
}

func TestModelSaveLoadPredictsIdentically(t *testing.T) {
	m, test := trainedXOR(t, 10)
	defer m.Close()
	defer test.Close()
	want := predictions(t, m, test)

	buf, err := m.SaveBuffer()
	must(t, err)
	if len(buf) < 8 {
		t.Fatalf("a model file of %d bytes", len(buf))
	}
	fromBuffer, err := LoadModelBuffer(buf)
	must(t, err)
	defer fromBuffer.Close()
	sameFloats(t, "buffer", want, predictions(t, fromBuffer, test))

	path := filepath.Join(t.TempDir(), "xor.safetensors")
	must(t, m.Save(path))
	onDisk, err := os.ReadFile(path)
	must(t, err)
	if string(onDisk) != string(buf) {
		t.Fatal("Save and SaveBuffer wrote different bytes")
	}
	fromFile, err := LoadModel(path)
	must(t, err)
	defer fromFile.Close()
	sameFloats(t, "file", want, predictions(t, fromFile, test))

	// The loaded model kept its metrics (Evaluate finds how many) and its optimizer.
	a, err := m.Evaluate(test, 50)
	must(t, err)
	b, err := fromFile.Evaluate(test, 50)
	must(t, err)
	if len(b) != 2 || a[0] != b[0] || a[1] != b[1] {
		t.Fatalf("evaluate: %v before saving, %v after loading", a, b)
	}
	lr, err := fromFile.OptimizerFloat(LearningRate)
	must(t, err)
	if lr != float64(float32(0.02)) { // the optimizer keeps float32 settings
		t.Fatalf("loaded learning rate %v", lr)
	}
	// Training goes on from where it was: both continue identically.
	more := xor(t, 13, 200)
	defer more.Close()
	must(t, m.Fit(more, 2, 32, nil))
	must(t, fromFile.Fit(more, 2, 32, nil))
	sameFloats(t, "after more training", predictions(t, m, test), predictions(t, fromFile, test))
}

func TestModelShapes(t *testing.T) {
	m, err := NewModel(28, 28, 1)
	must(t, err)
	defer m.Close()
	if out, _ := m.OutputShape(); len(out) != 3 || out[2] != 1 {
		t.Fatalf("a model without layers gives its input shape, got %v", out)
	}
	must(t, m.AddConv2D(4, 3, 3, Same, ReLU))
	must(t, m.AddFlatten())
	must(t, m.AddDense(10, Softmax))
	in, err := m.InputShape()
	must(t, err)
	out, err := m.OutputShape()
	must(t, err)
	if len(in) != 3 || in[0] != 28 || in[1] != 28 || in[2] != 1 || len(out) != 1 || out[0] != 10 {
		t.Fatalf("input %v, output %v", in, out)
	}
	m.Close()
	if _, err := m.InputShape(); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed model: %v", err)
	}
}

func TestModelWeights(t *testing.T) {
	m, test := trainedXOR(t, 1)
	defer m.Close()
	defer test.Close()
	if n, _ := m.LayerCount(); n != 2 {
		t.Fatalf("%d layers", n)
	}
	if n, _ := m.WeightCount(0); n != 2 {
		t.Fatalf("Dense has %d weights", n)
	}
	kernel, err := m.Weight(0, 0)
	must(t, err)
	defer kernel.Close()
	if shape, _ := kernel.Shape(); len(shape) != 2 || shape[0] != 2 || shape[1] != 16 {
		t.Fatalf("kernel shape %v", shape)
	}
	// Zero weights everywhere give uniform softmax outputs.
	for layer := 0; layer < 2; layer++ {
		for i := 0; i < 2; i++ {
			w, err := m.Weight(layer, i)
			must(t, err)
			must(t, w.Fill(0))
			must(t, m.SetWeight(layer, i, w))
			w.Close()
		}
	}
	for _, p := range predictions(t, m, test) {
		if p != 0.5 {
			t.Fatalf("prediction %v with zero weights, want 0.5", p)
		}
	}
	wrong, _ := NewTensor([]int64{3, 16}, nil)
	defer wrong.Close()
	wantError(t, m.SetWeight(0, 0, wrong), ErrShape, "deep_model_set_weight")
	_, err = m.Weight(0, 2)
	wantError(t, err, ErrOutOfRange, "deep_model_get_weight")
	_, err = m.WeightCount(7)
	wantError(t, err, ErrOutOfRange, "deep_model_weight_count")
	wantError(t, m.SetWeight(0, 0, nil), ErrNull, "Model.SetWeight: value")
	must(t, wrong.Close())
	if err := m.SetWeight(0, 0, wrong); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetWeight with a closed tensor: %v", err)
	}
}

func TestCheckpointResume(t *testing.T) {
	m, test := trainedXOR(t, 1)
	defer m.Close()
	defer test.Close()
	path := filepath.Join(t.TempDir(), "checkpoint.safetensors")
	must(t, m.SetString(ModelCheckpointPath, path))
	must(t, m.SetInt(ModelCheckpointPeriod, 2))
	if n, _ := m.Int(ModelCheckpointPeriod); n != 2 {
		t.Fatalf("checkpoint period %d", n)
	}
	train := xor(t, 14, 200)
	defer train.Close()
	must(t, m.Fit(train, 3, 32, nil))
	// The checkpoint was written after epoch 2: it resumes at epoch 2.
	resumed, err := LoadModel(path)
	must(t, err)
	defer resumed.Close()
	if n, _ := resumed.Int(ModelInitialEpoch); n != 2 {
		t.Fatalf("initial epoch of the checkpoint: %d, want 2", n)
	}
	_, err = m.Int(ModelCheckpointPath)
	wantError(t, err, ErrInvalidArgument, "deep_model_get_int")
	must(t, m.SetString(ModelCheckpointPath, ""))
	wantError(t, m.SetString(ModelCheckpointPath, "a\x00b"), ErrInvalidArgument, "NUL")
}

func TestModelFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadModel(filepath.Join(dir, "missing.safetensors"))
	wantError(t, err, ErrIO, "deep_model_load")
	_, err = LoadModelBuffer([]byte("certainly not a model"))
	wantError(t, err, ErrFormat, "deep_model_load_buffer")
	_, err = LoadModelBuffer(nil)
	if err == nil {
		t.Fatal("an empty buffer loaded")
	}
	m, test := trainedXOR(t, 1)
	defer m.Close()
	defer test.Close()
	buf, err := m.SaveBuffer()
	must(t, err)
	// A flipped byte fails the CRC; a cut file is truncated.
	buf[len(buf)/2] ^= 0xff
	_, err = LoadModelBuffer(buf)
	wantError(t, err, ErrFormat, "deep_model_load_buffer")
	_, err = LoadModelBuffer(buf[:len(buf)/3])
	wantError(t, err, ErrFormat, "deep_model_load_buffer")
	wantError(t, m.Save(filepath.Join(dir, "no", "such", "dir", "m.safetensors")), ErrIO, "deep_model_save")
	if !strings.Contains(m.Save(filepath.Join(dir, "x\x00y")).Error(), "NUL") {
		t.Fatal("a path with a NUL byte was not refused")
	}
	must(t, m.Close())
	if _, err := m.SaveBuffer(); !errors.Is(err, ErrClosed) {
		t.Fatalf("SaveBuffer after Close: %v", err)
	}
	var none *Model
	_, err = none.SaveBuffer()
	wantError(t, err, ErrNull, "Model.SaveBuffer")
}
