//! Layers: recurrent layers learn small sequence tasks, the layers without weights compute
//! what they should by hand, layer options take effect, and misuse is an Error naming the
//! C function (or the builder) with what was wrong.
mod common;

use common::{expect_error, Lcg};
use libdeep::layers::{
    AveragePooling2d, BatchNormalization, Conv2d, Dense, Embedding, Flatten, GlobalAveragePooling2d, Gru, Lstm,
    MaxPooling2d, Reshape, SimpleRnn,
};
use libdeep::{
    Activation, Dataset, Layer, LayerOption, Loss, Metric, Model, ModelOption, Optimizer, OptimizerKind, OptimizerOption,
    Padding, Status, Tensor,
};

/// Sequences of `steps` values in [-1, 1] (one feature per step), labelled 1 when their sum
/// is positive.
fn sign_of_sum(seed: u64, count: usize, steps: usize) -> Dataset {
    let mut rng = Lcg::new(seed);
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    while labels.len() < count {
        let seq: Vec<f32> = (0..steps).map(|_| rng.next() * 2.0 - 1.0).collect();
        let sum: f32 = seq.iter().sum();
        if sum.abs() < 0.2 {
            continue;
        }
        features.extend_from_slice(&seq);
        labels.push((sum > 0.0) as i32);
    }
    let mut d = Dataset::new(&[steps as i64, 1], &features).unwrap();
    d.set_labels(&labels, 2).unwrap();
    d
}

fn compile_adam(model: &mut Model, learning_rate: f64) {
    let mut adam = Optimizer::new(OptimizerKind::Adam).unwrap();
    adam.set(OptimizerOption::LearningRate, learning_rate).unwrap();
    model.compile(adam, Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy]).unwrap();
}

/// A recurrent layer, then Dense(2, softmax), trained on sign_of_sum: the test accuracy.
fn learn_sign_of_sum<L: Layer>(layer: L) -> f64 {
    let (train, test) = (sign_of_sum(1, 600, 6), sign_of_sum(2, 300, 6));
    let mut model = Model::new(&[6, 1]).unwrap();
    model.set_seed(3).unwrap();
    model.set_int(ModelOption::Threads, 1).unwrap();
    model.add(layer).unwrap();
    model.add(Dense::new(2).activation(Activation::Softmax)).unwrap();
    compile_adam(&mut model, 0.02);
    model.fit(&train, 25, 32, None).unwrap();
    model.evaluate(&test, 100).unwrap()[1]
}

#[test]
fn lstm_learns_a_sequence_task() {
    let accuracy = learn_sign_of_sum(Lstm::new(12));
    assert!(accuracy >= 0.9, "LSTM test accuracy {} < 0.9", accuracy);
}

#[test]
fn gru_and_simple_rnn_learn_it_too() {
    let gru = learn_sign_of_sum(Gru::new(12));
    assert!(gru >= 0.9, "GRU test accuracy {} < 0.9", gru);
    let rnn = learn_sign_of_sum(SimpleRnn::new(12));
    assert!(rnn >= 0.9, "SimpleRNN test accuracy {} < 0.9", rnn);
}

#[test]
fn stacked_recurrent_layers_with_options() {
    let mut model = Model::new(&[6, 1]).unwrap();
    let stack: Vec<Box<dyn Layer>> = vec![
        Box::new(Lstm::new(8).return_sequences(true).dropout(0.2).recurrent_dropout(0.1)),
        Box::new(Gru::new(8).return_sequences(true).recurrent_activation(Activation::Sigmoid)),
        Box::new(SimpleRnn::new(4).use_bias(true)),
    ];
    for layer in &stack {
        model.add(layer.as_ref()).unwrap();
    }
    model.add_dense(2, Activation::Softmax).unwrap();
    compile_adam(&mut model, 0.01);
    // LSTM: kernel (1, 32), recurrent (8, 32), bias 32; GRU: (8, 24), (8, 24), (2, 24);
    // SimpleRNN: (8, 4), (4, 4), 4; Dense: (4, 2), 2.
    let want = (32 + 8 * 32 + 32) + (8 * 24 + 8 * 24 + 2 * 24) + (8 * 4 + 4 * 4 + 4) + (4 * 2 + 2);
    assert_eq!(model.parameter_count().unwrap(), want);
    assert_eq!(model.get_weight(1, 2).unwrap().shape().unwrap(), vec![2, 24]);
    let out = model.predict(&Tensor::zeros(&[3, 6, 1]).unwrap()).unwrap();
    assert_eq!(out.shape().unwrap(), vec![3, 2]);
}

