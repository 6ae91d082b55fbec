package deep

/*
#include <stdint.h>
#include <stdlib.h>
#include <deep.h>

// callbacks.c: they install its trampolines, which call the exported Go functions below.
deep_status go_deep_set_callbacks(deep_model *model, uintptr_t user);
deep_status go_deep_set_log(deep_model *model, uintptr_t user);
deep_status go_deep_set_console_log(deep_model *model);
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// LogLevel is the level of a log line (deep_log_level).
type LogLevel int32

const (
	LogDebug   LogLevel = C.DEEP_LOG_DEBUG
	LogInfo    LogLevel = C.DEEP_LOG_INFO
	LogWarning LogLevel = C.DEEP_LOG_WARNING
	LogError   LogLevel = C.DEEP_LOG_ERROR
)

func (l LogLevel) String() string {
	switch l {
	case LogDebug:
		return "DEBUG"
	case LogInfo:
		return "INFO"
	case LogWarning:
		return "WARNING"
	case LogError:
		return "ERROR"
	}
	return fmt.Sprintf("LogLevel(%d)", int32(l))
}

// LogFunc receives the progress lines of Fit ("Epoch 3/10 - 2.1s - loss: 0.3120 - ...").
type LogFunc func(level LogLevel, message string)

// BatchFunc is called after every training batch with its mean loss; returning true stops
// Fit (which then returns nil).
type BatchFunc func(epoch int, batch int64, loss float64) (stop bool)

// EpochFunc is called after every epoch once its history is recorded; returning true stops
// Fit (which then returns nil).
type EpochFunc func(e *Epoch) (stop bool)

// LogConsole writes message as deep_log_console does: INFO and DEBUG lines to standard
// output, WARNING and ERROR lines to standard error, each with a newline. It is a LogFunc.
func LogConsole(level LogLevel, message string) {
	cmessage := C.CString(message)
	defer C.free(unsafe.Pointer(cmessage))
	C.deep_log_console(nil, C.deep_log_level(level), cmessage)
}

// callbackState is what the C library's user pointer leads to, through a cgo.Handle: the Go
// functions of one model, and a panic one of them raised.
type callbackState struct {
	handle   cgo.Handle
	onBatch  BatchFunc
	onEpoch  EpochFunc
	log      LogFunc
	panicked bool
	panicVal any
}

func (s *callbackState) release() {
	if s != nil && s.handle != 0 {
		s.handle.Delete()
		s.handle = 0
	}
}

// repanic raises again, on Fit's goroutine, a panic a callback raised during Fit.
func (s *callbackState) repanic() {
	if s != nil && s.panicked {
		v := s.panicVal
		s.panicked, s.panicVal = false, nil
		panic(v)
	}
}

// guard runs f, turning a panic into a recorded one and a request to stop.
func (s *callbackState) guard(f func() bool) (stop bool) {
	if s.panicked {
		return true
	}
	defer func() {
		if r := recover(); r != nil {
			s.panicked, s.panicVal = true, r
			stop = true
		}
	}()
	return f()
}

func stateOf(user C.uintptr_t) *callbackState {
	return cgo.Handle(user).Value().(*callbackState)
}

func stopCode(stop bool) C.int32_t {
	if stop {
		return 1
	}
	return 0
}

//export goDeepBatch
func goDeepBatch(user C.uintptr_t, epoch C.int64_t, batch C.int64_t, loss C.double) C.int32_t {
	s := stateOf(user)
	return stopCode(s.guard(func() bool {
		return s.onBatch != nil && s.onBatch(int(epoch), int64(batch), float64(loss))
	}))
}

//export goDeepEpoch
func goDeepEpoch(user C.uintptr_t, model *C.deep_model, epoch C.int64_t) C.int32_t {
	s := stateOf(user)
	return stopCode(s.guard(func() bool {
		if s.onEpoch == nil {
			return false
		}
		e := &Epoch{Index: int(epoch), p: model}
		defer func() { e.p = nil }()
		return s.onEpoch(e)
	}))
}

//export goDeepLog
func goDeepLog(user C.uintptr_t, level C.int32_t, message *C.char) {
	s := stateOf(user)
	s.guard(func() bool {
		if s.log != nil {
			s.log(LogLevel(level), C.GoString(message))
		}
		return false
	})
}

// The C model holds the trampolines, with one cgo.Handle of the model's callbackState as
// their user pointer, while any Go function is set; the handle is released only once C
// holds neither trampoline any more.

func (s *callbackState) empty() bool { return s.onBatch == nil && s.onEpoch == nil && s.log == nil }

// installCallbacks installs the batch and epoch trampolines, whichever Go functions are set
// (so that a panic in the log stops Fit at the next batch), or removes them when none is.
func (m *Model) installCallbacks(p *C.deep_model) C.deep_status {
	s := m.cb
	if s.empty() {
		st := C.go_deep_set_callbacks(p, 0)
		if st == C.DEEP_OK {
			s.release()
		}
		return st
	}
	if s.handle == 0 {
		s.handle = cgo.NewHandle(s)
	}
	return C.go_deep_set_callbacks(p, C.uintptr_t(s.handle))
}

func (m *Model) state() *callbackState {
	if m.cb == nil {
		m.cb = &callbackState{}
	}
	return m.cb
}

// SetCallbacks makes Fit call onBatch after every batch and onEpoch after every epoch
// (either may be nil; both nil removes them). They run on the goroutine that called Fit,
// while Fit holds the model: they must not call the Model's methods, which would wait for
// Fit forever, but use the *Epoch they are given. The model keeps the functions until
// SetCallbacks is called again or it is closed; they are not saved with it. Close a model
// that has callbacks: its finalizer cannot run while they refer to it.
func (m *Model) SetCallbacks(onBatch BatchFunc, onEpoch EpochFunc) error {
	return m.write("Model.SetCallbacks", func(p *C.deep_model) C.deep_status {
		s := m.state()
		s.onBatch, s.onEpoch = onBatch, onEpoch
		return m.installCallbacks(p)
	})
}

// SetLog sends the progress lines of Fit (one per epoch while ModelVerbose is 1) to log,
// on Fit's goroutine; nil discards them (the default). SetLog(LogConsole) prints them, as
// SetConsoleLog does without a Go call per line.
func (m *Model) SetLog(log LogFunc) error {
	return m.write("Model.SetLog", func(p *C.deep_model) C.deep_status {
		s := m.state()
		s.log = log
		if log == nil {
			if st := C.go_deep_set_log(p, 0); st != C.DEEP_OK {
				return st
			}
			return m.installCallbacks(p)
		}
		if st := m.installCallbacks(p); st != C.DEEP_OK {
			return st
		}
		return C.go_deep_set_log(p, C.uintptr_t(s.handle))
	})
}

// SetConsoleLog installs the C library's console log (deep_log_console) in place of any
// LogFunc: INFO lines to standard output, warnings and errors to standard error.
func (m *Model) SetConsoleLog() error {
	return m.write("Model.SetConsoleLog", func(p *C.deep_model) C.deep_status {
		if st := C.go_deep_set_console_log(p); st != C.DEEP_OK {
			return st
		}
		m.state().log = nil
		return m.installCallbacks(p)
	})
}

// Epoch is what an EpochFunc is given: the model between two epochs of Fit. It is valid only
// during the callback and on its goroutine; afterwards its methods return an ErrClosed.
type Epoch struct {
	Index int // the epoch that just ended, from 0 (a resumed Fit starts at ModelInitialEpoch)
	p     *C.deep_model
}

func (e *Epoch) do(op string, f func(p *C.deep_model) C.deep_status) error {
	if e == nil {
		return nilError(op)
	}
	if e.p == nil {
		return fmt.Errorf("deep: %s: the epoch callback has returned: %w", op, ErrClosed)
	}
	return call(func() C.deep_status { return f(e.p) })
}

// Value is a compiled metric (or MetricLoss) of the epoch that just ended, on the training
// data or (validation) the validation data.
func (e *Epoch) Value(metric Metric, validation bool) (float64, error) {
	var v C.double
	err := e.do("Epoch.Value", func(p *C.deep_model) C.deep_status {
		var n C.int64_t
		if s := C.deep_model_history_length(p, &n); s != C.DEEP_OK {
			return s
		}
		return C.deep_model_history(p, n-1, C.deep_metric(metric), cBool(validation), &v)
	})
	return float64(v), err
}

// Loss is the training loss of the epoch that just ended.
func (e *Epoch) Loss() (float64, error) { return e.Value(MetricLoss, false) }

// HistoryLength is the number of epochs this Fit has recorded so far.
func (e *Epoch) HistoryLength() (int, error) {
	var n C.int64_t
	err := e.do("Epoch.HistoryLength", func(p *C.deep_model) C.deep_status {
		return C.deep_model_history_length(p, &n)
	})
	return int(n), err
}

// History is a metric at an earlier epoch of this Fit (0 is the first it recorded).
func (e *Epoch) History(epoch int, metric Metric, validation bool) (float64, error) {
	var v C.double
	err := e.do("Epoch.History", func(p *C.deep_model) C.deep_status {
		return C.deep_model_history(p, C.int64_t(epoch), C.deep_metric(metric), cBool(validation), &v)
	})
	return float64(v), err
}

// HistoryOutput is one output's own loss or metric at an earlier epoch of this Fit, as
// Model.HistoryOutput (output -1: the total loss).
func (e *Epoch) HistoryOutput(epoch, output int, metric Metric, validation bool) (float64, error) {
	var v C.double
	err := e.do("Epoch.HistoryOutput", func(p *C.deep_model) C.deep_status {
		return C.deep_model_history_output(p, C.int64_t(epoch), C.int32_t(output), C.deep_metric(metric),
			cBool(validation), &v)
	})
	return float64(v), err
}

// OptimizerFloat is an option of the model's optimizer, e.g. LearningRate.
func (e *Epoch) OptimizerFloat(option OptimizerOption) (float64, error) {
	var v C.double
	err := e.do("Epoch.OptimizerFloat", func(p *C.deep_model) C.deep_status { return optimizerFloat(p, option, &v) })
	return float64(v), err
}

// SetOptimizerFloat changes an option of the model's optimizer for the epochs that follow,
// e.g. a learning-rate schedule.
func (e *Epoch) SetOptimizerFloat(option OptimizerOption, value float64) error {
	return e.do("Epoch.SetOptimizerFloat", func(p *C.deep_model) C.deep_status {
		return setOptimizerFloat(p, option, value)
	})
}

// Save writes the model as it is after this epoch, a resume point as a checkpoint is.
func (e *Epoch) Save(path string) error {
	cpath, err := cString("Epoch.Save", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return e.do("Epoch.Save", func(p *C.deep_model) C.deep_status { return C.deep_model_save(p, cpath) })
}
