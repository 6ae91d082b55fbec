package deep

/*
#include <deep.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

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

// NewTensorFilled makes a tensor of the given shape with every element equal to value.
func NewTensorFilled(shape []int64, value float32) (*Tensor, error) {
	var p *C.deep_tensor
	err := call(func() C.deep_status {
		return C.deep_tensor_new_filled(C.int32_t(len(shape)), int64Ptr(shape), C.float(value), &p)
	})
	if err != nil {
		return nil, err
	}
	return wrapTensor(p), nil
}

// Close frees the tensor. Closing twice is allowed.
func (t *Tensor) Close() error {
	if t == nil {
		return nil
	}
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
	if t == nil {
		return nilError(op)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(t.p) })
}

func (t *Tensor) write(op string, f func(p *C.deep_tensor) C.deep_status) error {
	if t == nil {
		return nilError(op)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(t.p) })
}

// borrow locks t shared for a call that takes it as an argument; release undoes that.
func (t *Tensor) borrow(op string) (p *C.deep_tensor, release func(), err error) {
	if t == nil {
		return nil, func() {}, nilError(op)
	}
	t.mu.RLock()
	if t.p == nil {
		t.mu.RUnlock()
		return nil, func() {}, closedError(op)
	}
	return t.p, t.mu.RUnlock, nil
}

// borrowMut locks t exclusively for a call that writes into it; release undoes that.
func (t *Tensor) borrowMut(op string) (p *C.deep_tensor, release func(), err error) {
	if t == nil {
		return nil, func() {}, nilError(op)
	}
	t.mu.Lock()
	if t.p == nil {
		t.mu.Unlock()
		return nil, func() {}, closedError(op)
	}
	return t.p, t.mu.Unlock, nil
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
		var needed C.int64_t
		return C.deep_tensor_shape(p, int64Ptr(shape), C.int64_t(rank), &needed)
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
		return C.deep_tensor_argmax(p, int64Ptr(out), C.int64_t(len(out)), &n)
	})
	return out, err
}

// Rank is the number of dimensions.
func (t *Tensor) Rank() (int, error) {
	var rank C.int32_t
	err := t.read("Tensor.Rank", func(p *C.deep_tensor) C.deep_status { return C.deep_tensor_rank(p, &rank) })
	return int(rank), err
}

// Dim is the size of one axis; a negative axis counts from the end (-1 is the last).
func (t *Tensor) Dim(axis int) (int64, error) {
	var dim C.int64_t
	err := t.read("Tensor.Dim", func(p *C.deep_tensor) C.deep_status {
		return C.deep_tensor_dim(p, C.int32_t(axis), &dim)
	})
	return int64(dim), err
}

// Clone is a deep copy of the tensor.
func (t *Tensor) Clone() (*Tensor, error) {
	var out *C.deep_tensor
	if err := t.read("Tensor.Clone", func(p *C.deep_tensor) C.deep_status {
		return C.deep_tensor_clone(p, &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// At is the element at a full index (one coordinate per dimension).
func (t *Tensor) At(index ...int64) (float32, error) {
	var v C.float
	err := t.read("Tensor.At", func(p *C.deep_tensor) C.deep_status {
		return C.deep_tensor_get(p, int64Ptr(index), C.int32_t(len(index)), &v)
	})
	return float32(v), err
}

// Set stores value at a full index (one coordinate per dimension).
func (t *Tensor) Set(value float32, index ...int64) error {
	return t.write("Tensor.Set", func(p *C.deep_tensor) C.deep_status {
		return C.deep_tensor_set(p, int64Ptr(index), C.int32_t(len(index)), C.float(value))
	})
}

// Fill sets every element to value.
func (t *Tensor) Fill(value float32) error {
	return t.write("Tensor.Fill", func(p *C.deep_tensor) C.deep_status { return C.deep_tensor_fill(p, C.float(value)) })
}

// ScaleShift sets every element x to x*scale + shift (scale 1/255 brings pixels to [0, 1]).
func (t *Tensor) ScaleShift(scale, shift float64) error {
	return t.write("Tensor.ScaleShift", func(p *C.deep_tensor) C.deep_status {
		return C.deep_tensor_scale_shift(p, C.double(scale), C.double(shift))
	})
}

// FillUniform fills the tensor with values uniform in [low, high) drawn from rng.
func (t *Tensor) FillUniform(rng *Rng, low, high float64) error {
	return rng.use("Tensor.FillUniform", func(r *C.deep_rng) error {
		return t.write("Tensor.FillUniform", func(p *C.deep_tensor) C.deep_status {
			return C.deep_tensor_fill_uniform(p, r, C.double(low), C.double(high))
		})
	})
}

// FillNormal fills the tensor with normal values of the given mean and standard deviation
// drawn from rng.
func (t *Tensor) FillNormal(rng *Rng, mean, stddev float64) error {
	return rng.use("Tensor.FillNormal", func(r *C.deep_rng) error {
		return t.write("Tensor.FillNormal", func(p *C.deep_tensor) C.deep_status {
			return C.deep_tensor_fill_normal(p, r, C.double(mean), C.double(stddev))
		})
	})
}

// Sum is the sum of all elements, accumulated in double precision.
func (t *Tensor) Sum() (float64, error) {
	var sum C.double
	err := t.read("Tensor.Sum", func(p *C.deep_tensor) C.deep_status { return C.deep_tensor_sum(p, &sum) })
	return float64(sum), err
}

// View calls f with the tensor's elements in place (deep_tensor_data), without a copy, while
// other readers may run but no writer. The slice aliases C memory: f must not keep it, nor
// write through it.
func (t *Tensor) View(f func(data []float32)) error {
	return t.read("Tensor.View", func(p *C.deep_tensor) C.deep_status {
		var data *C.float
		var n C.int64_t
		if s := C.deep_tensor_size(p, &n); s != C.DEEP_OK {
			return s
		}
		if s := C.deep_tensor_data(p, &data); s != C.DEEP_OK {
			return s
		}
		f(unsafe.Slice((*float32)(unsafe.Pointer(data)), int(n)))
		return C.DEEP_OK
	})
}

// Update calls f with the tensor's elements in place (deep_tensor_data_mut) for f to change,
// holding the tensor for itself. The slice aliases C memory: f must not keep it.
func (t *Tensor) Update(f func(data []float32)) error {
	return t.write("Tensor.Update", func(p *C.deep_tensor) C.deep_status {
		var data *C.float
		var n C.int64_t
		if s := C.deep_tensor_size(p, &n); s != C.DEEP_OK {
			return s
		}
		if s := C.deep_tensor_data_mut(p, &data); s != C.DEEP_OK {
			return s
		}
		f(unsafe.Slice((*float32)(unsafe.Pointer(data)), int(n)))
		return C.DEEP_OK
	})
}