#[test]
fn embedding_feeds_an_lstm() {
    // Sequences of 5 token ids in [2, 10); label 1 when token 7 occurs.
    let mut rng = Lcg::new(9);
    let (mut seqs, mut labels) = (Vec::new(), Vec::new());
    for _ in 0..600 {
        let s: Vec<i32> = (0..5).map(|_| 2 + (rng.next() * 8.0) as i32).collect();
        labels.push(s.contains(&7) as i32);
        seqs.push(s);
    }
    let mut data = Dataset::new_sequences(&seqs, 0, libdeep::PadSide::Pre, libdeep::PadSide::Pre).unwrap();
    data.set_labels(&labels, 2).unwrap();
    let (train, test) = data.split(0.25, 1, true).unwrap();
    let mut model = Model::new(&[5]).unwrap();
    model.set_seed(1).unwrap();
    model.set_int(ModelOption::Threads, 1).unwrap();
    model.add(Embedding::new(10, 8).input_length(5)).unwrap();
    model.add(Lstm::new(16)).unwrap();
    model.add_dense(2, Activation::Softmax).unwrap();
    compile_adam(&mut model, 0.02);
    assert_eq!(model.get_weight(0, 0).unwrap().shape().unwrap(), vec![10, 8]);
    model.fit(&train, 30, 32, None).unwrap();
    let accuracy = model.evaluate(&test, 64).unwrap()[1];
    assert!(accuracy >= 0.9, "Embedding + LSTM test accuracy {} < 0.9", accuracy);

    // An id outside [0, input_dim) is refused, naming the sample, position and value.
    let bad = Tensor::new(&[1, 5], &[2.0, 3.0, 10.0, 2.0, 2.0]).unwrap();
    let err = expect_error(model.predict(&bad), Status::OutOfRange, "deep_model_predict");
    assert!(err.message().contains("10"), "{}", err);
    let wrong_length = Tensor::zeros(&[1, 4]).unwrap();
    expect_error(model.predict(&wrong_length), Status::Shape, "deep_model_predict");
}

#[test]
fn go_backwards_reads_the_steps_last_to_first() {
    // The same seed gives the same initial weights, so a backwards LSTM on x is the
    // forwards one on x reversed.
    let build = |backwards: bool| {
        let mut m = Model::new(&[4, 2]).unwrap();
        m.set_seed(11).unwrap();
        m.add(Lstm::new(3).go_backwards(backwards)).unwrap();
        compile_adam(&mut m, 0.001);
        m
    };
    let (forwards, backwards) = (build(false), build(true));
    let x: Vec<f32> = (0..8).map(|i| i as f32 * 0.25 - 1.0).collect();
    let reversed: Vec<f32> = x.chunks(2).rev().flatten().copied().collect();
    let a = backwards.predict(&Tensor::new(&[1, 4, 2], &x).unwrap()).unwrap();
    let b = forwards.predict(&Tensor::new(&[1, 4, 2], &reversed).unwrap()).unwrap();
    let c = forwards.predict(&Tensor::new(&[1, 4, 2], &x).unwrap()).unwrap();
    for (p, q) in a.data().unwrap().iter().zip(b.data().unwrap()) {
        assert!((p - q).abs() < 1e-5, "{:?} vs {:?}", a.data(), b.data());
    }
    assert_ne!(a.data().unwrap(), c.data().unwrap());
}

#[test]
fn unit_forget_bias_sets_the_forget_block() {
    for (forget, want) in [(true, 1.0f32), (false, 0.0)] {
        let mut m = Model::new(&[3, 2]).unwrap();
        m.add(Lstm::new(4).unit_forget_bias(forget)).unwrap();
        compile_adam(&mut m, 0.001);
        let bias = m.get_weight(0, 2).unwrap();
        let b = bias.data().unwrap();
        assert_eq!(b.len(), 16);
        assert!(b[..4].iter().all(|&v| v == 0.0) && b[8..].iter().all(|&v| v == 0.0), "{:?}", b);
        assert!(b[4..8].iter().all(|&v| v == want), "forget block {:?}", &b[4..8]);
    }
}

/// A model of weightless layers, compiled so that it predicts.
fn weightless(input: &[i64], layers: &[&dyn Fn(&mut Model)]) -> Model {
    let mut m = Model::new(input).unwrap();
    for add in layers {
        add(&mut m);
    }
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    m
}

