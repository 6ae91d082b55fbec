package deep

/*
#include <deep.h>
*/
import "C"

import (
	"strings"
	"unsafe"
)

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
	// LogSoftmax (library 1.3): x - log(sum(e^x)) over the last axis; the cross-entropies
	// take it with ModelFromLogits 1 only (the negative log-likelihood).
	LogSoftmax Activation = C.DEEP_ACTIVATION_LOG_SOFTMAX
)

// Padding of convolution and pooling layers (deep_padding).
type Padding int32

const (
	Valid Padding = C.DEEP_PADDING_VALID // no padding: the output shrinks by kernel - 1
	Same  Padding = C.DEEP_PADDING_SAME  // output = ceil(input / stride), as Keras
	// Causal (AddConv1D only, library 1.1): zeros before the steps only, so output step t
	// sees input steps up to t.
	Causal Padding = C.DEEP_PADDING_CAUSAL
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
	stride, dilation    int64 // 1-D layers; 0: the layer's default
	keepDims            bool
	outputPadding       [2]int64 // -1, -1: Keras' None (Conv2DTranspose)
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

// Stride sets the step of a 1-D window: AddConv1D (default 1), AddMaxPooling1D (default the
// pool size).
func Stride(s int64) LayerArg {
	return LayerArg{"Stride", func(a *layerArgs) { a.stride = s }}
}

// DilationRate sets the steps between the taps of an AddConv1D window (default 1; above 1
// it needs stride 1, as Keras).
func DilationRate(d int64) LayerArg {
	return LayerArg{"DilationRate", func(a *layerArgs) { a.dilation = d }}
}

// KeepDims keeps the pooled axes with size 1 (Keras' keepdims=True): AddGlobalAveragePooling1D
// gives (1, channels), AddGlobalMaxPooling2D (1, 1, channels).
func KeepDims() LayerArg {
	return LayerArg{"KeepDims", func(a *layerArgs) { a.keepDims = true }}
}

// parseArgs applies args over Keras' defaults, refusing those the layer does not take.
func parseArgs(op string, args []LayerArg, allowed ...string) (layerArgs, error) {
	a := layerArgs{useBias: true, activation: Tanh, recurrentActivation: Sigmoid, outputPadding: [2]int64{-1, -1}}
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

// AddConv1D appends Conv1D(filters, kernelSize, padding, activation) over sequences (steps,
// channels), giving (output steps, filters); padding Valid, Same or Causal. Takes Stride
// (default 1), DilationRate (default 1) and NoBias. Library 1.1.
func (m *Model) AddConv1D(filters, kernelSize int64, padding Padding, activation Activation, args ...LayerArg) error {
	return m.add("AddConv1D", args, []string{"Stride", "DilationRate", "NoBias"},
		func(p *C.deep_model, a layerArgs) C.deep_status {
			stride, dilation := a.stride, a.dilation
			if stride == 0 {
				stride = 1
			}
			if dilation == 0 {
				dilation = 1
			}
			return C.deep_model_add_conv1d(p, C.int64_t(filters), C.int64_t(kernelSize), C.int64_t(stride),
				C.deep_padding(padding), C.int64_t(dilation), C.deep_activation(activation), cBool(a.useBias))
		})
}

// AddMaxPooling1D appends MaxPooling1D(poolSize) (Keras' default pool size is 2) over
// sequences (steps, channels). Takes Stride (default the pool size) and WithPadding (default
// Valid). Library 1.1.
func (m *Model) AddMaxPooling1D(poolSize int64, args ...LayerArg) error {
	return m.add("AddMaxPooling1D", args, []string{"Stride", "WithPadding"},
		func(p *C.deep_model, a layerArgs) C.deep_status {
			return C.deep_model_add_max_pooling1d(p, C.int64_t(poolSize), C.int64_t(a.stride), C.deep_padding(a.padding))
		})
}

// AddGlobalAveragePooling1D appends GlobalAveragePooling1D(): (steps, channels) to (channels,).
// After a mask (LayerMaskZero, AddMasking) it averages the real steps only, as Keras. Takes
// KeepDims. Library 1.1.
func (m *Model) AddGlobalAveragePooling1D(args ...LayerArg) error {
	return m.add("AddGlobalAveragePooling1D", args, []string{"KeepDims"}, func(p *C.deep_model, a layerArgs) C.deep_status {
		return C.deep_model_add_global_average_pooling1d(p, cBool(a.keepDims))
	})
}

// AddGlobalMaxPooling2D appends GlobalMaxPooling2D(): (height, width, channels) to
// (channels,). Takes KeepDims. Library 1.1.
func (m *Model) AddGlobalMaxPooling2D(args ...LayerArg) error {
	return m.add("AddGlobalMaxPooling2D", args, []string{"KeepDims"}, func(p *C.deep_model, a layerArgs) C.deep_status {
		return C.deep_model_add_global_max_pooling2d(p, cBool(a.keepDims))
	})
}

// AddPermute appends Permute(dims): output axis i of a sample is its input axis dims[i],
// numbered from 1 as Keras (AddPermute(2, 1) swaps the axes of (steps, features) samples).
// Library 1.1.
func (m *Model) AddPermute(dims ...int32) error {
	return m.write("Model.AddPermute", func(p *C.deep_model) C.deep_status {
		var first *C.int32_t
		if len(dims) > 0 {
			first = (*C.int32_t)(unsafe.Pointer(&dims[0]))
		}
		return C.deep_model_add_permute(p, C.int32_t(len(dims)), first)
	})
}

// AddRepeatVector appends RepeatVector(n): (features,) samples to (n, features). Library 1.1.
func (m *Model) AddRepeatVector(n int64) error {
	return m.write("Model.AddRepeatVector", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_repeat_vector(p, C.int64_t(n))
	})
}

// OutputPadding sets Conv2DTranspose's output_padding, each below its stride (default
// Keras' None: inferred from the padding). Since libdeep 1.1.
func OutputPadding(h, w int64) LayerArg {
	return LayerArg{"OutputPadding", func(a *layerArgs) { a.outputPadding = [2]int64{h, w} }}
}

// AddConv2DTranspose appends Conv2DTranspose(filters, (kernelH, kernelW), padding,
// activation), the transpose of Conv2D, which upsamples: with Strides(2, 2) and Same the
// height and width double. Its kernel is (kernelH, kernelW, filters, channels), as Keras
// stores it. Takes Strides (default 1, 1), OutputPadding and NoBias. Since libdeep 1.1.
func (m *Model) AddConv2DTranspose(filters, kernelH, kernelW int64, padding Padding, activation Activation,
	args ...LayerArg) error {
	return m.add("AddConv2DTranspose", args, []string{"Strides", "OutputPadding", "NoBias"},
		func(p *C.deep_model, a layerArgs) C.deep_status {
			if a.strideH == 0 && a.strideW == 0 {
				a.strideH, a.strideW = 1, 1
			}
			return C.deep_model_add_conv2d_transpose(p, C.int64_t(filters), C.int64_t(kernelH), C.int64_t(kernelW),
				C.int64_t(a.strideH), C.int64_t(a.strideW), C.deep_padding(padding), C.int64_t(a.outputPadding[0]),
				C.int64_t(a.outputPadding[1]), C.deep_activation(activation), cBool(a.useBias))
		})
}

// Interpolation is how AddUpSampling2D fills the new cells (deep_interpolation). Since
// libdeep 1.1.
type Interpolation int32

const (
	Nearest  Interpolation = C.DEEP_INTERPOLATION_NEAREST  // each cell repeated (Keras' default)
	Bilinear Interpolation = C.DEEP_INTERPOLATION_BILINEAR // half-pixel centres, as Keras
)

// AddUpSampling2D appends UpSampling2D((sizeH, sizeW), interpolation): height and width
// multiplied by the factors (Keras' default 2, 2 and Nearest). Since libdeep 1.1.
func (m *Model) AddUpSampling2D(sizeH, sizeW int64, interpolation Interpolation) error {
	return m.write("Model.AddUpSampling2D", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_up_sampling2d(p, C.int64_t(sizeH), C.int64_t(sizeW), C.deep_interpolation(interpolation))
	})
}

