//! Conversions between Rust values and the C API's (ranks, counts, paths, strings, text
//! buffers), and the checks the binding makes before handing a slice to C.
use std::ffi::CString;
use std::os::raw::c_char;
use std::path::Path;
use std::ptr;

use libdeep_sys as sys;

use crate::error::{check, Error, Result, Status};

/// A shape's rank as the C side takes it; it refuses ranks above 8.
pub(crate) fn rank(shape: &[i64]) -> i32 {
    i32::try_from(shape.len()).unwrap_or(i32::MAX)
}

/// A count as an `int64_t` (saturating).
pub(crate) fn len64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A count the C side returned (never negative after a successful call).
pub(crate) fn size(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// The product of positive dimensions, None when one is not positive or it overflows.
pub(crate) fn elements(shape: &[i64]) -> Option<i64> {
    shape.iter().try_fold(1i64, |n, &d| if d > 0 { n.checked_mul(d) } else { None })
}

/// Indices as the C side's `int64_t`.
pub(crate) fn indices64(what: &str, indices: &[usize]) -> Result<Vec<i64>> {
    indices
        .iter()
        .map(|&i| {
            i64::try_from(i).map_err(|_| Error::new(Status::OutOfRange, format!("{}: index {} is too large", what, i)))
        })
        .collect()
}

/// Two slices that must be as long as each other.
pub(crate) fn same_length(what: &str, a: usize, b: usize) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(Error::new(Status::Shape, format!("{}: {} true labels but {} predicted ones", what, a, b)))
    }
}

pub(crate) fn c_string(what: &str, text: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::new(Status::InvalidArgument, format!("{}: {:?} contains a NUL", what, text)))
}

pub(crate) fn c_path(path: &Path) -> Result<CString> {
    let text = path
        .to_str()
        .ok_or_else(|| Error::new(Status::InvalidArgument, format!("path {:?} is not UTF-8", path)))?;
    CString::new(text).map_err(|_| Error::new(Status::InvalidArgument, format!("path {:?} contains a NUL", path)))
}

/// The text before the first NUL (CStr::from_bytes_until_nul needs Rust 1.69; Debian
/// bookworm has 1.63).
pub(crate) fn string_until_nul(buffer: &[u8]) -> String {
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

/// Text from a C call of deep.h's buffer contract `(buffer, capacity, *needed)`, `*needed`
/// counting the NUL: the size query (capacity 0), then the text.
pub(crate) fn text_sized(mut call: impl FnMut(*mut c_char, i64, &mut i64) -> sys::deep_status) -> Result<String> {
    let bytes = array_sized(|buffer: *mut u8, capacity, needed| call(buffer as *mut c_char, capacity, needed))?;
    Ok(string_until_nul(&bytes))
}

/// The entries of a C call of deep.h's buffer contract `(T *buffer, capacity, *needed)`:
/// the size query (capacity 0), then the values into a vector of exactly that size.
pub(crate) fn array_sized<T: Copy + Default>(
    mut call: impl FnMut(*mut T, i64, &mut i64) -> sys::deep_status,
) -> Result<Vec<T>> {
    let mut needed = 0i64;
    check(call(ptr::null_mut(), 0, &mut needed))?;
    let mut values = vec![T::default(); size(needed)];
    if !values.is_empty() {
        check(call(values.as_mut_ptr(), len64(values.len()), &mut needed))?;
    }
    Ok(values)
}
