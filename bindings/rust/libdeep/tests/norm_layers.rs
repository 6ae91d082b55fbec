//! The layer types since libdeep 1.1 that take one input (issue #16): Keras' defaults and
//! weights, forward values by Keras' formula, misuse as an Error naming the C function.
mod common;

use common::expect_error;
use libdeep::layers::{DepthwiseConv2d, LayerNormalization, SeparableConv2d};
use libdeep::{Activation, Loss, Model, Optimizer, OptimizerKind, Padding, Status, Tensor};

fn compiled(mut m: Model) -> Model {
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    m
}

#[test]
fn layer_normalization_follows_keras_formula() {
    let mut m = Model::new(&[2, 3]).unwrap();
    m.add(LayerNormalization::new()).unwrap();
    let mut m = compiled(m);
    assert_eq!(m.weight_count(0).unwrap(), 2); // gamma, beta
    let (gamma, beta) = ([1.5f32, -0.5, 2.0], [0.1f32, 0.2, -0.3]);
    m.set_weight(0, 0, &Tensor::new(&[3], &gamma).unwrap()).unwrap();
    m.set_weight(0, 1, &Tensor::new(&[3], &beta).unwrap()).unwrap();
    let x = [0.5f32, -1.0, 2.0, 3.0, 3.0, 3.5];
    let out = m.predict(&Tensor::new(&[1, 2, 3], &x).unwrap()).unwrap();
    let out = out.data().unwrap();
    for row in 0..2 {
        let r = &x[3 * row..3 * row + 3];
        let mean = r.iter().map(|&v| v as f64).sum::<f64>() / 3.0;
        let var = r.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / 3.0;
        for i in 0..3 {
            let want = gamma[i] as f64 * (r[i] as f64 - mean) / (var + 0.001).sqrt() + beta[i] as f64;
            assert!((out[3 * row + i] as f64 - want).abs() < 1e-5, "{} vs {}", out[3 * row + i], want);
        }
    }
}

#[test]
fn layer_normalization_options_and_misuse() {
    let mut m = Model::new(&[4]).unwrap();
    expect_error(m.add(LayerNormalization::new().epsilon(0.0)), Status::InvalidArgument, "deep_model_add_layer_normalization");
    m.add(LayerNormalization::new().center(false).scale(false)).unwrap();
    assert_eq!(m.parameter_count().unwrap(), 0);
}

#[test]
fn depthwise_conv2d_keeps_channels_apart() {
    let mut m = Model::new(&[3, 4, 2]).unwrap();
    let f = "deep_model_add_depthwise_conv2d";
    expect_error(m.add(DepthwiseConv2d::new((3, 3)).depth_multiplier(0)), Status::InvalidArgument, f);
    expect_error(m.add(DepthwiseConv2d::new((4, 3))), Status::Shape, f);
    // Same padding with strides (1, 2): (3, 4, 2) to (3, 2, 4).
    m.add(DepthwiseConv2d::new((2, 2)).padding(Padding::Same).strides((1, 2)).depth_multiplier(2).use_bias(false)
        .activation(Activation::Linear))
        .unwrap();
    let mut m = compiled(m);
    assert_eq!(m.weight_count(0).unwrap(), 1);
    m.set_weight(0, 0, &Tensor::new(&[2, 2, 2, 2], &[1.0; 16]).unwrap()).unwrap();
    // Channel values 1 and 10 everywhere: a window inside the image sums 4 and 40, one
    // on the last row (padding after) 2 and 20.
    let x: Vec<f32> = (0..24).map(|i| if i % 2 == 0 { 1.0 } else { 10.0 }).collect();
    let out = m.predict(&Tensor::new(&[1, 3, 4, 2], &x).unwrap()).unwrap();
    assert_eq!(out.shape().unwrap(), vec![1, 3, 2, 4]);
    let out = out.data().unwrap();
    assert_eq!(&out[..4], &[4.0, 4.0, 40.0, 40.0]);
    assert_eq!(&out[16..20], &[2.0, 2.0, 20.0, 20.0]);
}

#[test]
fn separable_conv2d_has_keras_weights() {
    let mut m = Model::new(&[4, 4, 2]).unwrap();
    let f = "deep_model_add_separable_conv2d";
    expect_error(m.add(SeparableConv2d::new(0, (3, 3))), Status::InvalidArgument, f);
    m.add(SeparableConv2d::new(3, (2, 2)).strides((2, 2)).depth_multiplier(2)).unwrap();
    let mut m = compiled(m);
    assert_eq!(m.parameter_count().unwrap(), 16 + 12 + 3); // depthwise, pointwise, bias
    m.set_weight(0, 0, &Tensor::new(&[2, 2, 2, 2], &[1.0; 16]).unwrap()).unwrap();
    m.set_weight(0, 1, &Tensor::new(&[1, 1, 4, 3], &[1.0; 12]).unwrap()).unwrap();
    // Every output sums a 2x2 window of both channels (1 and 10) twice: 4 * 11 * 2.
    let x: Vec<f32> = (0..32).map(|i| if i % 2 == 0 { 1.0 } else { 10.0 }).collect();
    let out = m.predict(&Tensor::new(&[1, 4, 4, 2], &x).unwrap()).unwrap();
    assert_eq!(out.shape().unwrap(), vec![1, 2, 2, 3]);
    assert!(out.data().unwrap().iter().all(|&v| v == 88.0));
}
