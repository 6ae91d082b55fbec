//! Layer graphs: two inputs concatenated and trained, a shared layer with an Add skip
//! checked by hand, a sub-model sharing the weights the big model trains, and the errors.
use libdeep::layers::{Add, Concatenate, Dense, Flatten, Subtract};
use libdeep::{Activation, Dataset, Error, Loss, Metric, Model, ModelOption, NodeId, Optimizer, OptimizerKind, Status, Tensor};

fn noise(seed: u64, n: usize) -> Vec<f32> {
    let mut state = seed.wrapping_mul(2862933555777941757).wrapping_add(3037000493);
    (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect()
}

fn expect_error<T: std::fmt::Debug>(result: Result<T, Error>, status: Status, function: &str) {
    let err = result.expect_err("the call succeeded");
    assert_eq!(err.status(), status, "{}", err);
    assert!(err.message().contains(function), "message {:?} does not name {}", err.message(), function);
}

/// x (n, inputs) times kernel plus bias, by hand.
fn dense(x: &[f32], model: &Model, layer: i32, inputs: usize, outputs: usize) -> Vec<f32> {
    let kernel = model.get_weight(layer, 0).unwrap();
    let bias = model.get_weight(layer, 1).unwrap();
    let (kernel, bias) = (kernel.data().unwrap(), bias.data().unwrap());
    let mut y = Vec::new();
    for row in x.chunks(inputs) {
        for o in 0..outputs {
            y.push(bias[o] + (0..inputs).map(|k| row[k] * kernel[k * outputs + o]).sum::<f32>());
        }
    }
    y
}

fn predict(model: &Model, x: &[f32], features: usize) -> Vec<f32> {
    let inputs = Tensor::new(&[(x.len() / features) as i64, features as i64], x).unwrap();
    model.predict(&inputs).unwrap().data().unwrap().to_vec()
}

fn assert_near(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{}", what);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()), "{}[{}] = {}, want {}", what, i, g, w);
    }
}

#[test]
fn two_inputs_concatenated_learn() {
    let mut model = Model::new(&[2, 2, 1]).unwrap();
    let extra = model.add_input(&[3]).unwrap();
    model.connect(&[NodeId(0)]).unwrap();
    model.add(Flatten).unwrap();
    model.add(Dense::new(4).activation(Activation::Relu)).unwrap();
    let a = model.last_node().unwrap();
    model.connect(&[extra]).unwrap();
    model.add(Dense::new(4).activation(Activation::Relu)).unwrap();
    let b = model.last_node().unwrap();
    model.connect(&[a, b]).unwrap();
    model.add(Concatenate::default()).unwrap();
    let joined = model.last_node().unwrap();
    model.add(Dense::new(2).activation(Activation::Softmax)).unwrap();

    assert_eq!(model.node_count().unwrap(), 7);
    assert_eq!(model.node_shape(joined).unwrap(), vec![8]);
    assert_eq!(model.node_inputs(joined).unwrap(), vec![a, b]);
    assert_eq!(model.node_layer(joined).unwrap(), Some(3));
    assert_eq!(model.node_layer(extra).unwrap(), None);
    assert_eq!(model.input_nodes().unwrap(), vec![NodeId(0), extra]);
    assert_eq!(model.output_nodes().unwrap(), vec![NodeId(6)]);

    // A row: the image's 4 values, then the 3 features; the class is the first feature's sign.
    let n = 256;
    let rows = noise(1, n * 7);
    let labels: Vec<i32> = (0..n).map(|i| (rows[i * 7 + 4] > 0.0) as i32).collect();
    let mut data = Dataset::new(&[7], &rows).unwrap();
    data.set_labels(&labels, 2).unwrap();
    model.set_seed(5).unwrap();
    model.set_int(ModelOption::Verbose, 0).unwrap();
    model.compile(Optimizer::new(OptimizerKind::Adam).unwrap(), Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy]).unwrap();
    model.fit(&data, 30, 32, None).unwrap();
    let results = model.evaluate(&data, 64).unwrap();
    assert!(results[1] >= 0.9, "accuracy {} after 30 epochs", results[1]);
    assert_eq!(predict(&model, &rows[..14], 7).len(), 4);
}

#[test]
fn shared_layer_residual_and_submodel() {
    // y = D2(D(x) + D(D(x))), D applied twice with the same weights.
    let mut model = Model::new(&[3]).unwrap();
    model.add(Dense::new(3)).unwrap();
    let first = model.last_node().unwrap();
    let second = model.apply_layer(0, &[first]).unwrap();
    model.connect(&[first, second]).unwrap();
    model.add(Add).unwrap();
    model.add(Dense::new(1)).unwrap();
    assert_eq!(model.layer_count().unwrap(), 3);
    model.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    let sub = model.submodel(&[NodeId(0)], &[second]).unwrap();

    let x = noise(2, 16 * 3);
    let by_hand = |model: &Model| {
        let h1 = dense(&x, model, 0, 3, 3);
        let h2 = dense(&h1, model, 0, 3, 3);
        let sum: Vec<f32> = h1.iter().zip(&h2).map(|(a, b)| a + b).collect();
        let y = dense(&sum, model, 2, 3, 1);
        (h2, y)
    };
    let (h2, y) = by_hand(&model);
    assert_near("model", &predict(&model, &x, 3), &y);
    let before = predict(&sub, &x, 3);
    assert_near("sub-model", &before, &h2);

    let targets: Vec<f32> = x.chunks(3).map(|r| r[0] - r[2]).collect();
    let mut data = Dataset::new(&[3], &x).unwrap();
    data.set_targets(&targets, 1).unwrap();
    model.set_int(ModelOption::Verbose, 0).unwrap();
    model.fit(&data, 3, 4, None).unwrap();
    let (h2, _) = by_hand(&model);
    let after = predict(&sub, &x, 3);
    assert_ne!(before, after, "training the model left the sub-model unchanged");
    assert_near("sub-model after training", &after, &h2);
    drop(model); // the shared weights live on in the sub-model
    assert_near("sub-model alone", &predict(&sub, &x, 3), &after);
}

