//! Status codes and errors: every C failure as an [`Error`] with its [`Status`] and message.
use std::ffi::CStr;
use std::fmt;

use libdeep_sys as sys;

/// What kind of failure an [`Error`] is: the `deep_status` codes of `deep.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// A required handle or pointer was NULL.
    Null,
    /// An argument is outside its allowed values.
    InvalidArgument,
    /// Shapes or sizes do not fit together.
    Shape,
    /// An index, axis or label is out of range.
    OutOfRange,
    /// An allocation failed.
    NoMemory,
    /// A size or element count does not fit in 64 bits.
    Overflow,
    /// Calls in the wrong order (e.g. fit before compile).
    State,
    /// A file could not be opened, read or written.
    Io,
    /// A file or buffer is corrupt, truncated or unsupported.
    Format,
    /// NaN or infinity where a finite number is needed.
    Numeric,
    /// A valid request the library does not implement.
    Unsupported,
    /// A thread could not be started, or a handle is busy.
    Thread,
    /// A caller's buffer is smaller than the result.
    BufferTooSmall,
    /// A code this binding does not know yet (a newer library).
    Other(i32),
}

impl Status {
    pub(crate) fn from_code(code: sys::deep_status) -> Status {
        match code {
            sys::DEEP_ERR_NULL => Status::Null,
            sys::DEEP_ERR_INVALID_ARGUMENT => Status::InvalidArgument,
            sys::DEEP_ERR_SHAPE => Status::Shape,
            sys::DEEP_ERR_OUT_OF_RANGE => Status::OutOfRange,
            sys::DEEP_ERR_NO_MEMORY => Status::NoMemory,
            sys::DEEP_ERR_OVERFLOW => Status::Overflow,
            sys::DEEP_ERR_STATE => Status::State,
            sys::DEEP_ERR_IO => Status::Io,
            sys::DEEP_ERR_FORMAT => Status::Format,
            sys::DEEP_ERR_NUMERIC => Status::Numeric,
            sys::DEEP_ERR_UNSUPPORTED => Status::Unsupported,
            sys::DEEP_ERR_THREAD => Status::Thread,
            sys::DEEP_ERR_BUFFER_TOO_SMALL => Status::BufferTooSmall,
            other => Status::Other(other),
        }
    }

    /// The numeric `deep_status` value.
    pub fn code(self) -> i32 {
        match self {
            Status::Null => sys::DEEP_ERR_NULL,
            Status::InvalidArgument => sys::DEEP_ERR_INVALID_ARGUMENT,
            Status::Shape => sys::DEEP_ERR_SHAPE,
            Status::OutOfRange => sys::DEEP_ERR_OUT_OF_RANGE,
            Status::NoMemory => sys::DEEP_ERR_NO_MEMORY,
            Status::Overflow => sys::DEEP_ERR_OVERFLOW,
            Status::State => sys::DEEP_ERR_STATE,
            Status::Io => sys::DEEP_ERR_IO,
            Status::Format => sys::DEEP_ERR_FORMAT,
            Status::Numeric => sys::DEEP_ERR_NUMERIC,
            Status::Unsupported => sys::DEEP_ERR_UNSUPPORTED,
            Status::Thread => sys::DEEP_ERR_THREAD,
            Status::BufferTooSmall => sys::DEEP_ERR_BUFFER_TOO_SMALL,
            Status::Other(code) => code,
        }
    }

    /// The C name, e.g. `"DEEP_ERR_SHAPE"` (`deep_status_string`).
    pub fn name(self) -> &'static str {
        // A static string of the library, never freed.
        unsafe { CStr::from_ptr(sys::deep_status_string(self.code())) }.to_str().unwrap_or("DEEP_ERR_?")
    }
}

/// A failed libdeep call: its status and the message naming the C function and what was
/// wrong, e.g. `deep_model_predict: inputs of shape (4, 3) have 3 features ...`. Failures
/// the binding finds before calling C (a slice of the wrong length, a string with a NUL)
/// are reported the same way, their message naming the Rust method (`Dataset::new: ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// The error of the call that just returned `code` on this thread.
    pub(crate) fn last(code: sys::deep_status) -> Error {
        let message = unsafe { CStr::from_ptr(sys::deep_last_error()) }.to_string_lossy().into_owned();
        Error { status: Status::from_code(code), message }
    }

    /// A failure found on the Rust side before calling C, reported like a C one.
    pub(crate) fn new(status: Status, message: String) -> Error {
        Error { status, message }
    }

    /// What kind of failure it is.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The message, naming the function and what was wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.status.name())
    }
}

impl std::error::Error for Error {}

/// The result of every fallible call of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Ok for `DEEP_OK`, else the error the call left on this thread.
pub(crate) fn check(code: sys::deep_status) -> Result<()> {
    if code == sys::DEEP_OK {
        Ok(())
    } else {
        Err(Error::last(code))
    }
}
