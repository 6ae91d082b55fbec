//! forest: a random forest (scikit-learn's RandomForestClassifier) on Fashion-MNIST, as
//! examples/forest_fashion.c, or on any CSV table, as examples/tree_iris.c.
//!
//! Usage:
//!
//! ```text
//! cargo run --release --example forest -- [DATA_DIR [TREES [LIMIT [THREADS]]]]
//! cargo run --release --example forest -- --csv FILE LABEL_COLUMN [TREES]
//! ```
//!
//! Fashion-MNIST (defaults /usr/share/datasets/fashion-mnist, 100 trees, 0 = every image,
//! 0 = all cores): the 784 raw pixels of each image as features; prints the fit time, the
//! out-of-bag score, the test accuracy and the macro F1. A CSV file (e.g.
//! examples/data/iris.csv with label column `species`): a stratified 70/30 split, then the
//! test accuracy, the confusion matrix, the feature importances by column name and 5-fold
//! cross-validation.
use std::path::Path;
use std::time::Instant;

use libdeep::{confusion_matrix, precision_recall_f1, Dataset, Forest, TreeKind, TreeOption};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> Result<T, String> {
    match args.get(i) {
        Some(a) => a.parse().map_err(|_| format!("argument {} ({:?}) is not a number", i, a)),
        None => Ok(default),
    }
}

/// The predicted class of every sample of data.
fn predict_labels(forest: &Forest, data: &Dataset) -> libdeep::Result<Vec<i32>> {
    let predicted = forest.predict(&data.features()?)?;
    Ok(predicted.data()?.iter().map(|&c| c as i32).collect())
}

fn load_idx(dir: &Path, prefix: &str, limit: usize) -> libdeep::Result<Dataset> {
    let images = dir.join(format!("{}-images-idx3-ubyte.gz", prefix));
    let labels = dir.join(format!("{}-labels-idx1-ubyte.gz", prefix));
    let mut data = Dataset::load_idx(images, Some(labels))?;
    if limit > 0 && limit < data.count()? {
        data = data.subset(&(0..limit).collect::<Vec<_>>())?;
    }
    data.reshape(&[784])?;
    Ok(data)
}

fn fashion(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(args.get(1).map_or("/usr/share/datasets/fashion-mnist", |s| s.as_str())).to_path_buf();
    let trees: i64 = arg(args, 2, 100)?;
    let limit: usize = arg(args, 3, 0)?;
    let threads: i64 = arg(args, 4, 0)?;
    let (train, test) = (load_idx(&dir, "train", limit)?, load_idx(&dir, "t10k", limit)?);

    let mut forest = Forest::new(TreeKind::Classifier)?;
    forest.set_int(TreeOption::ForestNEstimators, trees)?;
    forest.set_int(TreeOption::ForestThreads, threads)?;
    forest.set_int(TreeOption::ForestOobScore, 1)?;
    forest.set_int(TreeOption::Seed, 42)?;
    let start = Instant::now();
    forest.fit(&train)?;
    println!("fit time: {:.1} s ({} trees on {} x 784 pixels)", start.elapsed().as_secs_f64(), trees, train.count()?);
    println!("out-of-bag score: {:.4}", forest.oob_score()?);
    println!("test accuracy: {:.4}", forest.score(&test)?);
    let report = precision_recall_f1(&test.labels()?, &predict_labels(&forest, &test)?, 10)?;
    println!("test macro F1: {:.4}", report.macro_f1);
    Ok(())
}

fn csv(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let (path, label) = match (args.get(2), args.get(3)) {
        (Some(p), Some(l)) => (p, l),
        _ => return Err("usage: forest --csv FILE LABEL_COLUMN [TREES]".into()),
    };
    let trees: i64 = arg(args, 4, 100)?;
    let data = Dataset::load_csv(path, Some(label))?;
    let (train, test) = data.split(0.3, 42, true)?;
    let classes = data.num_classes()?;

    let mut forest = Forest::new(TreeKind::Classifier)?;
    forest.set_int(TreeOption::ForestNEstimators, trees)?;
    forest.set_int(TreeOption::Seed, 42)?;
    forest.fit(&train)?;
    println!("{} training and {} test rows, {} classes", train.count()?, test.count()?, classes);
    println!("test accuracy: {:.4}", forest.score(&test)?);

    let matrix = confusion_matrix(&test.labels()?, &predict_labels(&forest, &test)?, classes)?;
    println!("confusion matrix (rows: true class, columns: predicted):");
    for c in 0..matrix.num_classes() {
        let name = data.class_name(c as i32).unwrap_or_else(|_| c.to_string());
        let row: Vec<String> = matrix.row(c).iter().map(|n| format!("{:4}", n)).collect();
        println!("  {:>12} {}", name, row.join(""));
    }
    println!("feature importances:");
    for (i, importance) in forest.feature_importances()?.iter().enumerate() {
        let name = data.column_name(i).unwrap_or_else(|_| format!("f{}", i));
        println!("  {:>12} {:.4}", name, importance);
    }
    let scores = forest.cross_val_score(&data, 5, 42)?;
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    let shown: Vec<String> = scores.iter().map(|s| format!("{:.4}", s)).collect();
    println!("5-fold cross-validation: {} (mean {:.4})", shown.join(" "), mean);
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = if args.get(1).map(|s| s.as_str()) == Some("--csv") { csv(&args) } else { fashion(&args) };
    if let Err(e) = result {
        eprintln!("forest: error: {}", e);
        std::process::exit(1);
    }
}
