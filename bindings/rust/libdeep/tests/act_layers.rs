//! LeakyReLU, ELU, ReLU and PReLU (library 1.3) against Keras' formulas computed here.
mod common;

use common::expect_error;
use libdeep::layers::{Elu, LeakyRelu, PRelu, Relu};
use libdeep::{Loss, Model, Optimizer, OptimizerKind, Status, Tensor};

fn predict(add: impl Fn(&mut Model) -> libdeep::Result<()>, x: &[f32]) -> Vec<f32> {
    let mut m = Model::new(&[x.len() as i64]).unwrap();
    add(&mut m).unwrap();
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    let out = m.predict(&Tensor::new(&[1, x.len() as i64], x).unwrap()).unwrap();
    out.data().unwrap().to_vec()
}

fn assert_close(what: &str, got: &[f32], want: impl Fn(f64) -> f64, x: &[f32]) {
    for (g, &v) in got.iter().zip(x) {
        let w = want(v as f64);
        assert!((*g as f64 - w).abs() <= 1e-6 * (1.0 + w.abs()), "{what}({v}) = {g}, want {w}");
    }
}

#[test]
fn keras_formulas() {
    let x = [-10.0f32, -5.0, -0.5, 0.0, 0.25, 5.0, 10.0];
    assert_close("LeakyReLU(0.2)", &predict(|m| m.add(LeakyRelu::new(0.2)), &x), |v| v.max(0.2 * v), &x);
    assert_close("ELU(0.5)", &predict(|m| m.add(Elu::new(0.5)), &x), |v| if v > 0.0 { v } else { 0.5 * v.exp_m1() }, &x);
    let relu = |v: f64| {
        let pos = if v > 0.5 { v.min(6.0) } else { 0.0 };
        pos + if v < 0.5 { 0.1 * (v - 0.5) } else { 0.0 }
    };
    assert_close("ReLU(6, 0.1, 0.5)", &predict(|m| m.add(Relu::new(Some(6.0), 0.1, 0.5)), &x), relu, &x);
    assert_close("ReLU()", &predict(|m| m.add(Relu::new(None, 0.0, 0.0)), &x), |v| v.max(0.0), &x);
    assert_close("PReLU()", &predict(|m| m.add(PRelu::new(&[])), &x), |v| v.max(0.0), &x);
}

#[test]
fn prelu_shared_axes_and_errors() {
    let mut m = Model::new(&[2, 2, 3]).unwrap();
    m.add(PRelu::new(&[1, 2])).unwrap();
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    assert_eq!(m.get_weight(0, 0).unwrap().shape().unwrap(), vec![1, 1, 3]);
    let mut fresh = Model::new(&[2, 2, 3]).unwrap();
    expect_error(fresh.add(PRelu::new(&[4])), Status::Shape, "deep_model_add_prelu");
    expect_error(fresh.add(LeakyRelu::new(-1.0)), Status::InvalidArgument, "deep_model_add_leaky_relu");
    expect_error(fresh.add(Relu::new(Some(6.0), -1.0, 0.0)), Status::InvalidArgument, "deep_model_add_relu");
}
