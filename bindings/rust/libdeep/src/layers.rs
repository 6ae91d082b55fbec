//! Layers: Keras-shaped builders added with [`Model::add`], the `add_*` shortcuts of
//! [`Model`], and the per-layer options of recurrent layers.
//!
//! ```
//! use libdeep::layers::{Dense, Lstm};
//! use libdeep::{Activation, Model};
//! // Keras: Sequential([Input((28, 28)), LSTM(64, return_sequences=True, dropout=0.2),
//! //                    LSTM(64), Dense(10, activation="softmax")])
//! let mut model = Model::new(&[28, 28])?;
//! model.add(Lstm::new(64).return_sequences(true).dropout(0.2))?;
//! model.add(Lstm::new(64))?;
//! model.add(Dense::new(10).activation(Activation::Softmax))?;
//! assert_eq!(model.layer_count()?, 3);
//! # Ok::<(), libdeep::Error>(())
//! ```
use libdeep_sys as sys;

use crate::error::{check, Error, Result, Status};
use crate::model::Model;

pub use crate::noise_layers::{GaussianDropout, GaussianNoise, SpatialDropout2d}; // library 1.2
pub use crate::act_layers::{Elu, LeakyRelu, PRelu, Relu}; // library 1.3

c_enum!(
    /// A layer's activation (`deep_activation`). As a [`Layer`] it is Keras' `Activation`.
    Activation {
        /// The identity.
        Linear = sys::DEEP_ACTIVATION_LINEAR,
        /// max(x, 0).
        Relu = sys::DEEP_ACTIVATION_RELU,
        /// 1 / (1 + e^-x).
        Sigmoid = sys::DEEP_ACTIVATION_SIGMOID,
        /// The hyperbolic tangent.
        Tanh = sys::DEEP_ACTIVATION_TANH,
        /// Over the last axis.
        Softmax = sys::DEEP_ACTIVATION_SOFTMAX,
        /// Slope 0.3 below zero, as Keras' LeakyReLU.
        LeakyRelu = sys::DEEP_ACTIVATION_LEAKY_RELU,
        /// Alpha 1.0.
        Elu = sys::DEEP_ACTIVATION_ELU,
        /// x Phi(x), exact (Keras' `gelu`, `approximate=False`). Recurrent cells refuse this
        /// and every activation after it.
        Gelu = sys::DEEP_ACTIVATION_GELU,
        /// The tanh approximation of gelu (Keras' `approximate=True`).
        GeluTanh = sys::DEEP_ACTIVATION_GELU_TANH,
        /// x sigmoid(x), also called swish.
        Silu = sys::DEEP_ACTIVATION_SILU,
        /// log(1 + e^x).
        Softplus = sys::DEEP_ACTIVATION_SOFTPLUS,
        /// x / (1 + |x|).
        Softsign = sys::DEEP_ACTIVATION_SOFTSIGN,
        /// Scaled elu with Keras' constants.
        Selu = sys::DEEP_ACTIVATION_SELU,
        /// relu6(x + 3) / 6, Keras 3's definition.
        HardSigmoid = sys::DEEP_ACTIVATION_HARD_SIGMOID,
        /// e^x.
        Exponential = sys::DEEP_ACTIVATION_EXPONENTIAL,
        /// min(max(x, 0), 6).
        Relu6 = sys::DEEP_ACTIVATION_RELU6,
        /// x - log(sum(e^x)) over the last axis (library 1.3); the cross-entropies take it
        /// with from_logits only (the negative log-likelihood).
        LogSoftmax = sys::DEEP_ACTIVATION_LOG_SOFTMAX,
    }
);
c_enum!(
    /// Padding of convolution and pooling layers (`deep_padding`).
    Padding {
        /// No padding: the output shrinks by kernel - 1.
        Valid = sys::DEEP_PADDING_VALID,
        /// Zero padding so that output = ceil(input / stride), as Keras.
        Same = sys::DEEP_PADDING_SAME,
        /// [`Conv1d`] only (library 1.1): zeros before the steps only, so output step t sees
        /// input steps up to t (Keras' causal).
        Causal = sys::DEEP_PADDING_CAUSAL,
    }
);
c_enum!(
    /// Options of one layer (`deep_layer_option`): the Keras arguments that do not change
    /// its output shape, set before compile with [`Model::set_layer_float`] (`Dropout`,
    /// `RecurrentDropout`) or [`Model::set_layer_int`] (the others), read at any time with
    /// [`Model::layer_float`] / [`Model::layer_int`]. `docs/layers.md` lists which layer
    /// types take which.
    LayerOption {
        /// float in [0, 1): recurrent layers, fraction of the input features dropped while training.
        Dropout = sys::DEEP_LAYER_DROPOUT,
        /// float in [0, 1): recurrent layers, the same for the state feeding the recurrent kernel.
        RecurrentDropout = sys::DEEP_LAYER_RECURRENT_DROPOUT,
        /// int 0 or 1: recurrent layers process the steps last to first.
        GoBackwards = sys::DEEP_LAYER_GO_BACKWARDS,
        /// int 0 or 1, default 1: LSTM, the forget gate's bias starts at 1.
        UnitForgetBias = sys::DEEP_LAYER_UNIT_FORGET_BIAS,
        /// int 0 or 1, default 0: Embedding, id 0 is padding and masks its step (Keras' mask_zero).
        MaskZero = sys::DEEP_LAYER_MASK_ZERO,
        /// int 0 or 1, default 1: GRU; with 0 the reset gate acts before the recurrent kernel.
        ResetAfter = sys::DEEP_LAYER_RESET_AFTER,
    }
);
c_enum!(
    /// How [`Model::add_bidirectional`] merges its two directions (`deep_merge_mode`).
    MergeMode {
        /// Side by side: twice the units.
        Concat = sys::DEEP_MERGE_CONCAT,
        /// Element-wise sum.
        Sum = sys::DEEP_MERGE_SUM,
        /// Element-wise product.
        Mul = sys::DEEP_MERGE_MUL,
        /// Element-wise mean.
        Ave = sys::DEEP_MERGE_AVE,
    }
);

