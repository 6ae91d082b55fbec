package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "unsafe"

// ONNX export (since libdeep 1.2): models, trees and forests as ONNX files for other
// runtimes (docs/onnx.md). A libdeep built without ONNX returns ErrUnsupported.

// onnxBytes fills a byte slice by the caller-buffer contract: a size query, then the copy.
func onnxBytes(out *[]byte, fill func(buf unsafe.Pointer, capacity C.int64_t, needed *C.int64_t) C.deep_status) C.deep_status {
	var needed C.int64_t
	if s := fill(nil, 0, &needed); s != C.DEEP_OK {
		return s
	}
	*out = make([]byte, int(needed))
	if needed == 0 {
		return C.DEEP_OK
	}
	return fill(unsafe.Pointer(&(*out)[0]), needed, &needed)
}

// SaveONNX writes the model's graph as ONNX at opset (13 to 17; 0 picks 13), atomically.
// The graph takes channels-last inputs with a dynamic batch dimension, as libdeep does. An
// uncompiled model is an ErrState; a layer ONNX cannot express (Masking) an ErrUnsupported.
func (m *Model) SaveONNX(path string, opset int) error {
	cpath, err := cString("Model.SaveONNX", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return m.read("Model.SaveONNX", func(p *C.deep_model) C.deep_status {
		return C.deep_model_save_onnx(p, cpath, C.int32_t(opset))
	})
}

// ONNXBuffer is the bytes SaveONNX would write.
func (m *Model) ONNXBuffer(opset int) ([]byte, error) {
	var out []byte
	err := m.read("Model.ONNXBuffer", func(p *C.deep_model) C.deep_status {
		return onnxBytes(&out, func(buf unsafe.Pointer, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_model_save_onnx_buffer(p, C.int32_t(opset), buf, capacity, needed)
		})
	})
	return out, err
}

// SaveONNX writes the fitted tree as an ONNX-ML TreeEnsembleClassifier or Regressor.
func (t *Tree) SaveONNX(path string) error {
	cpath, err := cString("Tree.SaveONNX", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return t.do(true, "Tree.SaveONNX", func() C.deep_status { return C.deep_tree_save_onnx(t.p, cpath) })
}

// ONNXBuffer is the bytes SaveONNX would write.
func (t *Tree) ONNXBuffer() ([]byte, error) {
	var out []byte
	err := t.do(true, "Tree.ONNXBuffer", func() C.deep_status {
		return onnxBytes(&out, func(buf unsafe.Pointer, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_tree_save_onnx_buffer(t.p, buf, capacity, needed)
		})
	})
	return out, err
}

// SaveONNX writes the fitted forest as one ONNX-ML tree ensemble whose probabilities and
// values are the mean of its trees', as Predict's.
func (f *Forest) SaveONNX(path string) error {
	cpath, err := cString("Forest.SaveONNX", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return f.do(true, "Forest.SaveONNX", func() C.deep_status { return C.deep_forest_save_onnx(f.p, cpath) })
}

// ONNXBuffer is the bytes SaveONNX would write.
func (f *Forest) ONNXBuffer() ([]byte, error) {
	var out []byte
	err := f.do(true, "Forest.ONNXBuffer", func() C.deep_status {
		return onnxBytes(&out, func(buf unsafe.Pointer, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_forest_save_onnx_buffer(f.p, buf, capacity, needed)
		})
	})
	return out, err
}
