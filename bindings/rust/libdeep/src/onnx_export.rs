//! ONNX export (since libdeep 1.2): models, trees and forests as ONNX files for other
//! runtimes (docs/onnx.md). A libdeep built without ONNX returns `Status::Unsupported`.
use std::os::raw::c_void;
use std::path::Path;
use std::ptr;

use libdeep_sys as sys;

use crate::convert::{c_path, len64, size};
use crate::error::{check, Result};
use crate::model::Model;
use crate::trees::{Forest, Tree};

/// The bytes of a buffer call of the caller-buffer contract: a size query, then the copy.
fn bytes(fill: impl Fn(*mut c_void, i64, &mut i64) -> sys::deep_status) -> Result<Vec<u8>> {
    let mut needed = 0i64;
    check(fill(ptr::null_mut(), 0, &mut needed))?;
    let mut buffer = vec![0u8; size(needed)];
    check(fill(buffer.as_mut_ptr() as *mut c_void, len64(buffer.len()), &mut needed))?;
    buffer.truncate(size(needed));
    Ok(buffer)
}

impl Model {
    /// Writes the model's graph as ONNX at `opset` (13 to 17; 0 picks 13), atomically. The
    /// graph takes channels-last inputs with a dynamic batch dimension, as libdeep does; an
    /// uncompiled model is `Status::State`, a layer ONNX cannot express (Masking)
    /// `Status::Unsupported`.
    pub fn save_onnx<P: AsRef<Path>>(&self, path: P, opset: i32) -> Result<()> {
        let path = c_path(path.as_ref())?;
        check(unsafe { sys::deep_model_save_onnx(self.ptr(), path.as_ptr(), opset) })
    }

    /// The bytes [`Model::save_onnx`] would write.
    pub fn to_onnx_bytes(&self, opset: i32) -> Result<Vec<u8>> {
        bytes(|b, c, n| unsafe { sys::deep_model_save_onnx_buffer(self.ptr(), opset, b, c, n) })
    }
}

impl Tree {
    /// Writes the fitted tree as an ONNX-ML TreeEnsembleClassifier or Regressor, atomically.
    pub fn save_onnx<P: AsRef<Path>>(&self, path: P) -> Result<()> {
        let path = c_path(path.as_ref())?;
        check(unsafe { sys::deep_tree_save_onnx(self.ptr(), path.as_ptr()) })
    }

    /// The bytes [`Tree::save_onnx`] would write.
    pub fn to_onnx_bytes(&self) -> Result<Vec<u8>> {
        bytes(|b, c, n| unsafe { sys::deep_tree_save_onnx_buffer(self.ptr(), b, c, n) })
    }
}

impl Forest {
    /// Writes the fitted forest as one ONNX-ML tree ensemble (probabilities and values the
    /// mean of its trees', as predict), atomically.
    pub fn save_onnx<P: AsRef<Path>>(&self, path: P) -> Result<()> {
        let path = c_path(path.as_ref())?;
        check(unsafe { sys::deep_forest_save_onnx(self.ptr(), path.as_ptr()) })
    }

    /// The bytes [`Forest::save_onnx`] would write.
    pub fn to_onnx_bytes(&self) -> Result<Vec<u8>> {
        bytes(|b, c, n| unsafe { sys::deep_forest_save_onnx_buffer(self.ptr(), b, c, n) })
    }
}