// AddZeroPadding2D appends ZeroPadding2D(((top, bottom), (left, right))): rows and columns of
// zeros around each image (Keras' default is 1 on each side). Since libdeep 1.1.
func (m *Model) AddZeroPadding2D(top, bottom, left, right int64) error {
	return m.write("Model.AddZeroPadding2D", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_zero_padding2d(p, C.int64_t(top), C.int64_t(bottom), C.int64_t(left), C.int64_t(right))
	})
}

// AddCropping2D appends Cropping2D(((top, bottom), (left, right))): rows and columns cut from
// each side; one row and one column must stay. Since libdeep 1.1.
func (m *Model) AddCropping2D(top, bottom, left, right int64) error {
	return m.write("Model.AddCropping2D", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_cropping2d(p, C.int64_t(top), C.int64_t(bottom), C.int64_t(left), C.int64_t(right))
	})
}

// Layer types since libdeep 1.1 (issue #16).

// LayerNormEpsilon is Keras' default epsilon of LayerNormalization.
const LayerNormEpsilon float64 = 0.001

// AddLayerNormalization appends LayerNormalization(epsilon, center, scale) with Keras'
// axis=-1: each sample's values along the last axis are normalised by their own mean and
// variance, then scaled by gamma (scale) and shifted by beta (center), the weights in that
// order. Keras' defaults: AddLayerNormalization(LayerNormEpsilon, true, true).
func (m *Model) AddLayerNormalization(epsilon float64, center, scale bool) error {
	return m.write("Model.AddLayerNormalization", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_layer_normalization(p, C.double(epsilon), cBool(center), cBool(scale))
	})
}

