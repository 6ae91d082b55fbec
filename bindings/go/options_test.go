package deep

import (
	"math"
	"testing"
)

// Every setter has a getter (deep.h, "Conventions"): defaults, what was set, and the
// getter of the wrong kind refused.
func TestModelOptionGetters(t *testing.T) {
	m, err := NewModel(3)
	must(t, err)
	defer m.Close()
	if v, _ := m.Float(ModelValidationSplit); v != 0 {
		t.Fatalf("default validation split %v", v)
	}
	if s, _ := m.StringOption(ModelCheckpointPath); s != "" {
		t.Fatalf("default checkpoint path %q", s)
	}
	must(t, m.SetFloat(ModelValidationSplit, 0.25))
	must(t, m.SetString(ModelCheckpointPath, "run/ckpt.deep"))
	must(t, m.SetSeed(1<<63+5))
	if v, _ := m.Float(ModelValidationSplit); v != 0.25 {
		t.Fatalf("validation split %v after setting 0.25", v)
	}
	if s, _ := m.StringOption(ModelCheckpointPath); s != "run/ckpt.deep" {
		t.Fatalf("checkpoint path %q", s)
	}
	if seed, _ := m.Seed(); seed != 1<<63+5 {
		t.Fatalf("seed %d", seed)
	}
	_, err = m.Float(ModelThreads)
	wantError(t, err, ErrInvalidArgument, "deep_model_get_float")
	_, err = m.StringOption(ModelThreads)
	wantError(t, err, ErrInvalidArgument, "deep_model_get_string")
}

func TestTreeAndForestOptionGetters(t *testing.T) {
	tree, err := NewTree(Classifier)
	must(t, err)
	defer tree.Close()
	if v, _ := tree.Int(TreeMaxDepth); v != Unlimited {
		t.Fatalf("default max depth %d", v)
	}
	must(t, tree.SetInt(TreeMaxDepth, 4))
	must(t, tree.SetFloat(TreeMinImpurityDecrease, 0.5))
	must(t, tree.SetClassWeights([]float64{1, 3}))
	if v, _ := tree.Int(TreeMaxDepth); v != 4 {
		t.Fatalf("max depth %d after setting 4", v)
	}
	if v, _ := tree.Float(TreeMinImpurityDecrease); v != 0.5 {
		t.Fatalf("min impurity decrease %v", v)
	}
	if w, _ := tree.ClassWeights(); len(w) != 2 || w[0] != 1 || w[1] != 3 {
		t.Fatalf("class weights %v", w)
	}
	_, err = tree.Float(TreeMaxDepth)
	wantError(t, err, ErrInvalidArgument, "deep_tree_get_float")
	_, err = tree.Int(ForestNEstimators)
	wantError(t, err, ErrInvalidArgument, "deep_tree_get_int")

	forest, err := NewForest(Regressor)
	must(t, err)
	defer forest.Close()
	if v, _ := forest.Int(ForestNEstimators); v != 100 {
		t.Fatalf("default n_estimators %d", v)
	}
	must(t, forest.SetFloat(ForestMaxSamples, 0.5))
	if v, _ := forest.Float(ForestMaxSamples); v != 0.5 {
		t.Fatalf("max samples %v", v)
	}
	_, err = forest.Int(ForestMaxSamples)
	wantError(t, err, ErrInvalidArgument, "deep_forest_get_int")
	if w, _ := forest.ClassWeights(); len(w) != 0 {
		t.Fatalf("class weights %v before any were set", w)
	}
}

// The Huber loss's delta: default 1.0 (Keras'), a bad value refused, the value set saved
// with a model compiled with deep.Huber.
func TestHuberDelta(t *testing.T) {
	m, err := NewModel(2)
	must(t, err)
	defer m.Close()
	if v, _ := m.Float(ModelHuberDelta); v != 1 {
		t.Fatalf("default Huber delta %v", v)
	}
	wantError(t, m.SetFloat(ModelHuberDelta, 0), ErrInvalidArgument, "deep_model_set_float")
	must(t, m.SetFloat(ModelHuberDelta, 0.5))
	must(t, m.AddDense(1, Linear))
	sgd, err := NewOptimizer(SGD)
	must(t, err)
	must(t, m.Compile(sgd, Huber))
	data, err := m.SaveBuffer()
	must(t, err)
	loaded, err := LoadModelBuffer(data)
	must(t, err)
	defer loaded.Close()
	if v, _ := loaded.Float(ModelHuberDelta); v != 0.5 {
		t.Fatalf("loaded Huber delta %v", v)
	}
}

