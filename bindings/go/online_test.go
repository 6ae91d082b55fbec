package deep

import (
	"reflect"
	"testing"
)

// TrainOnBatch, TestOnBatch and PredictOnBatch against Fit, Evaluate and Predict, then
// Clone and CopyWeightsFrom.

func onlineProblem() (x, labels []float32, ints []int32) {
	for i := 0; i < 32; i++ {
		c := float32(i%2)*2 - 1
		x = append(x, c+0.1*float32(i%5), c-0.05*float32(i%3))
		labels = append(labels, float32(i%2))
		ints = append(ints, int32(i%2))
	}
	return
}

func onlineModel(t *testing.T) *Model {
	m, err := NewModel(2)
	must(t, err)
	must(t, m.SetSeed(4))
	must(t, m.SetInt(ModelThreads, 1))
	must(t, m.SetInt(ModelShuffle, 0))
	must(t, m.SetInt(ModelVerbose, 0))
	must(t, m.AddDense(8, ReLU))
	must(t, m.AddDense(2, Softmax))
	opt, err := NewOptimizer(Adam)
	must(t, err)
	must(t, m.Compile(opt, SparseCategoricalCrossentropy, MetricAccuracy))
	return m
}

func allWeights(t *testing.T, m *Model) []float32 {
	var all []float32
	for layer := 0; layer < 2; layer++ {
		for i := 0; i < 2; i++ {
			w, err := m.Weight(layer, i)
			must(t, err)
			data, err := w.Data()
			must(t, err)
			all = append(all, data...)
			w.Close()
		}
	}
	return all
}

func TestTrainOnBatchEqualsFit(t *testing.T) {
	x, labels, ints := onlineProblem()
	fitted, stepped := onlineModel(t), onlineModel(t)
	defer fitted.Close()
	defer stepped.Close()
	data, err := NewDataset([]int64{2}, x)
	must(t, err)
	defer data.Close()
	must(t, data.SetLabels(ints, 2))
	for epoch := 0; epoch < 2; epoch++ {
		must(t, fitted.Fit(data, 1, 8, nil))
		for first := 0; first < 32; first += 8 {
			xb, err := NewTensor([]int64{8, 2}, x[2*first:2*first+16])
			must(t, err)
			yb, err := NewTensor([]int64{8}, labels[first:first+8])
			must(t, err)
			values, err := stepped.TrainOnBatch(xb, yb)
			must(t, err)
			if len(values) != 2 {
				t.Fatalf("TrainOnBatch returned %d values, want loss and accuracy", len(values))
			}
			xb.Close()
			yb.Close()
		}
		if !reflect.DeepEqual(allWeights(t, fitted), allWeights(t, stepped)) {
			t.Fatalf("weights differ from Fit's after epoch %d", epoch+1)
		}
	}

	xs, err := NewTensor([]int64{32, 2}, x)
	must(t, err)
	defer xs.Close()
	ys, err := NewTensor([]int64{32}, labels)
	must(t, err)
	defer ys.Close()
	values, err := stepped.TestOnBatch(xs, ys)
	must(t, err)
	want, err := stepped.Evaluate(data, 32)
	must(t, err)
	if !reflect.DeepEqual(values, want) {
		t.Fatalf("TestOnBatch %v, Evaluate %v", values, want)
	}
	n, err := stepped.PredictOnBatch(xs, nil)
	must(t, err)
	out := make([]float32, n)
	_, err = stepped.PredictOnBatch(xs, out)
	must(t, err)
	predicted, err := stepped.Predict(xs)
	must(t, err)
	defer predicted.Close()
	if data, _ := predicted.Data(); !reflect.DeepEqual(out, data) {
		t.Fatal("PredictOnBatch differs from Predict")
	}

	bad, err := NewTensor([]int64{32, 1}, x[:32])
	must(t, err)
	defer bad.Close()
	_, err = stepped.TrainOnBatch(bad, ys)
	wantError(t, err, ErrShape, "deep_model_train_on_batch")
	_, err = stepped.PredictOnBatch(xs, out[:3])
	wantError(t, err, ErrBufferTooSmall, "deep_model_predict_on_batch")
}

func TestCloneAndCopyWeights(t *testing.T) {
	src := onlineModel(t)
	defer src.Close()
	clone, err := src.Clone()
	must(t, err)
	defer clone.Close()
	a, _ := src.Summary()
	b, _ := clone.Summary()
	if a != b {
		t.Fatalf("clone's summary differs:\n%s\n%s", a, b)
	}
	wantError(t, clone.CopyWeightsFrom(src), ErrState, "deep_model_copy_weights")
	must(t, clone.SetSeed(99))
	opt, err := NewOptimizer(SGD)
	must(t, err)
	must(t, clone.Compile(opt, SparseCategoricalCrossentropy))
	if reflect.DeepEqual(allWeights(t, src), allWeights(t, clone)) {
		t.Fatal("a clone compiled with another seed has src's weights")
	}
	must(t, clone.CopyWeightsFrom(src))
	if !reflect.DeepEqual(allWeights(t, src), allWeights(t, clone)) {
		t.Fatal("CopyWeightsFrom did not copy the weights")
	}
	if err := clone.CopyWeightsFrom(nil); err == nil {
		t.Fatal("CopyWeightsFrom(nil) succeeded")
	}
}
