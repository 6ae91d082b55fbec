//! Datasets beyond the basics: sequences and windows, CIFAR-10 files, subsets, concat,
//! shuffles, batches, scaling, missing values, describe, CSV round trips, names, k-fold
//! indices — each checked against values worked out by hand — and their misuse.
mod common;

use common::{expect_error, TempDir};
use libdeep::{kfold_indices, ColumnStat, Dataset, FillStrategy, PadSide, Status};

fn features(d: &Dataset) -> Vec<f32> {
    d.features().unwrap().data().unwrap().to_vec()
}

#[test]
fn sequences_are_padded_and_truncated_as_keras() {
    let seqs: Vec<Vec<i32>> = vec![vec![5, 6, 7], vec![8], vec![], vec![2, 3, 4, 5, 9]];
    let pre = Dataset::new_sequences(&seqs, 4, PadSide::Pre, PadSide::Pre).unwrap();
    assert_eq!(pre.sample_shape().unwrap(), vec![4]);
    assert_eq!(features(&pre), vec![0., 5., 6., 7., 0., 0., 0., 8., 0., 0., 0., 0., 3., 4., 5., 9.]);
    let post = Dataset::new_sequences(&seqs, 4, PadSide::Post, PadSide::Post).unwrap();
    assert_eq!(features(&post), vec![5., 6., 7., 0., 8., 0., 0., 0., 0., 0., 0., 0., 2., 3., 4., 5.]);
    let longest = Dataset::new_sequences(&[&[1, 2][..], &[3][..]], 0, PadSide::Pre, PadSide::Pre).unwrap();
    assert_eq!(features(&longest), vec![1., 2., 0., 3.]);
    expect_error(Dataset::new_sequences::<Vec<i32>>(&[], 3, PadSide::Pre, PadSide::Pre), Status::InvalidArgument, "deep_dataset_new_sequences");
    expect_error(Dataset::new_sequences(&[vec![1, -2]], 3, PadSide::Pre, PadSide::Pre), Status::OutOfRange, "deep_dataset_new_sequences");
}

#[test]
fn windows_label_the_next_token() {
    let ids = [2, 3, 4, 5, 6, 7];
    let w = Dataset::new_windows(&ids, 3, 2, 8).unwrap();
    assert_eq!(w.count().unwrap(), 2); // windows at 0 and 2 have a next id; at 4 not
    assert_eq!(features(&w), vec![2., 3., 4., 4., 5., 6.]);
    assert_eq!(w.labels().unwrap(), vec![5, 7]);
    assert_eq!(w.num_classes().unwrap(), 8);
    expect_error(Dataset::new_windows(&ids, 6, 1, 8), Status::Shape, "deep_dataset_new_windows");
    expect_error(Dataset::new_windows(&ids, 3, 1, 5), Status::OutOfRange, "deep_dataset_new_windows");
}

#[test]
fn cifar10_records_come_out_channels_last() {
    let dir = TempDir::new("cifar");
    // Two records: label, then 1024 red, 1024 green, 1024 blue bytes.
    let mut file = Vec::new();
    for (label, base) in [(3u8, 10u8), (9, 20)] {
        file.push(label);
        for channel in 0..3u8 {
            file.extend(std::iter::repeat(base + channel).take(1024));
        }
    }
    file[1 + 5] = 200; // red of pixel 5 of the first image
    std::fs::write(dir.join("batch.bin"), &file).unwrap();
    let d = Dataset::load_cifar10(&[dir.join("batch.bin")]).unwrap();
    assert_eq!(d.count().unwrap(), 2);
    assert_eq!(d.sample_shape().unwrap(), vec![32, 32, 3]);
    assert_eq!(d.labels().unwrap(), vec![3, 9]);
    assert_eq!(d.num_classes().unwrap(), 10);
    let x = features(&d);
    assert_eq!(&x[..3], &[10., 11., 12.]);
    assert_eq!(&x[15..18], &[200., 11., 12.]);
    assert_eq!(&x[3072..3075], &[20., 21., 22.]);

    std::fs::write(dir.join("short.bin"), &file[..3000]).unwrap();
    expect_error(Dataset::load_cifar10(&[dir.join("short.bin")]), Status::Format, "deep_dataset_load_cifar10");
    file[0] = 10;
    std::fs::write(dir.join("label.bin"), &file).unwrap();
    expect_error(Dataset::load_cifar10(&[dir.join("label.bin")]), Status::Format, "deep_dataset_load_cifar10");
    expect_error(Dataset::load_cifar10(&[dir.join("missing.bin")]), Status::Io, "deep_dataset_load_cifar10");
}

