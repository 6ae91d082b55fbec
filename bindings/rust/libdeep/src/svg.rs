//! SVG pictures (libdeep 1.1): a column's histogram and the training curves of the last
//! fit, as files any browser opens, written atomically.
use std::path::Path;

use libdeep_sys as sys;

use crate::convert::{c_path, len64};
use crate::data::Dataset;
use crate::error::{check, Result};
use crate::model::Model;

impl Dataset {
    /// Draws the histogram of feature column `column` (the bins of [`Dataset::histogram`]:
    /// `None` is numpy's "auto") as an SVG file at `path`, titled with the column's name.
    /// A categorical column is a `Status::State` error.
    pub fn histogram_svg<P: AsRef<Path>>(&self, column: usize, bins: Option<usize>, path: P) -> Result<()> {
        let path = c_path(path.as_ref())?;
        check(unsafe { sys::deep_dataset_histogram_svg(self.ptr(), len64(column), bins.map_or(0, len64), path.as_ptr()) })
    }
}

impl Model {
    /// Draws the history of the last fit as an SVG file at `path`: one panel per quantity
    /// (the loss, then each compiled metric), training and, when fit had validation data,
    /// validation values per epoch. A model not yet fitted is a `Status::State` error.
    pub fn history_svg<P: AsRef<Path>>(&self, path: P) -> Result<()> {
        let path = c_path(path.as_ref())?;
        check(unsafe { sys::deep_model_history_svg(self.ptr(), path.as_ptr()) })
    }
}
