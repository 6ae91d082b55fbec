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
