//! The log and the batch and epoch callbacks of `fit` as Rust closures: C calls
//! `extern "C"` trampolines with a pointer to the closures as its `user` data. A panic in a
//! closure never unwinds into C: it is caught, fit is asked to stop, and the panic resumes
//! in [`Model::fit`] once the C call has returned.
use std::any::Any;
use std::ffi::CStr;
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::os::raw::{c_char, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

use crate::error::{check, Result};
use crate::model::{read, Metric, Model};
use crate::optimizer::OptimizerRef;
use crate::tensor::Tensor;

c_enum!(
    /// The level of a log line (`deep_log_level`).
    LogLevel {
        /// Details.
        Debug = sys::DEEP_LOG_DEBUG,
        /// Progress, e.g. one line per epoch.
        Info = sys::DEEP_LOG_INFO,
        /// Something to look at.
        Warning = sys::DEEP_LOG_WARNING,
        /// A failure.
        Error = sys::DEEP_LOG_ERROR,
    }
);

impl LogLevel {
    fn from_code(code: sys::deep_log_level) -> LogLevel {
        match code {
            sys::DEEP_LOG_DEBUG => LogLevel::Debug,
            sys::DEEP_LOG_WARNING => LogLevel::Warning,
            sys::DEEP_LOG_ERROR => LogLevel::Error,
            _ => LogLevel::Info,
        }
    }
}

type LogFn = Box<dyn FnMut(LogLevel, &str) + Send>;
type BatchFn = Box<dyn FnMut(usize, usize, f64) -> ControlFlow<()> + Send>;
type EpochFn = Box<dyn for<'a> FnMut(&mut EpochModel<'a>, usize) -> ControlFlow<()> + Send>;

/// Everything a model's C callbacks reach through their `user` pointer.
#[derive(Default)]
pub(crate) struct Hooks {
    log: Option<LogFn>,
    batch: Option<BatchFn>,
    epoch: Option<EpochFn>,
    /// The first panic caught in a closure, resumed when fit returns.
    panic: Option<Box<dyn Any + Send>>,
}

/// Runs a closure for C, catching its panic into the hooks. None when it panicked now or
/// one panicked before (then fit is already being stopped and nothing more runs).
///
/// Safety: `hooks` is the live pointer the model lent to C.
unsafe fn guarded<R>(hooks: *mut Hooks, call: impl FnOnce(*mut Hooks) -> R) -> Option<R> {
    if (*hooks).panic.is_some() {
        return None;
    }
    match panic::catch_unwind(AssertUnwindSafe(|| call(hooks))) {
        Ok(r) => Some(r),
        Err(payload) => {
            (*hooks).panic = Some(payload);
            None
        }
    }
}

unsafe extern "C" fn log_trampoline(user: *mut c_void, level: sys::deep_log_level, message: *const c_char) {
    let hooks = user as *mut Hooks;
    guarded(hooks, |hooks| {
        if let Some(log) = (*hooks).log.as_mut() {
            let text = if message.is_null() { "".into() } else { CStr::from_ptr(message).to_string_lossy() };
            log(LogLevel::from_code(level), &text);
        }
    });
}

unsafe extern "C" fn batch_trampoline(user: *mut c_void, epoch: i64, batch: i64, loss: f64) -> i32 {
    let hooks = user as *mut Hooks;
    let flow = guarded(hooks, |hooks| match (*hooks).batch.as_mut() {
        Some(f) => f(epoch.max(0) as usize, batch.max(0) as usize, loss),
        None => ControlFlow::Continue(()),
    });
    // Stop after a panic, here or in the log or epoch closure.
    matches!(flow, None | Some(ControlFlow::Break(()))) as i32
}

unsafe extern "C" fn epoch_trampoline(user: *mut c_void, model: *mut sys::deep_model, epoch: i64) -> i32 {
    let hooks = user as *mut Hooks;
    let flow = guarded(hooks, |hooks| match ((*hooks).epoch.as_mut(), NonNull::new(model)) {
        (Some(f), Some(raw)) => f(&mut EpochModel { raw, _fit: PhantomData }, epoch.max(0) as usize),
        _ => ControlFlow::Continue(()),
    });
    matches!(flow, None | Some(ControlFlow::Break(()))) as i32
}

/// The model as an epoch callback sees it, in the middle of [`Model::fit`]: what `deep.h`
/// allows there — reading the history, changing the optimizer's settings (a learning-rate
/// schedule), reading weights and saving (a save from the epoch callback is a resume point
/// as a checkpoint is). It cannot outlive the callback.
pub struct EpochModel<'a> {
    raw: NonNull<sys::deep_model>,
    _fit: PhantomData<&'a mut ()>,
}

