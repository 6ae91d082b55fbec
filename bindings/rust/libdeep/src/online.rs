//! Online training: Keras' `train_on_batch`, `test_on_batch` and `predict_on_batch`, one
//! step on tensors the caller passes, and the copies of a model a DQN's target network
//! needs. The model keeps one workspace for the three calls: after the first call with a
//! batch size the library allocates nothing for calls of that size or smaller. They take
//! `&mut self`: like `fit`, one call at a time per model, and not from `fit`'s callbacks.
use std::ptr;

use libdeep_sys as sys;

use crate::error::{check, Result};
use crate::model::Model;
use crate::tensor::Tensor;

type OnBatch = unsafe extern "C" fn(
    *mut sys::deep_model,
    *const sys::deep_tensor,
    *const sys::deep_tensor,
    *mut f64,
    i64,
    *mut i64,
) -> sys::deep_status;

impl Model {
    /// Runs a train/test call; the value count comes from the size query (capacity 0 runs
    /// nothing).
    fn on_batch(&mut self, f: OnBatch, x: &Tensor, y: &Tensor) -> Result<Vec<f64>> {
        let mut needed = 0i64;
        check(unsafe { f(self.ptr(), x.ptr(), y.ptr(), ptr::null_mut(), 0, &mut needed) })?;
        let mut values = vec![0f64; needed as usize];
        check(unsafe { f(self.ptr(), x.ptr(), y.ptr(), values.as_mut_ptr(), needed, &mut needed) })?;
        Ok(values)
    }

    /// One optimizer step on the batch `x` (n, input shape...) with targets `y`: floats
    /// (n, output shape...) ((n,) for one output), or class labels as whole floats (n,) for
    /// `Loss::SparseCategoricalCrossentropy`. Returns the batch's loss before the step, then
    /// each compiled metric. The optimizer's state carries over between calls and `fit`.
    pub fn train_on_batch(&mut self, x: &Tensor, y: &Tensor) -> Result<Vec<f64>> {
        self.on_batch(sys::deep_model_train_on_batch, x, y)
    }

    /// The loss then each compiled metric of the batch in inference mode, what `evaluate`
    /// gives on those samples with batch size n.
    pub fn test_on_batch(&mut self, x: &Tensor, y: &Tensor) -> Result<Vec<f64>> {
        self.on_batch(sys::deep_model_test_on_batch, x, y)
    }

    /// Writes the outputs for `x` (n, input shape...) into `out`, row-major (n, output
    /// shape...), and returns how many values that is; an empty `out` only asks the count.
    /// The values are `predict`'s.
    pub fn predict_on_batch(&mut self, x: &Tensor, out: &mut [f32]) -> Result<usize> {
        let mut needed = 0i64;
        let out_ptr = if out.is_empty() { ptr::null_mut() } else { out.as_mut_ptr() };
        check(unsafe { sys::deep_model_predict_on_batch(self.ptr(), x.ptr(), out_ptr, out.len() as i64, &mut needed) })?;
        Ok(needed as usize)
    }

    /// Copies every weight of `src`, a compiled model of the same architecture, into this
    /// compiled model in one call; this model's optimizer state stays.
    pub fn copy_weights_from(&mut self, src: &Model) -> Result<()> {
        check(unsafe { sys::deep_model_copy_weights(self.ptr(), src.ptr()) })
    }

    /// A new, uncompiled model with this one's architecture (layers, their options and
    /// names) and settings (Keras' `clone_model`); compiling it gives fresh weights from its
    /// seed.
    pub fn clone_model(&self) -> Result<Model> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_clone(self.ptr(), &mut raw) })?;
        Ok(Model::from_raw(raw))
    }
}
