//! Sequential models: create, compile, fit, evaluate, predict, settings and history. The
//! layers are in `layers`, files and weights in `modelio`, callbacks in `callbacks`.
use std::fmt;
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

use crate::callbacks::Hooks;
use crate::convert::{array_sized, c_string, len64, rank, size, text_sized};
use crate::data::Dataset;
use crate::error::{check, Result};
use crate::optimizer::{Optimizer, OptimizerRef};
use crate::tensor::Tensor;

c_enum!(
    /// What a model minimises (`deep_loss`).
    Loss {
        /// Float targets.
        MeanSquaredError = sys::DEEP_LOSS_MEAN_SQUARED_ERROR,
        /// Float targets in [0, 1].
        BinaryCrossentropy = sys::DEEP_LOSS_BINARY_CROSSENTROPY,
        /// One-hot targets ([`Dataset::to_categorical`]).
        CategoricalCrossentropy = sys::DEEP_LOSS_CATEGORICAL_CROSSENTROPY,
        /// Integer labels.
        SparseCategoricalCrossentropy = sys::DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
        /// Mean |p - y| (Keras' formulas in deep.h; float targets from here on).
        MeanAbsoluteError = sys::DEEP_LOSS_MEAN_ABSOLUTE_ERROR,
        /// 100 mean |p - y| / max(|y|, 1e-7).
        MeanAbsolutePercentageError = sys::DEEP_LOSS_MEAN_ABSOLUTE_PERCENTAGE_ERROR,
        /// Huber, with delta [`ModelOption::HuberDelta`] (1.0 by default).
        Huber = sys::DEEP_LOSS_HUBER,
        /// Mean log(cosh(p - y)).
        LogCosh = sys::DEEP_LOSS_LOG_COSH,
        /// Mean max(1 - y p, 0); targets -1 or 1 (0 or 1 become -1 or 1, as Keras).
        Hinge = sys::DEEP_LOSS_HINGE,
        /// Mean max(1 - y p, 0)^2; targets as hinge.
        SquaredHinge = sys::DEEP_LOSS_SQUARED_HINGE,
        /// Keras' categorical hinge; one-hot targets.
        CategoricalHinge = sys::DEEP_LOSS_CATEGORICAL_HINGE,
        /// Kullback-Leibler divergence, targets and predictions clipped to [1e-7, 1].
        KlDivergence = sys::DEEP_LOSS_KL_DIVERGENCE,
        /// Mean p - y log(p + 1e-7).
        Poisson = sys::DEEP_LOSS_POISSON,
        /// The negative cosine of each row (Keras' sign: -1 is a perfect match).
        CosineSimilarity = sys::DEEP_LOSS_COSINE_SIMILARITY,
    }
);
c_enum!(
    /// A compiled metric (`deep_metric`); `Loss` names the loss itself in the history.
    Metric {
        /// The loss itself.
        Loss = sys::DEEP_METRIC_LOSS,
        /// Argmax match, or threshold 0.5 for one output.
        Accuracy = sys::DEEP_METRIC_ACCURACY,
        /// The mean of |output - target|.
        MeanAbsoluteError = sys::DEEP_METRIC_MEAN_ABSOLUTE_ERROR,
        /// Since 1.2: Keras' Precision at [`ModelOption::MetricThreshold`], over the epoch.
        Precision = sys::DEEP_METRIC_PRECISION,
        /// Since 1.2: Keras' Recall at [`ModelOption::MetricThreshold`], over the epoch.
        Recall = sys::DEEP_METRIC_RECALL,
        /// Since 1.2: Keras' AUC (ROC; 200 thresholds, Keras' interpolation).
        Auc = sys::DEEP_METRIC_AUC,
        /// Since 1.2: Keras' AUC(curve="PR").
        PrAuc = sys::DEEP_METRIC_PR_AUC,
        /// Since 1.2: the target class among the [`ModelOption::TopK`] largest outputs.
        TopKCategoricalAccuracy = sys::DEEP_METRIC_TOP_K_CATEGORICAL_ACCURACY,
        /// Since 1.2: the mean of (output - target)^2.
        MeanSquaredError = sys::DEEP_METRIC_MEAN_SQUARED_ERROR,
        /// Since 1.2: the root of the epoch's mean squared error.
        RootMeanSquaredError = sys::DEEP_METRIC_ROOT_MEAN_SQUARED_ERROR,
        /// Since 1.2: target == (output > [`ModelOption::MetricThreshold`]), per entry.
        BinaryAccuracy = sys::DEEP_METRIC_BINARY_ACCURACY,
    }
);
c_enum!(
    /// Integer, float and string settings of a model (`deep_model_option`).
    ModelOption {
        /// int: threads of fit and evaluate; 0 = all cores (default).
        Threads = sys::DEEP_MODEL_THREADS,
        /// int: 1 (default) reshuffles the training samples every epoch.
        Shuffle = sys::DEEP_MODEL_SHUFFLE,
        /// float: last fraction of the training data held out, as Keras; 0 = none.
        ValidationSplit = sys::DEEP_MODEL_VALIDATION_SPLIT,
        /// int: epochs without improvement before stopping; 0 = off.
        EarlyStoppingPatience = sys::DEEP_MODEL_EARLY_STOPPING_PATIENCE,
        /// float: smallest decrease of the monitored loss that counts.
        EarlyStoppingMinDelta = sys::DEEP_MODEL_EARLY_STOPPING_MIN_DELTA,
        /// int: 1 (default) logs one line per epoch to the log callback.
        Verbose = sys::DEEP_MODEL_VERBOSE,
        /// int: fit saves a checkpoint every N epochs; 0 = never (default).
        CheckpointPeriod = sys::DEEP_MODEL_CHECKPOINT_PERIOD,
        /// int: the next fit runs epochs initial_epoch .. epochs - 1; set by loading a checkpoint.
        InitialEpoch = sys::DEEP_MODEL_INITIAL_EPOCH,
        /// string: where checkpoints go ([`Model::set_string`]).
        CheckpointPath = sys::DEEP_MODEL_CHECKPOINT_PATH,
        /// float: the Huber loss's delta, > 0 (default 1.0); saved with the compiled model.
        HuberDelta = sys::DEEP_MODEL_HUBER_DELTA,
        /// int 0 or 1 (since 1.2): the cross-entropies read logits (Keras' from_logits).
        FromLogits = sys::DEEP_MODEL_FROM_LOGITS,
        /// float in [0, 1] (since 1.2): Keras' label_smoothing of the binary and categorical
        /// cross-entropies.
        LabelSmoothing = sys::DEEP_MODEL_LABEL_SMOOTHING,
        /// int >= 1 (since 1.2): k of `Metric::TopKCategoricalAccuracy` (default 5).
        TopK = sys::DEEP_MODEL_TOP_K,
        /// float (since 1.2): threshold of precision, recall and binary accuracy (default 0.5).
        MetricThreshold = sys::DEEP_MODEL_METRIC_THRESHOLD,
    }
);

