package deep

/*
#include <deep.h>
*/
import "C"

import "strings"

// Layers of a Sequential model, appended in order with the Model.Add* methods; shapes are
// checked as each layer is added. Keras' optional arguments are LayerArg values (NoBias,
// Strides, WithPadding, ReturnSequences, ...), and the options that do not change a layer's
// output shape are set afterwards with Model.SetLayerInt / SetLayerFloat.

// Activation is a layer's activation function (deep_activation).
type Activation int32

const (
	Linear    Activation = C.DEEP_ACTIVATION_LINEAR
	ReLU      Activation = C.DEEP_ACTIVATION_RELU
	Sigmoid   Activation = C.DEEP_ACTIVATION_SIGMOID
	Tanh      Activation = C.DEEP_ACTIVATION_TANH
	Softmax   Activation = C.DEEP_ACTIVATION_SOFTMAX // over the last axis
	LeakyReLU Activation = C.DEEP_ACTIVATION_LEAKY_RELU
	ELU       Activation = C.DEEP_ACTIVATION_ELU
	// GELU is exact (Keras' gelu, approximate=False); GELUTanh is its tanh approximation.
	// Recurrent cells refuse the activations from GELU on.
	GELU        Activation = C.DEEP_ACTIVATION_GELU
	GELUTanh    Activation = C.DEEP_ACTIVATION_GELU_TANH
	SiLU        Activation = C.DEEP_ACTIVATION_SILU // x sigmoid(x), also called swish
	Swish       Activation = C.DEEP_ACTIVATION_SILU
	Softplus    Activation = C.DEEP_ACTIVATION_SOFTPLUS
	Softsign    Activation = C.DEEP_ACTIVATION_SOFTSIGN
	SELU        Activation = C.DEEP_ACTIVATION_SELU
	HardSigmoid Activation = C.DEEP_ACTIVATION_HARD_SIGMOID // relu6(x + 3) / 6, Keras 3
	Exponential Activation = C.DEEP_ACTIVATION_EXPONENTIAL
	ReLU6       Activation = C.DEEP_ACTIVATION_RELU6
)

// Padding of convolution and pooling layers (deep_padding).
type Padding int32

const (
	Valid Padding = C.DEEP_PADDING_VALID // no padding: the output shrinks by kernel - 1
	Same  Padding = C.DEEP_PADDING_SAME  // output = ceil(input / stride), as Keras
)

// LayerOption is a layer setting that does not change its output shape, set with
// Model.SetLayerInt or Model.SetLayerFloat before Compile (deep_layer_option).
type LayerOption int32

const (
	// LayerDropout (float in [0, 1), recurrent layers): fraction of the input features
	// dropped while training, one mask per sample for all steps.
	LayerDropout LayerOption = C.DEEP_LAYER_DROPOUT
	// LayerRecurrentDropout (float in [0, 1), recurrent layers): the same for the state
	// that feeds the recurrent kernel.
	LayerRecurrentDropout LayerOption = C.DEEP_LAYER_RECURRENT_DROPOUT
	// LayerGoBackwards (int 0 or 1, recurrent layers): process the steps last to first.
	LayerGoBackwards LayerOption = C.DEEP_LAYER_GO_BACKWARDS
	// LayerUnitForgetBias (int 0 or 1, LSTM, default 1): the forget gate's bias starts at 1.
	LayerUnitForgetBias LayerOption = C.DEEP_LAYER_UNIT_FORGET_BIAS
	// LayerMaskZero (int 0 or 1, Embedding, default 0): id 0 is padding and masks its step
	// (Keras' mask_zero); inputDim must then count it.
	LayerMaskZero LayerOption = C.DEEP_LAYER_MASK_ZERO
	// LayerResetAfter (int 0 or 1, GRU, default 1): with 0 the reset gate multiplies the
	// state before the recurrent kernel, and the bias is one (3 units) vector.
	LayerResetAfter LayerOption = C.DEEP_LAYER_RESET_AFTER
)

// MergeMode is how AddBidirectional merges its two directions (deep_merge_mode).
type MergeMode int32

const (
	MergeConcat MergeMode = C.DEEP_MERGE_CONCAT // side by side: twice the units
	MergeSum    MergeMode = C.DEEP_MERGE_SUM
	MergeMul    MergeMode = C.DEEP_MERGE_MUL
	MergeAve    MergeMode = C.DEEP_MERGE_AVE
)

// Keras' defaults of BatchNormalization, for Model.AddBatchNormalization.
const (
	BatchNormMomentum float64 = 0.99
	BatchNormEpsilon  float64 = 0.001
)

// LayerArg is an optional argument of a Model.Add* method. Each method says which ones it
// takes; any other is an ErrInvalidArgument.
type LayerArg struct {
	name  string
	apply func(*layerArgs)
}

