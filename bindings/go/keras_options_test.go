package deep

import (
	"math"
	"testing"
)

// Keras' metric arguments per metric (library 1.3): Recall(), Recall(top_k=2) and
// Recall(class_id=1) side by side on an identity model, against the values worked out by
// hand from Keras' update_confusion_matrix_variables (tests/test_compiled_metrics.c), an
// output's own from_logits, both saved with the model, and the checks.
func TestMetricAndOutputOptions(t *testing.T) {
	m, err := NewModel(3)
	must(t, err)
	defer m.Close()
	must(t, m.SetInt(ModelThreads, 1))
	must(t, m.AddDense(3, Linear))
	sgd, err := NewOptimizer(SGD)
	must(t, err)
	must(t, m.Compile(sgd, MeanSquaredError, MetricRecall, MetricRecall, MetricRecall))
	eye, err := NewTensor([]int64{3, 3}, []float32{1, 0, 0, 0, 1, 0, 0, 0, 1})
	must(t, err)
	defer eye.Close()
	zero, err := NewTensor([]int64{3}, []float32{0, 0, 0})
	must(t, err)
	defer zero.Close()
	must(t, m.SetWeight(0, 0, eye))
	must(t, m.SetWeight(0, 1, zero))
	wantError(t, m.SetMetricInt(3, MetricTopK, 2), ErrOutOfRange, "deep_model_set_metric_int")
	wantError(t, m.SetMetricInt(0, MetricNumThresholds, 20), ErrInvalidArgument, "deep_model_set_metric_int")
	must(t, m.SetMetricInt(1, MetricTopK, 2))
	must(t, m.SetMetricInt(2, MetricClassID, 1))
	if v, _ := m.MetricFloat(1, MetricThreshold); v != -1e10 {
		t.Fatalf("Recall(top_k=2)'s threshold %v, want Keras' -1e10", v)
	}
	x, err := NewTensor([]int64{4, 3}, []float32{0.7, 0.2, 0.1, 0.3, 0.4, 0.3, 0.05, 0.15, 0.8, 0.5, 0.45, 0.05})
	must(t, err)
	defer x.Close()
	y, err := NewTensor([]int64{4, 3}, []float32{1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0})
	must(t, err)
	defer y.Close()
	values, err := m.TestOnBatch(x, y)
	must(t, err)
	want := []float64{0.5, 0.75, 0}
	for i, w := range want {
		if math.Abs(values[1+i]-w) > 1e-9 {
			t.Fatalf("metric %d: %v, Keras %v", i, values[1+i], w)
		}
	}
	must(t, m.SetOutputInt(0, ModelFromLogits, 1))
	must(t, m.SetOutputFloat(0, ModelHuberDelta, 0.5))
	wantError(t, m.SetOutputInt(1, ModelFromLogits, 1), ErrOutOfRange, "deep_model_set_output_int")
	data, err := m.SaveBuffer()
	must(t, err)
	loaded, err := LoadModelBuffer(data)
	must(t, err)
	defer loaded.Close()
	if v, _ := loaded.MetricInt(2, MetricClassID); v != 1 {
		t.Fatalf("loaded class_id %v", v)
	}
	if v, _ := loaded.OutputInt(0, ModelFromLogits); v != 1 {
		t.Fatalf("loaded from_logits %v", v)
	}
	if v, _ := loaded.OutputFloat(0, ModelHuberDelta); v != 0.5 {
		t.Fatalf("loaded Huber delta %v", v)
	}
	if v, _ := loaded.Int(ModelFromLogits); v != 0 {
		t.Fatalf("the model-wide from_logits changed: %v", v)
	}
}

// Keras' initializer seed= (library 1.3): the same seeded kernel under two model seeds,
// read back after a save, and refused without an initializer.
func TestInitializerSeed(t *testing.T) {
	build := func(modelSeed uint64) *Model {
		m, err := NewModel(4)
		must(t, err)
		must(t, m.SetSeed(modelSeed))
		must(t, m.AddDense(3, Linear))
		wantError(t, m.SetLayerInitializerSeed(0, KernelWeights, true, 9), ErrState,
			"deep_model_set_layer_initializer_seed")
		must(t, m.SetLayerInitializer(0, KernelWeights, HeNormal, 0, 0))
		must(t, m.SetLayerInitializerSeed(0, KernelWeights, true, 9))
		sgd, err := NewOptimizer(SGD)
		must(t, err)
		must(t, m.Compile(sgd, MeanSquaredError))
		return m
	}
	a, b := build(1), build(2)
	defer a.Close()
	defer b.Close()
	wa, err := a.Weight(0, 0)
	must(t, err)
	defer wa.Close()
	wb, err := b.Weight(0, 0)
	must(t, err)
	defer wb.Close()
	da, err := wa.Data()
	must(t, err)
	db, err := wb.Data()
	must(t, err)
	for i := range da {
		if da[i] != db[i] {
			t.Fatalf("kernel[%d]: %v under model seed 1, %v under 2", i, da[i], db[i])
		}
	}
	data, err := a.SaveBuffer()
	must(t, err)
	loaded, err := LoadModelBuffer(data)
	must(t, err)
	defer loaded.Close()
	if seeded, seed, err := loaded.LayerInitializerSeed(0, KernelWeights); err != nil || !seeded || seed != 9 {
		t.Fatalf("loaded seed %v %v %v", seeded, seed, err)
	}
}