c_enum!(
    /// How [`layers::UpSampling2d`](UpSampling2d) fills the new cells (`deep_interpolation`,
    /// since libdeep 1.1).
    Interpolation {
        /// Each cell repeated (Keras' default).
        Nearest = sys::DEEP_INTERPOLATION_NEAREST,
        /// Linear in each axis with half-pixel centres, as Keras.
        Bilinear = sys::DEEP_INTERPOLATION_BILINEAR,
    }
);

/// Something [`Model::add`] appends: one of the builders below, or an [`Activation`].
pub trait Layer {
    /// Appends the layer (and sets its options) at the end of `model`.
    fn add_to(&self, model: &mut Model) -> Result<()>;
}

/// A borrowed layer (or `&dyn Layer`, e.g. from a list of layers) adds the same layer.
impl<L: Layer + ?Sized> Layer for &L {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        (**self).add_to(model)
    }
}

impl Model {
    /// Appends a layer built with one of the [`layers`](crate::layers) builders. Shapes are
    /// checked as each layer is added; adding after compile is a `Status::State` error.
    pub fn add<L: Layer>(&mut self, layer: L) -> Result<()> {
        layer.add_to(self)
    }

    /// Appends Dense(units, activation) with a bias.
    pub fn add_dense(&mut self, units: i64, activation: Activation) -> Result<()> {
        self.add(Dense::new(units).activation(activation))
    }

    /// Appends Flatten.
    pub fn add_flatten(&mut self) -> Result<()> {
        self.add(Flatten)
    }

    /// Appends Reshape(target_shape): each sample takes `target_shape`, the same elements in
    /// the same order; one dimension may be -1, inferred from the others.
    pub fn add_reshape(&mut self, target_shape: &[i64]) -> Result<()> {
        self.add(Reshape::new(target_shape))
    }

    /// Appends Dropout(rate) (kept and checked as an f32).
    pub fn add_dropout(&mut self, rate: f64) -> Result<()> {
        self.add(Dropout::new(rate))
    }

    /// Appends Activation(activation).
    pub fn add_activation(&mut self, activation: Activation) -> Result<()> {
        self.add(activation)
    }

    /// Appends Conv2D(filters, (kernel_h, kernel_w)) with strides 1 and a bias.
    pub fn add_conv2d(&mut self, filters: i64, kernel: (i64, i64), padding: Padding, activation: Activation) -> Result<()> {
        self.add(Conv2d::new(filters, kernel).padding(padding).activation(activation))
    }

    /// Appends MaxPooling2D(pool) with strides equal to the pool size.
    pub fn add_max_pooling2d(&mut self, pool: (i64, i64)) -> Result<()> {
        self.add(MaxPooling2d::new(pool))
    }

    /// Appends AveragePooling2D(pool) with strides equal to the pool size.
    pub fn add_average_pooling2d(&mut self, pool: (i64, i64)) -> Result<()> {
        self.add(AveragePooling2d::new(pool))
    }

    /// Appends GlobalAveragePooling2D: (height, width, channels) to (channels,).
    pub fn add_global_average_pooling2d(&mut self) -> Result<()> {
        self.add(GlobalAveragePooling2d)
    }

    /// Appends BatchNormalization with Keras' defaults (momentum 0.99, epsilon 0.001).
    pub fn add_batch_normalization(&mut self) -> Result<()> {
        self.add(BatchNormalization::new())
    }

    /// Appends Embedding(input_dim, output_dim); `input_length` 0 takes the input's length.
    pub fn add_embedding(&mut self, input_dim: i64, output_dim: i64, input_length: i64) -> Result<()> {
        self.add(Embedding::new(input_dim, output_dim).input_length(input_length))
    }

    /// Appends LSTM(units) with Keras' defaults (tanh, sigmoid, a bias).
    pub fn add_lstm(&mut self, units: i64, return_sequences: bool) -> Result<()> {
        self.add(Lstm::new(units).return_sequences(return_sequences))
    }

    /// Appends GRU(units) with Keras' defaults (tanh, sigmoid, a bias, reset_after).
    pub fn add_gru(&mut self, units: i64, return_sequences: bool) -> Result<()> {
        self.add(Gru::new(units).return_sequences(return_sequences))
    }

    /// Appends SimpleRNN(units) with Keras' defaults (tanh, a bias).
    pub fn add_simple_rnn(&mut self, units: i64, return_sequences: bool) -> Result<()> {
        self.add(SimpleRnn::new(units).return_sequences(return_sequences))
    }

    /// Wraps the recurrent layer added just before in Keras' Bidirectional: a forward and a
    /// backward copy, merged by `mode`; its layer options apply to both copies.
    pub fn add_bidirectional(&mut self, mode: MergeMode) -> Result<()> {
        check(unsafe { sys::deep_model_add_bidirectional(self.ptr(), mode as sys::deep_merge_mode) })
    }

    /// Appends Masking(mask_value): a step whose features all equal `mask_value` is
    /// padding, which the recurrent layers after it skip.
    pub fn add_masking(&mut self, mask_value: f64) -> Result<()> {
        check(unsafe { sys::deep_model_add_masking(self.ptr(), mask_value) })
    }

    /// Appends Conv1D(filters, kernel_size) over (steps, channels) samples with strides 1,
    /// dilation 1 and a bias (library 1.1).
    pub fn add_conv1d(&mut self, filters: i64, kernel_size: i64, padding: Padding, activation: Activation) -> Result<()> {
        self.add(Conv1d::new(filters, kernel_size).padding(padding).activation(activation))
    }