type layerArgs struct {
	useBias             bool
	strideH, strideW    int64
	padding             Padding
	activation          Activation
	recurrentActivation Activation
	returnSequences     bool
}

// NoBias leaves out the bias (Keras' use_bias=False): Dense, Conv2D and recurrent layers.
func NoBias() LayerArg {
	return LayerArg{"NoBias", func(a *layerArgs) { a.useBias = false }}
}

// Strides sets the steps of a Conv2D (default 1, 1) or pooling window (default the pool
// size).
func Strides(h, w int64) LayerArg {
	return LayerArg{"Strides", func(a *layerArgs) { a.strideH, a.strideW = h, w }}
}

// WithPadding sets the padding of a pooling layer (default Valid).
func WithPadding(p Padding) LayerArg {
	return LayerArg{"WithPadding", func(a *layerArgs) { a.padding = p }}
}

// WithActivation sets the cell activation of a recurrent layer (default Tanh).
func WithActivation(activation Activation) LayerArg {
	return LayerArg{"WithActivation", func(a *layerArgs) { a.activation = activation }}
}

// WithRecurrentActivation sets the gate activation of an LSTM or GRU (default Sigmoid).
func WithRecurrentActivation(activation Activation) LayerArg {
	return LayerArg{"WithRecurrentActivation", func(a *layerArgs) { a.recurrentActivation = activation }}
}

// ReturnSequences makes a recurrent layer give one output per step, (timesteps, units),
// instead of the last one: what a recurrent layer stacked on top needs.
func ReturnSequences() LayerArg {
	return LayerArg{"ReturnSequences", func(a *layerArgs) { a.returnSequences = true }}
}

// parseArgs applies args over Keras' defaults, refusing those the layer does not take.
func parseArgs(op string, args []LayerArg, allowed ...string) (layerArgs, error) {
	a := layerArgs{useBias: true, activation: Tanh, recurrentActivation: Sigmoid}
	for _, arg := range args {
		if arg.apply == nil {
			return a, goError(ErrInvalidArgument, "deep: Model.%s: a zero LayerArg", op)
		}
		ok := false
		for _, name := range allowed {
			ok = ok || name == arg.name
		}
		if !ok {
			takes := "no optional argument"
			if len(allowed) > 0 {
				takes = strings.Join(allowed, ", ")
			}
			return a, goError(ErrInvalidArgument, "deep: Model.%s: %s does not apply (it takes %s)", op, arg.name, takes)
		}
		arg.apply(&a)
	}
	return a, nil
}

// add parses args and runs f on the model, held exclusively.
func (m *Model) add(op string, args []LayerArg, allowed []string, f func(p *C.deep_model, a layerArgs) C.deep_status) error {
	a, err := parseArgs(op, args, allowed...)
	if err != nil {
		return err
	}
	return m.write("Model."+op, func(p *C.deep_model) C.deep_status { return f(p, a) })
}

// AddDense appends Dense(units, activation), Glorot-uniform kernel and zero bias. Its input
// must be rank 1 (add Flatten first). Takes NoBias.
func (m *Model) AddDense(units int64, activation Activation, args ...LayerArg) error {
	return m.add("AddDense", args, []string{"NoBias"}, func(p *C.deep_model, a layerArgs) C.deep_status {
		return C.deep_model_add_dense(p, C.int64_t(units), C.deep_activation(activation), cBool(a.useBias))
	})
}

// AddActivation appends Activation(activation).
func (m *Model) AddActivation(activation Activation) error {
	return m.write("Model.AddActivation", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_activation(p, C.deep_activation(activation))
	})
}

// AddFlatten appends Flatten().
func (m *Model) AddFlatten() error {
	return m.write("Model.AddFlatten", func(p *C.deep_model) C.deep_status { return C.deep_model_add_flatten(p) })
}

// AddDropout appends Dropout(rate): a fraction rate in [0, 1) of its inputs zeroed while
// training (kept and checked as a float32).
func (m *Model) AddDropout(rate float64) error {
	return m.write("Model.AddDropout", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_dropout(p, C.double(rate))
	})
}

// AddReshape appends Reshape(targetShape): each sample takes targetShape (the batch axis
// stays), the same elements in the same order. One dimension may be -1, inferred from the
// others; a second -1 or a shape of another element count is an error.
func (m *Model) AddReshape(targetShape ...int64) error {
	return m.write("Model.AddReshape", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_reshape(p, C.int32_t(len(targetShape)), int64Ptr(targetShape))
	})
}

