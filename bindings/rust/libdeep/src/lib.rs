//! Safe Rust API of libdeep, deep learning and tree learning in C.
//!
//! Every handle owns its C object and frees it on drop. Every C failure becomes an
//! [`Error`] carrying the [`Status`] and the message `deep_last_error()` gave for it (the
//! message is read on the same thread right after the call). Data goes in and out as slices.
//!
//! The crate is split by purpose, everything re-exported here:
//!
//! | module | what |
//! | --- | --- |
//! | `error` | [`Status`], [`Error`], [`Result`] |
//! | `tensor`, `rng` | [`Tensor`], [`Rng`] |
//! | `data` | [`Dataset`] (IDX, CSV, CIFAR-10, sequences, windows, scaling, missing values), [`kfold_indices`] |
//! | `columns` | typed tables: [`Dataset::load_csv_typed`], [`Encoding`] (get_dummies, ordinal), columns by name, value counts |
//! | `vocab` | [`Vocab`], Keras' `Tokenizer` |
//! | `metrics` | [`accuracy`], [`confusion_matrix`], [`precision_recall_f1`] |
//! | `optimizer` | [`Optimizer`], [`OptimizerRef`] |
//! | `model` | [`Model`]: compile, fit, evaluate, predict, settings, history |
//! | [`layers`] | the layer builders ([`layers::Lstm`], [`layers::Conv2d`], ...) and [`Model::add`] |
//! | `graph` | layer graphs: [`Model::add_input`], [`Model::connect`], [`Model::apply_layer`], [`Model::submodel`], [`NodeId`]; merge layers in [`layers`] |
//! | `modelio` | model files and buffers, weights |
//! | `online` | [`Model::train_on_batch`], [`Model::predict_on_batch`], [`Model::copy_weights_from`], [`Model::clone_model`] |
//! | `callbacks` | log, batch and epoch callbacks as Rust closures ([`Model::set_log`], [`Model::set_epoch_callback`]) |
//! | `trees` | [`Tree`], [`Forest`], [`Node`] |
//!
//! Threads, as `deep.h` promises them: every handle may move to another thread (`Send`).
//! [`Model`], [`Tree`] and [`Forest`] are also `Sync`: predicting with one fitted model from
//! many threads at once is allowed, so the methods that only read take `&self`, and those
//! the header forbids to run alongside any other call (`fit`, `evaluate`, the setters)
//! take `&mut self`. [`Tensor`] is `Sync` as well (concurrent reads are allowed; writes take
//! `&mut self`), and so is [`Vocab`] (a frozen vocabulary may be used from several threads;
//! `add_*` and `freeze` take `&mut self`). [`Dataset`], [`Optimizer`] and [`Rng`] are not
//! `Sync`: the header makes no promise about sharing the first two and forbids it for the
//! generator. Callbacks installed on a model run inside `fit`, so they must be `Send` (the
//! model may move) but need not be `Sync`.
//!
//! Not wrapped: `deep_clear_error` (errors are captured into [`Error`] values when they
//! happen, so there is nothing left to clear) and `deep_model_get_log` /
//! `deep_model_get_callbacks` (the closures installed are owned by the [`Model`]), and
//! `deep_set_last_error` (for C companion libraries such as libdeep-mpi; Rust code returns
//! its own [`Error`]), the calls for forests grown in pieces across processes
//! (`deep_forest_fit_trees`, `deep_forest_join`, `deep_forest_compute_oob_score`,
//! `deep_forest_save_buffer`, `deep_forest_load_buffer`) and `deep_model_set_replica` /
//! `deep_model_get_replica` with the `DEEP_REPLICA_*` events (the data-parallel hook): these
//! are libdeep-mpi's, which has no Rust binding yet.
//! `tests/header.rs` keeps this list true (every other function of the header is called by
//! the crate, and a listed one must not be), and `tests/registry.rs` checks that every layer
//! type of `docs/layers.md` has its builder and every layer option its builder method
//! (`Embedding::mask_zero`, `Gru::reset_after`, `Lstm::unit_forget_bias`, ...).
//!
//! ```
//! use libdeep::{Activation, Loss, Metric, Model, Optimizer, OptimizerKind};
//! let mut model = Model::new(&[2])?;
//! model.add_dense(4, Activation::Tanh)?;
//! model.add_dense(2, Activation::Softmax)?;
//! model.compile(Optimizer::new(OptimizerKind::Adam)?, Loss::SparseCategoricalCrossentropy,
//!               &[Metric::Accuracy])?;
//! assert_eq!(model.parameter_count()?, 2 * 4 + 4 + 4 * 2 + 2);
//! # Ok::<(), libdeep::Error>(())
//! ```
//!
//! The optimizer belongs to the model after `compile`, so it cannot be used again:
//!
//! ```compile_fail
//! use libdeep::{Loss, Model, Optimizer, OptimizerKind, OptimizerOption};
//! let mut model = Model::new(&[2]).unwrap();
//! let mut adam = Optimizer::new(OptimizerKind::Adam).unwrap();
//! model.compile(adam, Loss::MeanSquaredError, &[]).unwrap();
//! adam.set(OptimizerOption::LearningRate, 0.1).unwrap(); // error: use of moved value
//! ```
//!
//! A handle cannot be used after it is dropped (closed):
//!
//! ```compile_fail
//! let t = libdeep::Tensor::zeros(&[2]).unwrap();
//! drop(t);
//! t.shape().unwrap(); // error: use of moved value
//! ```
//!
//! Datasets are not shared between threads:
//!
//! ```compile_fail
//! fn shared<T: Sync>() {}
//! shared::<libdeep::Dataset>();
//! ```
//!
//! ```compile_fail
//! fn shared<T: Sync>() {}
//! shared::<libdeep::Optimizer>();
//! ```
//!
//! ```compile_fail
//! fn shared<T: Sync>() {}
//! shared::<libdeep::Rng>();
//! ```
//!
//! A callback must be `Send`, since the model that holds it may move to another thread:
//!
//! ```compile_fail
//! let mut model = libdeep::Model::new(&[2]).unwrap();
//! let counter = std::rc::Rc::new(std::cell::Cell::new(0));
//! let c = counter.clone();
//! model.set_batch_callback(move |_, _, _| { c.set(c.get() + 1); std::ops::ControlFlow::Continue(()) }).unwrap();
//! ```
//!
//! The model an epoch callback sees cannot be kept beyond the callback (it borrows the model
//! being fitted, and is not `Send`):
//!
//! ```compile_fail
//! let mut model = libdeep::Model::new(&[2]).unwrap();
//! let mut kept = None;
//! model.set_epoch_callback(move |m, _| { kept = Some(m); std::ops::ControlFlow::Continue(()) }).unwrap();
//! ```
#![warn(missing_docs)]
use std::ffi::CStr;

