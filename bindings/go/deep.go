// Package deep is the Go binding of libdeep, deep learning and tree learning in C: tensors,
// datasets, Keras-shaped Sequential models, and scikit-learn-shaped decision trees and
// random forests.
//
// The package finds the C library through pkg-config (libdeep.pc, from the libdeep-dev
// Debian package or a meson install). Every C failure comes back as an *Error carrying the
// status and the message deep_last_error() gave; compare with errors.Is against the
// Status constants (errors.Is(err, deep.ErrShape)).
//
// Handles (Tensor, Dataset, Optimizer, Model, Tree, Forest, Vocab, Rng) own C memory. Close
// releases it at once; a finalizer releases it when a handle is garbage-collected without
// Close. Any call on a closed handle returns an error matching ErrClosed, and a nil handle
// (as receiver or argument) one matching ErrNull; neither crashes. Handles are safe to use
// from several goroutines: calls that only read (Predict, Score, Shape, Encode, ...) run
// concurrently, as the C library allows, and calls that change a handle (Fit, setters,
// Close) wait for the others to finish.
//
// Callbacks (Model.SetCallbacks, Model.SetLog) are Go functions that the C library calls
// through exported trampolines: the model holds a runtime/cgo.Handle of them, never a Go
// pointer. They run on the goroutine that called Fit, while Fit holds the model, so they
// must not call the Model's own methods (that would deadlock): the *Epoch they are given
// reads the history, changes the learning rate and saves. A panic in a callback stops Fit
// and is raised again by Fit once the C call has returned.
//
// Every function of deep.h has a Go counterpart except these, on purpose:
//   - deep_model_get_log and deep_model_get_callbacks: the Go side keeps the functions it
//     installed;
//   - deep_clear_error and deep_last_error: used by every call internally, so that an
//     *Error always carries the message of its own C call;
//   - deep_tensor_data and deep_tensor_data_mut are reached through Tensor.View and
//     Tensor.Update, which lend the C buffer as a slice only for the length of a call;
//   - deep_set_last_error: for C companion libraries (libdeep-mpi) and C callbacks; Go code
//     returns its own errors.
//   - deep_model_set_replica and deep_model_get_replica: the data-parallel hook, for a
//     transport such as libdeep-mpi (deep_mpi_fit), which the Go binding does not bind yet.
//
// The tests keep this true against the deep.h the package is built with: every DEEP_API
// function is called by the package or listed with its reason (coverage_test.go), every
// enum value is used (header_test.go), and every layer type and layer option of the
// registry's docs/layers.md has its Model method and LayerOption (registry_test.go).
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
	"strings"
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
	C.deep_clear_error()
	s := f()
	if s == C.DEEP_OK {
		return nil
	}
	message := C.GoString(C.deep_last_error())
	if message == "" {
		message = "libdeep: " + Status(s).String()
	}
	return &Error{Status: Status(s), Message: message}
}

// nilError is the error of a call on, or with, a nil handle.
func nilError(op string) error {
	return &Error{Status: ErrNull, Message: "deep: " + op + ": nil handle"}
}

// cString is s as a C string (free it with C.free), or an ErrInvalidArgument when s holds
// a NUL byte, which C would read as its end.
func cString(op, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, goError(ErrInvalidArgument, "deep: %s: %q holds a NUL byte", op, s)
	}
	return C.CString(s), nil
}

// Version is the version of the loaded C library, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.deep_version_string()) }

// VersionNumber is MAJOR*10000 + MINOR*100 + PATCH of the loaded C library
// (deep_version_number), to compare with HeaderVersionNumber.
func VersionNumber() int { return int(C.deep_version_number()) }

// HeaderVersionNumber is DEEP_VERSION_NUMBER of the deep.h this package was compiled against.
const HeaderVersionNumber = C.DEEP_VERSION_NUMBER

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

// text runs one of the C calls that write NUL-terminated text into a caller's buffer and
// tell its size in *needed (size query with capacity 0, then the call itself), and
// stores the text in out.
func text(out *string, f func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status) C.deep_status {
	var needed C.int64_t
	if s := f(nil, 0, &needed); s != C.DEEP_OK { // the size query (deep.h's buffer contract)
		return s
	}
	if needed < 1 {
		needed = 1
	}
	buf := C.malloc(C.size_t(needed))
	if buf == nil {
		return C.DEEP_ERR_NO_MEMORY
	}
	defer C.free(buf)
	if s := f((*C.char)(buf), needed, &needed); s != C.DEEP_OK {
		return s
	}
	*out = C.GoString((*C.char)(buf))
	return C.DEEP_OK
}

// doubles runs a C call that fills a caller's double array (deep.h's buffer contract): the
// size query, then the values into a new slice stored in out.
func doubles(out *[]float64, f func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status) C.deep_status {
	var needed C.int64_t
	if s := f(nil, 0, &needed); s != C.DEEP_OK {
		return s
	}
	values := make([]float64, int(needed))
	if needed > 0 {
		if s := f(doublePtr(values), needed, &needed); s != C.DEEP_OK {
			return s
		}
	}
	*out = values
	return C.DEEP_OK
}
