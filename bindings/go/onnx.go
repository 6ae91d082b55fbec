package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "unsafe"

// LoadONNX loads an ONNX model file (as torch.onnx.export writes it) into a model of
// libdeep's own layers (since 1.2, docs/onnx.md). The model is compiled (SGD, mean squared
// error) so that it predicts at once, and Fit trains the imported weights; to fine-tune with
// another loss, Compile a Clone of it and CopyWeightsFrom it (compiling again re-initialises
// weights). Images are (height, width, channels), libdeep's order, where ONNX's are (C, H,
// W). What libdeep cannot translate is an ErrUnsupported naming the node, its operator and
// the opset; a corrupt file an ErrFormat.
func LoadONNX(path string) (*Model, error) {
	cpath, err := cString("LoadONNX", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var p *C.deep_model
	if err := call(func() C.deep_status { return C.deep_model_load_onnx(cpath, &p) }); err != nil {
		return nil, err
	}
	return wrapModel(p), nil
}

// LoadONNXBuffer is LoadONNX on the bytes of an ONNX file; data is only read during the call.
func LoadONNXBuffer(data []byte) (*Model, error) {
	var ptr unsafe.Pointer
	if len(data) > 0 {
		ptr = unsafe.Pointer(&data[0])
	}
	var p *C.deep_model
	if err := call(func() C.deep_status { return C.deep_model_load_onnx_buffer(ptr, C.int64_t(len(data)), &p) }); err != nil {
		return nil, err
	}
	return wrapModel(p), nil
}