fn small() -> Dataset {
    let mut d = Dataset::new(&[2], &[0., 10., 1., 11., 2., 12., 3., 13.]).unwrap();
    d.set_labels(&[0, 1, 0, 1], 2).unwrap();
    d
}

#[test]
fn subset_concat_shuffle_and_batches() {
    let d = small();
    let s = d.subset(&[3, 0, 3]).unwrap();
    assert_eq!(features(&s), vec![3., 13., 0., 10., 3., 13.]);
    assert_eq!(s.labels().unwrap(), vec![1, 0, 1]);
    expect_error(d.subset(&[4]), Status::OutOfRange, "deep_dataset_subset");

    let c = d.concat(&s).unwrap();
    assert_eq!(c.count().unwrap(), 7);
    assert_eq!(c.labels().unwrap(), vec![0, 1, 0, 1, 1, 0, 1]);
    let other = Dataset::new(&[3], &[1., 2., 3.]).unwrap();
    expect_error(d.concat(&other), Status::Shape, "deep_dataset_concat");

    // A shuffle keeps each sample with its label; the same seed gives the same order.
    let (mut a, mut b) = (small(), small());
    a.shuffle(7).unwrap();
    b.shuffle(7).unwrap();
    assert_eq!(features(&a), features(&b));
    let x = features(&a);
    let labels = a.labels().unwrap();
    for (i, pair) in x.chunks(2).enumerate() {
        assert_eq!(pair[1], pair[0] + 10.0);
        assert_eq!(labels[i], pair[0] as i32 % 2);
    }
    let mut sorted: Vec<f32> = x.chunks(2).map(|p| p[0]).collect();
    sorted.sort_by(|p, q| p.partial_cmp(q).unwrap());
    assert_eq!(sorted, vec![0., 1., 2., 3.]);

    let (f, t) = d.batch(1, 2).unwrap();
    assert_eq!(f.data().unwrap(), &[1., 11., 2., 12.]);
    assert_eq!(t.shape().unwrap(), vec![2, 2]);
    assert_eq!(t.data().unwrap(), &[0., 1., 1., 0.]); // one-hot rows of labels 1, 0
    assert_eq!(d.batch_features(3, 1).unwrap().data().unwrap(), &[3., 13.]);
    expect_error(d.batch(3, 2), Status::OutOfRange, "deep_dataset_batch");
    let unlabelled = Dataset::new(&[2], &[1., 2.]).unwrap();
    expect_error(unlabelled.batch(0, 1), Status::State, "deep_dataset_batch");
    assert_eq!(unlabelled.num_classes().unwrap(), 0);
    assert_eq!(unlabelled.target_width().unwrap(), 0);
    let mut targets = small();
    targets.set_targets(&[1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12.], 3).unwrap();
    assert_eq!(targets.target_width().unwrap(), 3);
}

#[test]
fn scaling_uses_the_reference_statistics() {
    // Column 0: 0, 1, 2, 3 (mean 1.5, population std sqrt(1.25)); column 1: 10..13.
    let mut d = small();
    d.minmax_scale(None).unwrap();
    let x = features(&d);
    assert_eq!(x.iter().step_by(2).copied().collect::<Vec<_>>(), vec![0., 1. / 3., 2. / 3., 1.]);
    let mut s = small();
    s.standardize(None).unwrap();
    let z: Vec<f32> = features(&s).iter().step_by(2).copied().collect();
    let std = 1.25f32.sqrt();
    for (got, want) in z.iter().zip([-1.5f32, -0.5, 0.5, 1.5]) {
        assert!((got - want / std).abs() < 1e-5, "{:?}", z);
    }
    // A test set scaled with the training set's statistics.
    let train = small();
    let mut test = Dataset::new(&[2], &[3., 10., 6., 16.]).unwrap();
    test.minmax_scale(Some(&train)).unwrap();
    assert_eq!(features(&test), vec![1., 0., 2., 2.]);
    let mut wrong = Dataset::new(&[3], &[1., 2., 3.]).unwrap();
    expect_error(wrong.standardize(Some(&train)), Status::Shape, "deep_dataset_standardize");
}