#[test]
fn graph_errors() {
    let mut model = Model::new(&[4]).unwrap();
    let other = model.add_input(&[5]).unwrap();
    expect_error(model.connect(&[NodeId(9)]), Status::OutOfRange, "deep_model_connect");
    expect_error(model.connect(&[]), Status::InvalidArgument, "deep_model_connect");
    model.connect(&[NodeId(0), other]).unwrap();
    expect_error(model.add(Add), Status::Shape, "deep_model_add_add");
    model.connect(&[NodeId(0)]).unwrap();
    expect_error(model.add(Subtract), Status::InvalidArgument, "deep_model_add_subtract");
    expect_error(model.set_outputs(&[other]), Status::InvalidArgument, "deep_model_set_outputs");
    expect_error(model.apply_layer(0, &[NodeId(0)]), Status::OutOfRange, "deep_model_apply_layer");
    expect_error(model.node_shape(NodeId(99)), Status::OutOfRange, "deep_model_node_shape");
    model.connect(&[NodeId(0)]).unwrap();
    model.add(Dense::new(2)).unwrap();
    let a = model.last_node().unwrap();
    model.connect(&[other]).unwrap();
    model.add(Dense::new(2)).unwrap();
    let b = model.last_node().unwrap();
    expect_error(model.apply_layer(0, &[other]), Status::Shape, "deep_model_apply_layer");
    expect_error(model.submodel(&[NodeId(0), other], &[a]), Status::InvalidArgument, "deep_model_submodel");
    model.set_outputs(&[a, b]).unwrap(); // several outputs compile since 1.1 (tests/outputs.rs)
    model.connect(&[a, b]).unwrap();
    model.add(Add).unwrap();
    let sum = model.last_node().unwrap();
    model.set_outputs(&[sum]).unwrap();
    model.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    expect_error(model.add_input(&[3]), Status::State, "deep_model_add_input");
}

#[test]
fn recurrent_states_seq2seq() {
    // The encoder LSTM's final states start the decoder LSTM (Keras' return_state and
    // initial_state); the encoder cut out gives those states.
    let mut model = Model::new(&[3, 2]).unwrap();
    let decoder_in = model.add_input(&[3, 2]).unwrap();
    model.connect(&[NodeId(0)]).unwrap();
    model.add_lstm(4, false).unwrap();
    let encoder = model.last_node().unwrap();
    let states = model.state_nodes(encoder).unwrap();
    assert_eq!(states.len(), 2, "an LSTM has states h and c");
    let (h, c) = (states[0], states[1]);
    assert_eq!(model.node_output_index(c).unwrap(), 2);
    assert_eq!(model.state_nodes(encoder).unwrap(), vec![h, c]);
    model.connect(&[decoder_in, h, c]).unwrap();
    model.add_lstm(4, true).unwrap();
    model.add(Dense::new(2)).unwrap();
    expect_error(model.state_nodes(NodeId(0)), Status::InvalidArgument, "deep_model_state_nodes");
    model.compile(Optimizer::new(OptimizerKind::Adam).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    let x = noise(5, 32 * 12);
    let targets: Vec<f32> = x.chunks(12).flat_map(|r| r[..6].to_vec()).collect();
    let mut data = Dataset::new(&[12], &x).unwrap();
    data.set_targets(&targets, 6).unwrap();
    model.set_int(ModelOption::Verbose, 0).unwrap();
    model.fit(&data, 2, 8, None).unwrap();
    let sub = model.submodel(&[NodeId(0)], &[h, c]).unwrap();
    let encoder_x: Vec<f32> = x.chunks(12).flat_map(|r| r[..6].to_vec()).collect();
    let states = sub.predict(&Tensor::new(&[32, 3, 2], &encoder_x).unwrap()).unwrap();
    assert_eq!(states.shape().unwrap(), vec![32, 8]);
}

#[test]
fn layer_names_survive_a_file() {
    // Keras' Dense(3, name="code"): the loaded model finds the layer by name, and its node
    // gives the encoder.
    let mut model = Model::new(&[4]).unwrap();
    model.add(Dense::new(3)).unwrap();
    model.set_layer_name(0, "code").unwrap();
    model.add(Dense::new(4)).unwrap();
    expect_error(model.set_layer_name(1, "code"), Status::InvalidArgument, "deep_model_set_layer_name");
    expect_error(model.set_layer_name(1, "a/b"), Status::InvalidArgument, "deep_model_set_layer_name");
    model.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
    let loaded = Model::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.layer_name(0).unwrap(), "code");
    assert_eq!(loaded.layer_name(-1).unwrap(), "dense_1");
    let code = loaded.layer_index("code").unwrap();
    assert_eq!(code, 0);
    assert!(loaded.layer_index("nope").is_err());
    let node = (0..loaded.node_count().unwrap()).map(NodeId).find(|&n| loaded.node_layer(n).unwrap() == Some(code));
    let encoder = loaded.submodel(&[NodeId(0)], &[node.unwrap()]).unwrap();
    let x = noise(4, 5 * 4);
    assert_near("encoder", &predict(&encoder, &x, 4), &dense(&x, &model, 0, 4, 3));
}
