//! Keras' per-layer weight arguments (library 1.2): initializers, regularizers and
//! constraints of the weights a [`WeightRole`] names, set before compile on a layer indexed
//! as for [`Model::set_layer_int`] (0 the first added, -1 the last).
use libdeep_sys as sys;

use crate::error::{check, Result};
use crate::model::Model;

c_enum!(
    /// Which weights of a layer a setting is for (`deep_weight_role`).
    WeightRole {
        /// `kernel_*`; also a depthwise/pointwise kernel and an Embedding's embeddings.
        Kernel = sys::DEEP_WEIGHT_KERNEL,
        /// `bias_*`.
        Bias = sys::DEEP_WEIGHT_BIAS,
        /// `recurrent_*` of LSTM, GRU and SimpleRNN.
        RecurrentKernel = sys::DEEP_WEIGHT_RECURRENT_KERNEL,
        /// `gamma_*` of BatchNormalization and LayerNormalization.
        Gamma = sys::DEEP_WEIGHT_GAMMA,
        /// `beta_*` of the same.
        Beta = sys::DEEP_WEIGHT_BETA,
        /// `activity_regularizer`: the layer's output (regularizers only).
        Activity = sys::DEEP_WEIGHT_ACTIVITY,
    }
);
c_enum!(
    /// Keras' initializers (`deep_initializer`); `a` and `b` are the parameters deep.h lists.
    Initializer {
        /// The layer's own.
        Default = sys::DEEP_INITIALIZER_DEFAULT,
        /// All 0.
        Zeros = sys::DEEP_INITIALIZER_ZEROS,
        /// All 1.
        Ones = sys::DEEP_INITIALIZER_ONES,
        /// All `a`.
        Constant = sys::DEEP_INITIALIZER_CONSTANT,
        /// Normal of mean `a`, stddev `b`.
        RandomNormal = sys::DEEP_INITIALIZER_RANDOM_NORMAL,
        /// U(`a`, `b`).
        RandomUniform = sys::DEEP_INITIALIZER_RANDOM_UNIFORM,
        /// Normal of mean `a`, stddev `b`, redrawn beyond 2 stddev.
        TruncatedNormal = sys::DEEP_INITIALIZER_TRUNCATED_NORMAL,
        /// U(-l, l), l = sqrt(6 / (fan_in + fan_out)).
        GlorotUniform = sys::DEEP_INITIALIZER_GLOROT_UNIFORM,
        /// Truncated normal of variance 2 / (fan_in + fan_out).
        GlorotNormal = sys::DEEP_INITIALIZER_GLOROT_NORMAL,
        /// Truncated normal of variance 2 / fan_in.
        HeNormal = sys::DEEP_INITIALIZER_HE_NORMAL,
        /// U(-l, l), l = sqrt(6 / fan_in).
        HeUniform = sys::DEEP_INITIALIZER_HE_UNIFORM,
        /// Truncated normal of variance 1 / fan_in.
        LecunNormal = sys::DEEP_INITIALIZER_LECUN_NORMAL,
        /// U(-l, l), l = sqrt(3 / fan_in).
        LecunUniform = sys::DEEP_INITIALIZER_LECUN_UNIFORM,
        /// `a` (gain) times an orthogonal matrix.
        Orthogonal = sys::DEEP_INITIALIZER_ORTHOGONAL,
    }
);
c_enum!(
    /// Keras' weight constraints (`deep_constraint`), applied after each update.
    Constraint {
        /// None.
        None = sys::DEEP_CONSTRAINT_NONE,
        /// Norms clipped to `max_value`.
        MaxNorm = sys::DEEP_CONSTRAINT_MAX_NORM,
        /// max(w, 0).
        NonNeg = sys::DEEP_CONSTRAINT_NON_NEG,
        /// Norms made 1.
        UnitNorm = sys::DEEP_CONSTRAINT_UNIT_NORM,
        /// Norms become rate * clip(norm, min, max) + (1 - rate) * norm.
        MinMaxNorm = sys::DEEP_CONSTRAINT_MIN_MAX_NORM,
    }
);

const INITIALIZERS: [Initializer; 14] = [
    Initializer::Default, Initializer::Zeros, Initializer::Ones, Initializer::Constant, Initializer::RandomNormal,
    Initializer::RandomUniform, Initializer::TruncatedNormal, Initializer::GlorotUniform, Initializer::GlorotNormal,
    Initializer::HeNormal, Initializer::HeUniform, Initializer::LecunNormal, Initializer::LecunUniform,
    Initializer::Orthogonal,
];
const CONSTRAINTS: [Constraint; 5] =
    [Constraint::None, Constraint::MaxNorm, Constraint::NonNeg, Constraint::UnitNorm, Constraint::MinMaxNorm];