// AddDepthwiseConv2D appends DepthwiseConv2D((kernelH, kernelW), padding, depthMultiplier,
// activation) over channels-last samples: each input channel is convolved on its own with
// depthMultiplier kernels, giving channels * depthMultiplier outputs (Keras' default
// depthMultiplier is 1). Its weights are kernel (kernelH, kernelW, channels,
// depthMultiplier) and bias. Takes Strides (default 1, 1) and NoBias.
func (m *Model) AddDepthwiseConv2D(kernelH, kernelW int64, padding Padding, depthMultiplier int64,
	activation Activation, args ...LayerArg) error {
	return m.add("AddDepthwiseConv2D", args, []string{"Strides", "NoBias"},
		func(p *C.deep_model, a layerArgs) C.deep_status {
			if a.strideH == 0 && a.strideW == 0 {
				a.strideH, a.strideW = 1, 1
			}
			return C.deep_model_add_depthwise_conv2d(p, C.int64_t(kernelH), C.int64_t(kernelW), C.int64_t(a.strideH),
				C.int64_t(a.strideW), C.deep_padding(padding), C.int64_t(depthMultiplier),
				C.deep_activation(activation), cBool(a.useBias))
		})
}

// AddSeparableConv2D appends SeparableConv2D(filters, (kernelH, kernelW), padding,
// depthMultiplier, activation): AddDepthwiseConv2D's convolution without its bias, then a
// 1x1 convolution to filters channels. Its weights are depthwise_kernel (kernelH, kernelW,
// channels, depthMultiplier), pointwise_kernel (1, 1, channels * depthMultiplier, filters)
// and bias. Takes Strides (default 1, 1) and NoBias.
func (m *Model) AddSeparableConv2D(filters, kernelH, kernelW int64, padding Padding, depthMultiplier int64,
	activation Activation, args ...LayerArg) error {
	return m.add("AddSeparableConv2D", args, []string{"Strides", "NoBias"},
		func(p *C.deep_model, a layerArgs) C.deep_status {
			if a.strideH == 0 && a.strideW == 0 {
				a.strideH, a.strideW = 1, 1
			}
			return C.deep_model_add_separable_conv2d(p, C.int64_t(filters), C.int64_t(kernelH), C.int64_t(kernelW),
				C.int64_t(a.strideH), C.int64_t(a.strideW), C.deep_padding(padding), C.int64_t(depthMultiplier),
				C.deep_activation(activation), cBool(a.useBias))
		})
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

// Keras' regularisation layers of library 1.2: active while training only, the identity at
// inference, their draws from the model's seed.

// AddSpatialDropout2D appends SpatialDropout2D(rate): whole channels of (height, width,
// channels) samples dropped while training, the kept ones scaled by 1 / (1 - rate).
func (m *Model) AddSpatialDropout2D(rate float64) error {
	return m.write("Model.AddSpatialDropout2D", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_spatial_dropout2d(p, C.double(rate))
	})
}

