package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "unsafe"

// Model files and weights. A model file is a safetensors file (docs/model-format.md)
// holding the architecture and settings and, once compiled, the weights, loss, metrics and
// optimizer state, so that a loaded model predicts at once and can continue Fit.
// Callbacks, the log and checkpoint settings are not saved.

// Save writes the model to path, atomically: a failed save leaves a previous file intact.
// A layer the format does not know is an ErrUnsupported.
func (m *Model) Save(path string) error {
	cpath, err := cString("Model.Save", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	// Saving reads the model; it must not run concurrently with Fit, which the lock ensures.
	return m.read("Model.Save", func(p *C.deep_model) C.deep_status { return C.deep_model_save(p, cpath) })
}

// SaveBuffer is the bytes of the file Save would write.
func (m *Model) SaveBuffer() ([]byte, error) {
	var out []byte
	err := m.read("Model.SaveBuffer", func(p *C.deep_model) C.deep_status {
		var needed C.int64_t
		if s := C.deep_model_save_buffer(p, nil, 0, &needed); s != C.DEEP_OK {
			return s
		}
		out = make([]byte, int(needed))
		if needed == 0 {
			return C.DEEP_OK
		}
		return C.deep_model_save_buffer(p, unsafe.Pointer(&out[0]), needed, &needed)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LoadModel loads a model written by Save (or a checkpoint of Fit). Anything truncated,
// corrupt, foreign or of a newer format is an ErrFormat naming the file and the place.
func LoadModel(path string) (*Model, error) {
	cpath, err := cString("LoadModel", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var p *C.deep_model
	if err := call(func() C.deep_status { return C.deep_model_load(cpath, &p) }); err != nil {
		return nil, err
	}
	return wrapModel(p), nil
}

// LoadModelBuffer loads a model from the bytes of a model file (SaveBuffer); data is only
// read during the call.
func LoadModelBuffer(data []byte) (*Model, error) {
	var ptr unsafe.Pointer
	if len(data) > 0 {
		ptr = unsafe.Pointer(&data[0])
	}
	var p *C.deep_model
	if err := call(func() C.deep_status { return C.deep_model_load_buffer(ptr, C.int64_t(len(data)), &p) }); err != nil {
		return nil, err
	}
	return wrapModel(p), nil
}

// InputShape is the shape of one sample at the model's input (Keras' input_shape without
// the batch axis).
func (m *Model) InputShape() ([]int64, error) {
	return m.shape("Model.InputShape", func(p *C.deep_model, buf *C.int64_t, n C.int64_t, rank *C.int64_t) C.deep_status {
		return C.deep_model_input_shape(p, buf, n, rank)
	})
}

// OutputShape is the shape of one sample at the model's output (Keras' output_shape
// without the batch axis); the input shape while the model has no layer.
func (m *Model) OutputShape() ([]int64, error) {
	return m.shape("Model.OutputShape", func(p *C.deep_model, buf *C.int64_t, n C.int64_t, rank *C.int64_t) C.deep_status {
		return C.deep_model_output_shape(p, buf, n, rank)
	})
}

func (m *Model) shape(what string, get func(*C.deep_model, *C.int64_t, C.int64_t, *C.int64_t) C.deep_status) ([]int64, error) {
	var shape []int64
	err := m.read(what, func(p *C.deep_model) C.deep_status {
		var rank C.int64_t
		buf := make([]int64, C.DEEP_MAX_RANK)
		s := get(p, int64Ptr(buf), C.int64_t(len(buf)), &rank)
		shape = buf[:int(rank)]
		return s
	})
	if err != nil {
		return nil, err
	}
	return shape, nil
}

// LayerCount is the number of layers added.
func (m *Model) LayerCount() (int, error) {
	var n C.int32_t
	err := m.read("Model.LayerCount", func(p *C.deep_model) C.deep_status { return C.deep_model_layer_count(p, &n) })
	return int(n), err
}

// WeightCount is the number of weight tensors of a layer (Dense: 2, kernel and bias).
func (m *Model) WeightCount(layer int) (int, error) {
	var n C.int32_t
	err := m.read("Model.WeightCount", func(p *C.deep_model) C.deep_status {
		return C.deep_model_weight_count(p, C.int32_t(layer), &n)
	})
	return int(n), err
}

// Weight is a copy of weight index of layer, in Keras order (Dense: kernel then bias).
func (m *Model) Weight(layer, index int) (*Tensor, error) {
	var out *C.deep_tensor
	if err := m.read("Model.Weight", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_weight(p, C.int32_t(layer), C.int32_t(index), &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// SetWeight replaces weight index of layer with a copy of value, whose shape must match.
func (m *Model) SetWeight(layer, index int, value *Tensor) error {
	vp, release, err := value.borrow("Model.SetWeight: value")
	if err != nil {
		return err
	}
	defer release()
	return m.write("Model.SetWeight", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_weight(p, C.int32_t(layer), C.int32_t(index), vp)
	})
}