#[test]
fn weightless_layers_compute_by_hand() {
    let relu = weightless(&[4], &[&|m| m.add(Activation::Relu).unwrap()]);
    let out = relu.predict(&Tensor::new(&[1, 4], &[-1.0, 2.0, -3.0, 0.5]).unwrap()).unwrap();
    assert_eq!(out.data().unwrap(), &[0.0, 2.0, 0.0, 0.5]);

    // One 2x2 image of 3 channels: pixel p channel c holds 10 p + c.
    let image: Vec<f32> = (0..4).flat_map(|p| (0..3).map(move |c| (10 * p + c) as f32)).collect();
    let input = Tensor::new(&[1, 2, 2, 3], &image).unwrap();
    let gap = weightless(&[2, 2, 3], &[&|m| m.add(GlobalAveragePooling2d).unwrap()]);
    assert_eq!(gap.predict(&input).unwrap().data().unwrap(), &[15.0, 16.0, 17.0]);
    let avg = weightless(&[2, 2, 3], &[&|m| m.add_average_pooling2d((2, 2)).unwrap(), &|m| m.add(Flatten).unwrap()]);
    assert_eq!(avg.predict(&input).unwrap().data().unwrap(), &[15.0, 16.0, 17.0]);
    let max = weightless(&[2, 2, 3], &[&|m| m.add(MaxPooling2d::new((2, 2))).unwrap(), &|m| m.add_flatten().unwrap()]);
    assert_eq!(max.predict(&input).unwrap().data().unwrap(), &[30.0, 31.0, 32.0]);
    // Same padding with stride 1 on a 2x2 input keeps 2x2; the corner averages only the
    // cells inside: the bottom-right window holds one pixel.
    let same = weightless(&[2, 2, 3], &[&|m| m.add(AveragePooling2d::new((2, 2)).strides((1, 1)).padding(Padding::Same)).unwrap()]);
    let out = same.predict(&input).unwrap();
    assert_eq!(out.shape().unwrap(), vec![1, 2, 2, 3]);
    assert_eq!(&out.data().unwrap()[9..], &[30.0, 31.0, 32.0]);
}

#[test]
fn batch_normalization_before_training_divides_by_sqrt_one_plus_epsilon() {
    let mut m = Model::new(&[3]).unwrap();
    m.add(BatchNormalization::new().epsilon(0.5)).unwrap();
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    assert_eq!(m.weight_count(0).unwrap(), 4); // gamma, beta, moving mean, moving variance
    let out = m.predict(&Tensor::new(&[1, 3], &[1.5, -3.0, 0.0]).unwrap()).unwrap();
    let scale = 1.0 / 1.5f32.sqrt();
    for (o, x) in out.data().unwrap().iter().zip([1.5f32, -3.0, 0.0]) {
        assert!((o - x * scale).abs() < 1e-6, "{} vs {}", o, x * scale);
    }
}

#[test]
fn a_small_cnn_learns_where_the_bright_pixel_is() {
    // 6x6 images, one bright pixel: label 1 when it is in the right half.
    let mut rng = Lcg::new(5);
    let (mut images, mut labels) = (Vec::new(), Vec::new());
    for _ in 0..400 {
        let mut img = vec![0f32; 36];
        for v in img.iter_mut() {
            *v = rng.next() * 0.1;
        }
        let (r, c) = ((rng.next() * 6.0) as usize, (rng.next() * 6.0) as usize);
        img[r * 6 + c] = 1.0;
        images.extend_from_slice(&img);
        labels.push((c >= 3) as i32);
    }
    let mut data = Dataset::new(&[6, 6, 1], &images).unwrap();
    data.set_labels(&labels, 2).unwrap();
    let (train, test) = data.split(0.25, 2, true).unwrap();
    let mut m = Model::new(&[6, 6, 1]).unwrap();
    m.set_seed(4).unwrap();
    m.set_int(ModelOption::Threads, 1).unwrap();
    m.add(Conv2d::new(4, (3, 3)).padding(Padding::Same).activation(Activation::Relu)).unwrap();
    m.add(BatchNormalization::new()).unwrap();
    m.add(AveragePooling2d::new((2, 2))).unwrap();
    m.add_flatten().unwrap();
    m.add_dense(2, Activation::Softmax).unwrap();
    compile_adam(&mut m, 0.02);
    m.fit(&train, 30, 16, None).unwrap();
    let accuracy = m.evaluate(&test, 50).unwrap()[1];
    assert!(accuracy >= 0.9, "CNN test accuracy {} < 0.9", accuracy);
}

