//! The sequence and shape layers of library 1.1 from Rust: outputs against values computed
//! by hand or with PyTorch, errors, and a Conv1D network that trains and reloads.
mod common;

use common::{expect_error, Lcg};
use libdeep::layers::{Conv1d, Dense, GlobalAveragePooling1d, GlobalMaxPooling2d, MaxPooling1d, Permute, RepeatVector};
use libdeep::{
    Activation, Dataset, Loss, Metric, Model, Optimizer, OptimizerKind, OptimizerOption, Padding, Status, Tensor,
};

fn compiled(input: &[i64], add: &dyn Fn(&mut Model)) -> Model {
    let mut m = Model::new(input).unwrap();
    add(&mut m);
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    m
}

fn assert_near(what: &str, got: &[f32], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{}", what);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((*g as f64 - w).abs() <= 1e-5, "{}: value {} is {}, want {}", what, i, g, w);
    }
}

#[test]
fn conv1d_causal_dilated_matches_pytorch() {
    // x[t][c] = 0.1 (2t + c) - 0.4, kernel[j][c][o] = 0.05 (4j + 2c + o) - 0.2, bias (0.1, -0.2);
    // PyTorch: F.conv1d(F.pad(x.T[None], (2, 0)), kernel.permute(2, 1, 0), bias, dilation=2).
    let mut m = compiled(&[5, 2], &|m| m.add(Conv1d::new(2, 2).padding(Padding::Causal).dilation_rate(2)).unwrap());
    let kernel: Vec<f32> = (0..8).map(|i| 0.05 * i as f32 - 0.2).collect();
    m.set_weight(0, 0, &Tensor::new(&[2, 2, 2], &kernel).unwrap()).unwrap();
    m.set_weight(0, 1, &Tensor::new(&[2], &[0.1, -0.2]).unwrap()).unwrap();
    let x: Vec<f32> = (0..10).map(|i| 0.1 * i as f32 - 0.4).collect();
    let out = m.predict(&Tensor::new(&[1, 5, 2], &x).unwrap()).unwrap();
    assert_eq!(out.shape().unwrap(), vec![1, 5, 2]);
    assert_near("causal conv1d", out.data().unwrap(), &[0.07, -0.265, 0.09, -0.225, 0.22, -0.11, 0.18, -0.11, 0.14, -0.11]);
}

