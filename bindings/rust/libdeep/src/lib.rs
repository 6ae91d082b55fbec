//! Safe Rust API of libdeep, deep learning and tree learning in C.
//!
//! Every handle owns its C object and frees it on drop. Every C failure becomes an
//! [`Error`] carrying the [`Status`] and the message `deep_last_error()` gave for it (the
//! message is read on the same thread right after the call). Data goes in and out as slices.
//!
//! Threads, as `deep.h` promises them: every handle may move to another thread (`Send`).
//! [`Model`], [`Tree`] and [`Forest`] are also `Sync`: predicting with one fitted model from
//! many threads at once is allowed, so the methods that only read take `&self`, and those
//! the header forbids to run alongside any other call (`fit`, `evaluate`, the setters)
//! take `&mut self`. [`Tensor`] is `Sync` as well (concurrent reads are allowed; writes take
//! `&mut self`). [`Dataset`] and [`Optimizer`] are not `Sync`: the header makes no promise
//! about sharing them.
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
use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::c_char;
use std::path::Path;
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

/// What kind of failure an [`Error`] is: the `deep_status` codes of `deep.h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Null,
    InvalidArgument,
    Shape,
    OutOfRange,
    NoMemory,
    Overflow,
    State,
    Io,
    Format,
    Numeric,
    Unsupported,
    Thread,
    BufferTooSmall,
    /// A code this binding does not know yet (a newer library).
    Other(i32),
}

