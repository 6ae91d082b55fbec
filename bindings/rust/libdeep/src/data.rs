//! Datasets: samples of one shape with labels and/or targets, loaded from IDX, CSV or
//! CIFAR-10 files or made from slices, token sequences and windows; the scikit-learn and
//! pandas steps on them (split, shuffle, subset, concat, scaling, missing values,
//! describe, CSV output) and k-fold indices.
use std::ffi::CString;
use std::os::raw::c_char;
use std::path::Path;
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

use crate::convert::{array_sized, c_path, c_string, elements, indices64, len64, rank, size, text_sized};
use crate::error::{check, Error, Result, Status};
use crate::tensor::Tensor;

c_enum!(
    /// Where `Dataset::new_sequences` pads or truncates (`deep_pad_side`).
    PadSide {
        /// Before the sequence (Keras' default for both padding and truncating).
        Pre = sys::DEEP_PAD_PRE,
        /// After it.
        Post = sys::DEEP_PAD_POST,
    }
);
c_enum!(
    /// What replaces a missing value (`deep_fill`), as scikit-learn's SimpleImputer.
    FillStrategy {
        /// The column's mean.
        Mean = sys::DEEP_FILL_MEAN,
        /// The column's median.
        Median = sys::DEEP_FILL_MEDIAN,
        /// The most frequent value, the smallest on ties (an `Imputer` strategy, libdeep 1.1).
        MostFrequent = sys::DEEP_FILL_MOST_FREQUENT,
        /// A constant given with the strategy (an `Imputer` strategy, libdeep 1.1).
        Constant = sys::DEEP_FILL_CONSTANT,
    }
);
c_enum!(
    /// A statistic of one feature column (`deep_column_stat`), as pandas' describe.
    ColumnStat {
        /// Present (non-missing) values.
        Count = sys::DEEP_STAT_COUNT,
        /// Missing values.
        Missing = sys::DEEP_STAT_MISSING,
        /// The mean.
        Mean = sys::DEEP_STAT_MEAN,
        /// Sample standard deviation (n - 1 in the denominator, as pandas).
        Std = sys::DEEP_STAT_STD,
        /// The smallest value.
        Min = sys::DEEP_STAT_MIN,
        /// The largest value.
        Max = sys::DEEP_STAT_MAX,
    }
);

/// Samples of one shape as float features, with class labels and/or float targets.
pub struct Dataset {
    raw: NonNull<sys::deep_dataset>,
}
handle!(Dataset, sys::deep_dataset, sys::deep_dataset_free);
// deep.h ties no handle to a thread; it says nothing about sharing a dataset, so no Sync.
unsafe impl Send for Dataset {}

