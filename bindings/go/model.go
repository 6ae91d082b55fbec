package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Loss is what a model minimises (deep_loss).
type Loss int32

const (
	MeanSquaredError              Loss = C.DEEP_LOSS_MEAN_SQUARED_ERROR
	BinaryCrossentropy            Loss = C.DEEP_LOSS_BINARY_CROSSENTROPY
	CategoricalCrossentropy       Loss = C.DEEP_LOSS_CATEGORICAL_CROSSENTROPY
	SparseCategoricalCrossentropy Loss = C.DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY
	// Keras' other losses, on float targets (formulas in deep.h).
	MeanAbsoluteError           Loss = C.DEEP_LOSS_MEAN_ABSOLUTE_ERROR
	MeanAbsolutePercentageError Loss = C.DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR
	// Huber's delta is ModelHuberDelta (1.0 by default).
	Huber            Loss = C.DEEP_LOSS_HUBER
	LogCosh          Loss = C.DEEP_LOSS_LOG_COSH
	Hinge            Loss = C.DEEP_LOSS_HINGE
	SquaredHinge     Loss = C.DEEP_LOSS_SQUARED_HINGE
	CategoricalHinge Loss = C.DEEP_LOSS_CATEGORICAL_HINGE
	KLDivergence     Loss = C.DEEP_LOSS_KL_DIVERGENCE
	Poisson          Loss = C.DEEP_LOSS_POISSON
	// CosineSimilarity is the negative cosine (Keras' sign: -1 is a perfect match).
	CosineSimilarity Loss = C.DEEP_LOSS_COSINE_SIMILARITY
)

// Metric is a quantity a compiled model reports (deep_metric).
type Metric int32

const (
	MetricLoss              Metric = C.DEEP_METRIC_LOSS
	MetricAccuracy          Metric = C.DEEP_METRIC_ACCURACY
	MetricMeanAbsoluteError Metric = C.DEEP_METRIC_MEAN_ABSOLUTE_ERROR
	// Since 1.2, Keras' metric objects, accumulated over the epoch as Keras' (see deep.h):
	// precision and recall at ModelMetricThreshold, ROC and PR AUC (Keras' 200 thresholds
	// and interpolation), top-k categorical accuracy (k = ModelTopK; the labels of the
	// sparse loss too), mean squared error, its root, and binary accuracy.
	MetricPrecision               Metric = C.DEEP_METRIC_PRECISION
	MetricRecall                  Metric = C.DEEP_METRIC_RECALL
	MetricAUC                     Metric = C.DEEP_METRIC_AUC
	MetricPRAUC                   Metric = C.DEEP_METRIC_PR_AUC
	MetricTopKCategoricalAccuracy Metric = C.DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY
	MetricMeanSquaredError        Metric = C.DEEP_METRIC_MEAN_SQUARED_ERROR
	MetricRootMeanSquaredError    Metric = C.DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR
	MetricBinaryAccuracy          Metric = C.DEEP_METRIC_BINARY_ACCURACY
)

// ModelOption is a model setting (deep_model_option).
type ModelOption int32

const (
	ModelThreads               ModelOption = C.DEEP_MODEL_THREADS
	ModelShuffle               ModelOption = C.DEEP_MODEL_SHUFFLE
	ModelValidationSplit       ModelOption = C.DEEP_MODEL_VALIDATION_SPLIT
	ModelEarlyStoppingPatience ModelOption = C.DEEP_MODEL_EARLY_STOPPING_PATIENCE
	ModelEarlyStoppingMinDelta ModelOption = C.DEEP_MODEL_EARLY_STOPPING_MIN_DELTA
	ModelVerbose               ModelOption = C.DEEP_MODEL_VERBOSE
	// ModelCheckpointPeriod (int): Fit saves a checkpoint to ModelCheckpointPath every N
	// epochs; 0 = never (default).
	ModelCheckpointPeriod ModelOption = C.DEEP_MODEL_CHECKPOINT_PERIOD
	// ModelInitialEpoch (int): the next Fit runs epochs initial .. epochs-1 (Keras'
	// initial_epoch); set by LoadModel from a checkpoint.
	ModelInitialEpoch ModelOption = C.DEEP_MODEL_INITIAL_EPOCH
	// ModelCheckpointPath (string, SetString): where checkpoints go; "" = none.
	ModelCheckpointPath ModelOption = C.DEEP_MODEL_CHECKPOINT_PATH
	// ModelHuberDelta (float): the delta of the Huber loss, > 0 (default 1.0, Keras');
	// saved with the compiled model.
	ModelHuberDelta ModelOption = C.DEEP_MODEL_HUBER_DELTA
	// Since 1.2, saved with the compiled model:
	// ModelFromLogits (int 0 or 1): the cross-entropies read logits (Keras' from_logits).
	ModelFromLogits ModelOption = C.DEEP_MODEL_FROM_LOGITS
	// ModelLabelSmoothing (float in [0, 1]): Keras' label_smoothing of binary and
	// categorical cross-entropy.
	ModelLabelSmoothing ModelOption = C.DEEP_MODEL_LABEL_SMOOTHING
	// ModelTopK (int >= 1): k of MetricTopKCategoricalAccuracy (default 5).
	ModelTopK ModelOption = C.DEEP_MODEL_TOP_K
	// ModelMetricThreshold (float): threshold of precision, recall and binary accuracy
	// (default 0.5).
	ModelMetricThreshold ModelOption = C.DEEP_MODEL_METRIC_THRESHOLD
)

