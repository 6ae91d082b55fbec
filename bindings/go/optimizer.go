package deep

/*
#include <deep.h>
*/
import "C"

import "runtime"

// OptimizerKind names an optimizer (deep_optimizer_kind).
type OptimizerKind int32

const (
	SGD     OptimizerKind = C.DEEP_OPTIMIZER_SGD     // learning rate 0.01, momentum 0
	Adam    OptimizerKind = C.DEEP_OPTIMIZER_ADAM    // learning rate 0.001, beta_1 0.9, beta_2 0.999
	RMSprop OptimizerKind = C.DEEP_OPTIMIZER_RMSPROP // learning rate 0.001, rho 0.9
	Adagrad OptimizerKind = C.DEEP_OPTIMIZER_ADAGRAD // learning rate 0.001, initial accumulator 0.1
	// Since 1.1, with Keras' update rules and defaults:
	Nadam  OptimizerKind = C.DEEP_OPTIMIZER_NADAM  // learning rate 0.001, beta_1 0.9, beta_2 0.999 (Keras' momentum schedule)
	AdamW  OptimizerKind = C.DEEP_OPTIMIZER_ADAMW  // Adam with weight decay 0.004 (decoupled)
	Adamax OptimizerKind = C.DEEP_OPTIMIZER_ADAMAX // learning rate 0.001, beta_1 0.9, beta_2 0.999
)

// OptimizerOption is an optimizer setting (deep_optimizer_option).
type OptimizerOption int32

const (
	LearningRate       OptimizerOption = C.DEEP_OPT_LEARNING_RATE
	Momentum           OptimizerOption = C.DEEP_OPT_MOMENTUM // SGD, RMSprop; in [0, 1)
	Nesterov           OptimizerOption = C.DEEP_OPT_NESTEROV // SGD; 0 or 1
	Beta1              OptimizerOption = C.DEEP_OPT_BETA_1   // Adam; in [0, 1)
	Beta2              OptimizerOption = C.DEEP_OPT_BETA_2   // Adam; in [0, 1)
	Epsilon            OptimizerOption = C.DEEP_OPT_EPSILON  // Adam, RMSprop, Adagrad; > 0
	Rho                OptimizerOption = C.DEEP_OPT_RHO      // RMSprop; in [0, 1)
	InitialAccumulator OptimizerOption = C.DEEP_OPT_INITIAL_ACCUMULATOR
	// Since 1.1, Keras' base-optimizer options of every kind; 0 (the default, AdamW's
	// weight decay aside) is off, and at most one of the three clipping options is set.
	WeightDecay    OptimizerOption = C.DEEP_OPT_WEIGHT_DECAY    // w -= w * decay * learning rate before each step
	ClipNorm       OptimizerOption = C.DEEP_OPT_CLIPNORM        // each weight tensor's gradient norm at most this
	ClipValue      OptimizerOption = C.DEEP_OPT_CLIPVALUE       // each gradient element within [-v, v]
	GlobalClipNorm OptimizerOption = C.DEEP_OPT_GLOBAL_CLIPNORM // all gradients' joint norm at most this
	AMSGrad        OptimizerOption = C.DEEP_OPT_AMSGRAD         // Adam, AdamW; 0 or 1, fixed once compiled
)

// Optimizer moves a model's weights along their gradients. Model.Compile takes it over:
// afterwards the Optimizer handle is closed (the model frees it), and the model's own
// optimizer is reached through Model.OptimizerFloat and Model.SetOptimizerFloat.
type Optimizer struct {
	handle
	p *C.deep_optimizer
}

// NewOptimizer makes an optimizer with Keras' defaults for its kind.
func NewOptimizer(kind OptimizerKind) (*Optimizer, error) {
	var p *C.deep_optimizer
	if err := call(func() C.deep_status { return C.deep_optimizer_new(C.deep_optimizer_kind(kind), &p) }); err != nil {
		return nil, err
	}
	o := &Optimizer{p: p}
	runtime.SetFinalizer(o, func(o *Optimizer) {
		if o.p != nil {
			finalized.Add(1)
			C.deep_optimizer_free(o.p)
		}
	})
	return o, nil
}

// Close frees the optimizer unless a model took it over. Closing twice is allowed.
func (o *Optimizer) Close() error {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p != nil {
		C.deep_optimizer_free(o.p)
		o.p = nil
	}
	return nil
}

func (o *Optimizer) do(shared bool, op string, f func(p *C.deep_optimizer) C.deep_status) error {
	if o == nil {
		return nilError(op)
	}
	if shared {
		o.mu.RLock()
		defer o.mu.RUnlock()
	} else {
		o.mu.Lock()
		defer o.mu.Unlock()
	}
	if o.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(o.p) })
}

// SetFloat sets an option; one that does not apply to the kind is an ErrInvalidArgument.
func (o *Optimizer) SetFloat(option OptimizerOption, value float64) error {
	return o.do(false, "Optimizer.SetFloat", func(p *C.deep_optimizer) C.deep_status {
		return C.deep_optimizer_set_float(p, C.deep_optimizer_option(option), C.double(value))
	})
}

// Float is the value of an option; one that does not apply to the kind is an
// ErrInvalidArgument.
func (o *Optimizer) Float(option OptimizerOption) (float64, error) {
	var v C.double
	err := o.do(true, "Optimizer.Float", func(p *C.deep_optimizer) C.deep_status {
		return C.deep_optimizer_get_float(p, C.deep_optimizer_option(option), &v)
	})
	return float64(v), err
}

// optimizerFloat and setOptimizerFloat reach the optimizer a model owns.
func optimizerFloat(p *C.deep_model, option OptimizerOption, v *C.double) C.deep_status {
	var o *C.deep_optimizer
	if s := C.deep_model_optimizer(p, &o); s != C.DEEP_OK {
		return s
	}
	return C.deep_optimizer_get_float(o, C.deep_optimizer_option(option), v)
}

func setOptimizerFloat(p *C.deep_model, option OptimizerOption, v float64) C.deep_status {
	var o *C.deep_optimizer
	if s := C.deep_model_optimizer(p, &o); s != C.DEEP_OK {
		return s
	}
	return C.deep_optimizer_set_float(o, C.deep_optimizer_option(option), C.double(v))
}

// SetSchedule makes schedule the optimizer's learning rate (Keras' learning_rate=schedule);
// the optimizer takes the schedule over whatever the call returns (the Schedule handle is
// closed), and nil removes the one it has. While it has one, setting LearningRate is an
// ErrState and LearningRate reads the rate of the next step. Since 1.1.
func (o *Optimizer) SetSchedule(schedule *Schedule) error {
	var sp *C.deep_schedule
	if schedule != nil {
		schedule.mu.Lock()
		defer schedule.mu.Unlock()
		if schedule.p == nil {
			return closedError("Optimizer.SetSchedule: schedule")
		}
		sp = schedule.p
	}
	err := o.do(false, "Optimizer.SetSchedule", func(p *C.deep_optimizer) C.deep_status {
		if schedule != nil {
			schedule.p = nil // owned by the optimizer from here on
		}
		return C.deep_optimizer_set_schedule(p, sp)
	})
	return err
}

// HasSchedule tells whether the optimizer's learning rate follows a schedule. Since 1.1.
func (o *Optimizer) HasSchedule() (bool, error) {
	var s *C.deep_schedule
	err := o.do(true, "Optimizer.HasSchedule", func(p *C.deep_optimizer) C.deep_status {
		return C.deep_optimizer_get_schedule(p, &s)
	})
	return s != nil, err
}