fn reference_ptr(reference: Option<&Dataset>) -> *const sys::deep_dataset {
    reference.map_or(ptr::null(), |d| d.ptr() as *const _)
}

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

    /// Token-id sequences padded or truncated to one width (Keras' `pad_sequences`): one
    /// sample of shape (width,) per sequence, width being `maxlen` or, with `maxlen` 0, the
    /// longest length. Short sequences get zeros on the `padding` side, long ones lose ids
    /// on the `truncating` side. No labels yet.
    pub fn new_sequences<S: AsRef<[i32]>>(sequences: &[S], maxlen: usize, padding: PadSide, truncating: PadSide) -> Result<Dataset> {
        let pointers: Vec<*const i32> = sequences.iter().map(|s| s.as_ref().as_ptr()).collect();
        let lengths: Vec<i64> = sequences.iter().map(|s| len64(s.as_ref().len())).collect();
        let mut raw = ptr::null_mut();
        check(unsafe {
            sys::deep_dataset_new_sequences(
                pointers.as_ptr(),
                lengths.as_ptr(),
                len64(sequences.len()),
                len64(maxlen),
                padding as i32,
                truncating as i32,
                &mut raw,
            )
        })?;
        Ok(Dataset::from_raw(raw))
    }

    /// Next-token samples over one sequence of ids in [0, num_classes): sample i has the
    /// `window` ids from i * stride as features and the id after them as its label.
    pub fn new_windows(ids: &[i32], window: usize, stride: usize, num_classes: i32) -> Result<Dataset> {
        let mut raw = ptr::null_mut();
        check(unsafe {
            sys::deep_dataset_new_windows(ids.as_ptr(), len64(ids.len()), len64(window), len64(stride), num_classes, &mut raw)
        })?;
        Ok(Dataset::from_raw(raw))
    }

    /// Loads a CSV file with a header row; `label_column` names the class label column.
    /// Cells "", "NA", "NaN" and "nan" are missing values (NaN features).
    pub fn load_csv<P: AsRef<Path>>(path: P, label_column: Option<&str>) -> Result<Dataset> {
        let path = c_path(path.as_ref())?;
        let label = match label_column {
            Some(l) => Some(c_string("Dataset::load_csv: label column", l)?),
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

    /// Loads CIFAR-10 binary batches (`data_batch_1.bin` ...): samples (32, 32, 3) channels
    /// last, pixels 0..255, 10 classes.
    pub fn load_cifar10<P: AsRef<Path>>(paths: &[P]) -> Result<Dataset> {
        let paths: Vec<CString> = paths.iter().map(|p| c_path(p.as_ref())).collect::<Result<_>>()?;
        let pointers: Vec<*const c_char> = paths.iter().map(|p| p.as_ptr()).collect();
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_load_cifar10(pointers.as_ptr(), len64(pointers.len()), &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// Writes the features and labels as CSV, atomically (targets are not written).
    pub fn write_csv<P: AsRef<Path>>(&self, path: P) -> Result<()> {
        let path = c_path(path.as_ref())?;
        check(unsafe { sys::deep_dataset_write_csv(self.ptr(), path.as_ptr()) })
    }

    /// The shape of one sample.
    pub fn sample_shape(&self) -> Result<Vec<i64>> {
        array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_dataset_sample_shape(self.ptr(), buffer, capacity, needed)
        })
    }

    /// Gives every sample a new shape with the same number of features.
    pub fn reshape(&mut self, sample_shape: &[i64]) -> Result<()> {
        check(unsafe { sys::deep_dataset_reshape(self.ptr(), rank(sample_shape), sample_shape.as_ptr()) })
    }

    /// feature = feature * scale + shift for every feature.
    pub fn scale(&mut self, scale: f64, shift: f64) -> Result<()> {
        check(unsafe { sys::deep_dataset_scale(self.ptr(), scale, shift) })
    }

    /// Per feature: zero mean and unit variance, with the statistics of `reference` (the
    /// training set when scaling a test set) or, with None, of this dataset.
    pub fn standardize(&mut self, reference: Option<&Dataset>) -> Result<()> {
        check(unsafe { sys::deep_dataset_standardize(self.ptr(), reference_ptr(reference)) })
    }

    /// Per feature: to [0, 1] with the minimum and maximum of `reference` (None: this dataset).
    pub fn minmax_scale(&mut self, reference: Option<&Dataset>) -> Result<()> {
        check(unsafe { sys::deep_dataset_minmax_scale(self.ptr(), reference_ptr(reference)) })
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

    /// The number of samples.
    pub fn count(&self) -> Result<usize> {
        let mut n = 0i64;
        check(unsafe { sys::deep_dataset_count(self.ptr(), &mut n) })?;
        Ok(n as usize)
    }

    /// The number of classes (0 without labels).
    pub fn num_classes(&self) -> Result<i32> {
        let mut n = 0i32;
        check(unsafe { sys::deep_dataset_num_classes(self.ptr(), &mut n) })?;
        Ok(n)
    }

    /// The number of targets per sample (0 without targets).
    pub fn target_width(&self) -> Result<usize> {
        let mut n = 0i64;
        check(unsafe { sys::deep_dataset_target_width(self.ptr(), &mut n) })?;
        Ok(size(n))
    }

    /// A copy of the labels; a `Status::State` error when there are none.
    pub fn labels(&self) -> Result<Vec<i32>> {
        array_sized(|buffer, capacity, needed| unsafe { sys::deep_dataset_labels(self.ptr(), buffer, capacity, needed) })
    }

    /// All features as a new tensor (count, sample shape...).
    pub fn features(&self) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_features(self.ptr(), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// Samples `[start, start + count)` as new tensors: features (count, sample shape...)
    /// and targets (count, width), the one-hot rows of the labels when there are no targets.
    pub fn batch(&self, start: usize, count: usize) -> Result<(Tensor, Tensor)> {
        let (mut features, mut targets) = (ptr::null_mut(), ptr::null_mut());
        check(unsafe { sys::deep_dataset_batch(self.ptr(), len64(start), len64(count), &mut features, &mut targets) })?;
        Ok((Tensor::from_raw(features), Tensor::from_raw(targets)))
    }

    /// The features of samples `[start, start + count)` only.
    pub fn batch_features(&self, start: usize, count: usize) -> Result<Tensor> {
        let mut features = ptr::null_mut();
        check(unsafe { sys::deep_dataset_batch(self.ptr(), len64(start), len64(count), &mut features, ptr::null_mut()) })?;
        Ok(Tensor::from_raw(features))
    }

    /// New train and test datasets, `test_fraction` of the samples to test (seeded).
    pub fn split(&self, test_fraction: f64, seed: u64, stratify: bool) -> Result<(Dataset, Dataset)> {
        let (mut a, mut b) = (ptr::null_mut(), ptr::null_mut());
        check(unsafe { sys::deep_dataset_split(self.ptr(), test_fraction, seed, stratify as i32, &mut a, &mut b) })?;
        Ok((Dataset::from_raw(a), Dataset::from_raw(b)))
    }

    /// Reorders the samples (with their labels and targets) by a seeded permutation.
    pub fn shuffle(&mut self, seed: u64) -> Result<()> {
        check(unsafe { sys::deep_dataset_shuffle(self.ptr(), seed) })
    }

    /// A new dataset of the samples at `indices` (repeats allowed), in that order.
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset> {
        let indices = indices64("Dataset::subset", indices)?;
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_subset(self.ptr(), indices.as_ptr(), len64(indices.len()), &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// A new dataset of this one's samples followed by `other`'s (pandas concat).
    pub fn concat(&self, other: &Dataset) -> Result<Dataset> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_dataset_concat(self.ptr(), other.ptr(), &mut raw) })?;
        Ok(Dataset::from_raw(raw))
    }

    /// The name of feature column `column` (a dataset loaded from CSV).
    pub fn column_name(&self, column: usize) -> Result<String> {
        text_sized(|buf, cap, needed| unsafe { sys::deep_dataset_column_name(self.ptr(), len64(column), buf, cap, needed) })
    }

    /// The name of class `class_id` (a CSV whose labels were strings).
    pub fn class_name(&self, class_id: i32) -> Result<String> {
        text_sized(|buf, cap, needed| unsafe { sys::deep_dataset_class_name(self.ptr(), class_id, buf, cap, needed) })
    }

    /// Missing (NaN) features in one column, or in all of them with None.
    pub fn missing_count(&self, column: Option<usize>) -> Result<usize> {
        let mut n = 0i64;
        let column = column.map_or(-1, len64);
        check(unsafe { sys::deep_dataset_missing_count(self.ptr(), column, &mut n) })?;
        Ok(size(n))
    }

    /// Replaces each missing feature with its column's mean or median in `reference`
    /// (None: this dataset), as scikit-learn's SimpleImputer.
    pub fn fill_missing(&mut self, strategy: FillStrategy, reference: Option<&Dataset>) -> Result<()> {
        check(unsafe { sys::deep_dataset_fill_missing(self.ptr(), strategy as i32, reference_ptr(reference)) })
    }

    /// Re-encodes the string class labels with `reference`'s class list, so that a test set
    /// numbers its classes as the training set does (scikit-learn: the LabelEncoder fitted
    /// on the training set). A class `reference` lacks is `Status::InvalidArgument` naming
    /// it, and the dataset is unchanged; a dataset without class names is `Status::State`.
    pub fn use_classes(&mut self, reference: &Dataset) -> Result<()> {
        check(unsafe { sys::deep_dataset_use_classes(self.ptr(), reference.ptr() as *const _) })
    }

    /// Removes the samples with any missing feature (pandas dropna).
    pub fn drop_missing(&mut self) -> Result<()> {
        check(unsafe { sys::deep_dataset_drop_missing(self.ptr()) })
    }

    /// One statistic of feature column `column` over its present values.
    pub fn describe(&self, column: usize, stat: ColumnStat) -> Result<f64> {
        let mut value = 0f64;
        check(unsafe { sys::deep_dataset_describe(self.ptr(), len64(column), stat as i32, &mut value) })?;
        Ok(value)
    }

    /// Every column's statistics as a text table (pandas' `describe().T`).
    pub fn describe_text(&self) -> Result<String> {
        text_sized(|buf, cap, needed| unsafe { sys::deep_dataset_describe_text(self.ptr(), buf, cap, needed) })
    }
}

/// The sorted train and test indices of fold `fold` of `folds` over `count` samples
/// (scikit-learn's KFold; the order is seeded-shuffled first when `shuffle` is true).
pub fn kfold_indices(count: usize, folds: i32, fold: i32, shuffle: bool, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    let (mut n_train, mut n_test) = (0i64, 0i64);
    let (mut train, mut test) = (Vec::<i64>::new(), Vec::<i64>::new());
    check(unsafe {
        // Both capacities 0: the size query.
        sys::deep_kfold_indices(
            len64(count), folds as i64, fold as i64, shuffle as i32, seed,
            ptr::null_mut(), 0, &mut n_train, ptr::null_mut(), 0, &mut n_test,
        )
    })?;
    train.resize(size(n_train), 0);
    test.resize(size(n_test), 0);
    check(unsafe {
        sys::deep_kfold_indices(
            len64(count), folds as i64, fold as i64, shuffle as i32, seed,
            train.as_mut_ptr(), n_train, &mut n_train, test.as_mut_ptr(), n_test, &mut n_test,
        )
    })?;
    Ok((train.into_iter().map(size).collect(), test.into_iter().map(size).collect()))
}

/// The sorted train and test indices of fold `fold` of `folds` over `labels`
/// (scikit-learn's StratifiedKFold, since libdeep 1.2): each fold keeps every class's
/// share; unshuffled, the folds are scikit-learn's own.
pub fn stratified_kfold_indices(labels: &[i32], folds: i32, fold: i32, shuffle: bool, seed: u64)
    -> Result<(Vec<usize>, Vec<usize>)> {
    let (mut n_train, mut n_test) = (0i64, 0i64);
    let (mut train, mut test) = (Vec::<i64>::new(), Vec::<i64>::new());
    check(unsafe {
        sys::deep_stratified_kfold_indices(
            labels.as_ptr(), len64(labels.len()), folds as i64, fold as i64, shuffle as i32, seed,
            ptr::null_mut(), 0, &mut n_train, ptr::null_mut(), 0, &mut n_test,
        )
    })?;
    train.resize(size(n_train), 0);
    test.resize(size(n_test), 0);
    check(unsafe {
        sys::deep_stratified_kfold_indices(
            labels.as_ptr(), len64(labels.len()), folds as i64, fold as i64, shuffle as i32, seed,
            train.as_mut_ptr(), n_train, &mut n_train, test.as_mut_ptr(), n_test, &mut n_test,
        )
    })?;
    Ok((train.into_iter().map(size).collect(), test.into_iter().map(size).collect()))
}
