package deep

/*
#include <deep.h>
*/
import "C"

import "runtime"

// Tensor is a dense float32 array of rank 1 to 8, row-major, owned by the C library.
type Tensor struct {
	handle
	p *C.deep_tensor
}

func wrapTensor(p *C.deep_tensor) *Tensor {
	t := &Tensor{p: p}
	runtime.SetFinalizer(t, func(t *Tensor) {
		if t.p != nil {
			finalized.Add(1)
			C.deep_tensor_free(t.p)
		}
	})
	return t
}

// NewTensor makes a tensor of the given shape holding a copy of data, whose length must be
// the number of elements of shape; nil data gives a tensor of zeros.
func NewTensor(shape []int64, data []float32) (*Tensor, error) {
	var p *C.deep_tensor
	err := call(func() C.deep_status {
		if data == nil {
			return C.deep_tensor_new(C.int32_t(len(shape)), int64Ptr(shape), &p)
		}
		return C.deep_tensor_new_from(C.int32_t(len(shape)), int64Ptr(shape), floatPtr(data),
			C.int64_t(len(data)), &p)
	})
	if err != nil {
		return nil, err
	}
	return wrapTensor(p), nil
}

// Close frees the tensor. Closing twice is allowed.
func (t *Tensor) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.p != nil {
		C.deep_tensor_free(t.p)
		t.p = nil
	}
	return nil
}

// read runs f with the tensor's pointer while holding the lock shared.
func (t *Tensor) read(op string, f func(p *C.deep_tensor) C.deep_status) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(t.p) })
}

func (t *Tensor) write(op string, f func(p *C.deep_tensor) C.deep_status) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(t.p) })
}

// Shape is the tensor's shape.
func (t *Tensor) Shape() ([]int64, error) {
	var shape []int64
	err := t.read("Tensor.Shape", func(p *C.deep_tensor) C.deep_status {
		var rank C.int32_t
		if s := C.deep_tensor_rank(p, &rank); s != C.DEEP_OK {
			return s
		}
		shape = make([]int64, int(rank))
		return C.deep_tensor_shape(p, int64Ptr(shape), rank)
	})
	return shape, err
}

// Size is the number of elements.
func (t *Tensor) Size() (int64, error) {
	var n C.int64_t
	err := t.read("Tensor.Size", func(p *C.deep_tensor) C.deep_status { return C.deep_tensor_size(p, &n) })
	return int64(n), err
}

// Data is a copy of the elements in row-major order.
func (t *Tensor) Data() ([]float32, error) {
	var data []float32
	err := t.read("Tensor.Data", func(p *C.deep_tensor) C.deep_status {
		var n C.int64_t
		if s := C.deep_tensor_size(p, &n); s != C.DEEP_OK {
			return s
		}
		data = make([]float32, int(n))
		return C.deep_tensor_copy_to(p, floatPtr(data), n)
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// SetData overwrites every element with data, which must have exactly Size elements.
func (t *Tensor) SetData(data []float32) error {
	return t.write("Tensor.SetData", func(p *C.deep_tensor) C.deep_status {
		return C.deep_tensor_copy_from(p, floatPtr(data), C.int64_t(len(data)))
	})
}

// Reshape gives the tensor a new shape with the same number of elements; one dimension
// may be -1 and is then inferred.
func (t *Tensor) Reshape(shape []int64) error {
	return t.write("Tensor.Reshape", func(p *C.deep_tensor) C.deep_status {
		return C.deep_tensor_reshape(p, C.int32_t(len(shape)), int64Ptr(shape))
	})
}

// Argmax is the index of the largest element of each row along the last axis (the
// predicted class of each sample).
func (t *Tensor) Argmax() ([]int64, error) {
	var out []int64
	err := t.read("Tensor.Argmax", func(p *C.deep_tensor) C.deep_status {
		var n, last C.int64_t
		if s := C.deep_tensor_size(p, &n); s != C.DEEP_OK {
			return s
		}
		if s := C.deep_tensor_dim(p, -1, &last); s != C.DEEP_OK {
			return s
		}
		out = make([]int64, int(n/last))
		return C.deep_tensor_argmax(p, int64Ptr(out), C.int64_t(len(out)))
	})
	return out, err
}
