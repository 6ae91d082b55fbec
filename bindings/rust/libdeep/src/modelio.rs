//! Model files (safetensors, docs/model-format.md) on disk and in memory, and the weights
//! of each layer.
use std::os::raw::c_void;
use std::path::Path;
use std::ptr;

use libdeep_sys as sys;

use crate::convert::{c_path, len64, size};
use crate::error::{check, Result};
use crate::model::Model;
use crate::tensor::Tensor;

pub(crate) fn save(raw: *mut sys::deep_model, path: &Path) -> Result<()> {
    let path = c_path(path)?;
    check(unsafe { sys::deep_model_save(raw, path.as_ptr()) })
}

pub(crate) fn to_bytes(raw: *mut sys::deep_model) -> Result<Vec<u8>> {
    let mut needed = 0i64;
    check(unsafe { sys::deep_model_save_buffer(raw, ptr::null_mut(), 0, &mut needed) })?;
    let mut buffer = vec![0u8; size(needed)];
    check(unsafe { sys::deep_model_save_buffer(raw, buffer.as_mut_ptr() as *mut c_void, len64(buffer.len()), &mut needed) })?;
    buffer.truncate(size(needed));
    Ok(buffer)
}

pub(crate) fn get_weight(raw: *mut sys::deep_model, layer: i32, index: i32) -> Result<Tensor> {
    let mut out = ptr::null_mut();
    check(unsafe { sys::deep_model_get_weight(raw, layer, index, &mut out) })?;
    Ok(Tensor::from_raw(out))
}

impl Model {
    /// Writes the whole model — architecture, settings and, once compiled, weights, loss,
    /// metrics and optimizer state — to a safetensors file, atomically (a temporary file
    /// next to `path`, then a rename). Callbacks and the log are not saved.
    pub fn save<P: AsRef<Path>>(&self, path: P) -> Result<()> {
        save(self.ptr(), path.as_ref())
    }

    /// Loads a file written by [`Model::save`] (or a checkpoint): a compiled model predicts
    /// at once and can continue fit. Anything truncated, corrupt or foreign is a
    /// `Status::Format` error naming what is wrong.
    pub fn load<P: AsRef<Path>>(path: P) -> Result<Model> {
        let path = c_path(path.as_ref())?;
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_load(path.as_ptr(), &mut raw) })?;
        Ok(Model::from_raw(raw))
    }

    /// The bytes of the file [`Model::save`] would write.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        to_bytes(self.ptr())
    }

    /// A model from the bytes of [`Model::to_bytes`] (or of a model file).
    pub fn from_bytes(data: &[u8]) -> Result<Model> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_load_buffer(data.as_ptr() as *const c_void, len64(data.len()), &mut raw) })?;
        Ok(Model::from_raw(raw))
    }

    /// The number of weight tensors of `layer` (from 0 in the order added).
    pub fn weight_count(&self, layer: i32) -> Result<i32> {
        let mut n = 0i32;
        check(unsafe { sys::deep_model_weight_count(self.ptr(), layer, &mut n) })?;
        Ok(n)
    }

    /// A copy of weight `index` of `layer`, in Keras order (Dense: kernel then bias).
    pub fn get_weight(&self, layer: i32, index: i32) -> Result<Tensor> {
        get_weight(self.ptr(), layer, index)
    }

    /// All weights of `layer`, in Keras order (Keras' `layer.get_weights()`).
    pub fn get_weights(&self, layer: i32) -> Result<Vec<Tensor>> {
        (0..self.weight_count(layer)?).map(|i| self.get_weight(layer, i)).collect()
    }

    /// Replaces weight `index` of `layer` with a copy of `value`, whose shape must match.
    pub fn set_weight(&mut self, layer: i32, index: i32, value: &Tensor) -> Result<()> {
        check(unsafe { sys::deep_model_set_weight(self.ptr(), layer, index, value.ptr()) })
    }
}

