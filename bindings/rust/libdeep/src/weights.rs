//! Keras' `sample_weight` and `class_weight` (since 1.2): each sample's loss times its
//! weight, the batch's sum divided by the batch size; class weights on training batches
//! only (`fit`, `train_on_batch`); the compiled metrics are not weighted.
use std::ptr;

use libdeep_sys as sys;

use crate::convert::{array_sized, len64};
use crate::data::Dataset;
use crate::error::{check, Result};
use crate::model::Model;
use crate::tensor::Tensor;

impl Dataset {
    /// One weight per sample (finite, >= 0) that `fit` and `evaluate` apply to its loss; an
    /// empty slice removes them. They follow the samples through shuffle, split, subset and
    /// concat.
    pub fn set_sample_weights(&mut self, weights: &[f32]) -> Result<()> {
        let data = if weights.is_empty() { ptr::null() } else { weights.as_ptr() };
        check(unsafe { sys::deep_dataset_set_sample_weights(self.ptr(), data, len64(weights.len())) })
    }

    /// The sample weights; a `Status::State` error when there are none.
    pub fn sample_weights(&self) -> Result<Vec<f32>> {
        array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_dataset_sample_weights(self.ptr(), buffer, capacity, needed)
        })
    }
}

impl Model {
    /// Keras' `class_weight`: the training loss of every sample of class c weighs
    /// `weights[c]`; an empty slice removes them. One output of rank 1 only.
    pub fn set_class_weights(&mut self, weights: &[f64]) -> Result<()> {
        let data = if weights.is_empty() { ptr::null() } else { weights.as_ptr() };
        check(unsafe { sys::deep_model_set_class_weights(self.ptr(), data, len64(weights.len())) })
    }

    /// The class weights (empty when there are none).
    pub fn class_weights(&self) -> Result<Vec<f64>> {
        array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_model_get_class_weights(self.ptr(), buffer, capacity, needed)
        })
    }

    /// `train_on_batch` with one weight per sample of the batch.
    pub fn train_on_batch_weighted(&mut self, x: &Tensor, y: &Tensor, weights: &[f32]) -> Result<Vec<f64>> {
        let model = self.ptr();
        array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_model_train_on_batch_weighted(model, x.ptr(), y.ptr(), weights.as_ptr(), len64(weights.len()),
                                                    buffer, capacity, needed)
        })
    }

    /// `test_on_batch` with one weight per sample of the batch.
    pub fn test_on_batch_weighted(&mut self, x: &Tensor, y: &Tensor, weights: &[f32]) -> Result<Vec<f64>> {
        let model = self.ptr();
        array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_model_test_on_batch_weighted(model, x.ptr(), y.ptr(), weights.as_ptr(), len64(weights.len()),
                                                   buffer, capacity, needed)
        })
    }
}