/// A Sequential chain of layers (Keras' Sequential).
pub struct Model {
    pub(crate) raw: NonNull<sys::deep_model>,
    /// The closures of the log and the callbacks, owned here and lent to C as `user`.
    pub(crate) hooks: Option<NonNull<Hooks>>,
}
// deep.h: "Predicting with one model from many threads at once is allowed; fit, evaluate and
// the setters must not run concurrently with any other call" — the latter take &mut self.
// The hooks are only touched by the setters and, through C, by fit (&mut self), so the
// closures need to be Send (the model may move) but never Sync.
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        unsafe { sys::deep_model_free(self.raw.as_ptr()) }
        if let Some(hooks) = self.hooks.take() {
            // The C model, the only other holder of the pointer, is gone.
            drop(unsafe { Box::from_raw(hooks.as_ptr()) });
        }
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Model({:p})", self.raw)
    }
}

/// The C calls behind the read-only model methods, shared with [`crate::EpochModel`].
pub(crate) mod read {
    use super::*;

    pub(crate) fn history_length(raw: *mut sys::deep_model) -> Result<usize> {
        let mut n = 0i64;
        check(unsafe { sys::deep_model_history_length(raw, &mut n) })?;
        Ok(size(n))
    }

    pub(crate) fn history(raw: *mut sys::deep_model, epoch: usize, metric: Metric, validation: bool) -> Result<f64> {
        let mut v = 0f64;
        check(unsafe { sys::deep_model_history(raw, len64(epoch), metric as i32, validation as i32, &mut v) })?;
        Ok(v)
    }

    pub(crate) fn history_output(
        raw: *mut sys::deep_model, epoch: usize, output: i32, metric: Metric, validation: bool,
    ) -> Result<f64> {
        let mut v = 0f64;
        check(unsafe {
            sys::deep_model_history_output(raw, len64(epoch), output, metric as i32, validation as i32, &mut v)
        })?;
        Ok(v)
    }
}

impl Model {
    pub(crate) fn ptr(&self) -> *mut sys::deep_model {
        self.raw.as_ptr()
    }

    /// A model around a handle the library just made (new or loaded).
    pub(crate) fn from_raw(raw: *mut sys::deep_model) -> Model {
        Model { raw: NonNull::new(raw).expect("libdeep returned a NULL model"), hooks: None }
    }

