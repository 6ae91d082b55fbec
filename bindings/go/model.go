package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "runtime"

// Activation is a layer's activation function (deep_activation).
type Activation int32

const (
	Linear    Activation = C.DEEP_ACTIVATION_LINEAR
	ReLU      Activation = C.DEEP_ACTIVATION_RELU
	Sigmoid   Activation = C.DEEP_ACTIVATION_SIGMOID
	Tanh      Activation = C.DEEP_ACTIVATION_TANH
	Softmax   Activation = C.DEEP_ACTIVATION_SOFTMAX
	LeakyReLU Activation = C.DEEP_ACTIVATION_LEAKY_RELU
	ELU       Activation = C.DEEP_ACTIVATION_ELU
)

// Loss is what a model minimises (deep_loss).
type Loss int32

const (
	MeanSquaredError              Loss = C.DEEP_LOSS_MEAN_SQUARED_ERROR
	BinaryCrossentropy            Loss = C.DEEP_LOSS_BINARY_CROSSENTROPY
	CategoricalCrossentropy       Loss = C.DEEP_LOSS_CATEGORICAL_CROSSENTROPY
	SparseCategoricalCrossentropy Loss = C.DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY
)

// Metric is a quantity a compiled model reports (deep_metric).
type Metric int32

const (
	MetricLoss              Metric = C.DEEP_METRIC_LOSS
	MetricAccuracy          Metric = C.DEEP_METRIC_ACCURACY
	MetricMeanAbsoluteError Metric = C.DEEP_METRIC_MEAN_ABSOLUTE_ERROR
)

// Padding of convolution and pooling layers (deep_padding).
type Padding int32

const (
	Valid Padding = C.DEEP_PADDING_VALID
	Same  Padding = C.DEEP_PADDING_SAME
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
)

// OptimizerKind names an optimizer (deep_optimizer_kind).
type OptimizerKind int32

const (
	SGD     OptimizerKind = C.DEEP_OPTIMIZER_SGD
	Adam    OptimizerKind = C.DEEP_OPTIMIZER_ADAM
	RMSprop OptimizerKind = C.DEEP_OPTIMIZER_RMSPROP
	Adagrad OptimizerKind = C.DEEP_OPTIMIZER_ADAGRAD
)

// OptimizerOption is an optimizer setting (deep_optimizer_option).
type OptimizerOption int32

const (
	LearningRate       OptimizerOption = C.DEEP_OPT_LEARNING_RATE
	Momentum           OptimizerOption = C.DEEP_OPT_MOMENTUM
	Nesterov           OptimizerOption = C.DEEP_OPT_NESTEROV
	Beta1              OptimizerOption = C.DEEP_OPT_BETA_1
	Beta2              OptimizerOption = C.DEEP_OPT_BETA_2
	Epsilon            OptimizerOption = C.DEEP_OPT_EPSILON
	Rho                OptimizerOption = C.DEEP_OPT_RHO
	InitialAccumulator OptimizerOption = C.DEEP_OPT_INITIAL_ACCUMULATOR
)

// Optimizer moves a model's weights along their gradients. Model.Compile takes it over:
// afterwards the Optimizer handle is closed (the model frees it).
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
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p != nil {
		C.deep_optimizer_free(o.p)
		o.p = nil
	}
	return nil
}

// SetFloat sets an option; one that does not apply to the kind is an ErrInvalidArgument.
func (o *Optimizer) SetFloat(option OptimizerOption, value float32) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p == nil {
		return closedError("Optimizer.SetFloat")
	}
	return call(func() C.deep_status {
		return C.deep_optimizer_set_float(o.p, C.deep_optimizer_option(option), C.float(value))
	})
}

// Model is a Sequential chain of layers (Keras' Sequential).
type Model struct {
	handle
	p       *C.deep_model
	metrics int // metrics given to Compile, so that Evaluate knows how many values come back
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
	m := &Model{p: p}
	runtime.SetFinalizer(m, func(m *Model) {
		if m.p != nil {
			finalized.Add(1)
			C.deep_model_free(m.p)
		}
	})
	return m, nil
}

// Close frees the model, its layers and its optimizer. Closing twice is allowed.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p != nil {
		C.deep_model_free(m.p)
		m.p = nil
	}
	return nil
}

func (m *Model) write(op string, f func(p *C.deep_model) C.deep_status) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(m.p) })
}

func (m *Model) read(op string, f func(p *C.deep_model) C.deep_status) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(m.p) })
}

// AddDense appends Dense(units, activation) with a bias.
func (m *Model) AddDense(units int64, activation Activation) error {
	return m.write("Model.AddDense", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_dense(p, C.int64_t(units), C.deep_activation(activation), 1)
	})
}