// Keras' from_logits, label_smoothing, top-k and metric threshold (since 1.2): bad values
// refused, the values set saved with the compiled model; the new metrics compile and
// evaluate gives one value for each.
func TestLossAndMetricOptions(t *testing.T) {
	m, err := NewModel(2)
	must(t, err)
	defer m.Close()
	wantError(t, m.SetInt(ModelFromLogits, 2), ErrInvalidArgument, "deep_model_set_int")
	wantError(t, m.SetFloat(ModelLabelSmoothing, 1.5), ErrInvalidArgument, "deep_model_set_float")
	must(t, m.SetInt(ModelFromLogits, 1))
	must(t, m.SetFloat(ModelLabelSmoothing, 0.25))
	must(t, m.SetInt(ModelTopK, 2))
	must(t, m.SetFloat(ModelMetricThreshold, 0.25))
	must(t, m.AddDense(1, Linear))
	sgd, err := NewOptimizer(SGD)
	must(t, err)
	must(t, m.Compile(sgd, BinaryCrossentropy, MetricPrecision, MetricRecall, MetricAUC, MetricPRAUC,
		MetricBinaryAccuracy, MetricMeanSquaredError, MetricRootMeanSquaredError))
	data, err := m.SaveBuffer()
	must(t, err)
	loaded, err := LoadModelBuffer(data)
	must(t, err)
	defer loaded.Close()
	if v, _ := loaded.Int(ModelFromLogits); v != 1 {
		t.Fatalf("loaded from_logits %v", v)
	}
	if v, _ := loaded.Float(ModelLabelSmoothing); v != 0.25 {
		t.Fatalf("loaded label smoothing %v", v)
	}
	if v, _ := loaded.Int(ModelTopK); v != 2 {
		t.Fatalf("loaded top k %v", v)
	}
	if v, _ := loaded.Float(ModelMetricThreshold); v != 0.25 {
		t.Fatalf("loaded metric threshold %v", v)
	}
}

// Keras' sample and class weights (since 1.2): weights of 2 double a batch's MSE (the
// metric stays), dataset weights and class weights read back, bad ones refused.
func TestSampleAndClassWeights(t *testing.T) {
	m, err := NewModel(1)
	must(t, err)
	defer m.Close()
	must(t, m.AddDense(1, Linear))
	sgd, err := NewOptimizer(SGD)
	must(t, err)
	must(t, m.Compile(sgd, MeanSquaredError, MetricMeanAbsoluteError))
	x, err := NewTensor([]int64{2, 1}, []float32{0.5, 2})
	must(t, err)
	defer x.Close()
	y, err := NewTensor([]int64{2, 1}, []float32{1, -1})
	must(t, err)
	defer y.Close()
	plain, err := m.TestOnBatch(x, y)
	must(t, err)
	doubled, err := m.TestOnBatchWeighted(x, y, []float32{2, 2})
	must(t, err)
	if math.Abs(doubled[0]-2*plain[0]) > 1e-6*plain[0] || doubled[1] != plain[1] {
		t.Fatalf("weighted %v, plain %v", doubled, plain)
	}
	_, err = m.TrainOnBatchWeighted(x, y, []float32{1})
	wantError(t, err, ErrShape, "deep_model_train_on_batch_weighted")
	_, err = m.TrainOnBatchWeighted(x, y, []float32{1, 0.5})
	must(t, err)
	wantError(t, m.SetClassWeights([]float64{1, -1}), ErrInvalidArgument, "deep_model_set_class_weights")
	must(t, m.SetClassWeights([]float64{1, 4}))
	if w, _ := m.ClassWeights(); len(w) != 2 || w[1] != 4 {
		t.Fatalf("class weights %v", w)
	}
	d, err := NewDataset([]int64{1}, []float32{0.5, 2})
	must(t, err)
	defer d.Close()
	wantError(t, d.SetSampleWeights([]float32{1}), ErrShape, "deep_dataset_set_sample_weights")
	must(t, d.SetSampleWeights([]float32{1, 3}))
	if w, _ := d.SampleWeights(); len(w) != 2 || w[1] != 3 {
		t.Fatalf("sample weights %v", w)
	}
}