    /// Appends MaxPooling1D(pool_size) with strides equal to the pool size (library 1.1).
    pub fn add_max_pooling1d(&mut self, pool_size: i64) -> Result<()> {
        self.add(MaxPooling1d::new(pool_size))
    }

    /// Appends GlobalAveragePooling1D: (steps, channels) to (channels,) (library 1.1).
    pub fn add_global_average_pooling1d(&mut self) -> Result<()> {
        self.add(GlobalAveragePooling1d::new())
    }

    /// Appends GlobalMaxPooling2D: (height, width, channels) to (channels,) (library 1.1).
    pub fn add_global_max_pooling2d(&mut self) -> Result<()> {
        self.add(GlobalMaxPooling2d::new())
    }

    /// Appends Permute(dims), 1-based axes as Keras (library 1.1).
    pub fn add_permute(&mut self, dims: &[i32]) -> Result<()> {
        self.add(Permute::new(dims))
    }

    /// Appends RepeatVector(n): (features,) to (n, features) (library 1.1).
    pub fn add_repeat_vector(&mut self, n: i64) -> Result<()> {
        self.add(RepeatVector::new(n))
    }

    /// Sets an integer option of `layer` (from 0 in the order added; -1 is the last).
    pub fn set_layer_int(&mut self, layer: i32, option: LayerOption, value: i64) -> Result<()> {
        check(unsafe { sys::deep_model_set_layer_int(self.ptr(), layer, option as i32, value) })
    }

    /// Sets a float option of `layer` (from 0 in the order added; -1 is the last).
    pub fn set_layer_float(&mut self, layer: i32, option: LayerOption, value: f64) -> Result<()> {
        check(unsafe { sys::deep_model_set_layer_float(self.ptr(), layer, option as i32, value) })
    }

    /// The current value of an integer option of `layer` (the default when never set),
    /// before or after compile; an option its type does not have is `Status::InvalidArgument`.
    pub fn layer_int(&self, layer: i32, option: LayerOption) -> Result<i64> {
        let mut value = 0i64;
        check(unsafe { sys::deep_model_get_layer_int(self.ptr(), layer, option as i32, &mut value) })?;
        Ok(value)
    }

    /// The current value of a float option of `layer`, as the f32 the layer keeps.
    pub fn layer_float(&self, layer: i32, option: LayerOption) -> Result<f64> {
        let mut value = 0f64;
        check(unsafe { sys::deep_model_get_layer_float(self.ptr(), layer, option as i32, &mut value) })?;
        Ok(value)
    }
}

impl Layer for Activation {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_activation(model.ptr(), *self as i32) })
    }
}

/// Dense: a Glorot-uniform kernel (inputs, units) and a zero bias. Its input must be rank 1
/// (add [`Flatten`] first). Defaults: linear activation, a bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dense {
    units: i64,
    activation: Activation,
    use_bias: bool,
}

impl Dense {
    /// Dense(units) with a linear activation and a bias.
    pub fn new(units: i64) -> Dense {
        Dense { units, activation: Activation::Linear, use_bias: true }
    }
    /// The activation applied to the output.
    pub fn activation(mut self, activation: Activation) -> Dense {
        self.activation = activation;
        self
    }
    /// With a bias (default true).
    pub fn use_bias(mut self, use_bias: bool) -> Dense {
        self.use_bias = use_bias;
        self
    }
}

impl Layer for Dense {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_dense(model.ptr(), self.units, self.activation as i32, self.use_bias as i32) })
    }
}

/// Flatten: any sample shape to (features,).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flatten;

impl Layer for Flatten {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_flatten(model.ptr()) })
    }
}

/// Reshape: each sample takes `target_shape` (rank 1 to 7), the same elements in the same
/// order; one dimension may be -1, inferred from the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reshape {
    target_shape: Vec<i64>,
}

impl Reshape {
    /// Reshape(target_shape).
    pub fn new(target_shape: &[i64]) -> Reshape {
        Reshape { target_shape: target_shape.to_vec() }
    }
}

impl Layer for Reshape {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let rank = i32::try_from(self.target_shape.len()).unwrap_or(i32::MAX);
        check(unsafe { sys::deep_model_add_reshape(model.ptr(), rank, self.target_shape.as_ptr()) })
    }
}

/// Dropout: zeroes a fraction `rate` in [0, 1) of its inputs while training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    rate: f64,
}

impl Dropout {
    /// Dropout(rate), rate in [0, 1) (kept and checked as an f32).
    pub fn new(rate: f64) -> Dropout {
        Dropout { rate }
    }
}

impl Layer for Dropout {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_dropout(model.ptr(), self.rate) })
    }
}

/// Conv2D: `filters` kernels of (kernel_h, kernel_w) over channels-last samples.
/// Defaults: strides (1, 1), valid padding, linear activation, a bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv2d {
    filters: i64,
    kernel: (i64, i64),
    strides: (i64, i64),
    padding: Padding,
    activation: Activation,
    use_bias: bool,
}

impl Conv2d {
    /// Conv2D(filters, kernel) with strides 1, valid padding, linear activation and a bias.
    pub fn new(filters: i64, kernel: (i64, i64)) -> Conv2d {
        Conv2d { filters, kernel, strides: (1, 1), padding: Padding::Valid, activation: Activation::Linear, use_bias: true }
    }
    /// The strides (rows, columns), default (1, 1).
    pub fn strides(mut self, strides: (i64, i64)) -> Conv2d {
        self.strides = strides;
        self
    }
    /// Valid (default) or same padding.
    pub fn padding(mut self, padding: Padding) -> Conv2d {
        self.padding = padding;
        self
    }
    /// The activation applied to the output.
    pub fn activation(mut self, activation: Activation) -> Conv2d {
        self.activation = activation;
        self
    }
    /// With a bias (default true).
    pub fn use_bias(mut self, use_bias: bool) -> Conv2d {
        self.use_bias = use_bias;
        self
    }
}

