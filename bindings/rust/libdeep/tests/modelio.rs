//! Model files and buffers, weights, integer and string settings, and the compiled
//! optimizer: round trips that must predict identically, and bad files and shapes that
//! must fail with the C library's message.
mod common;

use common::{expect_error, xor, TempDir};
use libdeep::{Activation, Loss, Metric, Model, ModelOption, Optimizer, OptimizerKind, OptimizerOption, Status, Tensor};

fn trained(epochs: i32) -> Model {
    let mut model = Model::new(&[2]).unwrap();
    model.set_seed(5).unwrap();
    model.set_int(ModelOption::Threads, 1).unwrap();
    model.add_dense(8, Activation::Tanh).unwrap();
    model.add_dense(2, Activation::Softmax).unwrap();
    let mut adam = Optimizer::new(OptimizerKind::Adam).unwrap();
    adam.set(OptimizerOption::LearningRate, 0.03).unwrap();
    model.compile(adam, Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy, Metric::MeanAbsoluteError]).unwrap();
    model.fit(&xor(1, 400), epochs, 32, None).unwrap();
    model
}

#[test]
fn buffer_round_trip_predicts_identically() {
    let mut model = trained(10);
    let bytes = model.to_bytes().unwrap();
    assert!(bytes.len() > 8);
    let mut loaded = Model::from_bytes(&bytes).unwrap();
    let inputs = xor(2, 200).features().unwrap();
    assert_eq!(model.predict(&inputs).unwrap().data().unwrap(), loaded.predict(&inputs).unwrap().data().unwrap());
    assert_eq!(loaded.to_bytes().unwrap(), bytes, "saving the loaded model gives other bytes");
    // The loaded model's metric count is found by evaluate: loss, accuracy, mae.
    let test = xor(3, 200);
    let want = model.evaluate(&test, 50).unwrap();
    assert_eq!(want.len(), 3);
    assert_eq!(loaded.evaluate(&test, 50).unwrap(), want);
    assert_eq!(loaded.evaluate(&test, 50).unwrap(), want);

    // Training goes on from the same optimizer state in both.
    model.fit(&xor(4, 200), 2, 32, None).unwrap();
    loaded.fit(&xor(4, 200), 2, 32, None).unwrap();
    assert_eq!(model.predict(&inputs).unwrap().data().unwrap(), loaded.predict(&inputs).unwrap().data().unwrap());
}

#[test]
fn file_round_trip_and_uncompiled_models() {
    let dir = TempDir::new("modelio");
    let model = trained(5);
    let path = dir.join("xor.safetensors");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    let inputs = xor(2, 100).features().unwrap();
    assert_eq!(model.predict(&inputs).unwrap().data().unwrap(), loaded.predict(&inputs).unwrap().data().unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), model.to_bytes().unwrap());
    assert_eq!(loaded.summary().unwrap(), model.summary().unwrap());

    // An uncompiled model is its architecture only and loads uncompiled.
    let mut plain = Model::new(&[3]).unwrap();
    plain.add_dense(4, Activation::Relu).unwrap();
    let mut back = Model::from_bytes(&plain.to_bytes().unwrap()).unwrap();
    assert_eq!(back.layer_count().unwrap(), 1);
    assert_eq!(back.input_shape().unwrap(), vec![3]);
    assert_eq!(back.output_shape().unwrap(), vec![4]);
    assert_eq!(Model::new(&[28, 28, 1]).unwrap().output_shape().unwrap(), vec![28, 28, 1]);
    expect_error(back.predict(&Tensor::zeros(&[1, 3]).unwrap()), Status::State, "deep_model_predict");
    back.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    assert_eq!(back.parameter_count().unwrap(), 3 * 4 + 4);
}

