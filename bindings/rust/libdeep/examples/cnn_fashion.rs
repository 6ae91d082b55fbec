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
//! x_train, x_test = ((x / 255 - 0.2860) / 0.3530 for x in (x_train, x_test))
//! halve = LearningRateScheduler(lambda epoch, lr: lr if epoch < 3 else lr / 2)
//! model.fit(x_train, y_train, epochs=5, batch_size=32, callbacks=[halve])
//! model.evaluate(x_test, y_test)
//! ```
//!
//! The recipe (standardised pixels, the learning rate halved for the last two epochs) is
//! explained in examples/cnn_fashion.c; with the same seed this prints the same accuracy.
//!
//! Usage: `cargo run --release --example cnn_fashion -- [DATA_DIR [EPOCHS [LIMIT [SEED]]]]`
//! (defaults /usr/share/datasets/fashion-mnist, 5, 0 = every sample, 42). LIMIT keeps the
//! first LIMIT training and test images, for a quick run.
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use libdeep::layers::{Conv2d, Dense, Flatten, MaxPooling2d};
use libdeep::{Activation, Dataset, Loss, Metric, Model, Optimizer, OptimizerKind, OptimizerOption};

/// The mean and standard deviation of the training pixels, on the [0, 1] scale.
const PIXEL_MEAN: f64 = 0.2860;
const PIXEL_STD: f64 = 0.3530;

/// One split as standardised (28, 28, 1) images and integer labels, at most `limit` of
/// them (0: all).
fn load_split(dir: &Path, prefix: &str, limit: usize) -> libdeep::Result<Dataset> {
    let images = dir.join(format!("{}-images-idx3-ubyte.gz", prefix));
    let labels = dir.join(format!("{}-labels-idx1-ubyte.gz", prefix));
    let mut data = Dataset::load_idx(images, Some(labels))?;
    if limit > 0 && limit < data.count()? {
        data = data.subset(&(0..limit).collect::<Vec<_>>())?;
    }
    data.reshape(&[28, 28, 1])?;
    data.scale(1.0 / (255.0 * PIXEL_STD), -PIXEL_MEAN / PIXEL_STD)?;
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
    // Keras' LearningRateScheduler above, run after each epoch for the next one.
    let schedule_error = Arc::new(Mutex::new(None));
    let kept = schedule_error.clone();
    model.set_epoch_callback(move |model, epoch| {
        let next = epoch as i32 + 1;
        if next < 3 || next >= epochs {
            return ControlFlow::Continue(());
        }
        let halved = model.optimizer().and_then(|mut adam| {
            let rate = adam.get(OptimizerOption::LearningRate)?;
            adam.set(OptimizerOption::LearningRate, rate / 2.0)
        });
        match halved {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                *kept.lock().unwrap() = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    model.fit(&train, epochs, 32, None)?;
    if let Some(e) = schedule_error.lock().unwrap().take() {
        return Err(e.into());
    }

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