use libdeep_sys as sys;

/// The owned-handle boilerplate: `from_raw`, `ptr`, `Drop` (the C free) and `Debug`.
macro_rules! handle {
    ($name:ident, $raw:ty, $free:path) => {
        impl $name {
            pub(crate) fn from_raw(raw: *mut $raw) -> $name {
                // The C calls that succeed always give a handle.
                $name { raw: std::ptr::NonNull::new(raw).expect(concat!("libdeep returned a NULL ", stringify!($name))) }
            }
            pub(crate) fn ptr(&self) -> *mut $raw {
                self.raw.as_ptr()
            }
        }
        impl Drop for $name {
            fn drop(&mut self) {
                unsafe { $free(self.raw.as_ptr()) }
            }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:p})", stringify!($name), self.raw)
            }
        }
    };
}

/// A Rust enum for a C enum, each variant equal to its C value.
macro_rules! c_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:path),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum $name { $($(#[$vdoc])* $variant = $value),* }
    };
}

mod callbacks;
mod convert;
mod data;
mod columns;
mod imputer;
mod error;
mod graph;
pub mod layers;
mod metrics;
mod model;
mod modelio;
mod onnx;
mod online;
mod outputs;
mod optimizer;
mod rng;
mod tensor;
mod trees;
mod vocab;
mod svg;
mod weight_rules;
mod noise_layers;
mod act_layers;
mod onnx_export;
mod weights;
mod keras_options;

pub use callbacks::{EpochModel, LogLevel};
pub use data::{kfold_indices, stratified_kfold_indices, ColumnStat, Dataset, FillStrategy, PadSide};
pub use columns::{Encoding, Join};
pub use imputer::Imputer;
pub use error::{Error, Result, Status};
pub use graph::NodeId;
pub use layers::{Activation, Interpolation, Layer, LayerOption, MergeMode, Padding};
pub use metrics::{accuracy, confusion_matrix, precision_recall_f1, ClassificationReport, ConfusionMatrix};
pub use model::{Loss, Metric, Model, ModelOption};
pub use optimizer::{Optimizer, OptimizerKind, OptimizerOption, OptimizerRef, Schedule, ScheduleKind};
pub use rng::Rng;
pub use tensor::Tensor;
pub use trees::{
    Criterion, Cv, Forest, Node, Split, Splitter, Tree, TreeKind, TreeOption, MAX_FEATURES_ALL, MAX_FEATURES_LOG2,
    MAX_FEATURES_SQRT, UNLIMITED,
};
pub use vocab::{TokenKind, Vocab};
pub use weight_rules::{Constraint, ConstraintSetting, Initializer, WeightRole};
pub use keras_options::MetricOption;

/// The version of the loaded C library, "MAJOR.MINOR.PATCH".
pub fn version() -> &'static str {
    unsafe { CStr::from_ptr(sys::deep_version_string()) }.to_str().unwrap_or("?")
}

/// The loaded library's `DEEP_VERSION_NUMBER` (MAJOR * 10000 + MINOR * 100 + PATCH), to
/// compare with the header's [`libdeep_sys::DEEP_VERSION_NUMBER`] at run time.
pub fn version_number() -> i32 {
    unsafe { sys::deep_version_number() }
}

/// The number of cores the process may use.
pub fn cpu_count() -> i64 {
    unsafe { sys::deep_cpu_count() }
}
