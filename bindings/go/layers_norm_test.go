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
