//! Optimizers: how a model's weights move along their gradients, with Keras' defaults.
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

use crate::error::{check, Result};

c_enum!(
    /// An optimizer kind (`deep_optimizer_kind`), each with Keras' defaults.
    OptimizerKind {
        /// learning_rate 0.01, momentum 0, nesterov 0.
        Sgd = sys::DEEP_OPTIMIZER_SGD,
        /// learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
        Adam = sys::DEEP_OPTIMIZER_ADAM,
        /// learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7.
        RmsProp = sys::DEEP_OPTIMIZER_RMSPROP,
        /// learning_rate 0.001, initial_accumulator 0.1, epsilon 1e-7.
        Adagrad = sys::DEEP_OPTIMIZER_ADAGRAD,
    }
);
c_enum!(
    /// An optimizer setting (`deep_optimizer_option`).
    OptimizerOption {
        /// Every kind; > 0.
        LearningRate = sys::DEEP_OPT_LEARNING_RATE,
        /// SGD, RMSprop; in [0, 1).
        Momentum = sys::DEEP_OPT_MOMENTUM,
        /// SGD; 0 or 1.
        Nesterov = sys::DEEP_OPT_NESTEROV,
        /// Adam; in [0, 1).
        Beta1 = sys::DEEP_OPT_BETA_1,
        /// Adam; in [0, 1).
        Beta2 = sys::DEEP_OPT_BETA_2,
        /// Adam, RMSprop, Adagrad; > 0.
        Epsilon = sys::DEEP_OPT_EPSILON,
        /// RMSprop; in [0, 1).
        Rho = sys::DEEP_OPT_RHO,
        /// Adagrad; >= 0.
        InitialAccumulator = sys::DEEP_OPT_INITIAL_ACCUMULATOR,
    }
);

/// Moves a model's weights along their gradients; [`crate::Model::compile`] takes it over.
pub struct Optimizer {
    raw: NonNull<sys::deep_optimizer>,
}
handle!(Optimizer, sys::deep_optimizer, sys::deep_optimizer_free);
unsafe impl Send for Optimizer {}

fn set(raw: *mut sys::deep_optimizer, option: OptimizerOption, value: f64) -> Result<()> {
    check(unsafe { sys::deep_optimizer_set_float(raw, option as i32, value) })
}

fn get(raw: *mut sys::deep_optimizer, option: OptimizerOption) -> Result<f64> {
    let mut value = 0f64;
    check(unsafe { sys::deep_optimizer_get_float(raw, option as i32, &mut value) })?;
    Ok(value)
}

impl Optimizer {
    /// An optimizer with Keras' defaults for its kind.
    pub fn new(kind: OptimizerKind) -> Result<Optimizer> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_optimizer_new(kind as i32, &mut raw) })?;
        Ok(Optimizer::from_raw(raw))
    }

    /// Sets an option; one that does not apply to the kind is `Status::InvalidArgument`.
    pub fn set(&mut self, option: OptimizerOption, value: f64) -> Result<()> {
        set(self.ptr(), option, value)
    }

    /// The current value of an option.
    pub fn get(&self, option: OptimizerOption) -> Result<f64> {
        get(self.ptr(), option)
    }
}

/// The optimizer a compiled model owns (`deep_model_optimizer`), borrowed from the model
/// ([`crate::Model::optimizer`], or [`crate::EpochModel::optimizer`] inside an epoch
/// callback to change the learning rate between epochs).
pub struct OptimizerRef<'a> {
    raw: NonNull<sys::deep_optimizer>,
    _model: PhantomData<&'a mut ()>,
}

impl<'a> OptimizerRef<'a> {
    /// The optimizer of a model, borrowed for `'a`.
    pub(crate) fn of(model: *mut sys::deep_model) -> Result<OptimizerRef<'a>> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_optimizer(model, &mut raw) })?;
        let raw = NonNull::new(raw).expect("libdeep returned a NULL optimizer");
        Ok(OptimizerRef { raw, _model: PhantomData })
    }

    /// Sets an option, as [`Optimizer::set`].
    pub fn set(&mut self, option: OptimizerOption, value: f64) -> Result<()> {
        set(self.raw.as_ptr(), option, value)
    }

    /// The current value of an option.
    pub fn get(&self, option: OptimizerOption) -> Result<f64> {
        get(self.raw.as_ptr(), option)
    }
}

impl std::fmt::Debug for OptimizerRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OptimizerRef({:p})", self.raw)
    }
}
