//! Trains a small network and a random forest on the XOR of two coordinates with the safe
//! Rust API, prints their test accuracies and shows a misuse coming back as an Error.
//! scripts/check-rust.sh runs it against the installed library: `cargo run --example xor`.
use libdeep::{Activation, Dataset, Forest, Loss, Metric, Model, Optimizer, OptimizerKind, OptimizerOption};
use libdeep::{Status, Tensor, TreeKind, TreeOption};

fn data(seed: u64, count: usize) -> libdeep::Result<Dataset> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    };
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    while labels.len() < count {
        let (x, y) = (next(), next());
        if x.abs() >= 0.1 && y.abs() >= 0.1 {
            features.extend_from_slice(&[x, y]);
            labels.push(((x > 0.0) != (y > 0.0)) as i32);
        }
    }
    let mut d = Dataset::new(&[2], &features)?;
    d.set_labels(&labels, 2)?;
    Ok(d)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    println!("libdeep {}", libdeep::version());
    let (train, test) = (data(1, 800)?, data(2, 400)?);

    let mut model = Model::new(&[2])?;
    model.set_seed(7)?;
    model.add_dense(16, Activation::Tanh)?;
    model.add_dense(2, Activation::Softmax)?;
    let mut adam = Optimizer::new(OptimizerKind::Adam)?;
    adam.set(OptimizerOption::LearningRate, 0.02)?;
    model.compile(adam, Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy])?;
    model.fit(&train, 40, 32, None)?;
    let values = model.evaluate(&test, 100)?;
    println!("network: test loss {:.4}, test accuracy {:.4}", values[0], values[1]);
    if values[1] < 0.9 {
        return Err(format!("the network did not learn XOR (accuracy {:.4})", values[1]).into());
    }

    let mut forest = Forest::new(TreeKind::Classifier)?;
    forest.set_int(TreeOption::ForestNEstimators, 25)?;
    forest.fit(&train)?;
    let score = forest.score(&test)?;
    println!("forest: test accuracy {:.4}", score);
    if score < 0.9 {
        return Err(format!("the forest did not learn XOR (accuracy {:.4})", score).into());
    }

    match model.predict(&Tensor::zeros(&[4, 3])?) {
        Err(e) if e.status() == Status::Shape => println!("misuse reported: {}", e),
        other => return Err(format!("predicting on 3 features gave {:?}", other).into()),
    }
    println!("rust program OK");
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("xor: {}", e);
        std::process::exit(1);
    }
}