// Model is a Sequential chain of layers (Keras' Sequential).
type Model struct {
	handle
	p  *C.deep_model
	cb *callbackState
}

func wrapModel(p *C.deep_model) *Model {
	m := &Model{p: p}
	runtime.SetFinalizer(m, func(m *Model) {
		if m.p != nil {
			finalized.Add(1)
			C.deep_model_free(m.p)
		}
		m.cb.release()
	})
	return m
}

// NewModel makes an empty model whose samples have shape inputShape (channels last,
// without the batch axis), e.g. NewModel(784) or NewModel(28, 28, 1).
func NewModel(inputShape ...int64) (*Model, error) {
	var p *C.deep_model
	if err := call(func() C.deep_status {
		return C.deep_model_new(C.int32_t(len(inputShape)), int64Ptr(inputShape), &p)
	}); err != nil {
		return nil, err
	}
	return wrapModel(p), nil
}

// Close frees the model, its layers and its optimizer, and forgets its callbacks. Closing
// twice is allowed.
func (m *Model) Close() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p != nil {
		C.deep_model_free(m.p)
		m.p = nil
	}
	m.cb.release()
	m.cb = nil
	return nil
}

func (m *Model) write(op string, f func(p *C.deep_model) C.deep_status) error {
	if m == nil {
		return nilError(op)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(m.p) })
}

func (m *Model) read(op string, f func(p *C.deep_model) C.deep_status) error {
	if m == nil {
		return nilError(op)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(m.p) })
}

// SetSeed seeds the model's random generator (weights, shuffling, dropout).
func (m *Model) SetSeed(seed uint64) error {
	return m.write("Model.SetSeed", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_seed(p, C.uint64_t(seed))
	})
}

// SetInt sets an integer option (ModelThreads, ModelShuffle, ModelVerbose, ...).
func (m *Model) SetInt(option ModelOption, value int64) error {
	return m.write("Model.SetInt", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_int(p, C.deep_model_option(option), C.int64_t(value))
	})
}

// SetFloat sets a float option (ModelValidationSplit, ModelEarlyStoppingMinDelta).
func (m *Model) SetFloat(option ModelOption, value float64) error {
	return m.write("Model.SetFloat", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_float(p, C.deep_model_option(option), C.double(value))
	})
}

// SetString sets a string option (ModelCheckpointPath); "" clears it.
func (m *Model) SetString(option ModelOption, value string) error {
	var cvalue *C.char
	if value != "" {
		var err error
		if cvalue, err = cString("Model.SetString", value); err != nil {
			return err
		}
		defer C.free(unsafe.Pointer(cvalue))
	}
	return m.write("Model.SetString", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_string(p, C.deep_model_option(option), cvalue)
	})
}

// Int is the current value of an integer option, e.g. ModelInitialEpoch after loading a
// checkpoint; a float or string option is an ErrInvalidArgument.
func (m *Model) Int(option ModelOption) (int64, error) {
	var v C.int64_t
	err := m.read("Model.Int", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_int(p, C.deep_model_option(option), &v)
	})
	return int64(v), err
}

// Float is the current value of a float option; another kind is an ErrInvalidArgument.
func (m *Model) Float(option ModelOption) (float64, error) {
	var v C.double
	err := m.read("Model.Float", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_float(p, C.deep_model_option(option), &v)
	})
	return float64(v), err
}

