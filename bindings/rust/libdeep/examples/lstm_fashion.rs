//! lstm_fashion: an LSTM reads each Fashion-MNIST image row by row, as
//! examples/lstm_fashion.c.
//!
//! ```text
//! model = Sequential([Input((28, 28)), LSTM(128), Dense(10, softmax)])
//! model.compile(Adam(), sparse_categorical_crossentropy, metrics=[accuracy])
//! model.fit(x_train / 255, y_train, epochs=EPOCHS, batch_size=128)
//! model.evaluate(x_test / 255, y_test)
//! ```
//!
//! Each 28x28 image is a sequence of 28 time steps (its rows) of 28 features (the pixels
//! of the row); the LSTM's last output goes to the classifier. An epoch callback prints
//! the loss of every epoch and the learning rate it ran with.
//!
//! Usage: `cargo run --release --example lstm_fashion -- [DATA_DIR [EPOCHS [LIMIT [THREADS]]]]`
//! (defaults /usr/share/datasets/fashion-mnist, 15, 0 = every sample, 0 = one thread per core).
use std::ops::ControlFlow;
use std::path::Path;

use libdeep::layers::{Dense, Lstm};
use libdeep::{Activation, Dataset, Loss, Metric, Model, ModelOption, Optimizer, OptimizerKind, OptimizerOption};

/// One split; IDX images keep their (28, 28) shape, which is (timesteps, features).
fn load_split(dir: &Path, prefix: &str, limit: usize) -> libdeep::Result<Dataset> {
    let images = dir.join(format!("{}-images-idx3-ubyte.gz", prefix));
    let labels = dir.join(format!("{}-labels-idx1-ubyte.gz", prefix));
    let mut data = Dataset::load_idx(images, Some(labels))?;
    if limit > 0 && limit < data.count()? {
        data = data.subset(&(0..limit).collect::<Vec<_>>())?;
    }
    data.reshape(&[28, 28])?;
    data.scale(1.0 / 255.0, 0.0)?;
    Ok(data)
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> Result<T, String> {
    match args.get(i) {
        Some(a) => a.parse().map_err(|_| format!("argument {} ({:?}) is not a number", i, a)),
        None => Ok(default),
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(args.get(1).map_or("/usr/share/datasets/fashion-mnist", |s| s.as_str())).to_path_buf();
    let epochs: i32 = arg(&args, 2, 15)?;
    let limit: usize = arg(&args, 3, 0)?;
    let threads: i64 = arg(&args, 4, 0)?;

    let train = load_split(&dir, "train", limit)?;
    let test = load_split(&dir, "t10k", limit)?;

    let mut model = Model::new(&[28, 28])?;
    model.set_seed(42)?;
    model.set_int(ModelOption::Threads, threads)?;
    model.add(Lstm::new(128))?;
    model.add(Dense::new(10).activation(Activation::Softmax))?;
    print!("{}", model.summary()?);

    model.compile(Optimizer::new(OptimizerKind::Adam)?, Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy])?;
    model.set_log_console()?;
    model.set_epoch_callback(|m, epoch| {
        let loss = m.history(epoch, Metric::Loss, false).unwrap_or(f64::NAN);
        let rate = m.optimizer().and_then(|o| o.get(OptimizerOption::LearningRate)).unwrap_or(f64::NAN);
        println!("  epoch {} done: loss {:.4} at learning rate {}", epoch + 1, loss, rate);
        ControlFlow::Continue(())
    })?;
    model.fit(&train, epochs, 128, None)?;

    let results = model.evaluate(&test, 128)?;
    println!("test loss: {:.4}", results[0]);
    println!("test accuracy: {:.4}", results[1]);
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("lstm_fashion: error: {}", e);
        std::process::exit(1);
    }
}
