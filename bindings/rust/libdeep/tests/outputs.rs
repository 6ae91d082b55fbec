//! Models of several outputs: evaluate against losses computed by hand in Keras' order,
//! predict split per output, a model that learns, history per output, and the errors.
use libdeep::layers::Dense;
use libdeep::{Activation, Dataset, Loss, Metric, Model, ModelOption, Optimizer, OptimizerKind, OptimizerOption, Status, Tensor};

fn noise(seed: u64, n: usize) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2862933555777941757).wrapping_add(3037000493);
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect()
}

/// x (4) -> tanh hidden (5) -> classes (3, softmax) and values (2, linear).
fn two_heads() -> Model {
    let mut model = Model::new(&[4]).unwrap();
    model.add(Dense::new(5).activation(Activation::Tanh)).unwrap();
    let hidden = model.last_node().unwrap();
    model.add(Dense::new(3).activation(Activation::Softmax)).unwrap();
    let classes = model.last_node().unwrap();
    model.connect(&[hidden]).unwrap();
    model.add(Dense::new(2)).unwrap();
    let values = model.last_node().unwrap();
    model.set_outputs(&[classes, values]).unwrap();
    model
}

#[test]
fn evaluate_matches_losses_by_hand() {
    let mut model = two_heads();
    model.set_seed(3).unwrap();
    let sgd = Optimizer::new(OptimizerKind::Sgd).unwrap();
    model.compile_outputs(sgd, &[Loss::SparseCategoricalCrossentropy, Loss::MeanSquaredError], Some(&[0.5, 2.0]), &[Metric::Accuracy]).unwrap();
    let n = 32;
    let x = noise(7, n * 4);
    let mut rows = vec![0f32; n * 3]; // a label, then two values
    for i in 0..n {
        rows[i * 3] = (i % 3) as f32;
        rows[i * 3 + 1] = x[i * 4] - x[i * 4 + 1];
        rows[i * 3 + 2] = 0.5 * x[i * 4 + 2];
    }
    let inputs = Tensor::new(&[n as i64, 4], &x).unwrap();
    let out = model.predict(&inputs).unwrap();
    assert_eq!(out.shape().unwrap(), vec![n as i64, 5]);
    let out = out.data().unwrap().to_vec();
    let (mut class_loss, mut value_loss, mut correct) = (0f64, 0f64, 0f64);
    for i in 0..n {
        let p = &out[i * 5..i * 5 + 5];
        let label = rows[i * 3] as usize;
        class_loss -= (p[label] as f64).ln();
        let best = (0..3).fold(0, |b, c| if p[c] > p[b] { c } else { b });
        correct += (best == label) as i32 as f64;
        for j in 0..2 {
            let d = (p[3 + j] - rows[i * 3 + 1 + j]) as f64;
            value_loss += d * d / 2.0;
        }
    }
    class_loss /= n as f64;
    value_loss /= n as f64;
    let mut data = Dataset::new(&[4], &x).unwrap();
    data.set_targets(&rows, 3).unwrap();
    let got = model.evaluate(&data, n as i32).unwrap();
    let want = [0.5 * class_loss + 2.0 * value_loss, class_loss, value_loss, correct / n as f64];
    assert_eq!(got.len(), 5, "{:?}", got);
    for (i, w) in want.iter().enumerate() {
        assert!((got[i] - w).abs() <= 1e-4 * (1.0 + w.abs()), "evaluate[{}] = {}, want {} ({:?})", i, got[i], w, got);
    }

    let parts = model.predict_outputs(&inputs).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].shape().unwrap(), vec![n as i64, 3]);
    assert_eq!(parts[1].shape().unwrap(), vec![n as i64, 2]);
    let (first, second) = (parts[0].data().unwrap(), parts[1].data().unwrap());
    for i in 0..n {
        assert_eq!(&first[i * 3..i * 3 + 3], &out[i * 5..i * 5 + 3]);
        assert_eq!(&second[i * 2..i * 2 + 2], &out[i * 5 + 3..i * 5 + 5]);
    }
}

#[test]
fn two_outputs_learn_and_report_history_per_output() {
    let mut model = two_heads();
    model.set_seed(4).unwrap();
    model.set_int(ModelOption::Verbose, 0).unwrap();
    let mut adam = Optimizer::new(OptimizerKind::Adam).unwrap();
    adam.set(OptimizerOption::LearningRate, 0.02).unwrap();
    model.compile_outputs(adam, &[Loss::SparseCategoricalCrossentropy, Loss::MeanSquaredError], None, &[Metric::Accuracy]).unwrap();
    let n = 256;
    let x = noise(9, n * 4);
    let mut rows = vec![0f32; n * 3];
    for i in 0..n {
        rows[i * 3] = if x[i * 4] > 0.3 { 2.0 } else if x[i * 4] > -0.3 { 1.0 } else { 0.0 };
        rows[i * 3 + 1] = x[i * 4 + 1];
        rows[i * 3 + 2] = -x[i * 4 + 3];
    }
    let mut data = Dataset::new(&[4], &x).unwrap();
    data.set_targets(&rows, 3).unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    model
        .set_epoch_callback(move |m, epoch| {
            s.lock().unwrap().push(m.history_output(epoch, 0, Metric::Accuracy, false).unwrap());
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    model.fit(&data, 40, 32, None).unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 40);
    assert_eq!(seen[39], model.history_output(39, 0, Metric::Accuracy, false).unwrap());
    let first = model.history(0, Metric::Loss, false).unwrap();
    let last = model.history(39, Metric::Loss, false).unwrap();
    let total = model.history_output(39, -1, Metric::Loss, false).unwrap();
    let class_loss = model.history_output(39, 0, Metric::Loss, false).unwrap();
    let value_loss = model.history_output(39, 1, Metric::Loss, false).unwrap();
    let accuracy = model.history_output(39, 0, Metric::Accuracy, false).unwrap();
    assert!(last < 0.3 * first, "loss {} -> {}", first, last);
    assert_eq!(total, last);
    assert!((total - class_loss - value_loss).abs() <= 0.05 * total, "{} vs {} + {}", total, class_loss, value_loss);
    assert!(accuracy > 0.85, "accuracy {}", accuracy);
    let err = model.history_output(0, 2, Metric::Loss, false).unwrap_err();
    assert_eq!(err.status(), Status::OutOfRange);
    assert!(err.message().contains("deep_model_history_output"), "{}", err.message());
}

#[test]
fn compile_outputs_errors() {
    let mut model = two_heads();
    let sgd = || Optimizer::new(OptimizerKind::Sgd).unwrap();
    let err = model.compile_outputs(sgd(), &[Loss::MeanSquaredError; 2], Some(&[1.0]), &[]).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    let err = model.compile_outputs(sgd(), &[Loss::MeanSquaredError], None, &[]).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("deep_model_compile_outputs"), "{}", err.message());
    let err = model.compile_outputs(sgd(), &[Loss::MeanSquaredError; 2], Some(&[1.0, -1.0]), &[]).unwrap_err();
    assert!(err.message().contains("loss weight -1"), "{}", err.message());
    // Compile gives both outputs the same loss.
    model.compile(sgd(), Loss::MeanSquaredError, &[]).unwrap();
    assert_eq!(model.output_nodes().unwrap().len(), 2);
}