impl Layer for Conv2d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let s = self;
        check(unsafe {
            sys::deep_model_add_conv2d(
                model.ptr(), s.filters, s.kernel.0, s.kernel.1, s.strides.0, s.strides.1,
                s.padding as i32, s.activation as i32, s.use_bias as i32,
            )
        })
    }
}

/// Conv2DTranspose (since libdeep 1.1): the transpose of Conv2D, which upsamples; with
/// strides (2, 2) and same padding the height and width double. Its kernel is (kernel_h,
/// kernel_w, filters, channels), as Keras stores it. Defaults: strides (1, 1), valid
/// padding, output_padding None (inferred from the padding), linear activation, a bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv2dTranspose {
    filters: i64,
    kernel: (i64, i64),
    strides: (i64, i64),
    padding: Padding,
    output_padding: Option<(i64, i64)>,
    activation: Activation,
    use_bias: bool,
}

impl Conv2dTranspose {
    /// Conv2DTranspose(filters, kernel) with Keras' defaults.
    pub fn new(filters: i64, kernel: (i64, i64)) -> Conv2dTranspose {
        Conv2dTranspose {
            filters,
            kernel,
            strides: (1, 1),
            padding: Padding::Valid,
            output_padding: None,
            activation: Activation::Linear,
            use_bias: true,
        }
    }
    /// The strides (rows, columns), the upsampling factors; default (1, 1).
    pub fn strides(mut self, strides: (i64, i64)) -> Conv2dTranspose {
        self.strides = strides;
        self
    }
    /// Valid (default) or same padding.
    pub fn padding(mut self, padding: Padding) -> Conv2dTranspose {
        self.padding = padding;
        self
    }
    /// Keras' output_padding, each below its stride; None (default) infers it.
    pub fn output_padding(mut self, output_padding: Option<(i64, i64)>) -> Conv2dTranspose {
        self.output_padding = output_padding;
        self
    }
    /// The activation applied to the output.
    pub fn activation(mut self, activation: Activation) -> Conv2dTranspose {
        self.activation = activation;
        self
    }
    /// With a bias (default true).
    pub fn use_bias(mut self, use_bias: bool) -> Conv2dTranspose {
        self.use_bias = use_bias;
        self
    }
}

impl Layer for Conv2dTranspose {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let s = self;
        let (op_h, op_w) = s.output_padding.unwrap_or((-1, -1)); // -1, -1: Keras' None
        check(unsafe {
            sys::deep_model_add_conv2d_transpose(
                model.ptr(), s.filters, s.kernel.0, s.kernel.1, s.strides.0, s.strides.1, s.padding as i32, op_h,
                op_w, s.activation as i32, s.use_bias as i32,
            )
        })
    }
}

/// UpSampling2D (since libdeep 1.1): height and width multiplied by `size`. Defaults: size
/// (2, 2), [`Interpolation::Nearest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpSampling2d {
    size: (i64, i64),
    interpolation: Interpolation,
}

impl UpSampling2d {
    /// UpSampling2D(size) with nearest interpolation.
    pub fn new(size: (i64, i64)) -> UpSampling2d {
        UpSampling2d { size, interpolation: Interpolation::Nearest }
    }
    /// Nearest (default) or bilinear.
    pub fn interpolation(mut self, interpolation: Interpolation) -> UpSampling2d {
        self.interpolation = interpolation;
        self
    }
}

impl Default for UpSampling2d {
    /// Keras' UpSampling2D(): size (2, 2), nearest.
    fn default() -> UpSampling2d {
        UpSampling2d::new((2, 2))
    }
}

impl Layer for UpSampling2d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe {
            sys::deep_model_add_up_sampling2d(model.ptr(), self.size.0, self.size.1, self.interpolation as i32)
        })
    }
}

/// ZeroPadding2D (since libdeep 1.1): rows and columns of zeros around each image, given as
/// Keras' ((top, bottom), (left, right)). Default: 1 on each side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZeroPadding2d {
    rows: (i64, i64),
    columns: (i64, i64),
}

impl ZeroPadding2d {
    /// ZeroPadding2D(((top, bottom), (left, right))).
    pub fn new(rows: (i64, i64), columns: (i64, i64)) -> ZeroPadding2d {
        ZeroPadding2d { rows, columns }
    }
}

impl Default for ZeroPadding2d {
    /// Keras' ZeroPadding2D(): 1 on each side.
    fn default() -> ZeroPadding2d {
        ZeroPadding2d::new((1, 1), (1, 1))
    }
}

impl Layer for ZeroPadding2d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let (r, c) = (self.rows, self.columns);
        check(unsafe { sys::deep_model_add_zero_padding2d(model.ptr(), r.0, r.1, c.0, c.1) })
    }
}

/// Cropping2D (since libdeep 1.1): rows and columns cut from each side, given as Keras'
/// ((top, bottom), (left, right)); one row and one column must stay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cropping2d {
    rows: (i64, i64),
    columns: (i64, i64),
}

impl Cropping2d {
    /// Cropping2D(((top, bottom), (left, right))).
    pub fn new(rows: (i64, i64), columns: (i64, i64)) -> Cropping2d {
        Cropping2d { rows, columns }
    }
}

impl Layer for Cropping2d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let (r, c) = (self.rows, self.columns);
        check(unsafe { sys::deep_model_add_cropping2d(model.ptr(), r.0, r.1, c.0, c.1) })
    }
}

