//! Models of several outputs (Keras' `Model(inputs, [out1, out2])`), since libdeep 1.1.
//!
//! The library reads one target row per sample holding every output's targets one after
//! the other, each the output's size, or one label (a whole number as a float) for
//! [`Loss::SparseCategoricalCrossentropy`]: build the dataset with
//! [`crate::Dataset::set_targets`] and pass such rows to `train_on_batch`. `predict` gives
//! each sample's outputs one after the other ([`Model::predict_outputs`] splits them);
//! `evaluate` gives Keras' order: the total loss, each output's loss, then each output's
//! metrics.
use std::ptr;

use libdeep_sys as sys;

use crate::convert::len64;
use crate::error::{check, Error, Result, Status};
use crate::model::{Loss, Metric, Model};
use crate::optimizer::Optimizer;
use crate::tensor::Tensor;

impl Model {
    /// Compiles a model of several outputs: `losses[k]` for output k (in the order of
    /// [`Model::output_nodes`]; one per output), weighted by `weights[k]` (`None`: 1 each;
    /// else finite, >= 0, one per loss). The model minimises the weighted sum of the
    /// outputs' losses; the metrics are computed for every output. [`Model::compile`] gives
    /// every output the same loss. Takes the optimizer in every case, as `compile` does.
    pub fn compile_outputs(
        &mut self, optimizer: Optimizer, losses: &[Loss], weights: Option<&[f64]>, metrics: &[Metric],
    ) -> Result<()> {
        if let Some(w) = weights {
            if w.len() != losses.len() {
                return Err(Error::new(
                    Status::InvalidArgument,
                    format!("Model::compile_outputs: {} loss weights for {} losses", w.len(), losses.len()),
                ));
            }
        }
        let raw = optimizer.ptr();
        std::mem::forget(optimizer); // freed by the model from now on
        let codes: Vec<i32> = losses.iter().map(|&l| l as i32).collect();
        let metric_codes: Vec<i32> = metrics.iter().map(|&m| m as i32).collect();
        let losses_ptr = if codes.is_empty() { ptr::null() } else { codes.as_ptr() };
        let metrics_ptr = if metric_codes.is_empty() { ptr::null() } else { metric_codes.as_ptr() };
        let weights_ptr = weights.map_or(ptr::null(), |w| if w.is_empty() { ptr::null() } else { w.as_ptr() });
        check(unsafe {
            sys::deep_model_compile_outputs(
                self.ptr(), raw, losses_ptr, weights_ptr, len64(codes.len()), metrics_ptr, len64(metric_codes.len()),
            )
        })
    }

    /// Output `output`'s own (unweighted) loss (`Metric::Loss`) or value of a compiled
    /// metric at an epoch of the last fit (Keras' `"dense_2_loss"`, `"dense_2_accuracy"`);
    /// output -1 is [`Model::history`]'s total loss.
    pub fn history_output(&self, epoch: usize, output: i32, metric: Metric, validation: bool) -> Result<f64> {
        crate::model::read::history_output(self.ptr(), epoch, output, metric, validation)
    }

    /// [`Model::predict`] split per output: one tensor per output, in the order of
    /// [`Model::output_nodes`], each of shape (n, that output's shape...).
    pub fn predict_outputs(&self, inputs: &Tensor) -> Result<Vec<Tensor>> {
        let mut shapes = Vec::new();
        for node in self.output_nodes()? {
            shapes.push(self.node_shape(node)?);
        }
        let sizes: Vec<usize> = shapes.iter().map(|s| s.iter().product::<i64>() as usize).collect();
        let total: usize = sizes.iter().sum();
        let rows = self.predict(inputs)?;
        let data = rows.data()?;
        let n = data.len() / total.max(1);
        let mut parts = Vec::with_capacity(shapes.len());
        let mut start = 0;
        for (shape, &size) in shapes.iter().zip(&sizes) {
            let values: Vec<f32> =
                data.chunks(total).flat_map(|row| row[start..start + size].iter().copied()).collect();
            let mut full = vec![n as i64];
            full.extend_from_slice(shape);
            parts.push(Tensor::new(&full, &values)?);
            start += size;
        }
        Ok(parts)
    }
}
