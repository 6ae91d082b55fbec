package deep

import (
	"errors"
	"math"
	"testing"
)

// Keras' weight arguments (library 1.2): an initializer's statistics, a regularizer's term in
// the loss (Keras' hand-computed value), a constraint after an update, files and misuse.

func TestWeightRules(t *testing.T) {
	m, err := NewModel(400)
	must(t, err)
	defer m.Close()
	must(t, m.AddDense(300, Linear))
	must(t, m.SetLayerInitializer(-1, KernelWeights, HeNormal, 0, 0))
	must(t, m.SetLayerInitializer(-1, BiasWeights, Constant, 0.25, 0))
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	kernel, _ := m.Weight(0, 0)
	defer kernel.Close()
	values, _ := kernel.Data()
	var sum, squares float64
	for _, v := range values {
		sum += float64(v)
		squares += float64(v) * float64(v)
	}
	mean := sum / float64(len(values))
	variance := squares/float64(len(values)) - mean*mean
	if math.Abs(variance/(2.0/400)-1) > 0.04 {
		t.Fatalf("he_normal variance %g, want 2 / fan_in = %g", variance, 2.0/400)
	}
	bias, _ := m.Weight(0, 1)
	defer bias.Close()
	if b, _ := bias.Data(); b[0] != 0.25 || b[299] != 0.25 {
		t.Fatalf("constant bias %v", b[:3])
	}
	init, a, _, err := m.LayerInitializer(0, BiasWeights)
	if err != nil || init != Constant || a != 0.25 {
		t.Fatalf("LayerInitializer: %v %g %v", init, a, err)
	}
}

func TestRegularizerAndConstraint(t *testing.T) {
	m, err := NewModel(3)
	must(t, err)
	defer m.Close()
	must(t, m.AddDense(2, Linear, NoBias()))
	must(t, m.SetLayerRegularizer(0, KernelWeights, 0.01, 0.02))
	must(t, m.SetLayerConstraint(0, KernelWeights, MaxNorm, 0, 2, 0, 0))
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	kernel, _ := NewTensor([]int64{3, 2}, []float32{1, -2, 0.5, 0, 0, 3})
	defer kernel.Close()
	must(t, m.SetWeight(0, 0, kernel))
	x, _ := NewTensor([]int64{1, 3}, []float32{0, 0, 0})
	defer x.Close()
	y, _ := NewTensor([]int64{1, 2}, []float32{0, 0})
	defer y.Close()
	// Keras: 0.01 * 6.5 + 0.02 * 14.25 = 0.35, the data loss being 0.
	loss, err := m.TestOnBatch(x, y)
	must(t, err)
	if math.Abs(loss[0]-0.35) > 1e-6 {
		t.Fatalf("loss %g, want 0.35", loss[0])
	}
	data, _ := m.SaveBuffer()
	loaded, err := LoadModelBuffer(data)
	must(t, err)
	defer loaded.Close()
	l1, l2, _ := loaded.LayerRegularizer(0, KernelWeights)
	c, _, hi, _, axes, _ := loaded.LayerConstraint(0, KernelWeights)
	if l1 != 0.01 || l2 != 0.02 || c != MaxNorm || hi != 2 || len(axes) != 1 || axes[0] != 0 {
		t.Fatalf("loaded rules %g %g %v %g %v", l1, l2, c, hi, axes)
	}
	if err := m.SetLayerRegularizer(0, KernelWeights, 0, 1); !errors.Is(err, ErrState) {
		t.Fatalf("after Compile: %v", err)
	}
	if err := loaded.SetLayerConstraint(0, Activity, NonNeg, 0, 0, 0); err == nil {
		t.Fatal("a constraint on the activity was accepted")
	}
}

func TestNoiseLayersAtInference(t *testing.T) {
	m, err := NewModel(2, 2, 3)
	must(t, err)
	defer m.Close()
	must(t, m.AddSpatialDropout2D(0.5))
	must(t, m.AddGaussianNoise(0.5))
	must(t, m.AddGaussianDropout(0.5))
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	in := make([]float32, 12)
	for i := range in {
		in[i] = float32(i) / 4
	}
	x, _ := NewTensor([]int64{1, 2, 2, 3}, in)
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	out, _ := y.Data()
	for i := range in {
		if out[i] != in[i] {
			t.Fatalf("predict changed entry %d: %g, want %g", i, out[i], in[i])
		}
	}
	flat, _ := NewModel(4)
	defer flat.Close()
	wantError(t, flat.AddSpatialDropout2D(0.5), ErrShape, "deep_model_add_spatial_dropout2d")
	wantError(t, flat.AddGaussianNoise(2), ErrInvalidArgument, "deep_model_add_gaussian_noise")
}