macro_rules! pooling {
    ($(#[$doc:meta])* $name:ident, $add:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            pool: (i64, i64),
            strides: Option<(i64, i64)>,
            padding: Padding,
        }

        impl $name {
            /// Pooling over (pool_h, pool_w) windows, strides the pool size, valid padding.
            pub fn new(pool: (i64, i64)) -> $name {
                $name { pool, strides: None, padding: Padding::Valid }
            }
            /// Strides other than the pool size.
            pub fn strides(mut self, strides: (i64, i64)) -> $name {
                self.strides = Some(strides);
                self
            }
            /// Valid (default) or same padding.
            pub fn padding(mut self, padding: Padding) -> $name {
                self.padding = padding;
                self
            }
        }

        impl Layer for $name {
            fn add_to(&self, model: &mut Model) -> Result<()> {
                let (sh, sw) = self.strides.unwrap_or((0, 0)); // 0: the pool size
                check(unsafe { $add(model.ptr(), self.pool.0, self.pool.1, sh, sw, self.padding as i32) })
            }
        }
    };
}

pooling!(
    /// MaxPooling2D over (pool_h, pool_w) windows; defaults: strides the pool size, valid padding.
    MaxPooling2d, sys::deep_model_add_max_pooling2d
);
pooling!(
    /// AveragePooling2D over (pool_h, pool_w) windows; with same padding it averages only
    /// the cells inside the input.
    AveragePooling2d, sys::deep_model_add_average_pooling2d
);

/// GlobalAveragePooling2D: (height, width, channels) to (channels,).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalAveragePooling2d;

impl Layer for GlobalAveragePooling2d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_global_average_pooling2d(model.ptr()) })
    }
}

/// BatchNormalization over the last axis; Keras' defaults momentum 0.99, epsilon 0.001.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormalization {
    momentum: f64,
    epsilon: f64,
}

impl BatchNormalization {
    /// BatchNormalization with Keras' defaults.
    pub fn new() -> BatchNormalization {
        BatchNormalization { momentum: 0.99, epsilon: 0.001 }
    }
    /// The momentum of the moving statistics, in [0, 1).
    pub fn momentum(mut self, momentum: f64) -> BatchNormalization {
        self.momentum = momentum;
        self
    }
    /// Added to the variance, > 0.
    pub fn epsilon(mut self, epsilon: f64) -> BatchNormalization {
        self.epsilon = epsilon;
        self
    }
}

impl Default for BatchNormalization {
    fn default() -> Self {
        BatchNormalization::new()
    }
}

impl Layer for BatchNormalization {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_batch_normalization(model.ptr(), self.momentum, self.epsilon) })
    }
}

/// Embedding: each input value, a token id in [0, input_dim) held as a float, becomes its
/// row of an (input_dim, output_dim) weight. Default input_length 0: the input's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Embedding {
    input_dim: i64,
    output_dim: i64,
    input_length: i64,
    mask_zero: bool,
}

impl Embedding {
    /// Embedding(input_dim, output_dim) taking the input's length.
    pub fn new(input_dim: i64, output_dim: i64) -> Embedding {
        Embedding { input_dim, output_dim, input_length: 0, mask_zero: false }
    }
    /// The sequence length; the model's input must then be (input_length,).
    pub fn input_length(mut self, input_length: i64) -> Embedding {
        self.input_length = input_length;
        self
    }
    /// Id 0 is padding (default false): the recurrent layers after it skip those steps, as
    /// Keras' mask_zero. Needs an input_length.
    pub fn mask_zero(mut self, mask_zero: bool) -> Embedding {
        self.mask_zero = mask_zero;
        self
    }
}

impl Layer for Embedding {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_embedding(model.ptr(), self.input_dim, self.output_dim, self.input_length) })?;
        if self.mask_zero {
            model.set_layer_int(-1, LayerOption::MaskZero, 1)?;
        }
        Ok(())
    }
}

/// The Keras arguments every recurrent layer shares.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Recurrent {
    units: i64,
    activation: Activation,
    recurrent_activation: Activation,
    use_bias: bool,
    return_sequences: bool,
    dropout: f64,
    recurrent_dropout: f64,
    go_backwards: bool,
    unit_forget_bias: bool,
    reset_after: bool,
}

impl Recurrent {
    fn new(units: i64) -> Recurrent {
        Recurrent {
            units,
            activation: Activation::Tanh,
            recurrent_activation: Activation::Sigmoid,
            use_bias: true,
            return_sequences: false,
            dropout: 0.0,
            recurrent_dropout: 0.0,
            go_backwards: false,
            unit_forget_bias: true,
            reset_after: true,
        }
    }

    /// Checks the options that could fail after the layer is added, so that a bad value
    /// never leaves the layer in the model without its options.
    fn check_options(&self, layer: &str) -> Result<()> {
        for (name, rate) in [("dropout", self.dropout), ("recurrent_dropout", self.recurrent_dropout)] {
            if !(0.0..1.0).contains(&rate) {
                return Err(Error::new(
                    Status::InvalidArgument,
                    format!("{}: {} is {}; it must be in [0, 1)", layer, name, rate),
                ));
            }
        }
        Ok(())
    }

    /// Sets the options that differ from the C defaults on the layer just added
    /// (unit_forget_bias and reset_after only differ when Lstm's or Gru's builder set them).
    fn set_options(&self, model: &mut Model) -> Result<()> {
        if self.dropout != 0.0 {
            model.set_layer_float(-1, LayerOption::Dropout, self.dropout)?;
        }
        if self.recurrent_dropout != 0.0 {
            model.set_layer_float(-1, LayerOption::RecurrentDropout, self.recurrent_dropout)?;
        }
        if self.go_backwards {
            model.set_layer_int(-1, LayerOption::GoBackwards, 1)?;
        }
        if !self.unit_forget_bias {
            model.set_layer_int(-1, LayerOption::UnitForgetBias, 0)?;
        }
        if !self.reset_after {
            model.set_layer_int(-1, LayerOption::ResetAfter, 0)?;
        }
        Ok(())
    }
}

