//! scikit-learn's SimpleImputer with a strategy per column (`deep_imputer`, libdeep 1.1):
//! fitted on a training table, applied to any table with the same columns.
use std::os::raw::c_char;
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

use crate::convert::{c_string, len64, text_sized};
use crate::data::{Dataset, FillStrategy};
use crate::error::{check, Result};

/// Fills missing values column by column: `FillStrategy::Mean`, `Median`, `MostFrequent` or
/// `Constant`, one default and one per named column.
pub struct Imputer {
    raw: NonNull<sys::deep_imputer>,
}
handle!(Imputer, sys::deep_imputer, sys::deep_imputer_free);
unsafe impl Send for Imputer {}

impl Imputer {
    /// An imputer whose strategy for every column not set by `set_column` is `strategy`;
    /// `fill_value` is the constant of `FillStrategy::Constant` (a text column gets
    /// "missing_value").
    pub fn new(strategy: FillStrategy, fill_value: f64) -> Result<Imputer> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_imputer_new(strategy as i32, fill_value, &mut raw) })?;
        Ok(Imputer::from_raw(raw))
    }

    /// The strategy of the column named `column`: `fill_value` is the constant of a numeric
    /// column, `fill_text` the category of a text column (None: "missing_value").
    pub fn set_column(&mut self, column: &str, strategy: FillStrategy, fill_value: f64, fill_text: Option<&str>) -> Result<()> {
        let column = c_string("Imputer::set_column", column)?;
        let text = match fill_text {
            Some(t) => Some(c_string("Imputer::set_column: fill text", t)?),
            None => None,
        };
        let text_ptr: *const c_char = text.as_ref().map_or(ptr::null(), |t| t.as_ptr());
        check(unsafe { sys::deep_imputer_set_column(self.ptr(), column.as_ptr(), strategy as i32, fill_value, text_ptr) })
    }

    /// Computes the fill value of every column of `data`.
    pub fn fit(&mut self, data: &Dataset) -> Result<()> {
        check(unsafe { sys::deep_imputer_fit(self.ptr(), data.ptr() as *const _) })
    }

    /// Fills the missing values of `data` in place.
    pub fn transform(&self, data: &mut Dataset) -> Result<()> {
        check(unsafe { sys::deep_imputer_transform(self.ptr() as *const _, data.ptr()) })
    }

    /// The fitted fill value of `column` (NaN for a text column: see `fill_text`).
    pub fn statistic(&self, column: usize) -> Result<f64> {
        let mut value = 0f64;
        check(unsafe { sys::deep_imputer_statistic(self.ptr() as *const _, len64(column), &mut value) })?;
        Ok(value)
    }

    /// The fitted fill category of a text column.
    pub fn fill_text(&self, column: usize) -> Result<String> {
        text_sized(|buf, cap, needed| unsafe { sys::deep_imputer_fill_text(self.ptr() as *const _, len64(column), buf, cap, needed) })
    }
}