#[test]
fn layer_misuse_is_an_error() {
    // A recurrent layer needs (timesteps, features).
    let mut m = Model::new(&[5]).unwrap();
    expect_error(m.add(Lstm::new(4)), Status::Shape, "deep_model_add_lstm");
    expect_error(m.add_gru(0, false), Status::InvalidArgument, "deep_model_add_gru");
    // Softmax is not element-wise, so not a cell activation.
    let mut r = Model::new(&[3, 2]).unwrap();
    expect_error(r.add(SimpleRnn::new(4).activation(Activation::Softmax)), Status::InvalidArgument, "deep_model_add_simple_rnn");
    // A dropout out of [0, 1) is refused before the layer is added, so none is left behind.
    let err = expect_error(r.add(Lstm::new(4).dropout(1.5)), Status::InvalidArgument, "Lstm");
    assert!(err.message().contains("dropout"), "{}", err);
    assert_eq!(r.layer_count().unwrap(), 0);
    r.add(Gru::new(4)).unwrap();
    assert_eq!(r.layer_int(-1, LayerOption::ResetAfter).unwrap(), 1);
    r.set_layer_float(-1, LayerOption::RecurrentDropout, 0.1).unwrap();
    assert_eq!(r.layer_float(0, LayerOption::RecurrentDropout).unwrap(), f64::from(0.1f32));
    expect_error(r.layer_int(0, LayerOption::UnitForgetBias), Status::InvalidArgument, "deep_model_get_layer_int");
    expect_error(r.layer_float(0, LayerOption::GoBackwards), Status::InvalidArgument, "deep_model_get_layer_float");
    expect_error(r.set_layer_float(-1, LayerOption::Dropout, -0.1), Status::InvalidArgument, "deep_model_set_layer_float");
    // GRU has no unit_forget_bias; dropout is a float option, not an int one.
    expect_error(r.set_layer_int(-1, LayerOption::UnitForgetBias, 0), Status::InvalidArgument, "deep_model_set_layer_int");
    expect_error(r.set_layer_int(-1, LayerOption::Dropout, 0), Status::InvalidArgument, "deep_model_set_layer_int");
    expect_error(r.set_layer_float(3, LayerOption::Dropout, 0.1), Status::OutOfRange, "deep_model_set_layer_float");
    r.add_dense(2, Activation::Softmax).unwrap();
    expect_error(r.set_layer_float(-1, LayerOption::Dropout, 0.1), Status::InvalidArgument, "deep_model_set_layer_float");
    compile_adam(&mut r, 0.01);
    // After compile: no more layers, no more options, but they can be read.
    expect_error(r.set_layer_float(0, LayerOption::Dropout, 0.1), Status::State, "deep_model_set_layer_float");
    assert_eq!(r.layer_int(0, LayerOption::GoBackwards).unwrap(), 0);
    expect_error(r.add(Dense::new(2)), Status::State, "deep_model_add_dense");

    let mut c = Model::new(&[4, 4, 1]).unwrap();
    // Dense acts on the last axis of any input (Keras' Dense); zero units is an error.
    expect_error(c.add(Dense::new(0)), Status::InvalidArgument, "deep_model_add_dense");
    expect_error(c.add(Conv2d::new(2, (5, 5))), Status::Shape, "deep_model_add_conv2d");
    expect_error(c.add(BatchNormalization::new().momentum(1.5)), Status::InvalidArgument, "deep_model_add_batch_normalization");
    expect_error(c.add(Embedding::new(0, 4)), Status::InvalidArgument, "deep_model_add_embedding");
    expect_error(Model::new(&[3]).unwrap().add(GlobalAveragePooling2d), Status::Shape, "deep_model_add_global_average_pooling2d");
}

#[test]
fn reshape_gives_the_target_shape_and_refuses_bad_ones() {
    let mut m = Model::new(&[12]).unwrap();
    expect_error(m.add(Reshape::new(&[5, 3])), Status::Shape, "deep_model_add_reshape");
    expect_error(m.add_reshape(&[-1, 2, -1]), Status::InvalidArgument, "more than one -1");
    expect_error(m.add_reshape(&[0, 12]), Status::InvalidArgument, "deep_model_add_reshape");
    assert_eq!(m.layer_count().unwrap(), 0);
    m.add_reshape(&[3, -1]).unwrap();
    m.add(Flatten).unwrap();
    m.add_dense(2, Activation::Linear).unwrap();
    assert_eq!(m.layer_count().unwrap(), 3);
}