    /// An empty model whose samples have `input_shape` (channels last, no batch axis).
    pub fn new(input_shape: &[i64]) -> Result<Model> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_new(rank(input_shape), input_shape.as_ptr(), &mut raw) })?;
        Ok(Model::from_raw(raw))
    }

    /// Seeds the model's generator: weight initialisation (at compile), shuffling, dropout.
    pub fn set_seed(&mut self, seed: u64) -> Result<()> {
        check(unsafe { sys::deep_model_set_seed(self.ptr(), seed) })
    }

    /// Sets an integer option.
    pub fn set_int(&mut self, option: ModelOption, value: i64) -> Result<()> {
        check(unsafe { sys::deep_model_set_int(self.ptr(), option as i32, value) })
    }

    /// Keras' `ReduceLROnPlateau` for `fit`: the learning rate is multiplied by `factor`
    /// when the monitored loss (validation loss, else training loss) has not improved by
    /// more than `min_delta` for `patience` epochs, then `cooldown` epochs count nothing,
    /// never below `min_lr`. Keras' defaults: 0.1, 10, 1e-4, 0, 0.0; factor 0 turns it
    /// off. Since 1.1.
    pub fn set_reduce_lr_on_plateau(
        &mut self,
        factor: f64,
        patience: i64,
        min_delta: f64,
        cooldown: i64,
        min_lr: f64,
    ) -> Result<()> {
        check(unsafe { sys::deep_model_set_reduce_lr_on_plateau(self.ptr(), factor, patience, min_delta, cooldown, min_lr) })
    }

    /// The settings of `set_reduce_lr_on_plateau` as (factor, patience, min_delta,
    /// cooldown, min_lr), all 0 when off. Since 1.1.
    pub fn reduce_lr_on_plateau(&self) -> Result<(f64, i64, f64, i64, f64)> {
        let (mut f, mut p, mut d, mut c, mut l) = (0f64, 0i64, 0f64, 0i64, 0f64);
        check(unsafe { sys::deep_model_get_reduce_lr_on_plateau(self.ptr(), &mut f, &mut p, &mut d, &mut c, &mut l) })?;
        Ok((f, p, d, c, l))
    }

    /// Sets a float option.
    pub fn set_float(&mut self, option: ModelOption, value: f64) -> Result<()> {
        check(unsafe { sys::deep_model_set_float(self.ptr(), option as i32, value) })
    }

    /// Sets a string option (`ModelOption::CheckpointPath`); None clears it.
    pub fn set_string(&mut self, option: ModelOption, value: Option<&str>) -> Result<()> {
        let value = match value {
            Some(v) => Some(c_string("Model::set_string", v)?),
            None => None,
        };
        let value_ptr = value.as_ref().map_or(ptr::null(), |v| v.as_ptr());
        check(unsafe { sys::deep_model_set_string(self.ptr(), option as i32, value_ptr) })
    }

    /// The current value of an integer option, e.g. `InitialEpoch` of a loaded checkpoint.
    pub fn get_int(&self, option: ModelOption) -> Result<i64> {
        let mut value = 0i64;
        check(unsafe { sys::deep_model_get_int(self.ptr(), option as i32, &mut value) })?;
        Ok(value)
    }

    /// The current value of a float option; another kind is a `Status::InvalidArgument` error.
    pub fn get_float(&self, option: ModelOption) -> Result<f64> {
        let mut value = 0f64;
        check(unsafe { sys::deep_model_get_float(self.ptr(), option as i32, &mut value) })?;
        Ok(value)
    }

    /// The current value of a string option (None when unset); another kind is a
    /// `Status::InvalidArgument` error.
    pub fn get_string(&self, option: ModelOption) -> Result<Option<String>> {
        let text = text_sized(|buffer, capacity, needed| unsafe {
            sys::deep_model_get_string(self.ptr(), option as i32, buffer, capacity, needed)
        })?;
        Ok(if text.is_empty() { None } else { Some(text) })
    }

    /// The seed last given to `set_seed` (0 by default; a loaded model's saved seed).
    pub fn seed(&self) -> Result<u64> {
        let mut seed = 0u64;
        check(unsafe { sys::deep_model_get_seed(self.ptr(), &mut seed) })?;
        Ok(seed)
    }

    /// Keras' build (since libdeep 1.2): the weights before `compile`, so that `predict`
    /// and the weight calls work without an optimizer; the first `compile` keeps them.
    /// Layers cannot be added afterwards.
    pub fn build(&mut self) -> Result<()> {
        check(unsafe { sys::deep_model_build(self.ptr()) })
    }

    /// Initialises the weights and fixes the loss and metrics. The model takes the
    /// optimizer over in every case, even when this fails.
    pub fn compile(&mut self, optimizer: Optimizer, loss: Loss, metrics: &[Metric]) -> Result<()> {
        let raw = optimizer.ptr();
        std::mem::forget(optimizer); // freed by the model from now on
        let codes: Vec<i32> = metrics.iter().map(|&m| m as i32).collect();
        let codes_ptr = if codes.is_empty() { ptr::null() } else { codes.as_ptr() };
        check(unsafe { sys::deep_model_compile(self.ptr(), raw, loss as i32, codes_ptr, len64(codes.len())) })?;
        Ok(())
    }

    /// The optimizer the model was compiled with, still the model's (e.g. to read or change
    /// its learning rate). Before compile, a `Status::State` error.
    pub fn optimizer(&mut self) -> Result<OptimizerRef<'_>> {
        OptimizerRef::of(self.ptr())
    }

    /// Trains for `epochs` passes over `train` in batches of `batch_size`; `validation`,
    /// when given, replaces `ModelOption::ValidationSplit`. A callback that panicked stopped
    /// the run: its panic resumes here, once fit has returned.
    pub fn fit(&mut self, train: &Dataset, epochs: i32, batch_size: i32, validation: Option<&Dataset>) -> Result<()> {
        let v = validation.map_or(ptr::null_mut(), |d| d.ptr());
        let code = unsafe { sys::deep_model_fit(self.ptr(), train.ptr(), epochs as i64, batch_size as i64, v) };
        self.resume_callback_panic();
        check(code)
    }

    /// The mean loss then each compiled metric, in compile order.
    pub fn evaluate(&mut self, data: &Dataset, batch_size: i32) -> Result<Vec<f64>> {
        // The size query (the loss and the metrics) evaluates nothing.
        array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_model_evaluate(self.ptr(), data.ptr(), batch_size as i64, buffer, capacity, needed)
        })
    }

    /// The outputs for inputs of shape (n, input shape...); callable from many threads.
    pub fn predict(&self, inputs: &Tensor) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_predict(self.ptr(), inputs.ptr(), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// Keras' return_state: runs the model on `inputs` (n, input shape...) and writes the
    /// final states of recurrent layer `layer` (-1 the last) into `h` and, for an LSTM, `c`,
    /// both of shape (n, units). Callable from many threads, as [`Model::predict`].
    pub fn predict_states(&self, inputs: &Tensor, layer: i32, h: &mut Tensor, c: Option<&mut Tensor>) -> Result<()> {
        let c = c.map_or(ptr::null_mut(), |c| c.ptr());
        check(unsafe { sys::deep_model_predict_states(self.ptr(), inputs.ptr(), layer, h.ptr(), c) })
    }

    /// The Keras summary table.
    pub fn summary(&self) -> Result<String> {
        crate::convert::text_sized(|buf, cap, needed| unsafe { sys::deep_model_summary(self.ptr(), buf, cap, needed) })
    }

    /// The number of epochs the last fit recorded.
    pub fn history_length(&self) -> Result<usize> {
        read::history_length(self.ptr())
    }

    /// A compiled metric (or `Metric::Loss`) at an epoch of the last fit, on the training
    /// data or (validation) on the validation data.
    pub fn history(&self, epoch: usize, metric: Metric, validation: bool) -> Result<f64> {
        read::history(self.ptr(), epoch, metric, validation)
    }

    /// Total parameters, trainable or not (Keras' "Total params").
    pub fn parameter_count(&self) -> Result<i64> {
        let mut n = 0i64;
        check(unsafe { sys::deep_model_parameter_count(self.ptr(), &mut n) })?;
        Ok(n)
    }

    /// The shape of one sample at the input (Keras' `input_shape` without the batch axis).
    pub fn input_shape(&self) -> Result<Vec<i64>> {
        self.shape(sys::deep_model_input_shape)
    }

    /// The shape of one sample at the output (Keras' `output_shape` without the batch
    /// axis); the input shape while the model has no layer.
    pub fn output_shape(&self) -> Result<Vec<i64>> {
        self.shape(sys::deep_model_output_shape)
    }

    fn shape(
        &self,
        get: unsafe extern "C" fn(*const sys::deep_model, *mut i64, i64, *mut i64) -> sys::deep_status,
    ) -> Result<Vec<i64>> {
        array_sized(|buffer, capacity, needed| unsafe { get(self.ptr(), buffer, capacity, needed) })
    }

    /// The number of layers.
    pub fn layer_count(&self) -> Result<i32> {
        let mut n = 0i32;
        check(unsafe { sys::deep_model_layer_count(self.ptr(), &mut n) })?;
        Ok(n)
    }
}
