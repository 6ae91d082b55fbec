//! Typed tables (libdeep 1.1): text columns kept as categorical columns, encoded one-hot
//! (pandas get_dummies) or ordinally (scikit-learn OrdinalEncoder) with a training table's
//! categories; columns selected, dropped and renamed by name; value counts.
use std::ffi::CString;
use std::os::raw::c_char;
use std::path::Path;
use std::ptr;

use libdeep_sys as sys;

use crate::convert::{c_path, c_string, len64, size, text_sized};
use crate::data::Dataset;
use crate::error::{check, Error, Result, Status};

c_enum!(
    /// How `Dataset::encode` turns categorical columns into numbers (`deep_encoding`).
    Encoding {
        /// pandas get_dummies: the numeric columns, then one 0/1 column per category named
        /// "<column>_<category>"; a missing value is a row of zeros.
        OneHot = sys::DEEP_ENCODE_ONE_HOT,
        /// scikit-learn OrdinalEncoder: category ids in place, missing as NaN.
        Ordinal = sys::DEEP_ENCODE_ORDINAL,
    }
);

c_enum!(
    /// Which rows `Dataset::merge` keeps (`deep_join`).
    Join {
        /// The rows of the left table that have a match in the right one.
        Inner = sys::DEEP_JOIN_INNER,
        /// Every row of the left table; the right's columns missing where it has no match.
        Left = sys::DEEP_JOIN_LEFT,
    }
);

fn c_names(what: &str, names: &[&str]) -> Result<Vec<CString>> {
    if names.is_empty() {
        return Err(Error::new(Status::InvalidArgument, format!("{}: name at least one column", what)));
    }
    names.iter().map(|n| c_string(what, n)).collect()
}

