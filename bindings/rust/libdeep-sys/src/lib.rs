//! Raw declarations of libdeep's C API, one for one with `deep.h`: the opaque handle types,
//! the enums as `c_int` type aliases with their values as constants, the integer macros,
//! the callback types and every exported function. Everything here is `unsafe` to call and
//! follows the rules written in `deep.h` (ownership, thread-safety, error messages through
//! `deep_last_error`). The safe API is the `libdeep` crate.
//!
//! The library is found through pkg-config (`libdeep.pc`), and linked dynamically.
//! `src/ffi.rs` is generated from the header by `bindings/rust/gen-sys.py`.
#![allow(non_camel_case_types)]
#![allow(clippy::all)]

mod ffi;
pub use ffi::*;

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn loaded_library_matches_header() {
        let number = unsafe { deep_version_number() };
        assert_eq!(number, DEEP_VERSION_NUMBER);
        let text = unsafe { CStr::from_ptr(deep_version_string()) }.to_str().unwrap();
        assert_eq!(
            text,
            format!("{}.{}.{}", DEEP_VERSION_MAJOR, DEEP_VERSION_MINOR, DEEP_VERSION_PATCH)
        );
    }

    #[test]
    fn a_raw_error_sets_the_message() {
        let mut t: *mut deep_tensor = std::ptr::null_mut();
        let shape = [2i64, 3];
        let status = unsafe { deep_tensor_new(0, shape.as_ptr(), &mut t) };
        assert!(status < 0);
        assert!(t.is_null());
        let name = unsafe { CStr::from_ptr(deep_status_string(status)) };
        assert!(name.to_str().unwrap().starts_with("DEEP_ERR_"));
        let message = unsafe { CStr::from_ptr(deep_last_error()) };
        assert!(message.to_str().unwrap().contains("deep_tensor_new"));
    }
}