// StringOption is the current value of a string option ("" when unset); another kind is an
// ErrInvalidArgument.
func (m *Model) StringOption(option ModelOption) (string, error) {
	var out string
	err := m.read("Model.StringOption", func(p *C.deep_model) C.deep_status {
		return text(&out, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_model_get_string(p, C.deep_model_option(option), buf, capacity, needed)
		})
	})
	return out, err
}

// Seed is the seed last given to SetSeed (0 by default, a loaded model's saved seed).
func (m *Model) Seed() (uint64, error) {
	var v C.uint64_t
	err := m.read("Model.Seed", func(p *C.deep_model) C.deep_status { return C.deep_model_get_seed(p, &v) })
	return uint64(v), err
}

// OptimizerFloat is an option of the optimizer the model was compiled with (ErrState before
// Compile).
func (m *Model) OptimizerFloat(option OptimizerOption) (float64, error) {
	var v C.double
	err := m.read("Model.OptimizerFloat", func(p *C.deep_model) C.deep_status { return optimizerFloat(p, option, &v) })
	return float64(v), err
}

// SetReduceLROnPlateau turns on Keras' ReduceLROnPlateau for Fit: the learning rate is
// multiplied by factor when the monitored loss (validation loss, else training loss) has
// not improved by more than minDelta for patience epochs, then cooldown epochs count
// nothing, never below minLR. Keras' defaults: 0.1, 10, 1e-4, 0, 0; factor 0 turns it off.
// Since 1.1.
func (m *Model) SetReduceLROnPlateau(factor float64, patience int64, minDelta float64, cooldown int64, minLR float64) error {
	return m.write("Model.SetReduceLROnPlateau", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_reduce_lr_on_plateau(p, C.double(factor), C.int64_t(patience), C.double(minDelta),
			C.int64_t(cooldown), C.double(minLR))
	})
}

// ReduceLROnPlateau returns the settings of SetReduceLROnPlateau (all 0 when off). Since 1.1.
func (m *Model) ReduceLROnPlateau() (factor float64, patience int64, minDelta float64, cooldown int64, minLR float64, err error) {
	var f, d, l C.double
	var pa, c C.int64_t
	err = m.read("Model.ReduceLROnPlateau", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_reduce_lr_on_plateau(p, &f, &pa, &d, &c, &l)
	})
	return float64(f), int64(pa), float64(d), int64(c), float64(l), err
}

// SetOptimizerFloat changes an option of the optimizer the model was compiled with, e.g.
// LearningRate between two Fit calls.
func (m *Model) SetOptimizerFloat(option OptimizerOption, value float64) error {
	return m.write("Model.SetOptimizerFloat", func(p *C.deep_model) C.deep_status {
		return setOptimizerFloat(p, option, value)
	})
}

// Build gives the model its weights before Compile (Keras' build, since libdeep 1.2), so
// that Predict and the weight calls work without an optimizer; the first Compile keeps
// them. Layers cannot be added afterwards.
func (m *Model) Build() error {
	return m.write("Model.Build", func(p *C.deep_model) C.deep_status { return C.deep_model_build(p) })
}