macro_rules! recurrent_builder {
    ($name:ident) => {
        impl $name {
            /// The activation inside the cell (element-wise; default tanh).
            pub fn activation(mut self, activation: Activation) -> $name {
                self.0.activation = activation;
                self
            }
            /// With a bias (default true).
            pub fn use_bias(mut self, use_bias: bool) -> $name {
                self.0.use_bias = use_bias;
                self
            }
            /// One output per step, (timesteps, units), instead of the last (default false).
            pub fn return_sequences(mut self, return_sequences: bool) -> $name {
                self.0.return_sequences = return_sequences;
                self
            }
            /// Fraction in [0, 1) of the input features dropped while training (default 0).
            pub fn dropout(mut self, rate: f64) -> $name {
                self.0.dropout = rate;
                self
            }
            /// Fraction in [0, 1) of the state dropped before the recurrent kernel (default 0).
            pub fn recurrent_dropout(mut self, rate: f64) -> $name {
                self.0.recurrent_dropout = rate;
                self
            }
            /// Processes the steps last to first (default false).
            pub fn go_backwards(mut self, go_backwards: bool) -> $name {
                self.0.go_backwards = go_backwards;
                self
            }
        }
    };
}

/// LSTM: gates i, f, c, o; Glorot-uniform kernel, orthogonal recurrent kernel, bias with
/// ones in the forget gate. Input (timesteps, features). Keras' defaults: tanh, sigmoid,
/// a bias, unit_forget_bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lstm(Recurrent);

impl Lstm {
    /// LSTM(units) with Keras' defaults.
    pub fn new(units: i64) -> Lstm {
        Lstm(Recurrent::new(units))
    }
    /// The activation of the gates (default sigmoid).
    pub fn recurrent_activation(mut self, activation: Activation) -> Lstm {
        self.0.recurrent_activation = activation;
        self
    }
    /// Whether the forget gate's bias starts at 1 (default true).
    pub fn unit_forget_bias(mut self, unit_forget_bias: bool) -> Lstm {
        self.0.unit_forget_bias = unit_forget_bias;
        self
    }
}
recurrent_builder!(Lstm);

impl Layer for Lstm {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let r = &self.0;
        r.check_options("Lstm")?;
        check(unsafe {
            sys::deep_model_add_lstm(
                model.ptr(), r.units, r.activation as i32, r.recurrent_activation as i32,
                r.use_bias as i32, r.return_sequences as i32,
            )
        })?;
        r.set_options(model)
    }
}

/// GRU with TensorFlow 2's reset_after: gates z, r, n; bias (2, 3 * units). Keras'
/// defaults: tanh, sigmoid, a bias.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gru(Recurrent);

impl Gru {
    /// GRU(units) with Keras' defaults.
    pub fn new(units: i64) -> Gru {
        Gru(Recurrent::new(units))
    }
    /// The activation of the gates (default sigmoid).
    pub fn recurrent_activation(mut self, activation: Activation) -> Gru {
        self.0.recurrent_activation = activation;
        self
    }
    /// TensorFlow 2's reset gate after the recurrent kernel (default true); false is the
    /// original GRU (Keras' reset_after=False), with a (1, 3 * units) bias.
    pub fn reset_after(mut self, reset_after: bool) -> Gru {
        self.0.reset_after = reset_after;
        self
    }
}
recurrent_builder!(Gru);

impl Layer for Gru {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let r = &self.0;
        r.check_options("Gru")?;
        check(unsafe {
            sys::deep_model_add_gru(
                model.ptr(), r.units, r.activation as i32, r.recurrent_activation as i32,
                r.use_bias as i32, r.return_sequences as i32,
            )
        })?;
        r.set_options(model)
    }
}

/// SimpleRNN: h = activation(x . kernel + h . recurrent_kernel + bias); default tanh.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimpleRnn(Recurrent);

impl SimpleRnn {
    /// SimpleRNN(units) with Keras' defaults.
    pub fn new(units: i64) -> SimpleRnn {
        SimpleRnn(Recurrent::new(units))
    }
}
recurrent_builder!(SimpleRnn);

impl Layer for SimpleRnn {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let r = &self.0;
        r.check_options("SimpleRnn")?;
        check(unsafe {
            sys::deep_model_add_simple_rnn(model.ptr(), r.units, r.activation as i32, r.use_bias as i32, r.return_sequences as i32)
        })?;
        r.set_options(model)
    }
}

/// Conv1D (library 1.1): `filters` kernels of `kernel_size` steps over (steps, channels)
/// samples. Defaults: strides 1, valid padding, dilation_rate 1, linear activation, a bias.
/// Padding may also be [`Padding::Causal`]; dilation_rate > 1 needs strides 1, as Keras.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv1d {
    filters: i64,
    kernel_size: i64,
    strides: i64,
    padding: Padding,
    dilation_rate: i64,
    activation: Activation,
    use_bias: bool,
}

impl Conv1d {
    /// Conv1D(filters, kernel_size) with Keras' defaults.
    pub fn new(filters: i64, kernel_size: i64) -> Conv1d {
        Conv1d {
            filters,
            kernel_size,
            strides: 1,
            padding: Padding::Valid,
            dilation_rate: 1,
            activation: Activation::Linear,
            use_bias: true,
        }
    }
    /// The step of the window, default 1.
    pub fn strides(mut self, strides: i64) -> Conv1d {
        self.strides = strides;
        self
    }
    /// Valid (default), same or causal padding.
    pub fn padding(mut self, padding: Padding) -> Conv1d {
        self.padding = padding;
        self
    }
    /// The steps between the window's taps, default 1.
    pub fn dilation_rate(mut self, dilation_rate: i64) -> Conv1d {
        self.dilation_rate = dilation_rate;
        self
    }
    /// The activation applied to the output.
    pub fn activation(mut self, activation: Activation) -> Conv1d {
        self.activation = activation;
        self
    }
    /// With a bias (default true).
    pub fn use_bias(mut self, use_bias: bool) -> Conv1d {
        self.use_bias = use_bias;
        self
    }
}