const TABLE: &str = "height,weight,kind\n1.0,10,cat\n,20,dog\n3.0,,cat\n5.0,40,bird\n";

#[test]
fn missing_values_names_describe_and_csv_round_trip() {
    let dir = TempDir::new("csv");
    std::fs::write(dir.join("t.csv"), TABLE).unwrap();
    let d = Dataset::load_csv(dir.join("t.csv"), Some("kind")).unwrap();
    assert_eq!(d.count().unwrap(), 4);
    assert_eq!(d.column_name(0).unwrap(), "height");
    assert_eq!(d.column_name(1).unwrap(), "weight");
    assert_eq!((d.class_name(0).unwrap(), d.class_name(1).unwrap(), d.class_name(2).unwrap()), ("bird".into(), "cat".into(), "dog".into())); // sorted
    assert_eq!(d.labels().unwrap(), vec![1, 2, 1, 0]);
    expect_error(d.column_name(2), Status::OutOfRange, "deep_dataset_column_name");
    assert_eq!(d.missing_count(None).unwrap(), 2);
    assert_eq!(d.missing_count(Some(0)).unwrap(), 1);
    assert_eq!(d.describe(0, ColumnStat::Count).unwrap(), 3.0);
    assert_eq!(d.describe(0, ColumnStat::Missing).unwrap(), 1.0);
    assert_eq!(d.describe(0, ColumnStat::Mean).unwrap(), 3.0);
    assert_eq!(d.describe(0, ColumnStat::Std).unwrap(), 2.0); // sqrt(((1-3)^2 + 0 + (5-3)^2) / 2)
    assert_eq!((d.describe(1, ColumnStat::Min).unwrap(), d.describe(1, ColumnStat::Max).unwrap()), (10.0, 40.0));
    let text = d.describe_text().unwrap();
    assert!(text.contains("height") && text.contains("weight"), "{}", text);

    let mut mean = Dataset::load_csv(dir.join("t.csv"), Some("kind")).unwrap();
    mean.fill_missing(FillStrategy::Mean, None).unwrap();
    assert_eq!(features(&mean), vec![1., 10., 3., 20., 3., 70. / 3., 5., 40.]);
    let mut median = Dataset::load_csv(dir.join("t.csv"), Some("kind")).unwrap();
    median.fill_missing(FillStrategy::Median, Some(&d)).unwrap();
    assert_eq!(features(&median), vec![1., 10., 3., 20., 3., 20., 5., 40.]);
    assert_eq!(median.missing_count(None).unwrap(), 0);
    let mut dropped = Dataset::load_csv(dir.join("t.csv"), Some("kind")).unwrap();
    dropped.drop_missing().unwrap();
    assert_eq!(features(&dropped), vec![1., 10., 5., 40.]);
    assert_eq!(dropped.labels().unwrap(), vec![1, 0]);

    // Written and read back: the same values, names and classes.
    median.write_csv(dir.join("out.csv")).unwrap();
    let back = Dataset::load_csv(dir.join("out.csv"), Some("kind")).unwrap();
    assert_eq!(features(&back), features(&median));
    assert_eq!(back.class_name(0).unwrap(), "bird");
    assert_eq!(back.column_name(1).unwrap(), "weight");
    let written = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert!(written.starts_with("height,weight,kind\n"), "{}", written);

    // Misuse: a column with no value to fill from, dropping every sample, no names.
    std::fs::write(dir.join("empty-col.csv"), "a,b\n,1\n,2\n").unwrap();
    let mut hollow = Dataset::load_csv(dir.join("empty-col.csv"), None).unwrap();
    expect_error(hollow.fill_missing(FillStrategy::Mean, None), Status::Numeric, "deep_dataset_fill_missing");
    expect_error(hollow.drop_missing(), Status::Numeric, "deep_dataset_drop_missing");
    assert_eq!(hollow.missing_count(None).unwrap(), 2, "a failed call changed the dataset");
    expect_error(hollow.class_name(0), Status::State, "deep_dataset_class_name");
    expect_error(small().column_name(0), Status::State, "deep_dataset_column_name");
    std::fs::write(dir.join("ragged.csv"), "a,b\n1,2\n3\n").unwrap();
    let err = expect_error(Dataset::load_csv(dir.join("ragged.csv"), None), Status::Format, "deep_dataset_load_csv");
    assert!(err.message().contains('3'), "{}", err);
    expect_error(Dataset::load_csv(dir.join("t.csv"), Some("colour")), Status::InvalidArgument, "deep_dataset_load_csv");
    expect_error(small().write_csv(dir.join("no-dir").join("x.csv")), Status::Io, "deep_dataset_write_csv");
}

