//! train_on_batch, test_on_batch and predict_on_batch against fit, evaluate and predict;
//! clone_model and copy_weights_from.
use libdeep::{Activation, Dataset, Loss, Metric, Model, ModelOption, Optimizer, OptimizerKind, Status, Tensor};

fn problem() -> (Vec<f32>, Vec<f32>, Vec<i32>) {
    let (mut x, mut labels, mut ints) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..32 {
        let c = (i % 2) as f32 * 2.0 - 1.0;
        x.extend_from_slice(&[c + 0.1 * (i % 5) as f32, c - 0.05 * (i % 3) as f32]);
        labels.push((i % 2) as f32);
        ints.push(i % 2);
    }
    (x, labels, ints)
}

fn model() -> Model {
    let mut m = Model::new(&[2]).unwrap();
    m.set_seed(4).unwrap();
    m.set_int(ModelOption::Threads, 1).unwrap();
    m.set_int(ModelOption::Shuffle, 0).unwrap();
    m.set_int(ModelOption::Verbose, 0).unwrap();
    m.add_dense(8, Activation::Relu).unwrap();
    m.add_dense(2, Activation::Softmax).unwrap();
    m.compile(Optimizer::new(OptimizerKind::Adam).unwrap(), Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap();
    m
}

fn weights(m: &Model) -> Vec<f32> {
    let mut all = Vec::new();
    for layer in 0..2 {
        for w in m.get_weights(layer).unwrap() {
            all.extend_from_slice(w.data().unwrap());
        }
    }
    all
}

#[test]
fn train_on_batch_equals_fit() {
    let (x, labels, ints) = problem();
    let (mut fitted, mut stepped) = (model(), model());
    let mut data = Dataset::new(&[2], &x).unwrap();
    data.set_labels(&ints, 2).unwrap();
    for _ in 0..2 {
        fitted.fit(&data, 1, 8, None).unwrap();
        for first in (0..32).step_by(8) {
            let xb = Tensor::new(&[8, 2], &x[2 * first..2 * first + 16]).unwrap();
            let yb = Tensor::new(&[8], &labels[first..first + 8]).unwrap();
            assert_eq!(stepped.train_on_batch(&xb, &yb).unwrap().len(), 2);
        }
        assert_eq!(weights(&fitted), weights(&stepped), "weights differ from fit's");
    }
    let xs = Tensor::new(&[32, 2], &x).unwrap();
    let ys = Tensor::new(&[32], &labels).unwrap();
    assert_eq!(stepped.test_on_batch(&xs, &ys).unwrap(), stepped.evaluate(&data, 32).unwrap());
    let n = stepped.predict_on_batch(&xs, &mut []).unwrap();
    let mut out = vec![0f32; n];
    stepped.predict_on_batch(&xs, &mut out).unwrap();
    assert_eq!(out, stepped.predict(&xs).unwrap().data().unwrap());

    let bad = Tensor::new(&[32, 1], &x[..32]).unwrap();
    let err = stepped.train_on_batch(&bad, &ys).unwrap_err();
    assert_eq!(err.status(), Status::Shape);
    assert!(err.message().contains("deep_model_train_on_batch") && err.message().contains("axis 1"));
    let err = stepped.predict_on_batch(&xs, &mut out[..3]).unwrap_err();
    assert_eq!(err.status(), Status::BufferTooSmall);
}

#[test]
fn clone_and_copy_weights() {
    let src = model();
    let mut clone = src.clone_model().unwrap();
    assert_eq!(src.summary().unwrap(), clone.summary().unwrap());
    assert_eq!(clone.copy_weights_from(&src).unwrap_err().status(), Status::State);
    clone.set_seed(99).unwrap();
    clone.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::SparseCategoricalCrossentropy, &[]).unwrap();
    assert_ne!(weights(&src), weights(&clone));
    clone.copy_weights_from(&src).unwrap();
    assert_eq!(weights(&src), weights(&clone));
}