impl Layer for Conv1d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let s = self;
        check(unsafe {
            sys::deep_model_add_conv1d(
                model.ptr(), s.filters, s.kernel_size, s.strides, s.padding as i32, s.dilation_rate,
                s.activation as i32, s.use_bias as i32,
            )
        })
    }
}

/// MaxPooling1D (library 1.1): the largest value of each channel over `pool_size` steps;
/// defaults: strides the pool size, valid padding (Keras' pool_size default is 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPooling1d {
    pool_size: i64,
    strides: Option<i64>,
    padding: Padding,
}

impl MaxPooling1d {
    /// MaxPooling1D(pool_size), strides the pool size, valid padding.
    pub fn new(pool_size: i64) -> MaxPooling1d {
        MaxPooling1d { pool_size, strides: None, padding: Padding::Valid }
    }
    /// A step other than the pool size.
    pub fn strides(mut self, strides: i64) -> MaxPooling1d {
        self.strides = Some(strides);
        self
    }
    /// Valid (default) or same padding.
    pub fn padding(mut self, padding: Padding) -> MaxPooling1d {
        self.padding = padding;
        self
    }
}

impl Layer for MaxPooling1d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let strides = self.strides.unwrap_or(0); // 0: the pool size
        check(unsafe { sys::deep_model_add_max_pooling1d(model.ptr(), self.pool_size, strides, self.padding as i32) })
    }
}

macro_rules! global_pooling {
    ($(#[$doc:meta])* $name:ident, $add:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            keepdims: bool,
        }

        impl $name {
            /// Without keepdims, as Keras' default.
            pub fn new() -> $name {
                $name { keepdims: false }
            }
            /// Keeps the pooled axes with size 1 (Keras' keepdims).
            pub fn keepdims(mut self, keepdims: bool) -> $name {
                self.keepdims = keepdims;
                self
            }
        }

        impl Layer for $name {
            fn add_to(&self, model: &mut Model) -> Result<()> {
                check(unsafe { $add(model.ptr(), self.keepdims as i32) })
            }
        }
    };
}

global_pooling!(
    /// GlobalAveragePooling1D (library 1.1): (steps, channels) to (channels,), or (1, channels)
    /// with keepdims. After a mask it averages the real steps only, as Keras.
    GlobalAveragePooling1d, sys::deep_model_add_global_average_pooling1d
);
global_pooling!(
    /// GlobalMaxPooling2D (library 1.1): (height, width, channels) to (channels,), or
    /// (1, 1, channels) with keepdims.
    GlobalMaxPooling2d, sys::deep_model_add_global_max_pooling2d
);

/// Permute (library 1.1): output axis i of a sample is its input axis `dims[i]`, numbered
/// from 1 as Keras (the batch axis is not counted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permute {
    dims: Vec<i32>,
}

impl Permute {
    /// Permute(dims), e.g. `&[2, 1]` to swap the axes of (steps, features) samples.
    pub fn new(dims: &[i32]) -> Permute {
        Permute { dims: dims.to_vec() }
    }
}

impl Layer for Permute {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let rank = i32::try_from(self.dims.len()).unwrap_or(i32::MAX);
        check(unsafe { sys::deep_model_add_permute(model.ptr(), rank, self.dims.as_ptr()) })
    }
}

/// RepeatVector (library 1.1): (features,) samples to (n, features).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepeatVector {
    n: i64,
}

impl RepeatVector {
    /// RepeatVector(n).
    pub fn new(n: i64) -> RepeatVector {
        RepeatVector { n }
    }
}

impl Layer for RepeatVector {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_repeat_vector(model.ptr(), self.n) })
    }
}

// ---- layer types since libdeep 1.1 (issue #16) -----------------------------------------

/// LayerNormalization with Keras' axis=-1: each sample's values along the last axis are
/// normalised by their own mean and variance, then scaled by gamma (`scale`) and shifted by
/// beta (`center`), weights in that order. Keras' defaults: epsilon 0.001, center and scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerNormalization {
    epsilon: f64,
    center: bool,
    scale: bool,
}

impl LayerNormalization {
    /// LayerNormalization with Keras' defaults.
    pub fn new() -> LayerNormalization {
        LayerNormalization { epsilon: 0.001, center: true, scale: true }
    }
    /// Added to the variance, > 0 (kept and checked as an f32).
    pub fn epsilon(mut self, epsilon: f64) -> LayerNormalization {
        self.epsilon = epsilon;
        self
    }
    /// Whether it learns the offset beta (default true).
    pub fn center(mut self, center: bool) -> LayerNormalization {
        self.center = center;
        self
    }
    /// Whether it learns the scale gamma (default true).
    pub fn scale(mut self, scale: bool) -> LayerNormalization {
        self.scale = scale;
        self
    }
}

impl Default for LayerNormalization {
    fn default() -> Self {
        LayerNormalization::new()
    }
}

impl Layer for LayerNormalization {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe {
            sys::deep_model_add_layer_normalization(model.ptr(), self.epsilon, self.center as i32, self.scale as i32)
        })
    }
}

/// DepthwiseConv2D: each input channel convolved on its own with `depth_multiplier` kernels,
/// giving channels * depth_multiplier output channels; weights kernel (kh, kw, channels,
/// depth_multiplier) and bias, as Keras. Defaults: strides (1, 1), valid padding,
/// depth_multiplier 1, linear activation, a bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthwiseConv2d {
    kernel: (i64, i64),
    strides: (i64, i64),
    padding: Padding,
    depth_multiplier: i64,
    activation: Activation,
    use_bias: bool,
}