// AddGaussianNoise appends GaussianNoise(stddev): normal noise of that standard deviation
// (in [0, 1]) added while training.
func (m *Model) AddGaussianNoise(stddev float64) error {
	return m.write("Model.AddGaussianNoise", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_gaussian_noise(p, C.double(stddev))
	})
}

// AddGaussianDropout appends GaussianDropout(rate): inputs multiplied by normal noise of
// mean 1 and standard deviation sqrt(rate / (1 - rate)) while training.
func (m *Model) AddGaussianDropout(rate float64) error {
	return m.write("Model.AddGaussianDropout", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_gaussian_dropout(p, C.double(rate))
	})
}

// Keras' activation layers with arguments, library 1.3. The Activation layer's LeakyReLU
// and ELU keep their fixed 0.3 and 1.

// AddLeakyReLU appends LeakyReLU(negative_slope): x for x >= 0, negativeSlope * x below
// (>= 0; Keras' default 0.3).
func (m *Model) AddLeakyReLU(negativeSlope float64) error {
	return m.write("Model.AddLeakyReLU", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_leaky_relu(p, C.double(negativeSlope))
	})
}

// AddELU appends ELU(alpha): x for x > 0, alpha * (exp(x) - 1) below (Keras' default 1).
func (m *Model) AddELU(alpha float64) error {
	return m.write("Model.AddELU", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_elu(p, C.double(alpha))
	})
}

// AddReLU appends ReLU(max_value, negative_slope, threshold) with Keras' formula; a
// negative maxValue or math.Inf(1) is Keras' None (no upper bound). Keras' defaults: None,
// 0, 0.
func (m *Model) AddReLU(maxValue, negativeSlope, threshold float64) error {
	return m.write("Model.AddReLU", func(p *C.deep_model) C.deep_status {
		return C.deep_model_add_relu(p, C.double(maxValue), C.double(negativeSlope), C.double(threshold))
	})
}

// AddPReLU appends PReLU(shared_axes): x for x >= 0, alpha * x below, alpha learned from
// zeros, of the sample's shape but of size 1 along sharedAxes (1-based sample axes, as
// Keras: AddPReLU(1, 2) on images learns one alpha per channel; none: Keras' None).
func (m *Model) AddPReLU(sharedAxes ...int64) error {
	return m.write("Model.AddPReLU", func(p *C.deep_model) C.deep_status {
		var first *C.int64_t
		if len(sharedAxes) > 0 {
			first = (*C.int64_t)(unsafe.Pointer(&sharedAxes[0]))
		}
		return C.deep_model_add_prelu(p, C.int32_t(len(sharedAxes)), first)
	})
}
