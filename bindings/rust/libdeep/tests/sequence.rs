//! Bidirectional, masks, GRU reset_after and return_state: padded sequences give what the
//! unpadded ones give, the final h is the LSTM's output, and misuse is an Error naming the
//! C function.
mod common;

use common::expect_error;
use libdeep::{Activation, LayerOption, Loss, MergeMode, Model, Optimizer, OptimizerKind, Status, Tensor};

fn compiled(model: &mut Model) {
    let adam = Optimizer::new(OptimizerKind::Adam).unwrap();
    model.compile(adam, Loss::MeanSquaredError, &[]).unwrap();
}

/// [Masking] LSTM(3) over `steps` steps of one feature.
fn lstm_model(steps: i64, masked: bool) -> Model {
    let mut model = Model::new(&[steps, 1]).unwrap();
    model.set_seed(5).unwrap();
    if masked {
        model.add_masking(0.0).unwrap();
    }
    model.add_lstm(3, false).unwrap();
    compiled(&mut model);
    model
}

#[test]
fn masked_padding_changes_nothing_and_states_are_the_output() {
    let padded = lstm_model(5, true);
    let mut alone = lstm_model(2, false);
    for w in 0..3 {
        alone.set_weight(0, w, &padded.get_weight(1, w).unwrap()).unwrap();
    }
    let x = Tensor::new(&[1, 5, 1], &[0.0, 0.0, 0.0, 0.5, -0.7]).unwrap();
    let y = Tensor::new(&[1, 2, 1], &[0.5, -0.7]).unwrap();
    let got = padded.predict(&x).unwrap();
    let want = alone.predict(&y).unwrap();
    for (a, b) in got.data().unwrap().iter().zip(want.data().unwrap()) {
        assert!((a - b).abs() < 1e-5, "padded {} unpadded {}", a, b);
    }
    let mut h = Tensor::zeros(&[1, 3]).unwrap();
    let mut c = Tensor::zeros(&[1, 3]).unwrap();
    padded.predict_states(&x, -1, &mut h, Some(&mut c)).unwrap();
    assert_eq!(h.data().unwrap(), got.data().unwrap());
    padded.predict_states(&x, -1, &mut h, None).unwrap();
    expect_error(padded.predict_states(&x, 0, &mut h, None), Status::InvalidArgument, "deep_model_predict_states");
    let mut wrong = Tensor::zeros(&[2, 3]).unwrap();
    expect_error(padded.predict_states(&x, -1, &mut wrong, None), Status::Shape, "deep_model_predict_states");
}

#[test]
fn bidirectional_doubles_the_weights_and_merges() {
    let mut model = Model::new(&[4, 2]).unwrap();
    model.add_gru(3, true).unwrap();
    model.add_bidirectional(MergeMode::Concat).unwrap();
    model.set_layer_int(-1, LayerOption::ResetAfter, 0).unwrap();
    model.add_lstm(2, false).unwrap();
    model.add_bidirectional(MergeMode::Sum).unwrap();
    model.add_dense(1, Activation::Linear).unwrap();
    compiled(&mut model);
    assert_eq!(model.weight_count(0).unwrap(), 6);
    // GRU with reset_after=False keeps one (3 * units) bias.
    assert_eq!(model.get_weight(0, 2).unwrap().shape().unwrap(), vec![9]);
    let x = Tensor::filled(&[3, 4, 2], 0.25).unwrap();
    assert_eq!(model.predict(&x).unwrap().shape().unwrap(), vec![3, 1]);
    let mut h = Tensor::zeros(&[3, 2]).unwrap();
    expect_error(model.predict_states(&x, 1, &mut h, None), Status::Unsupported, "gives no states");
}

#[test]
fn sequence_layer_misuse() {
    let mut model = Model::new(&[4, 2]).unwrap();
    expect_error(model.add_bidirectional(MergeMode::Concat), Status::State, "deep_model_add_bidirectional");
    model.add_masking(0.0).unwrap();
    expect_error(model.add_bidirectional(MergeMode::Ave), Status::InvalidArgument, "deep_model_add_bidirectional");
    expect_error(model.add_flatten(), Status::InvalidArgument, "deep_model_add_flatten");
    expect_error(model.set_layer_int(-1, LayerOption::MaskZero, 1), Status::InvalidArgument, "deep_model_set_layer_int");
}