#[test]
fn bad_files_and_buffers_are_errors() {
    let dir = TempDir::new("modelio-bad");
    expect_error(Model::load(dir.join("missing.safetensors")), Status::Io, "deep_model_load");
    std::fs::write(dir.join("junk"), b"this is no model file at all").unwrap();
    expect_error(Model::load(dir.join("junk")), Status::Format, "deep_model_load");
    let bytes = trained(1).to_bytes().unwrap();
    expect_error(Model::from_bytes(&bytes[..bytes.len() / 2]), Status::Format, "deep_model_load_buffer");
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40; // a weight's byte: the checksum catches it
    expect_error(Model::from_bytes(&flipped), Status::Format, "deep_model_load_buffer");
    expect_error(Model::from_bytes(&[]), Status::Format, "deep_model_load_buffer");
    expect_error(trained(1).save(dir.join("no-such-dir").join("m.safetensors")), Status::Io, "deep_model_save");
}

#[test]
fn weights_read_and_replace() {
    let mut model = trained(1);
    assert_eq!(model.weight_count(0).unwrap(), 2);
    let weights = model.get_weights(0).unwrap();
    assert_eq!(weights[0].shape().unwrap(), vec![2, 8]);
    assert_eq!(weights[1].shape().unwrap(), vec![8]);
    assert_eq!(model.get_weight(1, 0).unwrap().shape().unwrap(), vec![8, 2]);
    expect_error(model.get_weight(-1, 0), Status::OutOfRange, "deep_model_get_weight");

    // Zero kernels and biases: every output is softmax of zeros.
    for layer in 0..2 {
        for index in 0..2 {
            let shape = model.get_weight(layer, index).unwrap().shape().unwrap();
            model.set_weight(layer, index, &Tensor::zeros(&shape).unwrap()).unwrap();
        }
    }
    let mut bias = Tensor::zeros(&[2]).unwrap();
    bias.data_mut().unwrap().copy_from_slice(&[0.0, 2.0f32.ln()]);
    model.set_weight(1, 1, &bias).unwrap();
    let out = model.predict(&Tensor::new(&[1, 2], &[0.3, -0.7]).unwrap()).unwrap();
    let p = out.data().unwrap();
    assert!((p[0] - 1.0 / 3.0).abs() < 1e-6 && (p[1] - 2.0 / 3.0).abs() < 1e-6, "{:?}", p);
    assert_eq!(model.get_weight(1, 1).unwrap().data().unwrap(), bias.data().unwrap());

    expect_error(model.set_weight(0, 0, &Tensor::zeros(&[3, 8]).unwrap()), Status::Shape, "deep_model_set_weight");
    expect_error(model.get_weight(0, 2), Status::OutOfRange, "deep_model_get_weight");
    expect_error(model.get_weight(5, 0), Status::OutOfRange, "deep_model_get_weight");
    expect_error(model.weight_count(2), Status::OutOfRange, "deep_model_weight_count");
}

#[test]
fn settings_and_the_compiled_optimizer() {
    let mut model = Model::new(&[2]).unwrap();
    model.add_dense(2, Activation::Softmax).unwrap();
    expect_error(model.optimizer(), Status::State, "deep_model_optimizer");
    model.set_int(ModelOption::EarlyStoppingPatience, 3).unwrap();
    assert_eq!(model.get_int(ModelOption::EarlyStoppingPatience).unwrap(), 3);
    expect_error(model.get_int(ModelOption::ValidationSplit), Status::InvalidArgument, "deep_model_get_int");
    expect_error(model.set_string(ModelOption::Threads, Some("x")), Status::InvalidArgument, "deep_model_set_string");
    expect_error(model.set_string(ModelOption::CheckpointPath, Some("a\0b")), Status::InvalidArgument, "Model::set_string");
    model.set_string(ModelOption::CheckpointPath, None).unwrap();

    let mut sgd = Optimizer::new(OptimizerKind::Sgd).unwrap();
    sgd.set(OptimizerOption::Momentum, 0.5).unwrap();
    model.compile(sgd, Loss::SparseCategoricalCrossentropy, &[]).unwrap();
    let mut opt = model.optimizer().unwrap();
    assert_eq!(opt.get(OptimizerOption::Momentum).unwrap(), 0.5);
    assert!((opt.get(OptimizerOption::LearningRate).unwrap() - 0.01).abs() < 1e-9);
    opt.set(OptimizerOption::LearningRate, 0.25).unwrap();
    expect_error(opt.set(OptimizerOption::Beta1, 0.9), Status::InvalidArgument, "deep_optimizer_set_float");
    assert_eq!(model.optimizer().unwrap().get(OptimizerOption::LearningRate).unwrap(), 0.25);
    // The setting travels with the model file.
    let mut loaded = Model::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.optimizer().unwrap().get(OptimizerOption::LearningRate).unwrap(), 0.25);
    assert_eq!(loaded.get_int(ModelOption::EarlyStoppingPatience).unwrap(), 3);
}