// Compile initialises the weights and fixes the loss and metrics. The model takes the
// optimizer over in every case, even when Compile fails: its handle is closed afterwards.
func (m *Model) Compile(optimizer *Optimizer, loss Loss, metrics ...Metric) error {
	if optimizer == nil {
		return nilError("Model.Compile: optimizer")
	}
	if m == nil {
		return nilError("Model.Compile")
	}
	optimizer.mu.Lock()
	defer optimizer.mu.Unlock()
	if optimizer.p == nil {
		return closedError("Model.Compile: optimizer")
	}
	cm := make([]C.deep_metric, len(metrics))
	for i, metric := range metrics {
		cm[i] = C.deep_metric(metric)
	}
	var cmp *C.deep_metric
	if len(cm) > 0 {
		cmp = &cm[0]
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p == nil {
		return closedError("Model.Compile")
	}
	op := optimizer.p
	optimizer.p = nil // owned by the model from here on, whatever compile says
	return call(func() C.deep_status {
		return C.deep_model_compile(m.p, op, C.deep_loss(loss), cmp, C.int64_t(len(cm)))
	})
}

// Fit trains for epochs passes over train in batches of batchSize; validation may be nil
// (it then replaces ModelValidationSplit). Callbacks set with SetCallbacks and SetLog run
// on this goroutine; a panic in one stops the training and is raised again here.
func (m *Model) Fit(train *Dataset, epochs, batchSize int, validation *Dataset) error {
	tp, release, err := train.borrow("Model.Fit: train")
	if err != nil {
		return err
	}
	defer release()
	var vp *C.deep_dataset
	if validation != nil {
		if validation == train {
			vp = tp
		} else {
			var releaseV func()
			if vp, releaseV, err = validation.borrow("Model.Fit: validation"); err != nil {
				return err
			}
			defer releaseV()
		}
	}
	if m == nil {
		return nilError("Model.Fit")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p == nil {
		return closedError("Model.Fit")
	}
	err = call(func() C.deep_status {
		return C.deep_model_fit(m.p, tp, C.int64_t(epochs), C.int64_t(batchSize), vp)
	})
	m.cb.repanic()
	return err
}

// Evaluate is the mean loss on data followed by each compiled metric, in Compile order.
func (m *Model) Evaluate(data *Dataset, batchSize int) ([]float64, error) {
	dp, release, err := data.borrow("Model.Evaluate: data")
	if err != nil {
		return nil, err
	}
	defer release()
	if m == nil {
		return nil, nilError("Model.Evaluate")
	}
	var values []float64
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p == nil {
		return nil, closedError("Model.Evaluate")
	}
	err = call(func() C.deep_status {
		// The size query tells the loss and metric count without evaluating.
		var needed C.int64_t
		if s := C.deep_model_evaluate(m.p, dp, C.int64_t(batchSize), nil, 0, &needed); s != C.DEEP_OK {
			return s
		}
		values = make([]float64, int(needed))
		return C.deep_model_evaluate(m.p, dp, C.int64_t(batchSize), doublePtr(values), needed, &needed)
	})
	if err != nil {
		return nil, err
	}
	return values, nil
}

// Predict is the model's output for inputs of shape (n, input shape...). Any number of
// goroutines may predict with one model at once.
func (m *Model) Predict(inputs *Tensor) (*Tensor, error) {
	ip, release, err := inputs.borrow("Model.Predict: inputs")
	if err != nil {
		return nil, err
	}
	defer release()
	var out *C.deep_tensor
	if err := m.read("Model.Predict", func(p *C.deep_model) C.deep_status {
		return C.deep_model_predict(p, ip, &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// PredictStates runs the model on inputs (n, input shape...) and writes the final states
// of recurrent layer layer (-1 the last) into h and, for an LSTM, c (nil to skip it), both
// of shape (n, units): Keras' return_state. Like Predict it may run on many goroutines.
func (m *Model) PredictStates(inputs *Tensor, layer int, h, c *Tensor) error {
	ip, releaseInputs, err := inputs.borrow("Model.PredictStates: inputs")
	if err != nil {
		return err
	}
	defer releaseInputs()
	hp, releaseH, err := h.borrowMut("Model.PredictStates: h")
	if err != nil {
		return err
	}
	defer releaseH()
	var cp *C.deep_tensor
	if c != nil {
		var releaseC func()
		if cp, releaseC, err = c.borrowMut("Model.PredictStates: c"); err != nil {
			return err
		}
		defer releaseC()
	}
	return m.read("Model.PredictStates", func(p *C.deep_model) C.deep_status {
		return C.deep_model_predict_states(p, ip, C.int32_t(layer), hp, cp)
	})
}

// Summary is the Keras summary table of the model.
func (m *Model) Summary() (string, error) {
	var out string
	err := m.read("Model.Summary", func(p *C.deep_model) C.deep_status {
		return text(&out, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_model_summary(p, buf, capacity, needed)
		})
	})
	return out, err
}

// HistoryLength is the number of epochs the last Fit recorded.
func (m *Model) HistoryLength() (int, error) {
	var n C.int64_t
	err := m.read("Model.HistoryLength", func(p *C.deep_model) C.deep_status {
		return C.deep_model_history_length(p, &n)
	})
	return int(n), err
}

// History is the value of a compiled metric (or MetricLoss) at an epoch of the last Fit, on
// the training data or (validation) on the validation data.
func (m *Model) History(epoch int, metric Metric, validation bool) (float64, error) {
	var v C.double
	err := m.read("Model.History", func(p *C.deep_model) C.deep_status {
		return C.deep_model_history(p, C.int64_t(epoch), C.deep_metric(metric), cBool(validation), &v)
	})
	return float64(v), err
}

// ParameterCount is the number of parameters, trainable or not.
func (m *Model) ParameterCount() (int64, error) {
	var n C.int64_t
	err := m.read("Model.ParameterCount", func(p *C.deep_model) C.deep_status {
		return C.deep_model_parameter_count(p, &n)
	})
	return int64(n), err
}