impl Dataset {
    /// Loads a CSV file as `load_csv` does, except that a column holding text is kept as a
    /// categorical column (sorted categories from `categories`, values their ids) instead
    /// of being an error.
    pub fn load_csv_typed<P: AsRef<Path>>(path: P, label_column: Option<&str>) -> Result<Dataset> {
        let path = c_path(path.as_ref())?;
        let label = match label_column {
            Some(l) => Some(c_string("Dataset::load_csv_typed: label column", l)?),
            None => None,
        };
        let label_ptr: *const c_char = label.as_ref().map_or(ptr::null(), |l| l.as_ptr());
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_load_csv_typed(path.as_ptr(), label_ptr, &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// The index of the first feature column called `name`.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        let name = c_string("Dataset::column_index", name)?;
        let mut column = 0i64;
        check(unsafe { sys::deep_dataset_column_index(self.ptr(), name.as_ptr(), &mut column) })?;
        Ok(size(column))
    }

    /// The sorted category names of feature column `column`; empty for a numeric column.
    pub fn categories(&self, column: usize) -> Result<Vec<String>> {
        let mut count = 0i64;
        check(unsafe { sys::deep_dataset_category_count(self.ptr(), len64(column), &mut count) })?;
        (0..count)
            .map(|c| {
                text_sized(|buf, cap, needed| unsafe {
                    sys::deep_dataset_category_name(self.ptr(), len64(column), c, buf, cap, needed)
                })
            })
            .collect()
    }

    /// The distinct present values of a column (category ids for a categorical one) with
    /// their counts, most frequent first, ties in order of first appearance (pandas
    /// value_counts).
    pub fn value_counts(&self, column: usize) -> Result<Vec<(f64, usize)>> {
        let (mut nv, mut nc) = (0i64, 0i64);
        check(unsafe {
            sys::deep_dataset_value_counts(self.ptr(), len64(column), ptr::null_mut(), 0, &mut nv, ptr::null_mut(), 0, &mut nc)
        })?;
        let mut values = vec![0f64; size(nv)];
        let mut counts = vec![0i64; size(nc)];
        if nv > 0 {
            check(unsafe {
                sys::deep_dataset_value_counts(self.ptr(), len64(column), values.as_mut_ptr(), nv, &mut nv,
                                               counts.as_mut_ptr(), nc, &mut nc)
            })?;
        }
        Ok(values.into_iter().zip(counts.into_iter().map(size)).collect())
    }

    /// A new dataset of the named feature columns in that order (pandas `df[names]`), with
    /// the labels and targets.
    pub fn select_columns(&self, names: &[&str]) -> Result<Dataset> {
        let owned = c_names("Dataset::select_columns", names)?;
        let pointers: Vec<*const c_char> = owned.iter().map(|n| n.as_ptr()).collect();
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_select_columns(self.ptr(), pointers.as_ptr(), len64(pointers.len()), &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// A new dataset without the named feature columns (pandas `df.drop(columns=...)`).
    pub fn drop_columns(&self, names: &[&str]) -> Result<Dataset> {
        let owned = c_names("Dataset::drop_columns", names)?;
        let pointers: Vec<*const c_char> = owned.iter().map(|n| n.as_ptr()).collect();
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_drop_columns(self.ptr(), pointers.as_ptr(), len64(pointers.len()), &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// Renames a feature column (or the label column) in place.
    pub fn rename_column(&mut self, name: &str, new_name: &str) -> Result<()> {
        let name = c_string("Dataset::rename_column", name)?;
        let new_name = c_string("Dataset::rename_column", new_name)?;
        check(unsafe { sys::deep_dataset_rename_column(self.ptr(), name.as_ptr(), new_name.as_ptr()) })
    }

    /// A new dataset with every categorical column encoded with `reference`'s categories
    /// (the training table for a test table; None for this one's). A category the
    /// reference lacks is `Status::InvalidArgument` naming it unless `ignore_unknown`, which
    /// encodes it as missing.
    pub fn encode(&self, encoding: Encoding, reference: Option<&Dataset>, ignore_unknown: bool) -> Result<Dataset> {
        let reference = reference.map_or(ptr::null(), |r| r.ptr() as *const _);
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_encode(self.ptr(), reference, encoding as i32, ignore_unknown as i32, &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// pandas' merge with `right` on the key columns `on`: each row of this table in order,
    /// once per matching row of `right` (in its order), this table's columns then `right`'s
    /// others, clashing names suffixed (None: "_x" and "_y"). Labels and targets are this
    /// table's.
    pub fn merge(&self, right: &Dataset, on: &[&str], how: Join, suffixes: Option<(&str, &str)>) -> Result<Dataset> {
        let owned = c_names("Dataset::merge", on)?;
        let pointers: Vec<*const c_char> = owned.iter().map(|n| n.as_ptr()).collect();
        let suffixes = match suffixes {
            Some((l, r)) => Some((c_string("Dataset::merge: suffix", l)?, c_string("Dataset::merge: suffix", r)?)),
            None => None,
        };
        let (ls, rs) = suffixes.as_ref().map_or((ptr::null(), ptr::null()), |(l, r)| (l.as_ptr(), r.as_ptr()));
        let mut raw = ptr::null_mut();
        check(unsafe {
            sys::deep_dataset_merge(self.ptr(), right.ptr(), pointers.as_ptr(), len64(pointers.len()), how as i32, ls, rs, &mut raw)
        })?;
        Ok(Dataset::from_raw(raw))
    }

    /// The rows of an SQL query on an SQLite database file as a typed table: text columns
    /// categorical, NULL missing, `params` bound to the query's `?` placeholders (never
    /// pasted into it). `Status::Unsupported` when libdeep was built without SQLite.
    pub fn load_sqlite<P: AsRef<Path>>(database: P, query: &str, params: &[&str], label_column: Option<&str>) -> Result<Dataset> {
        let database = c_path(database.as_ref())?;
        let query = c_string("Dataset::load_sqlite: query", query)?;
        let owned = params.iter().map(|p| c_string("Dataset::load_sqlite: parameter", p)).collect::<Result<Vec<CString>>>()?;
        let pointers: Vec<*const c_char> = owned.iter().map(|p| p.as_ptr()).collect();
        let label = match label_column {
            Some(l) => Some(c_string("Dataset::load_sqlite: label column", l)?),
            None => None,
        };
        let label_ptr: *const c_char = label.as_ref().map_or(ptr::null(), |l| l.as_ptr());
        let mut raw = ptr::null_mut();
        check(unsafe {
            sys::deep_dataset_load_sqlite(database.as_ptr(), query.as_ptr(), if pointers.is_empty() { ptr::null() } else { pointers.as_ptr() },
                                          len64(pointers.len()), label_ptr, &mut raw)
        })?;
        Ok(Dataset::from_raw(raw))
    }

    /// Writes the table as `table` of an SQLite database file (created if missing); an
    /// existing table is `Status::InvalidArgument` unless `replace`.
    pub fn write_sqlite<P: AsRef<Path>>(&self, database: P, table: &str, replace: bool) -> Result<()> {
        let database = c_path(database.as_ref())?;
        let table = c_string("Dataset::write_sqlite: table", table)?;
        check(unsafe { sys::deep_dataset_write_sqlite(self.ptr(), database.as_ptr(), table.as_ptr(), replace as i32) })
    }

    /// numpy.histogram of a numeric column's present values: `bins` equal bins (None for
    /// numpy's "auto"), as (counts, the bins + 1 edges).
    pub fn histogram(&self, column: usize, bins: Option<usize>) -> Result<(Vec<usize>, Vec<f64>)> {
        let bins = bins.map_or(0, len64);
        let (mut ne, mut nc) = (0i64, 0i64);
        check(unsafe {
            sys::deep_dataset_histogram(self.ptr(), len64(column), bins, ptr::null_mut(), 0, &mut ne, ptr::null_mut(), 0, &mut nc)
        })?;
        let mut edges = vec![0f64; size(ne)];
        let mut counts = vec![0i64; size(nc)];
        check(unsafe {
            sys::deep_dataset_histogram(self.ptr(), len64(column), bins, edges.as_mut_ptr(), ne, &mut ne, counts.as_mut_ptr(), nc, &mut nc)
        })?;
        Ok((counts.into_iter().map(size).collect(), edges))
    }
}
