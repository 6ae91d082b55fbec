//! Metrics against values worked out by hand, and misuse.
mod common;

use common::expect_error;
use libdeep::{accuracy, confusion_matrix, precision_recall_f1, Status};

const TRUTH: [i32; 8] = [0, 0, 0, 1, 1, 2, 2, 2];
const PREDICTED: [i32; 8] = [0, 1, 0, 1, 2, 2, 2, 0];

#[test]
fn accuracy_and_confusion_matrix_by_hand() {
    assert_eq!(accuracy(&TRUTH, &PREDICTED).unwrap(), 5.0 / 8.0);
    assert_eq!(accuracy(&[1, 2], &[1, 2]).unwrap(), 1.0);
    let m = confusion_matrix(&TRUTH, &PREDICTED, 3).unwrap();
    assert_eq!(m.num_classes(), 3);
    assert_eq!(m.as_slice(), &[2, 1, 0, 0, 1, 1, 1, 0, 2]);
    assert_eq!(m.get(2, 0), 1);
    assert_eq!(m.row(1), &[0, 1, 1]);
    // A class never seen keeps a zero row and column.
    let m4 = confusion_matrix(&TRUTH, &PREDICTED, 4).unwrap();
    assert_eq!(m4.row(3), &[0, 0, 0, 0]);
    assert_eq!(m4.get(0, 0), 2);
}

#[test]
fn precision_recall_f1_by_hand() {
    let r = precision_recall_f1(&TRUTH, &PREDICTED, 3).unwrap();
    // Class 0: predicted 3 times, 2 right; 3 present. Class 1: 2 predicted, 1 right; 2
    // present. Class 2: 3 predicted, 2 right; 3 present.
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    let want_p = [2.0 / 3.0, 0.5, 2.0 / 3.0];
    let want_r = [2.0 / 3.0, 0.5, 2.0 / 3.0];
    for c in 0..3 {
        assert!(close(r.precision[c], want_p[c]) && close(r.recall[c], want_r[c]), "{:?}", r);
        let f1 = 2.0 * want_p[c] * want_r[c] / (want_p[c] + want_r[c]);
        assert!(close(r.f1[c], f1), "{:?}", r);
    }
    assert!(close(r.macro_precision, (2.0 / 3.0 + 0.5 + 2.0 / 3.0) / 3.0));
    assert!(close(r.macro_recall, r.macro_precision));
    assert!(close(r.macro_f1, r.f1.iter().sum::<f64>() / 3.0));

    // zero_division=0: class 1 is never predicted (precision 0), class 2 never present
    // (recall 0); class 0 is predicted twice, right once, and present twice.
    let z = precision_recall_f1(&[0, 1, 0], &[0, 0, 2], 3).unwrap();
    assert_eq!(z.precision, vec![0.5, 0.0, 0.0]);
    assert_eq!(z.recall, vec![0.5, 0.0, 0.0]);
    assert_eq!(z.f1, vec![0.5, 0.0, 0.0]);
    assert!(close(z.macro_f1, 0.5 / 3.0));
}

#[test]
fn metric_misuse_is_an_error() {
    expect_error(accuracy(&[0, 1], &[0]), Status::Shape, "accuracy");
    expect_error(confusion_matrix(&[0, 1], &[0, 1, 1], 2), Status::Shape, "confusion_matrix");
    expect_error(confusion_matrix(&[0, 3], &[0, 1], 3), Status::OutOfRange, "deep_metric_confusion_matrix");
    expect_error(confusion_matrix(&[0, 1], &[0, 1], 0), Status::InvalidArgument, "confusion_matrix");
    expect_error(precision_recall_f1(&[0, 1], &[0, -1], 2), Status::OutOfRange, "deep_metric_precision_recall_f1");
    expect_error(accuracy(&[], &[]), Status::InvalidArgument, "deep_metric_accuracy");
}