// AddConv2D appends Conv2D(filters, (kernelH, kernelW), padding, activation) over channels-
// last samples (height, width, channels). Takes Strides (default 1, 1) and NoBias.
func (m *Model) AddConv2D(filters, kernelH, kernelW int64, padding Padding, activation Activation,
	args ...LayerArg) error {
	return m.add("AddConv2D", args, []string{"Strides", "NoBias"}, func(p *C.deep_model, a layerArgs) C.deep_status {
		if a.strideH == 0 && a.strideW == 0 {
			a.strideH, a.strideW = 1, 1
		}
		return C.deep_model_add_conv2d(p, C.int64_t(filters), C.int64_t(kernelH), C.int64_t(kernelW),
			C.int64_t(a.strideH), C.int64_t(a.strideW), C.deep_padding(padding), C.deep_activation(activation),
			cBool(a.useBias))
	})
}

// AddMaxPooling2D appends MaxPooling2D((poolH, poolW)). Takes Strides (default the pool
// size) and WithPadding (default Valid).
func (m *Model) AddMaxPooling2D(poolH, poolW int64, args ...LayerArg) error {
	return m.add("AddMaxPooling2D", args, []string{"Strides", "WithPadding"},
		func(p *C.deep_model, a layerArgs) C.deep_status {
			return C.deep_model_add_max_pooling2d(p, C.int64_t(poolH), C.int64_t(poolW), C.int64_t(a.strideH),
				C.int64_t(a.strideW), C.deep_padding(a.padding))
		})
}

// AddAveragePooling2D appends AveragePooling2D((poolH, poolW)); with Same padding it averages
// only the cells inside the input. Takes Strides and WithPadding.
func (m *Model) AddAveragePooling2D(poolH, poolW int64, args ...LayerArg) error {
	return m.add("AddAveragePooling2D", args, []string{"Strides", "WithPadding"},
		func(p *C.deep_model, a layerArgs) C.deep_status {
			return C.deep_model_add_average_pooling2d(p, C.int64_t(poolH), C.int64_t(poolW), C.int64_t(a.strideH),
				C.int64_t(a.strideW), C.deep_padding(a.padding))
		})
}

// AddGlobalAveragePooling2D appends GlobalAveragePooling2D(): (height, width, channels) to
// (channels,).
func (m *Model) AddGlobalAveragePooling2D() error {
	return m.write("Model.AddGlobalAveragePooling2D", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_global_average_pooling2d(p)
	})
}

// AddBatchNormalization appends BatchNormalization(momentum, epsilon) over the last axis
// (BatchNormMomentum and BatchNormEpsilon are Keras' defaults). Its weights are gamma,
// beta, moving_mean and moving_variance.
func (m *Model) AddBatchNormalization(momentum, epsilon float64) error {
	return m.write("Model.AddBatchNormalization", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_batch_normalization(p, C.double(momentum), C.double(epsilon))
	})
}

// AddEmbedding appends Embedding(inputDim, outputDim): each input value, a token id in
// [0, inputDim) held as a float, becomes its row of an (inputDim, outputDim) weight.
// Samples (length,) become (length, outputDim), ready for a recurrent layer. inputLength 0
// takes the input's length; otherwise the model's input must be (inputLength,).
func (m *Model) AddEmbedding(inputDim, outputDim, inputLength int64) error {
	return m.write("Model.AddEmbedding", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_embedding(p, C.int64_t(inputDim), C.int64_t(outputDim), C.int64_t(inputLength))
	})
}

var recurrentArgs = []string{"WithActivation", "WithRecurrentActivation", "NoBias", "ReturnSequences"}

// AddLSTM appends LSTM(units) over samples (timesteps, features), giving (units,) or, with
// ReturnSequences, (timesteps, units). Takes WithActivation (default Tanh),
// WithRecurrentActivation (default Sigmoid), NoBias and ReturnSequences; dropout,
// recurrent dropout, go_backwards and unit_forget_bias are layer options (SetLayerInt,
// SetLayerFloat).
func (m *Model) AddLSTM(units int64, args ...LayerArg) error {
	return m.add("AddLSTM", args, recurrentArgs, func(p *C.deep_model, a layerArgs) C.deep_status {
		return C.deep_model_add_lstm(p, C.int64_t(units), C.deep_activation(a.activation),
			C.deep_activation(a.recurrentActivation), cBool(a.useBias), cBool(a.returnSequences))
	})
}

// AddGRU appends GRU(units) (Keras' reset_after=True). Takes the arguments of AddLSTM.
func (m *Model) AddGRU(units int64, args ...LayerArg) error {
	return m.add("AddGRU", args, recurrentArgs, func(p *C.deep_model, a layerArgs) C.deep_status {
		return C.deep_model_add_gru(p, C.int64_t(units), C.deep_activation(a.activation),
			C.deep_activation(a.recurrentActivation), cBool(a.useBias), cBool(a.returnSequences))
	})
}

