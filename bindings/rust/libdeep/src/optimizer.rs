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
        /// Keras' Nadam: learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7. Since 1.1.
        Nadam = sys::DEEP_OPTIMIZER_NADAM,
        /// Adam with decoupled weight decay 0.004. Since 1.1.
        AdamW = sys::DEEP_OPTIMIZER_ADAMW,
        /// learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7. Since 1.1.
        Adamax = sys::DEEP_OPTIMIZER_ADAMAX,
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
        /// Every kind, >= 0 (0 off; AdamW 0.004): w -= w * decay * learning_rate before each
        /// step. Since 1.1.
        WeightDecay = sys::DEEP_OPT_WEIGHT_DECAY,
        /// Every kind, >= 0 (0 off): each weight tensor's gradient norm at most this. At most
        /// one of the three clipping options is set. Since 1.1.
        ClipNorm = sys::DEEP_OPT_CLIPNORM,
        /// Every kind, >= 0 (0 off): each gradient element within [-v, v]. Since 1.1.
        ClipValue = sys::DEEP_OPT_CLIPVALUE,
        /// Every kind, >= 0 (0 off): all gradients' joint norm at most this. Since 1.1.
        GlobalClipNorm = sys::DEEP_OPT_GLOBAL_CLIPNORM,
        /// Adam, AdamW; 0 or 1, fixed once compiled. Since 1.1.
        AmsGrad = sys::DEEP_OPT_AMSGRAD,
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

    /// Makes `schedule` the learning rate (Keras' `learning_rate=schedule`), or removes the
    /// schedule with `None`. The optimizer takes the schedule over; while it has one,
    /// setting `LearningRate` is a `Status::State` error and `LearningRate` reads the rate
    /// of the next step. Since 1.1.
    pub fn set_schedule(&mut self, schedule: Option<Schedule>) -> Result<()> {
        let raw = match schedule {
            Some(s) => {
                let raw = s.ptr();
                std::mem::forget(s); // freed by the optimizer from now on
                raw
            }
            None => ptr::null_mut(),
        };
        check(unsafe { sys::deep_optimizer_set_schedule(self.ptr(), raw) })
    }

    /// Whether the learning rate follows a schedule. Since 1.1.
    pub fn has_schedule(&self) -> Result<bool> {
        let mut raw: *const sys::deep_schedule = ptr::null();
        check(unsafe { sys::deep_optimizer_get_schedule(self.ptr(), &mut raw) })?;
        Ok(!raw.is_null())
    }
}

c_enum!(
    /// A learning-rate schedule kind (`deep_schedule_kind`). Since 1.1.
    ScheduleKind {
        /// Keras' ExponentialDecay.
        ExponentialDecay = sys::DEEP_SCHEDULE_EXPONENTIAL_DECAY,
        /// Keras' PiecewiseConstantDecay.
        PiecewiseConstantDecay = sys::DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY,
        /// Keras' CosineDecay (with optional warm-up).
        CosineDecay = sys::DEEP_SCHEDULE_COSINE_DECAY,
    }
);

/// A learning-rate schedule, Keras' `LearningRateSchedule`: the rate as a function of the
/// optimizer's step count; [`Optimizer::set_schedule`] takes it over. Since 1.1.
pub struct Schedule {
    raw: NonNull<sys::deep_schedule>,
}
handle!(Schedule, sys::deep_schedule, sys::deep_schedule_free);
unsafe impl Send for Schedule {}

impl Schedule {
    /// `initial * rate^(step / steps)`, the exponent floored with `staircase`.
    pub fn exponential_decay(initial: f64, steps: i64, rate: f64, staircase: bool) -> Result<Schedule> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_schedule_new_exponential_decay(initial, steps, rate, staircase as i32, &mut raw) })?;
        Ok(Schedule::from_raw(raw))
    }

    /// `values[0]` up to `boundaries[0]`, `values[i]` up to `boundaries[i]`, the last value
    /// after; `values` has one entry more than `boundaries`.
    pub fn piecewise_constant_decay(boundaries: &[i64], values: &[f64]) -> Result<Schedule> {
        if values.len() != boundaries.len() + 1 {
            return Err(crate::error::Error::new(
                crate::Status::InvalidArgument,
                format!(
                    "Schedule::piecewise_constant_decay: {} boundaries need {} values, got {}",
                    boundaries.len(),
                    boundaries.len() + 1,
                    values.len()
                ),
            ));
        }
        let mut raw = ptr::null_mut();
        check(unsafe {
            sys::deep_schedule_new_piecewise_constant_decay(
                boundaries.as_ptr(),
                boundaries.len() as i64,
                values.as_ptr(),
                &mut raw,
            )
        })?;
        Ok(Schedule::from_raw(raw))
    }

    /// Keras' CosineDecay; `warmup_target` `None` is Keras' `None` (no warm-up).
    pub fn cosine_decay(
        initial: f64,
        steps: i64,
        alpha: f64,
        warmup_target: Option<f64>,
        warmup_steps: i64,
    ) -> Result<Schedule> {
        let mut raw = ptr::null_mut();
        let target = warmup_target.unwrap_or(f64::NAN);
        check(unsafe { sys::deep_schedule_new_cosine_decay(initial, steps, alpha, target, warmup_steps, &mut raw) })?;
        Ok(Schedule::from_raw(raw))
    }

    /// The schedule's kind.
    pub fn kind(&self) -> Result<ScheduleKind> {
        let mut kind = 0i32;
        check(unsafe { sys::deep_schedule_kind_of(self.ptr(), &mut kind) })?;
        Ok(match kind {
            sys::DEEP_SCHEDULE_EXPONENTIAL_DECAY => ScheduleKind::ExponentialDecay,
            sys::DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY => ScheduleKind::PiecewiseConstantDecay,
            _ => ScheduleKind::CosineDecay,
        })
    }

    /// The rate at `step` (>= 0), Keras' `schedule(step)`.
    pub fn learning_rate(&self, step: i64) -> Result<f64> {
        let mut value = 0f64;
        check(unsafe { sys::deep_schedule_learning_rate(self.ptr(), step, &mut value) })?;
        Ok(value)
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
