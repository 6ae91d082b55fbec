package deep

/*
#include <deep.h>
*/
import "C"

import "unsafe"

// Online training: Keras' train_on_batch, test_on_batch and predict_on_batch, one step on
// tensors the caller passes, plus the copies of a model that a DQN's target network needs.
// The model keeps one workspace for the three calls: after the first call with a batch
// size the library allocates nothing for calls of that size or smaller. Like Fit they hold
// the model exclusively, and must not be called from Fit's callbacks.

// onBatch runs a train_on_batch or test_on_batch call.
func (m *Model) onBatch(op string, x, y *Tensor,
	f func(p *C.deep_model, x, y *C.deep_tensor, values *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status) ([]float64, error) {
	xp, releaseX, err := x.borrow(op + ": x")
	if err != nil {
		return nil, err
	}
	defer releaseX()
	yp, releaseY, err := y.borrow(op + ": y")
	if err != nil {
		return nil, err
	}
	defer releaseY()
	var values []float64
	err = m.write(op, func(p *C.deep_model) C.deep_status {
		// The size query tells the loss and metric count and runs nothing.
		var needed C.int64_t
		if s := f(p, xp, yp, nil, 0, &needed); s != C.DEEP_OK {
			return s
		}
		values = make([]float64, int(needed))
		return f(p, xp, yp, doublePtr(values), needed, &needed)
	})
	if err != nil {
		return nil, err
	}
	return values, nil
}

// TrainOnBatch takes one optimizer step on the batch x (n, input shape...) with targets y:
// floats (n, output shape...) ((n,) for one output), or class labels as whole floats (n,)
// for SparseCategoricalCrossentropy. It returns the loss of the batch before the step,
// then each compiled metric; the optimizer's state carries over between calls and Fit.
func (m *Model) TrainOnBatch(x, y *Tensor) ([]float64, error) {
	return m.onBatch("Model.TrainOnBatch", x, y,
		func(p *C.deep_model, x, y *C.deep_tensor, values *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_model_train_on_batch(p, x, y, values, capacity, needed)
		})
}

// TestOnBatch is the loss then each compiled metric of the batch (x, y) in inference mode,
// what Evaluate gives on those samples with batch size n.
func (m *Model) TestOnBatch(x, y *Tensor) ([]float64, error) {
	return m.onBatch("Model.TestOnBatch", x, y,
		func(p *C.deep_model, x, y *C.deep_tensor, values *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_model_test_on_batch(p, x, y, values, capacity, needed)
		})
}

// PredictOnBatch writes the outputs for x (n, input shape...) into out, row-major
// (n, output shape...), and returns how many values that is; out must hold them all
// (PredictOnBatch(x, nil) returns the count and runs nothing). The values are Predict's.
func (m *Model) PredictOnBatch(x *Tensor, out []float32) (int, error) {
	xp, release, err := x.borrow("Model.PredictOnBatch: x")
	if err != nil {
		return 0, err
	}
	defer release()
	var needed C.int64_t
	err = m.write("Model.PredictOnBatch", func(p *C.deep_model) C.deep_status {
		return C.deep_model_predict_on_batch(p, xp, floatPtr(out), C.int64_t(len(out)), &needed)
	})
	return int(needed), err
}

// CopyWeightsFrom copies every weight of src, a compiled model of the same architecture,
// into m in one call (a DQN's target network); m's optimizer state stays.
func (m *Model) CopyWeightsFrom(src *Model) error {
	if src == nil {
		return nilError("Model.CopyWeightsFrom: src")
	}
	if m == src {
		return m.write("Model.CopyWeightsFrom", func(p *C.deep_model) C.deep_status {
			return C.deep_model_copy_weights(p, p)
		})
	}
	if m == nil {
		return nilError("Model.CopyWeightsFrom")
	}
	// Two models are locked in address order, so that copies both ways cannot deadlock.
	if uintptr(unsafe.Pointer(m)) < uintptr(unsafe.Pointer(src)) {
		m.mu.Lock()
		src.mu.RLock()
	} else {
		src.mu.RLock()
		m.mu.Lock()
	}
	defer m.mu.Unlock()
	defer src.mu.RUnlock()
	if m.p == nil {
		return closedError("Model.CopyWeightsFrom")
	}
	if src.p == nil {
		return closedError("Model.CopyWeightsFrom: src")
	}
	return call(func() C.deep_status { return C.deep_model_copy_weights(m.p, src.p) })
}

// Clone is a new, uncompiled model with m's architecture (layers, their options and names)
// and settings (Keras' clone_model); compiling it gives fresh weights from its seed.
func (m *Model) Clone() (*Model, error) {
	var out *C.deep_model
	if err := m.read("Model.Clone", func(p *C.deep_model) C.deep_status {
		return C.deep_model_clone(p, &out)
	}); err != nil {
		return nil, err
	}
	return wrapModel(out), nil
}
