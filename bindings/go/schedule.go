package deep

/*
#include <deep.h>
*/
import "C"

import (
	"math"
	"runtime"
)

// ScheduleKind names a learning-rate schedule (deep_schedule_kind).
type ScheduleKind int32

const (
	ExponentialDecay       ScheduleKind = C.DEEP_SCHEDULE_EXPONENTIAL_DECAY
	PiecewiseConstantDecay ScheduleKind = C.DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY
	CosineDecay            ScheduleKind = C.DEEP_SCHEDULE_COSINE_DECAY
)

// Schedule is a learning-rate schedule, Keras' LearningRateSchedule: the rate as a function
// of the optimizer's step count. Optimizer.SetSchedule takes it over (the handle is closed
// then). Since 1.1.
type Schedule struct {
	handle
	p *C.deep_schedule
}

func newSchedule(f func(out **C.deep_schedule) C.deep_status) (*Schedule, error) {
	var p *C.deep_schedule
	if err := call(func() C.deep_status { return f(&p) }); err != nil {
		return nil, err
	}
	s := &Schedule{p: p}
	runtime.SetFinalizer(s, func(s *Schedule) {
		if s.p != nil {
			finalized.Add(1)
			C.deep_schedule_free(s.p)
		}
	})
	return s, nil
}

// NewExponentialDecay is initial * rate^(step / steps), the exponent floored with staircase.
func NewExponentialDecay(initial float64, steps int64, rate float64, staircase bool) (*Schedule, error) {
	flag := C.int32_t(0)
	if staircase {
		flag = 1
	}
	return newSchedule(func(out **C.deep_schedule) C.deep_status {
		return C.deep_schedule_new_exponential_decay(C.double(initial), C.int64_t(steps), C.double(rate), flag, out)
	})
}

// NewPiecewiseConstantDecay is values[0] up to boundaries[0], values[i] up to boundaries[i],
// values[len(boundaries)] after; len(values) must be len(boundaries) + 1.
func NewPiecewiseConstantDecay(boundaries []int64, values []float64) (*Schedule, error) {
	if len(boundaries) == 0 || len(values) != len(boundaries)+1 {
		return nil, goError(ErrInvalidArgument, "deep: NewPiecewiseConstantDecay: %d boundaries and %d values; it needs "+
			"at least one boundary and one value more than boundaries", len(boundaries), len(values))
	}
	cb := make([]C.int64_t, len(boundaries))
	for i, b := range boundaries {
		cb[i] = C.int64_t(b)
	}
	cv := make([]C.double, len(values))
	for i, v := range values {
		cv[i] = C.double(v)
	}
	return newSchedule(func(out **C.deep_schedule) C.deep_status {
		return C.deep_schedule_new_piecewise_constant_decay(&cb[0], C.int64_t(len(cb)), &cv[0], out)
	})
}

// NewCosineDecay is Keras' CosineDecay; warmupTarget NaN (or NoWarmup) is Keras' None.
func NewCosineDecay(initial float64, steps int64, alpha, warmupTarget float64, warmupSteps int64) (*Schedule, error) {
	return newSchedule(func(out **C.deep_schedule) C.deep_status {
		return C.deep_schedule_new_cosine_decay(C.double(initial), C.int64_t(steps), C.double(alpha),
			C.double(warmupTarget), C.int64_t(warmupSteps), out)
	})
}

// NoWarmup is the warmupTarget of a CosineDecay without warm-up.
var NoWarmup = math.NaN()

// Close frees the schedule unless an optimizer took it over. Closing twice is allowed.
func (s *Schedule) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		C.deep_schedule_free(s.p)
		s.p = nil
	}
	return nil
}

func (s *Schedule) read(op string, f func(p *C.deep_schedule) C.deep_status) error {
	if s == nil {
		return nilError(op)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(s.p) })
}

// Kind is the schedule's kind.
func (s *Schedule) Kind() (ScheduleKind, error) {
	var k C.deep_schedule_kind
	err := s.read("Schedule.Kind", func(p *C.deep_schedule) C.deep_status { return C.deep_schedule_kind_of(p, &k) })
	return ScheduleKind(k), err
}

// LearningRate is the rate at step (>= 0), Keras' schedule(step).
func (s *Schedule) LearningRate(step int64) (float64, error) {
	var v C.double
	err := s.read("Schedule.LearningRate", func(p *C.deep_schedule) C.deep_status {
		return C.deep_schedule_learning_rate(p, C.int64_t(step), &v)
	})
	return float64(v), err
}
