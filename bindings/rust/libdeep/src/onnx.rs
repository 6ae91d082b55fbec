//! ONNX import (docs/onnx.md): an ONNX model, as `torch.onnx.export` writes it, becomes a
//! model of libdeep's own layers.

use std::os::raw::c_void;
use std::path::Path;
use std::ptr;

use libdeep_sys as sys;

use crate::convert::{c_path, len64};
use crate::error::{check, Result};
use crate::model::Model;

impl Model {
    /// Loads an ONNX model file (since 1.2). The model is compiled (SGD, mean squared error)
    /// so that it predicts at once, and `fit` trains the imported weights; to fine-tune with
    /// another loss, compile a [`Model::clone_model`] of it and [`Model::copy_weights_from`] it
    /// (compiling again re-initialises weights).
    /// Images are (height, width, channels), libdeep's order, where ONNX's are (C, H, W).
    /// What libdeep cannot translate is a `Status::Unsupported` error naming the node, its
    /// operator and the opset; a corrupt file a `Status::Format` one.
    pub fn load_onnx<P: AsRef<Path>>(path: P) -> Result<Model> {
        let path = c_path(path.as_ref())?;
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_load_onnx(path.as_ptr(), &mut raw) })?;
        Ok(Model::from_raw(raw))
    }

    /// [`Model::load_onnx`] from the bytes of an ONNX file (since 1.2).
    pub fn load_onnx_bytes(data: &[u8]) -> Result<Model> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_load_onnx_buffer(data.as_ptr() as *const c_void, len64(data.len()), &mut raw) })?;
        Ok(Model::from_raw(raw))
    }
}