// AddSimpleRNN appends SimpleRNN(units). Takes WithActivation (default Tanh), NoBias and
// ReturnSequences.
func (m *Model) AddSimpleRNN(units int64, args ...LayerArg) error {
	return m.add("AddSimpleRNN", args, []string{"WithActivation", "NoBias", "ReturnSequences"},
		func(p *C.deep_model, a layerArgs) C.deep_status {
			return C.deep_model_add_simple_rnn(p, C.int64_t(units), C.deep_activation(a.activation),
				cBool(a.useBias), cBool(a.returnSequences))
		})
}

// AddBidirectional wraps the recurrent layer added just before in Keras' Bidirectional: a
// forward and a backward copy, merged by mode. Its layer options apply to both copies.
func (m *Model) AddBidirectional(mode MergeMode) error {
	return m.write("Model.AddBidirectional", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_bidirectional(p, C.deep_merge_mode(mode))
	})
}

// AddMasking appends Masking(maskValue): a step whose features all equal maskValue is
// padding, which the recurrent layers after it skip (as LayerMaskZero does for Embedding).
func (m *Model) AddMasking(maskValue float64) error {
	return m.write("Model.AddMasking", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_masking(p, C.double(maskValue))
	})
}

// SetLayerInt sets an integer option of layer layer (0 is the first added, -1 the last),
// before Compile.
func (m *Model) SetLayerInt(layer int, option LayerOption, value int64) error {
	return m.write("Model.SetLayerInt", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_layer_int(p, C.int32_t(layer), C.deep_layer_option(option), C.int64_t(value))
	})
}

// SetLayerFloat sets a float option of layer layer (0 is the first added, -1 the last),
// before Compile.
func (m *Model) SetLayerFloat(layer int, option LayerOption, value float64) error {
	return m.write("Model.SetLayerFloat", func(p *C.deep_model) C.deep_status {
		return C.deep_model_set_layer_float(p, C.int32_t(layer), C.deep_layer_option(option), C.double(value))
	})
}

// LayerInt is the current value of an integer option of layer layer (the default when never
// set), before or after Compile; an option its type does not have is ErrInvalidArgument.
func (m *Model) LayerInt(layer int, option LayerOption) (int64, error) {
	var v C.int64_t
	err := m.read("Model.LayerInt", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_layer_int(p, C.int32_t(layer), C.deep_layer_option(option), &v)
	})
	return int64(v), err
}

// LayerFloat is the current value of a float option of layer layer, as the float32 the
// layer keeps.
func (m *Model) LayerFloat(layer int, option LayerOption) (float64, error) {
	var v C.double
	err := m.read("Model.LayerFloat", func(p *C.deep_model) C.deep_status {
		return C.deep_model_get_layer_float(p, C.int32_t(layer), C.deep_layer_option(option), &v)
	})
	return float64(v), err
}

// Merge layers (Keras' Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate),
// since 1.1: each joins the 2 to 16 nodes chosen just before with Model.Connect (one node
// is ErrInvalidArgument). The element-wise ones need inputs of one shape (ErrShape naming
// both otherwise; no broadcasting) and give that shape; Subtract takes exactly two, the
// first minus the second.

// AddAdd appends Add(): the element-wise sum of the connected nodes.
func (m *Model) AddAdd() error {
	return m.write("Model.AddAdd", func(p *C.deep_model) C.deep_status { return C.deep_model_add_add(p) })
}

// AddSubtract appends Subtract(): the first connected node minus the second.
func (m *Model) AddSubtract() error {
	return m.write("Model.AddSubtract", func(p *C.deep_model) C.deep_status { return C.deep_model_add_subtract(p) })
}

// AddMultiply appends Multiply(): the element-wise product.
func (m *Model) AddMultiply() error {
	return m.write("Model.AddMultiply", func(p *C.deep_model) C.deep_status { return C.deep_model_add_multiply(p) })
}

// AddAverage appends Average(): the element-wise mean.
func (m *Model) AddAverage() error {
	return m.write("Model.AddAverage", func(p *C.deep_model) C.deep_status { return C.deep_model_add_average(p) })
}

// AddMaximum appends Maximum(): the element-wise maximum (the gradient goes to the first
// input holding it).
func (m *Model) AddMaximum() error {
	return m.write("Model.AddMaximum", func(p *C.deep_model) C.deep_status { return C.deep_model_add_maximum(p) })
}

// AddMinimum appends Minimum(): the element-wise minimum.
func (m *Model) AddMinimum() error {
	return m.write("Model.AddMinimum", func(p *C.deep_model) C.deep_status { return C.deep_model_add_minimum(p) })
}

// AddConcatenate appends Concatenate(axis): the connected nodes joined along axis (Keras':
// 1 is a sample's first axis, -1 its last), agreeing on every other axis.
func (m *Model) AddConcatenate(axis int64) error {
	return m.write("Model.AddConcatenate", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_concatenate(p, C.int64_t(axis))
	})
}
