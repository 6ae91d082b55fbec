//! Classification metrics on label slices: accuracy, confusion matrix, precision, recall
//! and F1 (scikit-learn's, with zero_division=0).
use libdeep_sys as sys;

use crate::convert::{len64, same_length};
use crate::error::{check, Error, Result, Status};

/// The fraction of positions where `predicted` equals `truth` (slices of one length).
pub fn accuracy(truth: &[i32], predicted: &[i32]) -> Result<f64> {
    same_length("accuracy", truth.len(), predicted.len())?;
    let mut value = 0f64;
    check(unsafe { sys::deep_metric_accuracy(truth.as_ptr(), predicted.as_ptr(), len64(truth.len()), &mut value) })?;
    Ok(value)
}

/// Counts of true class (row) against predicted class (column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    counts: Vec<i64>,
}

impl ConfusionMatrix {
    /// The number of classes (rows and columns).
    pub fn num_classes(&self) -> usize {
        self.classes
    }

    /// How many samples of class `truth` were predicted as `predicted`.
    pub fn get(&self, truth: usize, predicted: usize) -> i64 {
        assert!(truth < self.classes && predicted < self.classes, "class outside the matrix");
        self.counts[truth * self.classes + predicted]
    }

    /// The counts row-major: `[t * num_classes + p]`.
    pub fn as_slice(&self) -> &[i64] {
        &self.counts
    }

    /// Row `truth`: how its samples were predicted.
    pub fn row(&self, truth: usize) -> &[i64] {
        &self.counts[truth * self.classes..(truth + 1) * self.classes]
    }
}

fn classes_of(what: &str, num_classes: i32) -> Result<usize> {
    if num_classes < 1 {
        return Err(Error::new(Status::InvalidArgument, format!("{}: num_classes is {}; it must be at least 1", what, num_classes)));
    }
    Ok(num_classes as usize)
}

/// The confusion matrix of `num_classes` classes; labels outside `[0, num_classes)` are
/// a `Status::OutOfRange` error.
pub fn confusion_matrix(truth: &[i32], predicted: &[i32], num_classes: i32) -> Result<ConfusionMatrix> {
    same_length("confusion_matrix", truth.len(), predicted.len())?;
    let classes = classes_of("confusion_matrix", num_classes)?;
    let mut counts = vec![0i64; classes * classes];
    check(unsafe {
        sys::deep_metric_confusion_matrix(truth.as_ptr(), predicted.as_ptr(), len64(truth.len()), num_classes, counts.as_mut_ptr())
    })?;
    Ok(ConfusionMatrix { classes, counts })
}

/// Per-class precision, recall and F1 and their unweighted means (macro averages).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassificationReport {
    /// Precision of each class: right predictions of it over all predictions of it.
    pub precision: Vec<f64>,
    /// Recall of each class: its samples predicted right over all its samples.
    pub recall: Vec<f64>,
    /// F1 of each class: the harmonic mean of its precision and recall.
    pub f1: Vec<f64>,
    /// The unweighted mean of `precision`.
    pub macro_precision: f64,
    /// The unweighted mean of `recall`.
    pub macro_recall: f64,
    /// The unweighted mean of `f1`.
    pub macro_f1: f64,
}

/// Precision, recall and F1 per class: a class never predicted has precision 0, one never
/// present recall 0 (scikit-learn's zero_division=0).
pub fn precision_recall_f1(truth: &[i32], predicted: &[i32], num_classes: i32) -> Result<ClassificationReport> {
    same_length("precision_recall_f1", truth.len(), predicted.len())?;
    let classes = classes_of("precision_recall_f1", num_classes)?;
    let mut r = ClassificationReport {
        precision: vec![0.0; classes],
        recall: vec![0.0; classes],
        f1: vec![0.0; classes],
        macro_precision: 0.0,
        macro_recall: 0.0,
        macro_f1: 0.0,
    };
    check(unsafe {
        sys::deep_metric_precision_recall_f1(
            truth.as_ptr(),
            predicted.as_ptr(),
            len64(truth.len()),
            num_classes,
            r.precision.as_mut_ptr(),
            r.recall.as_mut_ptr(),
            r.f1.as_mut_ptr(),
            &mut r.macro_precision,
            &mut r.macro_recall,
            &mut r.macro_f1,
        )
    })?;
    Ok(r)
}
