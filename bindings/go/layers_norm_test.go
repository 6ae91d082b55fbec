package deep

import (
	"math"
	"testing"
)

// The layer types since libdeep 1.1 that take one input (issue #16).

func TestLayerNormalization(t *testing.T) {
	m, err := NewModel(2, 3)
	must(t, err)
	defer m.Close()
	wantError(t, m.AddLayerNormalization(0, true, true), ErrInvalidArgument, "deep_model_add_layer_normalization")
	must(t, m.AddLayerNormalization(LayerNormEpsilon, true, true))
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	if n, _ := m.WeightCount(0); n != 2 {
		t.Fatalf("LayerNormalization has %d weights, want gamma and beta", n)
	}
	gamma, _ := NewTensor([]int64{3}, []float32{1.5, -0.5, 2})
	defer gamma.Close()
	beta, _ := NewTensor([]int64{3}, []float32{0.1, 0.2, -0.3})
	defer beta.Close()
	must(t, m.SetWeight(0, 0, gamma))
	must(t, m.SetWeight(0, 1, beta))
	in := []float32{0.5, -1, 2, 3, 3, 3.5}
	x, _ := NewTensor([]int64{1, 2, 3}, in)
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	got, _ := y.Data()
	// Keras' formula, row by row: gamma * (x - mean) / sqrt(var + epsilon) + beta.
	for r := 0; r < 2; r++ {
		row := in[3*r : 3*r+3]
		mean := (float64(row[0]) + float64(row[1]) + float64(row[2])) / 3
		variance := 0.0
		for _, v := range row {
			variance += (float64(v) - mean) * (float64(v) - mean) / 3
		}
		g, b := []float64{1.5, -0.5, 2}, []float64{0.1, 0.2, -0.3}
		for i, v := range row {
			want := g[i]*(float64(v)-mean)/math.Sqrt(variance+0.001) + b[i]
			if math.Abs(float64(got[3*r+i])-want) > 1e-5 {
				t.Fatalf("output %d: %v, want %v", 3*r+i, got[3*r+i], want)
			}
		}
	}
	// Without center and scale it has no weights.
	plain, err := NewModel(4)
	must(t, err)
	defer plain.Close()
	must(t, plain.AddLayerNormalization(LayerNormEpsilon, false, false))
	if n, _ := plain.ParameterCount(); n != 0 {
		t.Fatalf("%d parameters without center and scale", n)
	}
}

func TestDepthwiseConv2D(t *testing.T) {
	m, err := NewModel(3, 4, 2)
	must(t, err)
	defer m.Close()
	wantError(t, m.AddDepthwiseConv2D(3, 3, Valid, 0, Linear), ErrInvalidArgument, "depth_multiplier")
	wantError(t, m.AddDepthwiseConv2D(4, 3, Valid, 1, Linear), ErrShape, "kernel_size")
	wantError(t, m.AddDepthwiseConv2D(2, 2, Valid, 1, Linear, ReturnSequences()), ErrInvalidArgument,
		"ReturnSequences does not apply")
	// Same padding with strides (1, 2): output (3, 2, 2 * 2).
	must(t, m.AddDepthwiseConv2D(2, 2, Same, 2, Linear, Strides(1, 2), NoBias()))
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	if n, _ := m.WeightCount(0); n != 1 {
		t.Fatalf("%d weights without a bias, want the kernel only", n)
	}
	kernel, err := m.Weight(0, 0)
	must(t, err)
	defer kernel.Close()
	if shape, _ := kernel.Shape(); len(shape) != 4 || shape[0] != 2 || shape[1] != 2 || shape[2] != 2 || shape[3] != 2 {
		t.Fatalf("kernel shape %v, want [2 2 2 2]", shape)
	}
	// A kernel of ones except at (0, 0): each output sums the 2x2 window of its channel;
	// with channel values 1 and 10 everywhere, a window inside the image sums 4 and 40.
	ones, _ := NewTensorFilled([]int64{2, 2, 2, 2}, 1)
	defer ones.Close()
	must(t, m.SetWeight(0, 0, ones))
	data := make([]float32, 3*4*2)
	for i := range data {
		data[i] = []float32{1, 10}[i%2]
	}
	x, _ := NewTensor([]int64{1, 3, 4, 2}, data)
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	if shape, _ := y.Shape(); len(shape) != 4 || shape[1] != 3 || shape[2] != 2 || shape[3] != 4 {
		t.Fatalf("output shape %v, want [1 3 2 4]", shape)
	}
	got, _ := y.Data()
	// Output (0, 0): rows 0-1 (padding of 1 goes after), columns 0-1: 4 cells.
	want := []float32{4, 4, 40, 40}
	for i, v := range want {
		if got[i] != v {
			t.Fatalf("output (0, 0) channel %d: %v, want %v (all %v)", i, got[i], v, got[:4])
		}
	}
}

func TestSeparableConv2D(t *testing.T) {
	m, err := NewModel(4, 4, 2)
	must(t, err)
	defer m.Close()
	wantError(t, m.AddSeparableConv2D(0, 3, 3, Valid, 1, Linear), ErrInvalidArgument, "filters")
	wantError(t, m.AddSeparableConv2D(2, 3, 3, Valid, 0, Linear), ErrInvalidArgument, "depth_multiplier")
	must(t, m.AddSeparableConv2D(3, 2, 2, Valid, 2, Linear, Strides(2, 2)))
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	// depthwise (2, 2, 2, 2), pointwise (1, 1, 4, 3), bias (3).
	if n, _ := m.ParameterCount(); n != 16+12+3 {
		t.Fatalf("parameter count %d, want 31", n)
	}
	want := [][]int64{{2, 2, 2, 2}, {1, 1, 4, 3}, {3}}
	for w, shape := range want {
		weight, err := m.Weight(0, w)
		must(t, err)
		got, _ := weight.Shape()
		weight.Close()
		if len(got) != len(shape) {
			t.Fatalf("weight %d has shape %v, want %v", w, got, shape)
		}
		for i := range shape {
			if got[i] != shape[i] {
				t.Fatalf("weight %d has shape %v, want %v", w, got, shape)
			}
		}
	}
	// Kernels of ones, zero bias: each output sums its 2x2 window over both channels,
	// twice (depth multiplier 2), so 4 cells * (1 + 10) * 2 = 88 in every filter.
	for w, shape := range want[:2] {
		ones, _ := NewTensorFilled(shape, 1)
		must(t, m.SetWeight(0, w, ones))
		ones.Close()
	}
	data := make([]float32, 4*4*2)
	for i := range data {
		data[i] = []float32{1, 10}[i%2]
	}
	x, _ := NewTensor([]int64{1, 4, 4, 2}, data)
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	got, _ := y.Data()
	if len(got) != 2*2*3 {
		t.Fatalf("%d outputs, want 12", len(got))
	}
	for i, v := range got {
		if v != 88 {
			t.Fatalf("output %d: %v, want 88", i, v)
		}
	}
}
