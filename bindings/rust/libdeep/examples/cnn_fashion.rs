//! cnn_fashion: the seed convolutional network on Fashion-MNIST, as examples/cnn_fashion.c.
//!
//! ```text
//! model = Sequential([
//!     Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)),
//!     MaxPooling2D((2, 2)),
//!     Conv2D(64, (3, 3), activation='relu'),
//!     MaxPooling2D((2, 2)),
//!     Flatten(),
//!     Dense(64, activation='relu'),
//!     Dense(10, activation='softmax')])
//! model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
//! model.fit(x_train / 255, y_train, epochs=5, batch_size=32)
//! model.evaluate(x_test / 255, y_test)
//! ```
//!
//! Usage: `cargo run --release --example cnn_fashion -- [DATA_DIR [EPOCHS [LIMIT [SEED]]]]`
//! (defaults /usr/share/datasets/fashion-mnist, 5, 0 = every sample, 42). LIMIT keeps the
//! first LIMIT training and test images, for a quick run.
use std::path::Path;

use libdeep::layers::{Conv2d, Dense, Flatten, MaxPooling2d};
use libdeep::{Activation, Dataset, Loss, Metric, Model, Optimizer, OptimizerKind};

/// One split as (28, 28, 1) images with pixels in [0, 1] and integer labels, at most
/// `limit` of them (0: all).
fn load_split(dir: &Path, prefix: &str, limit: usize) -> libdeep::Result<Dataset> {
    let images = dir.join(format!("{}-images-idx3-ubyte.gz", prefix));
    let labels = dir.join(format!("{}-labels-idx1-ubyte.gz", prefix));
    let mut data = Dataset::load_idx(images, Some(labels))?;
    if limit > 0 && limit < data.count()? {
        data = data.subset(&(0..limit).collect::<Vec<_>>())?;
    }
    data.reshape(&[28, 28, 1])?;
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
    let epochs: i32 = arg(&args, 2, 5)?;
    let limit: usize = arg(&args, 3, 0)?;
    let seed: u64 = arg(&args, 4, 42)?;

    let train = load_split(&dir, "train", limit)?;
    let test = load_split(&dir, "t10k", limit)?;
    println!("{} training and {} test images", train.count()?, test.count()?);

    let mut model = Model::new(&[28, 28, 1])?;
    model.set_seed(seed)?;
    model.add(Conv2d::new(32, (3, 3)).activation(Activation::Relu))?;
    model.add(MaxPooling2d::new((2, 2)))?;
    model.add(Conv2d::new(64, (3, 3)).activation(Activation::Relu))?;
    model.add(MaxPooling2d::new((2, 2)))?;
    model.add(Flatten)?;
    model.add(Dense::new(64).activation(Activation::Relu))?;
    model.add(Dense::new(10).activation(Activation::Softmax))?;
    print!("{}", model.summary()?);

    model.compile(Optimizer::new(OptimizerKind::Adam)?, Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy])?;
    model.set_log_console()?;
    model.fit(&train, epochs, 32, None)?;

    let results = model.evaluate(&test, 256)?;
    println!("test loss: {:.4}", results[0]);
    println!("test accuracy: {:.4}", results[1]);
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("cnn_fashion: error: {}", e);
        std::process::exit(1);
    }
}