impl DepthwiseConv2d {
    /// DepthwiseConv2D(kernel) with Keras' defaults.
    pub fn new(kernel: (i64, i64)) -> DepthwiseConv2d {
        DepthwiseConv2d {
            kernel,
            strides: (1, 1),
            padding: Padding::Valid,
            depth_multiplier: 1,
            activation: Activation::Linear,
            use_bias: true,
        }
    }
    /// The strides (rows, columns), default (1, 1).
    pub fn strides(mut self, strides: (i64, i64)) -> DepthwiseConv2d {
        self.strides = strides;
        self
    }
    /// Valid (default) or same padding.
    pub fn padding(mut self, padding: Padding) -> DepthwiseConv2d {
        self.padding = padding;
        self
    }
    /// Output channels per input channel, default 1.
    pub fn depth_multiplier(mut self, depth_multiplier: i64) -> DepthwiseConv2d {
        self.depth_multiplier = depth_multiplier;
        self
    }
    /// The activation applied to the output.
    pub fn activation(mut self, activation: Activation) -> DepthwiseConv2d {
        self.activation = activation;
        self
    }
    /// With a bias (default true).
    pub fn use_bias(mut self, use_bias: bool) -> DepthwiseConv2d {
        self.use_bias = use_bias;
        self
    }
}

impl Layer for DepthwiseConv2d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe {
            sys::deep_model_add_depthwise_conv2d(
                model.ptr(),
                self.kernel.0,
                self.kernel.1,
                self.strides.0,
                self.strides.1,
                self.padding as i32,
                self.depth_multiplier,
                self.activation as i32,
                self.use_bias as i32,
            )
        })
    }
}

/// SeparableConv2D: [`DepthwiseConv2d`]'s convolution without its bias, then a 1x1
/// convolution to `filters` channels, the bias and the activation; weights
/// depthwise_kernel, pointwise_kernel and bias, as Keras. Defaults as DepthwiseConv2d's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeparableConv2d {
    filters: i64,
    depthwise: DepthwiseConv2d,
}

impl SeparableConv2d {
    /// SeparableConv2D(filters, kernel) with Keras' defaults.
    pub fn new(filters: i64, kernel: (i64, i64)) -> SeparableConv2d {
        SeparableConv2d { filters, depthwise: DepthwiseConv2d::new(kernel) }
    }
    /// The strides (rows, columns), default (1, 1).
    pub fn strides(mut self, strides: (i64, i64)) -> SeparableConv2d {
        self.depthwise = self.depthwise.strides(strides);
        self
    }
    /// Valid (default) or same padding.
    pub fn padding(mut self, padding: Padding) -> SeparableConv2d {
        self.depthwise = self.depthwise.padding(padding);
        self
    }
    /// Depthwise output channels per input channel, default 1.
    pub fn depth_multiplier(mut self, depth_multiplier: i64) -> SeparableConv2d {
        self.depthwise = self.depthwise.depth_multiplier(depth_multiplier);
        self
    }
    /// The activation applied to the output.
    pub fn activation(mut self, activation: Activation) -> SeparableConv2d {
        self.depthwise = self.depthwise.activation(activation);
        self
    }
    /// With a bias (default true).
    pub fn use_bias(mut self, use_bias: bool) -> SeparableConv2d {
        self.depthwise = self.depthwise.use_bias(use_bias);
        self
    }
}

impl Layer for SeparableConv2d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let d = &self.depthwise;
        check(unsafe {
            sys::deep_model_add_separable_conv2d(
                model.ptr(),
                self.filters,
                d.kernel.0,
                d.kernel.1,
                d.strides.0,
                d.strides.1,
                d.padding as i32,
                d.depth_multiplier,
                d.activation as i32,
                d.use_bias as i32,
            )
        })
    }
}

macro_rules! merge_layer {
    ($(#[$doc:meta])* $name:ident, $add:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name;

        impl Layer for $name {
            fn add_to(&self, model: &mut Model) -> Result<()> {
                check(unsafe { $add(model.ptr()) })
            }
        }
    };
}

// Merge layers (Keras' Add, ..., Concatenate), since libdeep 1.1: each joins the 2 to 16
// nodes chosen just before with Model::connect (one node is Status::InvalidArgument). The
// element-wise ones need inputs of one shape (Status::Shape naming both; no broadcasting).
merge_layer!(
    /// Add: the element-wise sum of the connected nodes.
    Add,
    sys::deep_model_add_add
);
merge_layer!(
    /// Subtract: the first connected node minus the second (exactly two).
    Subtract,
    sys::deep_model_add_subtract
);
merge_layer!(
    /// Multiply: the element-wise product.
    Multiply,
    sys::deep_model_add_multiply
);
merge_layer!(
    /// Average: the element-wise mean.
    Average,
    sys::deep_model_add_average
);
merge_layer!(
    /// Maximum: the element-wise maximum (the gradient goes to the first input holding it).
    Maximum,
    sys::deep_model_add_maximum
);
merge_layer!(
    /// Minimum: the element-wise minimum.
    Minimum,
    sys::deep_model_add_minimum
);

/// Concatenate(axis): the connected nodes joined along `axis` (Keras': 1 is a sample's
/// first axis, -1 its last), agreeing on every other axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Concatenate {
    axis: i64,
}

impl Concatenate {
    /// Concatenate along `axis`.
    pub fn new(axis: i64) -> Concatenate {
        Concatenate { axis }
    }
}

impl Default for Concatenate {
    /// Keras' default, the last axis.
    fn default() -> Concatenate {
        Concatenate::new(-1)
    }
}

impl Layer for Concatenate {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_concatenate(model.ptr(), self.axis) })
    }
}
