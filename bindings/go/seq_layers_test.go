package deep

import (
	"math"
	"testing"
)

// The sequence and shape layers of library 1.1 from Go: outputs against values computed by
// hand or with PyTorch, errors, and a Conv1D network that trains and reloads.

// predictWith builds inputShape -> add, compiles it, sets the weights of layer 0 and
// predicts x; it returns the output values and shape.
func predictWith(t *testing.T, inputShape []int64, add func(m *Model) error, weights [][]float32, xShape []int64,
	x []float32) ([]float32, []int64) {
	t.Helper()
	m, err := NewModel(inputShape...)
	must(t, err)
	defer m.Close()
	must(t, add(m))
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	for i, w := range weights {
		old, err := m.Weight(0, i)
		must(t, err)
		shape, _ := old.Shape()
		old.Close()
		value, err := NewTensor(shape, w)
		must(t, err)
		must(t, m.SetWeight(0, i, value))
		value.Close()
	}
	in, err := NewTensor(xShape, x)
	must(t, err)
	defer in.Close()
	out, err := m.Predict(in)
	must(t, err)
	defer out.Close()
	data, err := out.Data()
	must(t, err)
	shape, err := out.Shape()
	must(t, err)
	return append([]float32(nil), data...), shape
}

func near(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-5 {
			t.Fatalf("%s: value %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestConv1DMatchesPyTorch(t *testing.T) {
	// x[t][c] = 0.1 (2t + c) - 0.4, kernel[j][c][o] = 0.05 (4j + 2c + o) - 0.2, bias (0.1, -0.2);
	// PyTorch: F.conv1d(F.pad(x.T[None], (2, 0)), kernel.permute(2, 1, 0), bias, dilation=2).
	x := make([]float32, 10)
	for i := range x {
		x[i] = 0.1*float32(i) - 0.4
	}
	kernel := make([]float32, 8)
	for i := range kernel {
		kernel[i] = 0.05*float32(i) - 0.2
	}
	got, shape := predictWith(t, []int64{5, 2}, func(m *Model) error {
		return m.AddConv1D(2, 2, Causal, Linear, DilationRate(2))
	}, [][]float32{kernel, {0.1, -0.2}}, []int64{1, 5, 2}, x)
	if len(shape) != 3 || shape[1] != 5 || shape[2] != 2 {
		t.Fatalf("output shape %v, want [1 5 2]", shape)
	}
	near(t, "causal conv1d", got, []float64{0.07, -0.265, 0.09, -0.225, 0.22, -0.11, 0.18, -0.11, 0.14, -0.11})
}

func TestPoolingPermuteRepeat(t *testing.T) {
	seq := []float32{3, -1, 1, 4, -2, 0, 5, 2, 0, -3, 2, 6}
	// Keras' same padding, pool 3, stride 2 on 6 steps: windows [0, 3), [2, 5), [4, 6).
	got, _ := predictWith(t, []int64{6, 2}, func(m *Model) error {
		return m.AddMaxPooling1D(3, Stride(2), WithPadding(Same))
	}, nil, []int64{1, 6, 2}, seq)
	near(t, "max pooling 1d", got, []float64{3, 4, 5, 2, 2, 6})
	got, shape := predictWith(t, []int64{6, 2}, func(m *Model) error { return m.AddGlobalAveragePooling1D(KeepDims()) },
		nil, []int64{1, 6, 2}, seq)
	if len(shape) != 3 || shape[1] != 1 || shape[2] != 2 {
		t.Fatalf("keepdims shape %v", shape)
	}
	near(t, "global average 1d", got, []float64{9.0 / 6, 8.0 / 6})
	got, shape = predictWith(t, []int64{3, 2, 2}, func(m *Model) error { return m.AddGlobalMaxPooling2D() },
		nil, []int64{1, 3, 2, 2}, seq)
	if len(shape) != 2 || shape[1] != 2 {
		t.Fatalf("global max shape %v", shape)
	}
	near(t, "global max 2d", got, []float64{5, 6})
	got, _ = predictWith(t, []int64{2, 3}, func(m *Model) error { return m.AddPermute(2, 1) }, nil, []int64{1, 2, 3},
		[]float32{1, 2, 3, 4, 5, 6})
	near(t, "permute", got, []float64{1, 4, 2, 5, 3, 6})
	got, _ = predictWith(t, []int64{2}, func(m *Model) error { return m.AddRepeatVector(3) }, nil, []int64{1, 2},
		[]float32{7, 8})
	near(t, "repeat vector", got, []float64{7, 8, 7, 8, 7, 8})
}

func TestSeqLayerErrors(t *testing.T) {
	m, err := NewModel(6, 2)
	must(t, err)
	defer m.Close()
	wantError(t, m.AddConv1D(2, 3, Valid, ReLU, Stride(2), DilationRate(2)), ErrInvalidArgument, "deep_model_add_conv1d")
	wantError(t, m.AddConv1D(2, 7, Valid, ReLU), ErrShape, "kernel_size 7 exceeds")
	wantError(t, m.AddConv1D(2, 3, Valid, ReLU, KeepDims()), ErrInvalidArgument, "KeepDims does not apply")
	wantError(t, m.AddMaxPooling1D(2, WithPadding(Causal)), ErrInvalidArgument, "only for Conv1D")
	wantError(t, m.AddPermute(1, 1), ErrInvalidArgument, "permutation")
	wantError(t, m.AddPermute(), ErrNull, "deep_model_add_permute")
	wantError(t, m.AddRepeatVector(2), ErrShape, "deep_model_add_repeat_vector")
	wantError(t, m.AddGlobalMaxPooling2D(), ErrShape, "deep_model_add_global_max_pooling2d")
	must(t, m.AddGlobalAveragePooling1D())
	wantError(t, m.AddRepeatVector(0), ErrInvalidArgument, "n is 0")
}

func TestConv1DNetworkTrainsAndReloads(t *testing.T) {
	// A bump of 3 steps early (class 0) or late (class 1) in 12 steps of noise.
	const n, steps = 48, 12
	state := uint64(7)
	next := func() float32 {
		state = state*6364136223846793005 + 1442695040888963407
		return float32(state>>40) / float32(1<<24)
	}
	features := make([]float32, 0, n*steps*2)
	labels := make([]int32, n)
	for i := 0; i < n; i++ {
		labels[i] = int32(i % 2)
		start := 1 + i%3
		if labels[i] == 1 {
			start = 7 + i%2
		}
		for s := 0; s < steps; s++ {
			bump := float32(0)
			if s >= start && s < start+3 {
				bump = 1
			}
			features = append(features, bump+0.2*next(), 0.2*next())
		}
	}
	data, err := NewDataset([]int64{steps, 2}, features)
	must(t, err)
	defer data.Close()
	must(t, data.SetLabels(labels, 2))
	m, err := NewModel(steps, 2)
	must(t, err)
	defer m.Close()
	must(t, m.SetSeed(5))
	must(t, m.AddConv1D(4, 3, Causal, ReLU))
	must(t, m.AddMaxPooling1D(2))
	must(t, m.AddConv1D(4, 2, Same, Tanh, DilationRate(2)))
	must(t, m.AddGlobalAveragePooling1D())
	must(t, m.AddDense(2, Softmax))
	opt, _ := NewOptimizer(Adam)
	must(t, opt.SetFloat(LearningRate, 0.02))
	must(t, m.Compile(opt, SparseCategoricalCrossentropy))
	must(t, m.Fit(data, 20, 8, nil))
	first, err := m.History(0, MetricLoss, false)
	must(t, err)
	last, err := m.History(19, MetricLoss, false)
	must(t, err)
	if !(last*2 < first) {
		t.Fatalf("loss %v after 20 epochs, %v after the first", last, first)
	}
	bytes, err := m.SaveBuffer()
	must(t, err)
	loaded, err := LoadModelBuffer(bytes)
	must(t, err)
	defer loaded.Close()
	x, err := NewTensor([]int64{n, steps, 2}, features)
	must(t, err)
	defer x.Close()
	a, err := m.Predict(x)
	must(t, err)
	defer a.Close()
	b, err := loaded.Predict(x)
	must(t, err)
	defer b.Close()
	da, _ := a.Data()
	db, _ := b.Data()
	for i := range da {
		if da[i] != db[i] {
			t.Fatalf("prediction %d: %v before saving, %v after loading", i, da[i], db[i])
		}
	}
}