#[test]
fn checkpoints_resume_where_they_stopped() {
    let dir = TempDir::new("checkpoint");
    let path = dir.join("run.ckpt");
    let train = xor(6, 200);
    let build = || {
        let mut m = Model::new(&[2]).unwrap();
        m.set_seed(2).unwrap();
        m.set_int(ModelOption::Threads, 1).unwrap();
        m.add_dense(4, Activation::Tanh).unwrap();
        m.add_dense(2, Activation::Softmax).unwrap();
        m.compile(Optimizer::new(OptimizerKind::Adam).unwrap(), Loss::SparseCategoricalCrossentropy, &[]).unwrap();
        m
    };
    let mut whole = build();
    whole.fit(&train, 4, 32, None).unwrap();

    // Stop after 2 of 4 epochs with a checkpoint every epoch, then resume from the file.
    let mut first = build();
    first.set_string(ModelOption::CheckpointPath, Some(path.to_str().unwrap())).unwrap();
    first.set_int(ModelOption::CheckpointPeriod, 1).unwrap();
    first.set_epoch_callback(|_, epoch| if epoch == 1 { std::ops::ControlFlow::Break(()) } else { std::ops::ControlFlow::Continue(()) }).unwrap();
    first.fit(&train, 4, 32, None).unwrap();
    assert_eq!(first.history_length().unwrap(), 2);
    let mut resumed = Model::load(&path).unwrap();
    assert_eq!(resumed.get_int(ModelOption::InitialEpoch).unwrap(), 2);
    resumed.fit(&train, 4, 32, None).unwrap();
    assert_eq!(resumed.history_length().unwrap(), 2);
    let inputs = train.features().unwrap();
    assert_eq!(resumed.predict(&inputs).unwrap().data().unwrap(), whole.predict(&inputs).unwrap().data().unwrap());
}

/// Every setter has a getter (deep.h, "Conventions"), and a file keeps the seed.
#[test]
fn model_option_getters() {
    let mut model = Model::new(&[2]).unwrap();
    assert_eq!(model.get_float(ModelOption::ValidationSplit).unwrap(), 0.0);
    assert_eq!(model.get_string(ModelOption::CheckpointPath).unwrap(), None);
    model.set_float(ModelOption::ValidationSplit, 0.125).unwrap();
    model.set_string(ModelOption::CheckpointPath, Some("ckpt.deep")).unwrap();
    model.set_seed(u64::MAX).unwrap();
    assert_eq!(model.get_float(ModelOption::ValidationSplit).unwrap(), 0.125);
    assert_eq!(model.get_string(ModelOption::CheckpointPath).unwrap().as_deref(), Some("ckpt.deep"));
    assert_eq!(model.seed().unwrap(), u64::MAX);
    let err = model.get_float(ModelOption::Threads).expect_err("an integer option read as a float");
    assert_eq!(err.status(), Status::InvalidArgument);
    let loaded = Model::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.seed().unwrap(), u64::MAX);
}
