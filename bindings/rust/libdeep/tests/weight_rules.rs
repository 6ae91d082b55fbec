//! Keras' weight arguments (library 1.2): an initializer's variance, a regularizer's term in
//! the loss (Keras' hand-computed value), files and misuse as an Error naming the C function.
mod common;

use common::expect_error;
use libdeep::layers::Dense;
use libdeep::{Constraint, Initializer, Loss, Model, Optimizer, OptimizerKind, Status, Tensor, WeightRole};

#[test]
fn he_normal_has_keras_variance() {
    let mut m = Model::new(&[400]).unwrap();
    m.add_dense(300, libdeep::Activation::Linear).unwrap();
    m.set_layer_initializer(-1, WeightRole::Kernel, Initializer::HeNormal, 0.0, 0.0).unwrap();
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    let kernel = m.get_weight(0, 0).unwrap();
    let w = kernel.data().unwrap();
    let n = w.len() as f64;
    let mean = w.iter().map(|&v| v as f64).sum::<f64>() / n;
    let var = w.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
    assert!((var / (2.0 / 400.0) - 1.0).abs() < 0.04, "variance {var}");
    assert_eq!(m.layer_initializer(0, WeightRole::Kernel).unwrap(), (Initializer::HeNormal, 0.0, 0.0));
}

#[test]
fn regularizer_in_the_loss_and_saved() {
    let mut m = Model::new(&[3]).unwrap();
    m.add(Dense::new(2).use_bias(false)).unwrap();
    m.set_layer_regularizer(0, WeightRole::Kernel, 0.01, 0.02).unwrap();
    m.set_layer_constraint(0, WeightRole::Kernel, Constraint::MaxNorm, 0.0, 2.0, 0.0, &[0]).unwrap();
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    m.set_weight(0, 0, &Tensor::new(&[3, 2], &[1.0, -2.0, 0.5, 0.0, 0.0, 3.0]).unwrap()).unwrap();
    let x = Tensor::new(&[1, 3], &[0.0, 0.0, 0.0]).unwrap();
    let y = Tensor::new(&[1, 2], &[0.0, 0.0]).unwrap();
    // Keras: 0.01 * 6.5 + 0.02 * 14.25 = 0.35 (the data loss is 0).
    let loss = m.test_on_batch(&x, &y).unwrap()[0];
    assert!((loss - 0.35).abs() < 1e-6, "loss {loss}");
    let loaded = Model::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.layer_regularizer(0, WeightRole::Kernel).unwrap(), (0.01, 0.02));
    let c = loaded.layer_constraint(0, WeightRole::Kernel).unwrap();
    assert_eq!((c.constraint, c.max_value, c.axes), (Constraint::MaxNorm, 2.0, vec![0]));
    expect_error(m.set_layer_regularizer(0, WeightRole::Kernel, 0.0, 1.0), Status::State,
                 "deep_model_set_layer_regularizer");
    let mut fresh = Model::new(&[3]).unwrap();
    fresh.add(Dense::new(2).use_bias(false)).unwrap();
    expect_error(fresh.set_layer_initializer(0, WeightRole::Bias, Initializer::Ones, 0.0, 0.0),
                 Status::InvalidArgument, "deep_model_set_layer_initializer");
}

#[test]
fn noise_layers_are_the_identity_at_inference() {
    use libdeep::layers::{GaussianDropout, GaussianNoise, SpatialDropout2d};
    let mut m = Model::new(&[2, 2, 3]).unwrap();
    m.add(SpatialDropout2d::new(0.5)).unwrap();
    m.add(GaussianNoise::new(0.5)).unwrap();
    m.add(GaussianDropout::new(0.5)).unwrap();
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    let x: Vec<f32> = (0..12).map(|i| i as f32 / 4.0).collect();
    let out = m.predict(&Tensor::new(&[1, 2, 2, 3], &x).unwrap()).unwrap();
    assert_eq!(out.data().unwrap(), &x[..]);
    let mut flat = Model::new(&[4]).unwrap();
    expect_error(flat.add(SpatialDropout2d::new(0.5)), Status::Shape, "deep_model_add_spatial_dropout2d");
    expect_error(flat.add(GaussianNoise::new(2.0)), Status::InvalidArgument, "deep_model_add_gaussian_noise");
}
