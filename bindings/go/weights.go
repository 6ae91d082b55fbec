package deep

/*
#include <deep.h>
*/
import "C"

// Keras' sample_weight and class_weight (since 1.2): each sample's loss times its weight,
// the batch's sum divided by the batch size; class weights on training batches only; the
// compiled metrics are not weighted.

// SetSampleWeights gives every sample a weight (finite, >= 0; one per sample) that Fit and
// Evaluate apply to its loss; nil removes them. They follow the samples through Shuffle,
// Split, Subset and Concat.
func (d *Dataset) SetSampleWeights(weights []float32) error {
	return d.write("Dataset.SetSampleWeights", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_set_sample_weights(p, floatPtr(weights), C.int64_t(len(weights)))
	})
}

// SampleWeights is the dataset's sample weights (ErrState when it has none).
func (d *Dataset) SampleWeights() ([]float32, error) {
	var weights []float32
	err := d.read("Dataset.SampleWeights", func(p *C.deep_dataset) C.deep_status {
		var n C.int64_t
		if s := C.deep_dataset_count(p, &n); s != C.DEEP_OK {
			return s
		}
		weights = make([]float32, int(n))
		return C.deep_dataset_sample_weights(p, floatPtr(weights), n, &n)
	})
	if err != nil {
		return nil, err
	}
	return weights, nil
}

// SetClassWeights makes the training loss of every sample of class c weigh weights[c]
// (Keras' class_weight) in Fit and TrainOnBatch; nil removes them. The model must have one
// output of rank 1; Fit fails with ErrOutOfRange when a sample's class has no weight.
func (m *Model) SetClassWeights(weights []float64) error {
	return m.write("Model.SetClassWeights", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_class_weights(p, doublePtr(weights), C.int64_t(len(weights)))
	})
}

// ClassWeights is the model's class weights (empty when it has none).
func (m *Model) ClassWeights() ([]float64, error) {
	var weights []float64
	err := m.read("Model.ClassWeights", func(p *C.deep_model) C.deep_status {
		var n C.int64_t
		if s := C.deep_model_get_class_weights(p, nil, 0, &n); s != C.DEEP_OK || n == 0 {
			return s
		}
		weights = make([]float64, int(n))
		return C.deep_model_get_class_weights(p, doublePtr(weights), n, &n)
	})
	return weights, err
}

// TrainOnBatchWeighted is TrainOnBatch with one weight per sample of the batch.
func (m *Model) TrainOnBatchWeighted(x, y *Tensor, weights []float32) ([]float64, error) {
	return m.onBatch("Model.TrainOnBatchWeighted", x, y,
		func(p *C.deep_model, x, y *C.deep_tensor, values *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_model_train_on_batch_weighted(p, x, y, floatPtr(weights), C.int64_t(len(weights)), values,
				capacity, needed)
		})
}

// TestOnBatchWeighted is TestOnBatch with one weight per sample of the batch.
func (m *Model) TestOnBatchWeighted(x, y *Tensor, weights []float32) ([]float64, error) {
	return m.onBatch("Model.TestOnBatchWeighted", x, y,
		func(p *C.deep_model, x, y *C.deep_tensor, values *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_model_test_on_batch_weighted(p, x, y, floatPtr(weights), C.int64_t(len(weights)), values,
				capacity, needed)
		})
}