/// A constraint with its values, as [`Model::layer_constraint`] reads it back.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstraintSetting {
    /// Which constraint.
    pub constraint: Constraint,
    /// MinMaxNorm's lower bound (0 otherwise).
    pub min_value: f64,
    /// MaxNorm's and MinMaxNorm's upper bound (0 otherwise).
    pub max_value: f64,
    /// MinMaxNorm's rate (0 otherwise).
    pub rate: f64,
    /// The axes the norms are taken over, as given.
    pub axes: Vec<i32>,
}

impl Model {
    /// Sets the initializer of the layer's weights of `role` (Keras' `kernel_initializer`,
    /// ...), drawn from the model's seed by compile (library 1.2).
    pub fn set_layer_initializer(&mut self, layer: i32, role: WeightRole, init: Initializer, a: f64, b: f64) -> Result<()> {
        check(unsafe { sys::deep_model_set_layer_initializer(self.ptr(), layer, role as i32, init as i32, a, b) })
    }

    /// The initializer set for `role` and its parameters (`Default`, 0, 0 when never set).
    pub fn layer_initializer(&self, layer: i32, role: WeightRole) -> Result<(Initializer, f64, f64)> {
        let (mut kind, mut a, mut b) = (0i32, 0f64, 0f64);
        check(unsafe { sys::deep_model_get_layer_initializer(self.ptr(), layer, role as i32, &mut kind, &mut a, &mut b) })?;
        let init = INITIALIZERS.iter().copied().find(|i| *i as i32 == kind).unwrap_or(Initializer::Default);
        Ok((init, a, b))
    }

    /// Keras' L1L2 regularizer of the weights of `role` (of the output divided by the batch
    /// size for [`WeightRole::Activity`]), added to the loss fit and evaluate report.
    pub fn set_layer_regularizer(&mut self, layer: i32, role: WeightRole, l1: f64, l2: f64) -> Result<()> {
        check(unsafe { sys::deep_model_set_layer_regularizer(self.ptr(), layer, role as i32, l1, l2) })
    }

    /// The l1 and l2 set for `role` (0, 0 when never set).
    pub fn layer_regularizer(&self, layer: i32, role: WeightRole) -> Result<(f64, f64)> {
        let (mut l1, mut l2) = (0f64, 0f64);
        check(unsafe { sys::deep_model_get_layer_regularizer(self.ptr(), layer, role as i32, &mut l1, &mut l2) })?;
        Ok((l1, l2))
    }

    /// Sets the constraint of the weights of `role`, norms over `axes` (Keras' axis: `&[0]`
    /// by default, `&[0, 1, 2]` for a Conv2D kernel; negative from the end; none for
    /// `NonNeg`). Values deep.h does not use for that constraint are ignored.
    pub fn set_layer_constraint(&mut self, layer: i32, role: WeightRole, constraint: Constraint, min_value: f64,
                                max_value: f64, rate: f64, axes: &[i32]) -> Result<()> {
        let count = i32::try_from(axes.len()).unwrap_or(i32::MAX);
        check(unsafe {
            sys::deep_model_set_layer_constraint(self.ptr(), layer, role as i32, constraint as i32, min_value, max_value,
                                                 rate, axes.as_ptr(), count)
        })
    }

    /// The constraint set for `role`, its values and its axes.
    pub fn layer_constraint(&self, layer: i32, role: WeightRole) -> Result<ConstraintSetting> {
        let (mut kind, mut lo, mut hi, mut rate) = (0i32, 0f64, 0f64, 0f64);
        let mut axes = [0i32; 8];
        let mut count = 0i32;
        check(unsafe {
            sys::deep_model_get_layer_constraint(self.ptr(), layer, role as i32, &mut kind, &mut lo, &mut hi, &mut rate,
                                                 axes.as_mut_ptr(), &mut count)
        })?;
        let constraint = CONSTRAINTS.iter().copied().find(|c| *c as i32 == kind).unwrap_or(Constraint::None);
        Ok(ConstraintSetting { constraint, min_value: lo, max_value: hi, rate, axes: axes[..count as usize].to_vec() })
    }
}