#[test]
fn test_sets_take_the_training_classes() {
    let dir = TempDir::new("classes");
    std::fs::write(dir.join("train.csv"), "x,y\n1,b\n2,a\n3,c\n").unwrap();
    std::fs::write(dir.join("test.csv"), "x,y\n3,c\n1,b\n").unwrap();
    std::fs::write(dir.join("other.csv"), "x,y\n1,b\n4,dingo\n").unwrap();
    let train = Dataset::load_csv(dir.join("train.csv"), Some("y")).unwrap();
    assert_eq!(train.labels().unwrap(), vec![1, 0, 2]); // a, b, c in sorted order
    let mut test = Dataset::load_csv(dir.join("test.csv"), Some("y")).unwrap();
    assert_eq!(test.labels().unwrap(), vec![1, 0]);
    test.use_classes(&train).unwrap();
    assert_eq!(test.labels().unwrap(), vec![2, 1]);
    assert_eq!(test.num_classes().unwrap(), 3);
    assert_eq!(test.class_name(0).unwrap(), "a");
    let mut other = Dataset::load_csv(dir.join("other.csv"), Some("y")).unwrap();
    let err = expect_error(other.use_classes(&train), Status::InvalidArgument, "deep_dataset_use_classes");
    assert!(err.message().contains("class 'dingo'"), "{}", err);
    assert_eq!(other.labels().unwrap(), vec![0, 1], "a failed call changed the dataset");
    expect_error(small().use_classes(&train), Status::State, "deep_dataset_use_classes");
}

#[test]
fn kfold_indices_as_scikit_learn() {
    // 7 samples, 3 folds, no shuffle: test folds [0, 1, 2], [3, 4], [5, 6].
    let (train, test) = kfold_indices(7, 3, 0, false, 0).unwrap();
    assert_eq!((train, test), (vec![3, 4, 5, 6], vec![0, 1, 2]));
    let (train, test) = kfold_indices(7, 3, 2, false, 0).unwrap();
    assert_eq!((train, test), (vec![0, 1, 2, 3, 4], vec![5, 6]));
    // Shuffled: the test folds partition the samples, each list sorted.
    let mut all = Vec::new();
    for fold in 0..3 {
        let (train, test) = kfold_indices(7, 3, fold, true, 42).unwrap();
        assert_eq!(train.len() + test.len(), 7);
        assert!(test.windows(2).all(|w| w[0] < w[1]) && train.windows(2).all(|w| w[0] < w[1]));
        assert!(test.iter().all(|i| !train.contains(i)));
        all.extend(test);
    }
    all.sort_unstable();
    assert_eq!(all, (0..7).collect::<Vec<_>>());
    expect_error(kfold_indices(7, 1, 0, false, 0), Status::InvalidArgument, "deep_kfold_indices");
    expect_error(kfold_indices(2, 3, 0, false, 0), Status::InvalidArgument, "deep_kfold_indices");
    expect_error(kfold_indices(7, 3, 3, false, 0), Status::OutOfRange, "deep_kfold_indices");
}