impl Status {
    fn from_code(code: sys::deep_status) -> Status {
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
/// wrong, e.g. `deep_model_predict: inputs of shape (4, 3) have 3 features ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// The error of the call that just returned `code` on this thread.
    fn last(code: sys::deep_status) -> Error {
        let message = unsafe { CStr::from_ptr(sys::deep_last_error()) }.to_string_lossy().into_owned();
        Error { status: Status::from_code(code), message }
    }

    /// A failure found on the Rust side before calling C, reported like a C one.
    fn new(status: Status, message: String) -> Error {
        Error { status, message }
    }

    pub fn status(&self) -> Status {
        self.status
    }

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

pub type Result<T> = std::result::Result<T, Error>;

fn check(code: sys::deep_status) -> Result<()> {
    if code == sys::DEEP_OK {
        Ok(())
    } else {
        Err(Error::last(code))
    }
}

fn rank(shape: &[i64]) -> i32 {
    i32::try_from(shape.len()).unwrap_or(i32::MAX) // the C side refuses ranks above 8
}

fn len64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The product of positive dimensions, None when one is not positive or it overflows.
fn elements(shape: &[i64]) -> Option<i64> {
    shape.iter().try_fold(1i64, |n, &d| if d > 0 { n.checked_mul(d) } else { None })
}

fn c_path(path: &Path) -> Result<CString> {
    let text = path
        .to_str()
        .ok_or_else(|| Error::new(Status::InvalidArgument, format!("path {:?} is not UTF-8", path)))?;
    CString::new(text).map_err(|_| Error::new(Status::InvalidArgument, format!("path {:?} contains a NUL", path)))
}

/// The version of the loaded C library, "MAJOR.MINOR.PATCH".
pub fn version() -> &'static str {
    unsafe { CStr::from_ptr(sys::deep_version_string()) }.to_str().unwrap_or("?")
}

/// The number of cores the process may use.
pub fn cpu_count() -> i32 {
    unsafe { sys::deep_cpu_count() }
}

macro_rules! handle {
    ($name:ident, $raw:ty, $free:path) => {
        impl $name {
            fn from_raw(raw: *mut $raw) -> $name {
                // The C calls that succeed always give a handle.
                $name { raw: NonNull::new(raw).expect(concat!("libdeep returned a NULL ", stringify!($name))) }
            }
            fn ptr(&self) -> *mut $raw {
                self.raw.as_ptr()
            }
        }
        impl Drop for $name {
            fn drop(&mut self) {
                unsafe { $free(self.raw.as_ptr()) }
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:p})", stringify!($name), self.raw)
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Tensors

/// A dense float32 array of rank 1 to 8, row-major.
pub struct Tensor {
    raw: NonNull<sys::deep_tensor>,
}
handle!(Tensor, sys::deep_tensor, sys::deep_tensor_free);
// deep.h: a tensor belongs to no thread; concurrent reads are allowed and writes need &mut.
unsafe impl Send for Tensor {}
unsafe impl Sync for Tensor {}

impl Tensor {
    /// A tensor of the given shape holding a copy of data (exactly the shape's element count).
    pub fn new(shape: &[i64], data: &[f32]) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_tensor_new_from(rank(shape), shape.as_ptr(), data.as_ptr(), len64(data.len()), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[i64]) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_tensor_new(rank(shape), shape.as_ptr(), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// A deep copy.
    pub fn try_clone(&self) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_tensor_clone(self.ptr(), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    pub fn shape(&self) -> Result<Vec<i64>> {
        let mut r = 0i32;
        check(unsafe { sys::deep_tensor_rank(self.ptr(), &mut r) })?;
        let mut shape = vec![0i64; r as usize];
        check(unsafe { sys::deep_tensor_shape(self.ptr(), shape.as_mut_ptr(), r) })?;
        Ok(shape)
    }

    pub fn len(&self) -> Result<usize> {
        let mut n = 0i64;
        check(unsafe { sys::deep_tensor_size(self.ptr(), &mut n) })?;
        Ok(n as usize)
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The elements, row-major, borrowed from the tensor.
    pub fn data(&self) -> Result<&[f32]> {
        let n = self.len()?;
        let mut data: *const f32 = ptr::null();
        check(unsafe { sys::deep_tensor_data(self.ptr(), &mut data) })?;
        // The buffer lives as long as the tensor and never moves (reshape keeps it).
        Ok(unsafe { std::slice::from_raw_parts(data, n) })
    }

    /// The elements, mutably.
    pub fn data_mut(&mut self) -> Result<&mut [f32]> {
        let n = self.len()?;
        let mut data: *mut f32 = ptr::null_mut();
        check(unsafe { sys::deep_tensor_data_mut(self.ptr(), &mut data) })?;
        Ok(unsafe { std::slice::from_raw_parts_mut(data, n) })
    }

    /// A new shape with the same element count; one dimension may be -1.
    pub fn reshape(&mut self, shape: &[i64]) -> Result<()> {
        check(unsafe { sys::deep_tensor_reshape(self.ptr(), rank(shape), shape.as_ptr()) })
    }

    /// The index of the largest element of each row along the last axis.
    pub fn argmax(&self) -> Result<Vec<i64>> {
        let n = len64(self.len()?);
        let mut last = 0i64;
        check(unsafe { sys::deep_tensor_dim(self.ptr(), -1, &mut last) })?;
        let mut out = vec![0i64; (n / last.max(1)) as usize];
        check(unsafe { sys::deep_tensor_argmax(self.ptr(), out.as_mut_ptr(), len64(out.len())) })?;
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Datasets

/// Samples of one shape as float features, with class labels and/or float targets.
pub struct Dataset {
    raw: NonNull<sys::deep_dataset>,
}
handle!(Dataset, sys::deep_dataset, sys::deep_dataset_free);
// deep.h ties no handle to a thread; it says nothing about sharing a dataset, so no Sync.
unsafe impl Send for Dataset {}

impl Dataset {
    /// `features.len() / product(sample_shape)` samples of shape `sample_shape`, copied.
    pub fn new(sample_shape: &[i64], features: &[f32]) -> Result<Dataset> {
        let mut count = 1i64;
        if let Some(size) = elements(sample_shape) {
            // The C function reads count * size floats: the slice must hold exactly that.
            if features.is_empty() || len64(features.len()) % size != 0 {
                return Err(Error::new(
                    Status::Shape,
                    format!("Dataset::new: {} features do not make whole samples of {}", features.len(), size),
                ));
            }
            count = len64(features.len()) / size;
        } // else the C library reports the bad shape, before reading any feature
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_new(count, rank(sample_shape), sample_shape.as_ptr(), features.as_ptr(), &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// Loads a CSV file with a header row; `label_column` names the class label column.
    pub fn load_csv<P: AsRef<Path>>(path: P, label_column: Option<&str>) -> Result<Dataset> {
        let path = c_path(path.as_ref())?;
        let label = match label_column {
            Some(l) => Some(CString::new(l).map_err(|_| Error::new(Status::InvalidArgument, "label column contains a NUL".into()))?),
            None => None,
        };
        let label_ptr: *const c_char = label.as_ref().map_or(ptr::null(), |l| l.as_ptr());
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_load_csv(path.as_ptr(), label_ptr, &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// Loads an IDX image file (MNIST / Fashion-MNIST, plain or .gz) and, when given, its
    /// IDX label file.
    pub fn load_idx<P: AsRef<Path>, Q: AsRef<Path>>(images: P, labels: Option<Q>) -> Result<Dataset> {
        let images = c_path(images.as_ref())?;
        let labels = match labels {
            Some(l) => Some(c_path(l.as_ref())?),
            None => None,
        };
        let labels_ptr: *const c_char = labels.as_ref().map_or(ptr::null(), |l| l.as_ptr());
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_load_idx(images.as_ptr(), labels_ptr, &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// The shape of one sample.
    pub fn sample_shape(&self) -> Result<Vec<i64>> {
        let mut shape = vec![0i64; sys::DEEP_MAX_RANK as usize];
        let mut r = 0i32;
        check(unsafe { sys::deep_dataset_sample_shape(self.ptr(), shape.as_mut_ptr(), rank_of(shape.len()), &mut r) })?;
        shape.truncate(r as usize);
        Ok(shape)
    }

    /// Gives every sample a new shape with the same number of features.
    pub fn reshape(&mut self, sample_shape: &[i64]) -> Result<()> {
        check(unsafe { sys::deep_dataset_reshape(self.ptr(), rank(sample_shape), sample_shape.as_ptr()) })
    }

    /// feature = feature * scale + shift for every feature.
    pub fn scale(&mut self, scale: f32, shift: f32) -> Result<()> {
        check(unsafe { sys::deep_dataset_scale(self.ptr(), scale, shift) })
    }

    /// Class labels in `[0, num_classes)`, one per sample (num_classes 0: the largest + 1).
    pub fn set_labels(&mut self, labels: &[i32], num_classes: i32) -> Result<()> {
        check(unsafe { sys::deep_dataset_set_labels(self.ptr(), labels.as_ptr(), len64(labels.len()), num_classes) })
    }

    /// `width` float targets per sample; `targets.len()` must be count * width.
    pub fn set_targets(&mut self, targets: &[f32], width: usize) -> Result<()> {
        if width == 0 || targets.is_empty() || targets.len() % width != 0 {
            return Err(Error::new(
                Status::Shape,
                format!("Dataset::set_targets: {} targets are not whole rows of width {}", targets.len(), width),
            ));
        }
        let rows = len64(targets.len() / width);
        check(unsafe { sys::deep_dataset_set_targets(self.ptr(), targets.as_ptr(), rows, len64(width)) })
    }

    /// Sets the targets to the one-hot rows of the labels.
    pub fn to_categorical(&mut self) -> Result<()> {
        check(unsafe { sys::deep_dataset_to_categorical(self.ptr()) })
    }

    pub fn count(&self) -> Result<usize> {
        let mut n = 0i64;
        check(unsafe { sys::deep_dataset_count(self.ptr(), &mut n) })?;
        Ok(n as usize)
    }

    /// A copy of the labels; a `Status::State` error when there are none.
    pub fn labels(&self) -> Result<Vec<i32>> {
        let mut labels = vec![0i32; self.count()?];
        check(unsafe { sys::deep_dataset_labels(self.ptr(), labels.as_mut_ptr(), len64(labels.len())) })?;
        Ok(labels)
    }

    /// All features as a new tensor (count, sample shape...).
    pub fn features(&self) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_features(self.ptr(), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// New train and test datasets, `test_fraction` of the samples to test (seeded).
    pub fn split(&self, test_fraction: f64, seed: u64, stratify: bool) -> Result<(Dataset, Dataset)> {
        let (mut a, mut b) = (ptr::null_mut(), ptr::null_mut());
        check(unsafe { sys::deep_dataset_split(self.ptr(), test_fraction, seed, stratify as i32, &mut a, &mut b) })?;
        Ok((Dataset::from_raw(a), Dataset::from_raw(b)))
    }
}

// ---------------------------------------------------------------------------------------------
// Models

macro_rules! c_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $value:path),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum $name { $($variant = $value),* }
    };
}

c_enum!(
    /// A layer's activation (`deep_activation`).
    Activation {
        Linear = sys::DEEP_ACTIVATION_LINEAR,
        Relu = sys::DEEP_ACTIVATION_RELU,
        Sigmoid = sys::DEEP_ACTIVATION_SIGMOID,
        Tanh = sys::DEEP_ACTIVATION_TANH,
        Softmax = sys::DEEP_ACTIVATION_SOFTMAX,
        LeakyRelu = sys::DEEP_ACTIVATION_LEAKY_RELU,
        Elu = sys::DEEP_ACTIVATION_ELU,
    }
);
c_enum!(
    /// What a model minimises (`deep_loss`).
    Loss {
        MeanSquaredError = sys::DEEP_LOSS_MEAN_SQUARED_ERROR,
        BinaryCrossentropy = sys::DEEP_LOSS_BINARY_CROSSENTROPY,
        CategoricalCrossentropy = sys::DEEP_LOSS_CATEGORICAL_CROSSENTROPY,
        SparseCategoricalCrossentropy = sys::DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
    }
);
c_enum!(
    /// A compiled metric (`deep_metric`).
    Metric {
        Loss = sys::DEEP_METRIC_LOSS,
        Accuracy = sys::DEEP_METRIC_ACCURACY,
        MeanAbsoluteError = sys::DEEP_METRIC_MEAN_ABSOLUTE_ERROR,
    }
);
c_enum!(
    /// Padding of convolution and pooling layers (`deep_padding`).
    Padding { Valid = sys::DEEP_PADDING_VALID, Same = sys::DEEP_PADDING_SAME }
);
c_enum!(
    /// Integer and float settings of a model (`deep_model_option`).
    ModelOption {
        Threads = sys::DEEP_MODEL_THREADS,
        Shuffle = sys::DEEP_MODEL_SHUFFLE,
        ValidationSplit = sys::DEEP_MODEL_VALIDATION_SPLIT,
        EarlyStoppingPatience = sys::DEEP_MODEL_EARLY_STOPPING_PATIENCE,
        EarlyStoppingMinDelta = sys::DEEP_MODEL_EARLY_STOPPING_MIN_DELTA,
        Verbose = sys::DEEP_MODEL_VERBOSE,
    }
);
c_enum!(
    /// An optimizer kind (`deep_optimizer_kind`).
    OptimizerKind {
        Sgd = sys::DEEP_OPTIMIZER_SGD,
        Adam = sys::DEEP_OPTIMIZER_ADAM,
        RmsProp = sys::DEEP_OPTIMIZER_RMSPROP,
        Adagrad = sys::DEEP_OPTIMIZER_ADAGRAD,
    }
);
c_enum!(
    /// An optimizer setting (`deep_optimizer_option`).
    OptimizerOption {
        LearningRate = sys::DEEP_OPT_LEARNING_RATE,
        Momentum = sys::DEEP_OPT_MOMENTUM,
        Nesterov = sys::DEEP_OPT_NESTEROV,
        Beta1 = sys::DEEP_OPT_BETA_1,
        Beta2 = sys::DEEP_OPT_BETA_2,
        Epsilon = sys::DEEP_OPT_EPSILON,
        Rho = sys::DEEP_OPT_RHO,
        InitialAccumulator = sys::DEEP_OPT_INITIAL_ACCUMULATOR,
    }
);

/// Moves a model's weights along their gradients; [`Model::compile`] takes it over.
pub struct Optimizer {
    raw: NonNull<sys::deep_optimizer>,
}
handle!(Optimizer, sys::deep_optimizer, sys::deep_optimizer_free);
unsafe impl Send for Optimizer {}

impl Optimizer {
    /// An optimizer with Keras' defaults for its kind.
    pub fn new(kind: OptimizerKind) -> Result<Optimizer> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_optimizer_new(kind as i32, &mut raw) })?;
        Ok(Optimizer::from_raw(raw))
    }

    /// Sets an option; one that does not apply to the kind is `Status::InvalidArgument`.
    pub fn set(&mut self, option: OptimizerOption, value: f32) -> Result<()> {
        check(unsafe { sys::deep_optimizer_set_float(self.ptr(), option as i32, value) })
    }

    pub fn get(&self, option: OptimizerOption) -> Result<f32> {
        let mut value = 0f32;
        check(unsafe { sys::deep_optimizer_get_float(self.ptr(), option as i32, &mut value) })?;
        Ok(value)
    }
}

/// A Sequential chain of layers (Keras' Sequential).
pub struct Model {
    raw: NonNull<sys::deep_model>,
    metrics: usize,
}
// deep.h: "Predicting with one model from many threads at once is allowed; fit, evaluate and
// the setters must not run concurrently with any other call" — the latter take &mut self.
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        unsafe { sys::deep_model_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Model({:p})", self.raw)
    }
}

impl Model {
    fn ptr(&self) -> *mut sys::deep_model {
        self.raw.as_ptr()
    }

    /// An empty model whose samples have `input_shape` (channels last, no batch axis).
    pub fn new(input_shape: &[i64]) -> Result<Model> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_new(rank(input_shape), input_shape.as_ptr(), &mut raw) })?;
        Ok(Model { raw: NonNull::new(raw).expect("libdeep returned a NULL model"), metrics: 0 })
    }

    /// Appends Dense(units, activation) with a bias.
    pub fn add_dense(&mut self, units: i64, activation: Activation) -> Result<()> {
        check(unsafe { sys::deep_model_add_dense(self.ptr(), units, activation as i32, 1) })
    }

    pub fn add_flatten(&mut self) -> Result<()> {
        check(unsafe { sys::deep_model_add_flatten(self.ptr()) })
    }

    pub fn add_dropout(&mut self, rate: f32) -> Result<()> {
        check(unsafe { sys::deep_model_add_dropout(self.ptr(), rate) })
    }

    /// Appends Conv2D(filters, (kernel_h, kernel_w)) with strides 1 and a bias.
    pub fn add_conv2d(&mut self, filters: i64, kernel: (i64, i64), padding: Padding, activation: Activation) -> Result<()> {
        check(unsafe {
            sys::deep_model_add_conv2d(self.ptr(), filters, kernel.0, kernel.1, 1, 1, padding as i32, activation as i32, 1)
        })
    }

    /// Appends MaxPooling2D(pool) with strides equal to the pool size.
    pub fn add_max_pooling2d(&mut self, pool: (i64, i64)) -> Result<()> {
        check(unsafe { sys::deep_model_add_max_pooling2d(self.ptr(), pool.0, pool.1, 0, 0, sys::DEEP_PADDING_VALID) })
    }

    pub fn set_seed(&mut self, seed: u64) -> Result<()> {
        check(unsafe { sys::deep_model_set_seed(self.ptr(), seed) })
    }

    pub fn set_int(&mut self, option: ModelOption, value: i64) -> Result<()> {
        check(unsafe { sys::deep_model_set_int(self.ptr(), option as i32, value) })
    }

    pub fn set_float(&mut self, option: ModelOption, value: f64) -> Result<()> {
        check(unsafe { sys::deep_model_set_float(self.ptr(), option as i32, value) })
    }

    /// Initialises the weights and fixes the loss and metrics. The model takes the
    /// optimizer over in every case, even when this fails.
    pub fn compile(&mut self, optimizer: Optimizer, loss: Loss, metrics: &[Metric]) -> Result<()> {
        let raw = optimizer.ptr();
        std::mem::forget(optimizer); // freed by the model from now on
        let codes: Vec<i32> = metrics.iter().map(|&m| m as i32).collect();
        let codes_ptr = if codes.is_empty() { ptr::null() } else { codes.as_ptr() };
        check(unsafe { sys::deep_model_compile(self.ptr(), raw, loss as i32, codes_ptr, rank_of(codes.len())) })?;
        self.metrics = metrics.len();
        Ok(())
    }

    /// Trains for `epochs` passes over `train` in batches of `batch_size`.
    pub fn fit(&mut self, train: &Dataset, epochs: i32, batch_size: i32, validation: Option<&Dataset>) -> Result<()> {
        let v = validation.map_or(ptr::null_mut(), |d| d.ptr());
        check(unsafe { sys::deep_model_fit(self.ptr(), train.ptr(), epochs, batch_size, v) })
    }

    /// The mean loss then each compiled metric, in compile order.
    pub fn evaluate(&mut self, data: &Dataset, batch_size: i32) -> Result<Vec<f64>> {
        let mut values = vec![0f64; self.metrics + 1];
        check(unsafe {
            sys::deep_model_evaluate(self.ptr(), data.ptr(), batch_size, values.as_mut_ptr(), rank_of(values.len()))
        })?;
        Ok(values)
    }

    /// The outputs for inputs of shape (n, input shape...); callable from many threads.
    pub fn predict(&self, inputs: &Tensor) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_model_predict(self.ptr(), inputs.ptr(), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// The Keras summary table.
    pub fn summary(&self) -> Result<String> {
        let mut needed = 0i64;
        let first = unsafe { sys::deep_model_summary(self.ptr(), ptr::null_mut(), 0, &mut needed) };
        if first != sys::DEEP_OK && first != sys::DEEP_ERR_BUFFER_TOO_SMALL {
            return Err(Error::last(first));
        }
        let mut buffer = vec![0u8; needed.max(1) as usize];
        check(unsafe { sys::deep_model_summary(self.ptr(), buffer.as_mut_ptr() as *mut c_char, len64(buffer.len()), &mut needed) })?;
        Ok(string_until_nul(&buffer))
    }

    /// The number of epochs the last fit recorded.
    pub fn history_length(&self) -> Result<usize> {
        let mut n = 0i32;
        check(unsafe { sys::deep_model_history_length(self.ptr(), &mut n) })?;
        Ok(n as usize)
    }

    /// A compiled metric (or `Metric::Loss`) at an epoch of the last fit, on the training
    /// data or (validation) on the validation data.
    pub fn history(&self, epoch: usize, metric: Metric, validation: bool) -> Result<f64> {
        let mut v = 0f64;
        check(unsafe { sys::deep_model_history(self.ptr(), rank_of(epoch), metric as i32, validation as i32, &mut v) })?;
        Ok(v)
    }

    pub fn parameter_count(&self) -> Result<i64> {
        let mut n = 0i64;
        check(unsafe { sys::deep_model_parameter_count(self.ptr(), &mut n) })?;
        Ok(n)
    }

    pub fn layer_count(&self) -> Result<i32> {
        let mut n = 0i32;
        check(unsafe { sys::deep_model_layer_count(self.ptr(), &mut n) })?;
        Ok(n)
    }
}

fn rank_of(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The text before the first NUL (CStr::from_bytes_until_nul needs Rust 1.69; Debian
/// bookworm has 1.63).
fn string_until_nul(buffer: &[u8]) -> String {
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Trees and forests

c_enum!(
    /// Classification or regression (`deep_tree_kind`).
    TreeKind { Classifier = sys::DEEP_TREE_CLASSIFIER, Regressor = sys::DEEP_TREE_REGRESSOR }
);
c_enum!(
    /// Settings of trees and forests (`deep_tree_option`); the `Forest*` ones are for forests.
    TreeOption {
        Criterion = sys::DEEP_TREE_CRITERION,
        MaxDepth = sys::DEEP_TREE_MAX_DEPTH,
        MinSamplesSplit = sys::DEEP_TREE_MIN_SAMPLES_SPLIT,
        MinSamplesLeaf = sys::DEEP_TREE_MIN_SAMPLES_LEAF,
        MaxFeatures = sys::DEEP_TREE_MAX_FEATURES,
        MinImpurityDecrease = sys::DEEP_TREE_MIN_IMPURITY_DECREASE,
        Seed = sys::DEEP_TREE_SEED,
        Splitter = sys::DEEP_TREE_SPLITTER,
        MaxBins = sys::DEEP_TREE_MAX_BINS,
        ForestNEstimators = sys::DEEP_FOREST_N_ESTIMATORS,
        ForestBootstrap = sys::DEEP_FOREST_BOOTSTRAP,
        ForestMaxSamples = sys::DEEP_FOREST_MAX_SAMPLES,
        ForestThreads = sys::DEEP_FOREST_THREADS,
        ForestOobScore = sys::DEEP_FOREST_OOB_SCORE,
    }
);

/// A decision tree (scikit-learn's DecisionTreeClassifier / DecisionTreeRegressor).
pub struct Tree {
    raw: NonNull<sys::deep_tree>,
}
handle!(Tree, sys::deep_tree, sys::deep_tree_free);
// deep.h: "Predicting with one fitted tree or forest from many threads at once is allowed;
// fit and the setters must not run concurrently with any other call" — those take &mut self.
unsafe impl Send for Tree {}
unsafe impl Sync for Tree {}

/// A random forest (RandomForestClassifier / RandomForestRegressor).
pub struct Forest {
    raw: NonNull<sys::deep_forest>,
}
handle!(Forest, sys::deep_forest, sys::deep_forest_free);
unsafe impl Send for Forest {}
unsafe impl Sync for Forest {}

macro_rules! learner {
    ($name:ident, $new:path, $set_int:path, $set_float:path, $fit:path, $predict:path, $proba:path,
     $score:path, $importances:path, $save:path, $load:path) => {
        impl $name {
            /// An unfitted learner with scikit-learn's defaults.
            pub fn new(kind: TreeKind) -> Result<$name> {
                let mut raw = ptr::null_mut();
                check(unsafe { $new(kind as i32, &mut raw) })?;
                Ok($name::from_raw(raw))
            }

            /// Loads a file written by `save`.
            pub fn load<P: AsRef<Path>>(path: P) -> Result<$name> {
                let path = c_path(path.as_ref())?;
                let mut raw = ptr::null_mut();
                check(unsafe { $load(path.as_ptr(), &mut raw) })?;
                Ok($name::from_raw(raw))
            }

            pub fn set_int(&mut self, option: TreeOption, value: i64) -> Result<()> {
                check(unsafe { $set_int(self.ptr(), option as i32, value) })
            }

            pub fn set_float(&mut self, option: TreeOption, value: f64) -> Result<()> {
                check(unsafe { $set_float(self.ptr(), option as i32, value) })
            }

            /// Fits on data's features and labels (classifier) or targets (regressor).
            pub fn fit(&mut self, data: &Dataset) -> Result<()> {
                check(unsafe { $fit(self.ptr(), data.ptr()) })
            }

            /// A tensor (n,) of class ids (as floats) or values; callable from many threads.
            pub fn predict(&self, inputs: &Tensor) -> Result<Tensor> {
                let mut raw = ptr::null_mut();
                check(unsafe { $predict(self.ptr(), inputs.ptr(), &mut raw) })?;
                Ok(Tensor::from_raw(raw))
            }

            /// Classifier only: a tensor (n, classes) of class probabilities.
            pub fn predict_proba(&self, inputs: &Tensor) -> Result<Tensor> {
                let mut raw = ptr::null_mut();
                check(unsafe { $proba(self.ptr(), inputs.ptr(), &mut raw) })?;
                Ok(Tensor::from_raw(raw))
            }

            /// Accuracy (classifier) or R² (regressor) on data.
            pub fn score(&self, data: &Dataset) -> Result<f64> {
                let mut score = 0f64;
                check(unsafe { $score(self.ptr(), data.ptr(), &mut score) })?;
                Ok(score)
            }

            /// Impurity-based importance of each feature, normalised to sum 1; `features` must
            /// be at least the number it was fitted on.
            pub fn feature_importances(&self, features: usize) -> Result<Vec<f64>> {
                let mut out = vec![0f64; features];
                check(unsafe { $importances(self.ptr(), out.as_mut_ptr(), len64(out.len())) })?;
                Ok(out)
            }

            /// Writes the fitted learner to path, atomically.
            pub fn save<P: AsRef<Path>>(&self, path: P) -> Result<()> {
                let path = c_path(path.as_ref())?;
                check(unsafe { $save(self.ptr(), path.as_ptr()) })
            }
        }
    };
}

learner!(Tree, sys::deep_tree_new, sys::deep_tree_set_int, sys::deep_tree_set_float, sys::deep_tree_fit,
         sys::deep_tree_predict, sys::deep_tree_predict_proba, sys::deep_tree_score,
         sys::deep_tree_feature_importances, sys::deep_tree_save,
         sys::deep_tree_load);
learner!(Forest, sys::deep_forest_new, sys::deep_forest_set_int, sys::deep_forest_set_float,
         sys::deep_forest_fit, sys::deep_forest_predict, sys::deep_forest_predict_proba, sys::deep_forest_score,
         sys::deep_forest_feature_importances, sys::deep_forest_save, sys::deep_forest_load);

impl Tree {
    /// Depth of the deepest leaf.
    pub fn depth(&self) -> Result<i64> {
        let mut d = 0i64;
        check(unsafe { sys::deep_tree_depth(self.ptr(), &mut d) })?;
        Ok(d)
    }
}

impl Forest {
    pub fn tree_count(&self) -> Result<i64> {
        let mut n = 0i64;
        check(unsafe { sys::deep_forest_tree_count(self.ptr(), &mut n) })?;
        Ok(n)
    }
}