impl EpochModel<'_> {
    fn ptr(&self) -> *mut sys::deep_model {
        self.raw.as_ptr()
    }

    /// The epochs recorded so far by this fit (the current one included).
    pub fn history_length(&self) -> Result<usize> {
        read::history_length(self.ptr())
    }

    /// A metric (or `Metric::Loss`) of a recorded epoch, on the training or validation data.
    pub fn history(&self, epoch: usize, metric: Metric, validation: bool) -> Result<f64> {
        read::history(self.ptr(), epoch, metric, validation)
    }

    /// One output's own loss or metric of a recorded epoch, as [`Model::history_output`].
    pub fn history_output(&self, epoch: usize, output: i32, metric: Metric, validation: bool) -> Result<f64> {
        read::history_output(self.ptr(), epoch, output, metric, validation)
    }

    /// The model's optimizer, e.g. to set its learning rate for the next epoch.
    pub fn optimizer(&mut self) -> Result<OptimizerRef<'_>> {
        OptimizerRef::of(self.ptr())
    }

    /// A copy of weight `index` of `layer` (from 0), as [`Model::get_weight`].
    pub fn get_weight(&self, layer: i32, index: i32) -> Result<Tensor> {
        crate::modelio::get_weight(self.ptr(), layer, index)
    }

    /// Saves the model as it is after this epoch, as [`Model::save`].
    pub fn save<P: AsRef<Path>>(&self, path: P) -> Result<()> {
        crate::modelio::save(self.ptr(), path.as_ref())
    }

    /// The model file in memory, as [`Model::to_bytes`].
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        crate::modelio::to_bytes(self.ptr())
    }
}

impl std::fmt::Debug for EpochModel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EpochModel({:p})", self.raw)
    }
}

impl Model {
    fn hooks_mut(&mut self) -> &mut Hooks {
        let raw = *self.hooks.get_or_insert_with(|| NonNull::from(Box::leak(Box::<Hooks>::default())));
        // Only fit reaches the hooks through C, and it takes &mut self as this does.
        unsafe { &mut *raw.as_ptr() }
    }

    /// Tells C which trampolines to call for the closures installed now.
    fn install_hooks(&mut self) -> Result<()> {
        let user = self.hooks.map_or(ptr::null_mut(), |h| h.as_ptr() as *mut c_void);
        let (has_log, has_batch, has_epoch) = match self.hooks {
            Some(h) => {
                let h = unsafe { h.as_ref() };
                (h.log.is_some(), h.batch.is_some(), h.epoch.is_some())
            }
            None => (false, false, false),
        };
        if has_log {
            check(unsafe { sys::deep_model_set_log(self.ptr(), Some(log_trampoline), user) })?;
        }
        // The batch trampoline also stops fit after the log closure panicked.
        let on_batch: sys::deep_batch_fn = if has_batch || has_log { Some(batch_trampoline) } else { None };
        let on_epoch: sys::deep_epoch_fn = if has_epoch { Some(epoch_trampoline) } else { None };
        check(unsafe { sys::deep_model_set_callbacks(self.ptr(), on_batch, on_epoch, user) })
    }

    /// Sends the log lines of fit (one per epoch while `ModelOption::Verbose` is 1, e.g.
    /// `Epoch 3/10 - 2.1s - loss: 0.3120 - accuracy: 0.8861`) to a closure.
    pub fn set_log<F>(&mut self, log: F) -> Result<()>
    where
        F: FnMut(LogLevel, &str) + Send + 'static,
    {
        self.hooks_mut().log = Some(Box::new(log));
        self.install_hooks()
    }

    /// Sends the log lines to standard output (INFO, DEBUG) and standard error (WARNING,
    /// ERROR): the library's `deep_log_console`.
    pub fn set_log_console(&mut self) -> Result<()> {
        check(unsafe { sys::deep_model_set_log(self.ptr(), Some(sys::deep_log_console), ptr::null_mut()) })?;
        if let Some(mut h) = self.hooks {
            unsafe { h.as_mut() }.log = None;
        }
        self.install_hooks()
    }

    /// Discards the log lines again (the default).
    pub fn clear_log(&mut self) -> Result<()> {
        check(unsafe { sys::deep_model_set_log(self.ptr(), None, ptr::null_mut()) })?;
        if let Some(mut h) = self.hooks {
            unsafe { h.as_mut() }.log = None;
        }
        self.install_hooks()
    }

    /// Calls `on_batch(epoch, batch, loss)` after every training batch (both 0-based) with
    /// its mean loss; `ControlFlow::Break(())` stops fit after that batch.
    pub fn set_batch_callback<F>(&mut self, on_batch: F) -> Result<()>
    where
        F: FnMut(usize, usize, f64) -> ControlFlow<()> + Send + 'static,
    {
        self.hooks_mut().batch = Some(Box::new(on_batch));
        self.install_hooks()
    }

    /// Calls `on_epoch(model, epoch)` after every epoch (0-based) once its history is
    /// recorded; `ControlFlow::Break(())` stops fit after that epoch.
    pub fn set_epoch_callback<F>(&mut self, on_epoch: F) -> Result<()>
    where
        F: for<'a> FnMut(&mut EpochModel<'a>, usize) -> ControlFlow<()> + Send + 'static,
    {
        self.hooks_mut().epoch = Some(Box::new(on_epoch));
        self.install_hooks()
    }

    /// Removes the batch and epoch callbacks.
    pub fn clear_callbacks(&mut self) -> Result<()> {
        if let Some(mut h) = self.hooks {
            let h = unsafe { h.as_mut() };
            h.batch = None;
            h.epoch = None;
        }
        self.install_hooks()
    }

    /// Resumes the panic a closure raised during the last C call, if any.
    pub(crate) fn resume_callback_panic(&mut self) {
        if let Some(mut h) = self.hooks {
            if let Some(payload) = unsafe { h.as_mut() }.panic.take() {
                panic::resume_unwind(payload);
            }
        }
    }
}