// AddFlatten appends Flatten().
func (m *Model) AddFlatten() error {
	return m.write("Model.AddFlatten", func(p *C.deep_model) C.deep_status { return C.deep_model_add_flatten(p) })
}

// AddDropout appends Dropout(rate).
func (m *Model) AddDropout(rate float32) error {
	return m.write("Model.AddDropout", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_dropout(p, C.float(rate))
	})
}

// AddConv2D appends Conv2D(filters, (kernelH, kernelW), strides (1, 1), padding, activation).
func (m *Model) AddConv2D(filters, kernelH, kernelW int64, padding Padding, activation Activation) error {
	return m.write("Model.AddConv2D", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_conv2d(p, C.int64_t(filters), C.int64_t(kernelH), C.int64_t(kernelW), 1, 1,
			C.deep_padding(padding), C.deep_activation(activation), 1)
	})
}

// AddMaxPooling2D appends MaxPooling2D((poolH, poolW)) with strides equal to the pool size.
func (m *Model) AddMaxPooling2D(poolH, poolW int64) error {
	return m.write("Model.AddMaxPooling2D", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_max_pooling2d(p, C.int64_t(poolH), C.int64_t(poolW), 0, 0, C.DEEP_PADDING_VALID)
	})
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

// Compile initialises the weights and fixes the loss and metrics. The model takes the
// optimizer over in every case, even when Compile fails: its handle is closed afterwards.
func (m *Model) Compile(optimizer *Optimizer, loss Loss, metrics ...Metric) error {
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
	err := call(func() C.deep_status {
		return C.deep_model_compile(m.p, op, C.deep_loss(loss), cmp, C.int32_t(len(cm)))
	})
	if err == nil {
		m.metrics = len(metrics)
	}
	return err
}

// Fit trains for epochs passes over train in batches of batchSize; validation may be nil.
func (m *Model) Fit(train *Dataset, epochs, batchSize int, validation *Dataset) error {
	train.mu.RLock()
	defer train.mu.RUnlock()
	if train.p == nil {
		return closedError("Model.Fit: train")
	}
	var vp *C.deep_dataset
	if validation != nil {
		if validation != train {
			validation.mu.RLock()
			defer validation.mu.RUnlock()
		}
		if validation.p == nil {
			return closedError("Model.Fit: validation")
		}
		vp = validation.p
	}
	return m.write("Model.Fit", func(p *C.deep_model) C.deep_status {
		return C.deep_model_fit(p, train.p, C.int32_t(epochs), C.int32_t(batchSize), vp)
	})
}

// Evaluate is the mean loss on data followed by each compiled metric, in Compile order.
func (m *Model) Evaluate(data *Dataset, batchSize int) ([]float64, error) {
	data.mu.RLock()
	defer data.mu.RUnlock()
	if data.p == nil {
		return nil, closedError("Model.Evaluate: data")
	}
	var values []float64
	err := m.write("Model.Evaluate", func(p *C.deep_model) C.deep_status {
		values = make([]float64, m.metrics+1)
		return C.deep_model_evaluate(p, data.p, C.int32_t(batchSize), doublePtr(values), C.int32_t(len(values)))
	})
	if err != nil {
		return nil, err
	}
	return values, nil
}

// Predict is the model's output for inputs of shape (n, input shape...). Any number of
// goroutines may predict with one model at once.
func (m *Model) Predict(inputs *Tensor) (*Tensor, error) {
	inputs.mu.RLock()
	defer inputs.mu.RUnlock()
	if inputs.p == nil {
		return nil, closedError("Model.Predict: inputs")
	}
	var out *C.deep_tensor
	if err := m.read("Model.Predict", func(p *C.deep_model) C.deep_status {
		return C.deep_model_predict(p, inputs.p, &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// Summary is the Keras summary table of the model.
func (m *Model) Summary() (string, error) {
	var text string
	err := m.read("Model.Summary", func(p *C.deep_model) C.deep_status {
		var needed C.int64_t
		if s := C.deep_model_summary(p, nil, 0, &needed); s != C.DEEP_OK && s != C.DEEP_ERR_BUFFER_TOO_SMALL {
			return s
		}
		buf := C.malloc(C.size_t(needed))
		if buf == nil {
			return C.DEEP_ERR_NO_MEMORY
		}
		defer C.free(buf)
		if s := C.deep_model_summary(p, (*C.char)(buf), needed, &needed); s != C.DEEP_OK {
			return s
		}
		text = C.GoString((*C.char)(buf))
		return C.DEEP_OK
	})
	return text, err
}

// HistoryLength is the number of epochs the last Fit recorded.
func (m *Model) HistoryLength() (int, error) {
	var n C.int32_t
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
		return C.deep_model_history(p, C.int32_t(epoch), C.deep_metric(metric), cBool(validation), &v)
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
