//! Keras' metric and loss object arguments one at a time (library 1.3): each compiled
//! metric's own threshold, class_id, top_k or num_thresholds, and each output's own
//! from_logits, label smoothing and Huber delta. Both are set after compile, which starts
//! them afresh, and are saved with the model.
use libdeep_sys as sys;

use crate::error::{check, Result};
use crate::model::{Model, ModelOption};

c_enum!(
    /// An argument of a compiled metric (`deep_metric_option`).
    MetricOption {
        /// Float: precision, recall (Keras' `thresholds`) and binary accuracy.
        Threshold = sys::DEEP_METRIC_OPTION_THRESHOLD,
        /// Int: precision and recall of one class (an entry of the last axis); -1 all.
        ClassId = sys::DEEP_METRIC_OPTION_CLASS_ID,
        /// Int: precision and recall's `top_k` filter (0 none); top-k accuracy's `k`.
        TopK = sys::DEEP_METRIC_OPTION_TOP_K,
        /// Int in 2..1000: the AUCs' `num_thresholds` (200 by default).
        NumThresholds = sys::DEEP_METRIC_OPTION_NUM_THRESHOLDS,
    }
);

impl Model {
    /// Sets an int argument of compiled metric `metric` (its position in compile's list),
    /// e.g. `set_metric_int(1, MetricOption::ClassId, 2)` for Keras' `Precision(class_id=2)`.
    pub fn set_metric_int(&mut self, metric: i32, option: MetricOption, value: i64) -> Result<()> {
        check(unsafe { sys::deep_model_set_metric_int(self.ptr(), metric, option as i32, value) })
    }

    /// Sets a float argument (`MetricOption::Threshold`) of compiled metric `metric`.
    pub fn set_metric_float(&mut self, metric: i32, option: MetricOption, value: f64) -> Result<()> {
        check(unsafe { sys::deep_model_set_metric_float(self.ptr(), metric, option as i32, value) })
    }

    /// The value in use of an int argument of compiled metric `metric`.
    pub fn metric_int(&self, metric: i32, option: MetricOption) -> Result<i64> {
        let mut value = 0i64;
        check(unsafe { sys::deep_model_get_metric_int(self.ptr(), metric, option as i32, &mut value) })?;
        Ok(value)
    }

    /// The value in use of a float argument of compiled metric `metric`.
    pub fn metric_float(&self, metric: i32, option: MetricOption) -> Result<f64> {
        let mut value = 0f64;
        check(unsafe { sys::deep_model_get_metric_float(self.ptr(), metric, option as i32, &mut value) })?;
        Ok(value)
    }

    /// Sets `ModelOption::FromLogits` for one output of a model of several.
    pub fn set_output_int(&mut self, output: i32, option: ModelOption, value: i64) -> Result<()> {
        check(unsafe { sys::deep_model_set_output_int(self.ptr(), output, option as i32, value) })
    }

    /// Sets `ModelOption::LabelSmoothing` or `ModelOption::HuberDelta` for one output.
    pub fn set_output_float(&mut self, output: i32, option: ModelOption, value: f64) -> Result<()> {
        check(unsafe { sys::deep_model_set_output_float(self.ptr(), output, option as i32, value) })
    }

    /// An output's `ModelOption::FromLogits` in use (its own, else the model's).
    pub fn output_int(&self, output: i32, option: ModelOption) -> Result<i64> {
        let mut value = 0i64;
        check(unsafe { sys::deep_model_get_output_int(self.ptr(), output, option as i32, &mut value) })?;
        Ok(value)
    }

    /// An output's `ModelOption::LabelSmoothing` or `ModelOption::HuberDelta` in use.
    pub fn output_float(&self, output: i32, option: ModelOption) -> Result<f64> {
        let mut value = 0f64;
        check(unsafe { sys::deep_model_get_output_float(self.ptr(), output, option as i32, &mut value) })?;
        Ok(value)
    }
}

impl Model {
    /// Keras' initializer `seed=`: the initializer set for the role (with
    /// [`Model::set_layer_initializer`] first, which clears any seed) draws from its own
    /// generator started from `seed`, so the same seed gives the same weights whatever the
    /// model's seed. `None` removes it. Before compile.
    pub fn set_layer_initializer_seed(&mut self, layer: i32, role: crate::WeightRole, seed: Option<u64>) -> Result<()> {
        check(unsafe {
            sys::deep_model_set_layer_initializer_seed(self.ptr(), layer, role as i32, seed.is_some() as i32,
                                                       seed.unwrap_or(0))
        })
    }

    /// The seed of the role's initializer, if it has one.
    pub fn layer_initializer_seed(&self, layer: i32, role: crate::WeightRole) -> Result<Option<u64>> {
        let (mut seeded, mut seed) = (0i32, 0u64);
        check(unsafe {
            sys::deep_model_get_layer_initializer_seed(self.ptr(), layer, role as i32, &mut seeded, &mut seed)
        })?;
        Ok(if seeded != 0 { Some(seed) } else { None })
    }
}