#[test]
fn poolings_permute_and_repeat_compute_by_hand() {
    let seq = [3.0, -1.0, 1.0, 4.0, -2.0, 0.0, 5.0, 2.0, 0.0, -3.0, 2.0, 6.0];
    let x = Tensor::new(&[1, 6, 2], &seq).unwrap();
    // Keras' same padding, pool 3, stride 2 on 6 steps: windows [0, 3), [2, 5), [4, 6).
    let max = compiled(&[6, 2], &|m| m.add(MaxPooling1d::new(3).strides(2).padding(Padding::Same)).unwrap());
    assert_eq!(max.predict(&x).unwrap().data().unwrap(), &[3.0, 4.0, 5.0, 2.0, 2.0, 6.0]);
    let gap = compiled(&[6, 2], &|m| m.add(GlobalAveragePooling1d::new().keepdims(true)).unwrap());
    let out = gap.predict(&x).unwrap();
    assert_eq!(out.shape().unwrap(), vec![1, 1, 2]);
    assert_near("global average 1d", out.data().unwrap(), &[1.5, 8.0 / 6.0]);
    let gmp = compiled(&[3, 2, 2], &|m| m.add_global_max_pooling2d().unwrap());
    assert_eq!(gmp.predict(&Tensor::new(&[1, 3, 2, 2], &seq).unwrap()).unwrap().data().unwrap(), &[5.0, 6.0]);
    let permute = compiled(&[2, 3], &|m| m.add_permute(&[2, 1]).unwrap());
    let out = permute.predict(&Tensor::new(&[1, 2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap()).unwrap();
    assert_eq!(out.shape().unwrap(), vec![1, 3, 2]);
    assert_eq!(out.data().unwrap(), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let repeat = compiled(&[2], &|m| m.add(RepeatVector::new(3)).unwrap());
    assert_eq!(repeat.predict(&Tensor::new(&[1, 2], &[7.0, 8.0]).unwrap()).unwrap().data().unwrap(), &[7.0, 8.0, 7.0, 8.0, 7.0, 8.0]);
}

#[test]
fn misuse_is_an_error_naming_the_function() {
    let mut m = Model::new(&[6, 2]).unwrap();
    let err = expect_error(m.add(Conv1d::new(2, 3).strides(2).dilation_rate(2)), Status::InvalidArgument, "deep_model_add_conv1d");
    assert!(err.message().contains("cannot go with dilation_rate"), "{}", err);
    expect_error(m.add_conv1d(2, 7, Padding::Valid, Activation::Relu), Status::Shape, "kernel_size 7 exceeds");
    expect_error(m.add(MaxPooling1d::new(2).padding(Padding::Causal)), Status::InvalidArgument, "only for Conv1D");
    expect_error(m.add(Permute::new(&[1, 1])), Status::InvalidArgument, "permutation of 1..2");
    expect_error(m.add(Permute::new(&[])), Status::InvalidArgument, "dims has 0 entries");
    expect_error(m.add_repeat_vector(2), Status::Shape, "deep_model_add_repeat_vector");
    expect_error(m.add(GlobalMaxPooling2d::new()), Status::Shape, "deep_model_add_global_max_pooling2d");
    assert_eq!(m.layer_count().unwrap(), 0);
    m.add_global_average_pooling1d().unwrap();
    expect_error(m.add_repeat_vector(0), Status::InvalidArgument, "n is 0");
}

#[test]
fn conv1d_network_trains_and_reloads() {
    // A bump of 3 steps early (class 0) or late (class 1) in 12 steps of noise.
    let (n, steps) = (48usize, 12usize);
    let mut rng = Lcg::new(7);
    let mut features = Vec::new();
    let labels: Vec<i32> = (0..n).map(|i| (i % 2) as i32).collect();
    for (i, label) in labels.iter().enumerate() {
        let start = if *label == 0 { 1 + i % 3 } else { 7 + i % 2 };
        for s in 0..steps {
            let bump = if s >= start && s < start + 3 { 1.0 } else { 0.0 };
            features.push(bump + 0.2 * rng.next());
            features.push(0.2 * rng.next());
        }
    }
    let mut data = Dataset::new(&[steps as i64, 2], &features).unwrap();
    data.set_labels(&labels, 2).unwrap();
    let mut m = Model::new(&[steps as i64, 2]).unwrap();
    m.set_seed(5).unwrap();
    m.add(Conv1d::new(4, 3).padding(Padding::Causal).activation(Activation::Relu)).unwrap();
    m.add_max_pooling1d(2).unwrap();
    m.add(Conv1d::new(4, 2).padding(Padding::Same).dilation_rate(2).activation(Activation::Tanh)).unwrap();
    m.add(GlobalAveragePooling1d::new()).unwrap();
    m.add(Dense::new(2).activation(Activation::Softmax)).unwrap();
    let mut adam = Optimizer::new(OptimizerKind::Adam).unwrap();
    adam.set(OptimizerOption::LearningRate, 0.02).unwrap();
    m.compile(adam, Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy]).unwrap();
    m.fit(&data, 20, 8, None).unwrap();
    let (first, last) = (m.history(0, Metric::Loss, false).unwrap(), m.history(19, Metric::Loss, false).unwrap());
    assert!(last * 2.0 < first, "loss {} after 20 epochs, {} after the first", last, first);
    let loaded = Model::from_bytes(&m.to_bytes().unwrap()).unwrap();
    let x = Tensor::new(&[n as i64, steps as i64, 2], &features).unwrap();
    assert_eq!(m.predict(&x).unwrap().data().unwrap(), loaded.predict(&x).unwrap().data().unwrap());
}
