// Package deep is the Go binding of libdeep, deep learning and tree learning in C: tensors,
// datasets, Keras-shaped Sequential models, and scikit-learn-shaped decision trees and
// random forests.
//
// The package finds the C library through pkg-config (libdeep.pc, from the libdeep-dev
// Debian package or a meson install). Every C failure comes back as an *Error carrying the
// status and the message deep_last_error() gave; compare with errors.Is against the
// Status constants (errors.Is(err, deep.ErrShape)).
//
// Handles (Tensor, Dataset, Optimizer, Model, Tree, Forest) own C memory. Close releases it
// at once; a finalizer releases it when a handle is garbage-collected without Close. Any
// call on a closed handle returns an error matching ErrClosed. Handles are safe to use from
// several goroutines: calls that only read (Predict, Score, Shape, ...) run concurrently,
// as the C library allows, and calls that change a handle (Fit, setters, Close) wait for
// the others to finish.
package deep

/*
#cgo pkg-config: libdeep
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Status is a libdeep status code (deep_status). The non-zero ones are errors themselves, so
// that errors.Is(err, deep.ErrShape) tells what kind of failure err is.
type Status int32

// The status codes of deep.h; values are those of the C enum and never change.
const (
	OK                 Status = C.DEEP_OK
	ErrNull            Status = C.DEEP_ERR_NULL
	ErrInvalidArgument Status = C.DEEP_ERR_INVALID_ARGUMENT
	ErrShape           Status = C.DEEP_ERR_SHAPE
	ErrOutOfRange      Status = C.DEEP_ERR_OUT_OF_RANGE
	ErrNoMemory        Status = C.DEEP_ERR_NO_MEMORY
	ErrOverflow        Status = C.DEEP_ERR_OVERFLOW
	ErrState           Status = C.DEEP_ERR_STATE
	ErrIO              Status = C.DEEP_ERR_IO
	ErrFormat          Status = C.DEEP_ERR_FORMAT
	ErrNumeric         Status = C.DEEP_ERR_NUMERIC
	ErrUnsupported     Status = C.DEEP_ERR_UNSUPPORTED
	ErrThread          Status = C.DEEP_ERR_THREAD
	ErrBufferTooSmall  Status = C.DEEP_ERR_BUFFER_TOO_SMALL
)

// String is the C name of the status, e.g. "DEEP_ERR_SHAPE" (deep_status_string).
func (s Status) String() string {
	return C.GoString(C.deep_status_string(C.deep_status(s)))
}

// Error makes a Status usable as an error value and as an errors.Is target.
func (s Status) Error() string { return s.String() }

// Error is a failed libdeep call.
type Error struct {
	Status  Status // what kind of failure
	Message string // what was wrong, naming the C function, e.g. "deep_model_predict: ..."
}

func (e *Error) Error() string { return e.Message + " (" + e.Status.String() + ")" }

// Is reports whether target is this error's Status, for errors.Is.
func (e *Error) Is(target error) bool {
	s, ok := target.(Status)
	return ok && s == e.Status
}

// ErrClosed is matched (errors.Is) by the error of any call on a closed handle, and on an
// Optimizer after a Model took it over in Compile.
var ErrClosed = errors.New("deep: use of a closed handle")

func closedError(op string) error { return fmt.Errorf("deep: %s: %w", op, ErrClosed) }

// goError is a failure found on the Go side before calling C (for example a slice whose
// length does not fit the shape given), reported like a C one.
func goError(s Status, format string, args ...any) error {
	return &Error{Status: s, Message: fmt.Sprintf(format, args...)}
}

// call runs one C call and turns a failure into an *Error. The message of the last error is
// thread-local in the C library, so the goroutine stays on its OS thread between the call
// and deep_last_error.
func call(f func() C.deep_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s := f()
	if s == C.DEEP_OK {
		return nil
	}
	return &Error{Status: Status(s), Message: C.GoString(C.deep_last_error())}
}

// Version is the version of the loaded C library, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.deep_version_string()) }

// HeaderVersion is the version of the deep.h this package was compiled against.
func HeaderVersion() string {
	return fmt.Sprintf("%d.%d.%d", C.DEEP_VERSION_MAJOR, C.DEEP_VERSION_MINOR, C.DEEP_VERSION_PATCH)
}

// CPUCount is the number of cores the process may use (deep_cpu_count).
func CPUCount() int { return int(C.deep_cpu_count()) }

// handle is what every wrapper type embeds: the lock that orders calls against Close and
// against each other, as the C library requires.
type handle struct {
	mu sync.RWMutex
}

// finalized counts handles released by a finalizer rather than by Close (seen by tests).
var finalized atomic.Int64

func floatPtr(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func int64Ptr(s []int64) *C.int64_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.int64_t)(unsafe.Pointer(&s[0]))
}

func int32Ptr(s []int32) *C.int32_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.int32_t)(unsafe.Pointer(&s[0]))
}

func doublePtr(s []float64) *C.double {
	if len(s) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&s[0]))
}

// elements is the product of shape, or ok false when a dimension is not positive or the
// product overflows (the C library then reports the shape itself).
func elements(shape []int64) (n int64, ok bool) {
	n = 1
	for _, d := range shape {
		if d <= 0 || n > (1<<62)/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

func cBool(b bool) C.int32_t {
	if b {
		return 1
	}
	return 0
}
