//! The safe API end to end: a network and a forest trained on XOR, and every kind of misuse
//! coming back as an Error with the C library's message.
use libdeep::{
    Activation, Dataset, Error, Forest, Loss, Metric, Model, ModelOption, Optimizer, OptimizerKind,
    OptimizerOption, Status, Tensor, Tree, TreeKind, TreeOption,
};

/// count points of [-1, 1]^2 away from the axes, labelled 1 where x and y differ in sign.
fn xor(seed: u64, count: usize) -> Dataset {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    };
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    while labels.len() < count {
        let (x, y) = (next(), next());
        if x.abs() < 0.1 || y.abs() < 0.1 {
            continue;
        }
        features.extend_from_slice(&[x, y]);
        labels.push(((x > 0.0) != (y > 0.0)) as i32);
    }
    let mut d = Dataset::new(&[2], &features).unwrap();
    d.set_labels(&labels, 2).unwrap();
    d
}

/// err is a failure of kind `status` whose message names `function`.
fn expect_error<T: std::fmt::Debug>(result: Result<T, Error>, status: Status, function: &str) {
    let err = result.expect_err("the call succeeded");
    assert_eq!(err.status(), status, "{}", err);
    assert!(err.message().contains(function), "message {:?} does not name {}", err.message(), function);
    assert!(err.to_string().contains(status.name()));
}

fn xor_network() -> Model {
    let train = xor(1, 800);
    let mut model = Model::new(&[2]).unwrap();
    model.set_seed(7).unwrap();
    model.set_int(ModelOption::Threads, 1).unwrap();
    model.add_dense(16, Activation::Tanh).unwrap();
    model.add_dense(2, Activation::Softmax).unwrap();
    let mut adam = Optimizer::new(OptimizerKind::Adam).unwrap();
    adam.set(OptimizerOption::LearningRate, 0.02).unwrap();
    assert!((adam.get(OptimizerOption::LearningRate).unwrap() - 0.02).abs() < 1e-7);
    model.compile(adam, Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy]).unwrap();
    model.fit(&train, 40, 32, None).unwrap();
    model
}

#[test]
fn version_matches_header() {
    let v = libdeep_sys::DEEP_VERSION_NUMBER;
    assert_eq!(libdeep::version(), format!("{}.{}.{}", v / 10000, v / 100 % 100, v % 100));
    assert!(libdeep::cpu_count() >= 1);
    assert_eq!(Status::Shape.name(), "DEEP_ERR_SHAPE");
    assert_eq!(Status::Shape.code(), -3);
}

#[test]
fn network_learns_xor() {
    let mut model = xor_network();
    let test = xor(2, 400);
    let epochs = model.history_length().unwrap();
    assert_eq!(epochs, 40);
    let (first, last) = (
        model.history(0, Metric::Loss, false).unwrap(),
        model.history(epochs - 1, Metric::Loss, false).unwrap(),
    );
    assert!(last < first, "loss {} then {}", first, last);
    expect_error(model.history(epochs, Metric::Loss, false), Status::OutOfRange, "deep_model_history");
    let values = model.evaluate(&test, 100).unwrap();
    assert_eq!(values.len(), 2);
    assert!(values[1] >= 0.9, "test accuracy {} < 0.9", values[1]);
    assert!(model.summary().unwrap().contains("dense"));
    assert_eq!(model.parameter_count().unwrap(), 2 * 16 + 16 + 16 * 2 + 2);
    assert_eq!(model.layer_count().unwrap(), 2);

    // Predicting from many threads at once (Model is Sync) gives the same outputs.
    let inputs = test.features().unwrap();
    let first = model.predict(&inputs).unwrap();
    let want = first.data().unwrap().to_vec();
    assert_eq!(first.shape().unwrap(), vec![400, 2]);
    let classes = first.argmax().unwrap();
    let labels = test.labels().unwrap();
    let right = classes.iter().zip(&labels).filter(|(c, l)| **c == **l as i64).count();
    assert!(right as f64 / 400.0 >= 0.9);
    let model = &model;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(|| model.predict(&inputs).unwrap().data().unwrap().to_vec())).collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), want);
        }
    });
}

#[test]
fn forest_and_tree_learn_xor() {
    let (train, test) = (xor(4, 800), xor(5, 400));
    let mut forest = Forest::new(TreeKind::Classifier).unwrap();
    forest.set_int(TreeOption::ForestNEstimators, 25).unwrap();
    forest.set_int(TreeOption::Seed, 3).unwrap();
    forest.fit(&train).unwrap();
    let score = forest.score(&test).unwrap();
    assert!(score >= 0.9, "forest test accuracy {} < 0.9", score);
    assert_eq!(forest.tree_count().unwrap(), 25);
    let importances = forest.feature_importances().unwrap();
    assert_eq!(importances.len(), 2, "one importance per feature");
    assert!((importances.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{:?}", importances);

    // Saved and loaded, it predicts the same; probabilities are rows summing to 1.
    let dir = std::env::temp_dir().join(format!("libdeep-rust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("forest.bin");
    forest.save(&path).unwrap();
    let loaded = Forest::load(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let inputs = test.features().unwrap();
    assert_eq!(forest.predict(&inputs).unwrap().data().unwrap(), loaded.predict(&inputs).unwrap().data().unwrap());
    let proba = forest.predict_proba(&inputs).unwrap();
    for row in proba.data().unwrap().chunks(2) {
        assert!((row[0] + row[1] - 1.0).abs() < 1e-5);
    }

    let mut tree = Tree::new(TreeKind::Classifier).unwrap();
    tree.set_int(TreeOption::MaxDepth, 4).unwrap();
    tree.fit(&train).unwrap();
    let depth = tree.depth().unwrap();
    assert!((1..=4).contains(&depth));
    assert!(tree.score(&test).unwrap() >= 0.9);
}

#[test]
fn tensors_take_and_give_slices() {
    let mut t = Tensor::new(&[2, 3], &[0.1, 0.7, 0.2, 0.5, 0.3, 0.2]).unwrap();
    assert_eq!(t.argmax().unwrap(), vec![1, 0]);
    t.data_mut().unwrap()[0] = 9.0;
    assert_eq!(t.data().unwrap()[0], 9.0);
    t.reshape(&[3, -1]).unwrap();
    assert_eq!(t.shape().unwrap(), vec![3, 2]);
    let copy = t.try_clone().unwrap();
    drop(t);
    assert_eq!(copy.len().unwrap(), 6);
    assert_eq!(Tensor::zeros(&[4]).unwrap().data().unwrap(), &[0.0; 4]);
}

#[test]
fn wrong_shapes_are_errors() {
    expect_error(Tensor::new(&[2, 3], &[1.0, 2.0, 3.0]), Status::Shape, "deep_tensor_new_from");
    assert!(Tensor::zeros(&[]).is_err());
    let mut t = Tensor::zeros(&[2, 3]).unwrap();
    expect_error(t.reshape(&[4, 2]), Status::Shape, "deep_tensor_reshape");
    assert_eq!(t.shape().unwrap(), vec![2, 3], "a failed reshape changed the shape");

    // 5 floats are not whole samples of 2: refused before C reads past the slice.
    expect_error(Dataset::new(&[2], &[1.0, 2.0, 3.0, 4.0, 5.0]), Status::Shape, "Dataset::new");
    assert!(Dataset::new(&[0], &[1.0]).is_err());
    let mut d = Dataset::new(&[2], &[1.0, 2.0, 3.0, 4.0]).unwrap();
    expect_error(d.set_labels(&[0, 1, 1], 2), Status::Shape, "deep_dataset_set_labels");
    expect_error(d.set_targets(&[1.0, 2.0, 3.0], 2), Status::Shape, "set_targets");
    expect_error(d.to_categorical(), Status::State, "deep_dataset_to_categorical");
    expect_error(d.labels(), Status::State, "deep_dataset_labels");
    d.reshape(&[2, 1]).unwrap();
    assert_eq!(d.sample_shape().unwrap(), vec![2, 1]);
    expect_error(d.reshape(&[3]), Status::Shape, "deep_dataset_reshape");
    d.scale(0.5, 1.0).unwrap();
    assert_eq!(d.features().unwrap().data().unwrap(), &[1.5, 2.0, 2.5, 3.0]);

    let model = xor_network();
    let wrong = Tensor::zeros(&[4, 3]).unwrap();
    expect_error(model.predict(&wrong), Status::Shape, "deep_model_predict");
    let mut tree = Tree::new(TreeKind::Classifier).unwrap();
    tree.fit(&xor(6, 100)).unwrap();
    assert!(tree.predict(&Tensor::zeros(&[3, 5]).unwrap()).is_err());
}

#[test]
fn misuse_is_an_error() {
    let train = xor(3, 64);
    let mut model = Model::new(&[2]).unwrap();
    expect_error(model.fit(&train, 1, 8, None), Status::State, "deep_model_fit");
    expect_error(model.add_dense(0, Activation::Relu), Status::InvalidArgument, "deep_model_add_dense");
    model.add_dense(2, Activation::Softmax).unwrap();
    let mut sgd = Optimizer::new(OptimizerKind::Sgd).unwrap();
    expect_error(sgd.set(OptimizerOption::Beta1, 0.5), Status::InvalidArgument, "deep_optimizer_set_float");
    model.compile(sgd, Loss::SparseCategoricalCrossentropy, &[]).unwrap();
    expect_error(model.fit(&train, 1, 0, None), Status::InvalidArgument, "deep_model_fit");
    assert_eq!(model.evaluate(&train, 16).unwrap().len(), 1);

    let mut tree = Tree::new(TreeKind::Classifier).unwrap();
    expect_error(tree.predict(&Tensor::zeros(&[3, 2]).unwrap()), Status::State, "deep_tree_predict");
    expect_error(tree.set_int(TreeOption::MaxDepth, 0), Status::InvalidArgument, "deep_tree_set_int");
    expect_error(tree.set_int(TreeOption::ForestNEstimators, 10), Status::InvalidArgument, "deep_tree_set_int");
    let dir = std::env::temp_dir().join(format!("libdeep-rust-misuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    expect_error(tree.save(dir.join("t.bin")), Status::State, "deep_tree_save");
    std::fs::write(dir.join("bad.bin"), b"not a forest").unwrap();
    expect_error(Forest::load(dir.join("bad.bin")), Status::Format, "deep_forest_load");
    expect_error(Forest::load(dir.join("missing.bin")), Status::Io, "deep_forest_load");
    expect_error(Dataset::load_csv(dir.join("missing.csv"), None), Status::Io, "deep_dataset_load_csv");
    expect_error(Dataset::load_idx(dir.join("missing-images"), None::<&str>), Status::Io, "deep_dataset_load_idx");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(Model::new(&[]).is_err());
}

fn _assert_threads() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Model>();
    sync::<Model>();
    send::<Tree>();
    sync::<Forest>();
    send::<Dataset>();
    send::<Optimizer>();
    sync::<Tensor>();
    send::<libdeep::Vocab>();
    sync::<libdeep::Vocab>();
    send::<libdeep::Rng>();
}

/// The Huber loss's delta: default 1.0 (Keras'), a bad value refused, the value set saved
/// with a model compiled with `Loss::Huber`.
#[test]
fn huber_delta_is_an_option_saved_with_the_model() {
    let mut model = Model::new(&[2]).unwrap();
    assert_eq!(model.get_float(ModelOption::HuberDelta).unwrap(), 1.0);
    expect_error(model.set_float(ModelOption::HuberDelta, 0.0), Status::InvalidArgument, "deep_model_set_float");
    model.set_float(ModelOption::HuberDelta, 0.5).unwrap();
    model.add_dense(1, Activation::Linear).unwrap();
    model.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::Huber, &[]).unwrap();
    let loaded = Model::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.get_float(ModelOption::HuberDelta).unwrap(), 0.5);
}

/// Keras' from_logits, label_smoothing, top-k and metric threshold (since 1.2): bad values
/// refused, the values set saved with the compiled model with the new metrics.
#[test]
fn loss_and_metric_options_are_saved_with_the_model() {
    let mut model = Model::new(&[2]).unwrap();
    expect_error(model.set_int(ModelOption::FromLogits, 2), Status::InvalidArgument, "deep_model_set_int");
    expect_error(model.set_float(ModelOption::LabelSmoothing, 1.5), Status::InvalidArgument, "deep_model_set_float");
    model.set_int(ModelOption::FromLogits, 1).unwrap();
    model.set_float(ModelOption::LabelSmoothing, 0.25).unwrap();
    model.set_int(ModelOption::TopK, 2).unwrap();
    model.set_float(ModelOption::MetricThreshold, 0.25).unwrap();
    model.add_dense(1, Activation::Linear).unwrap();
    let metrics = [Metric::Precision, Metric::Recall, Metric::Auc, Metric::PrAuc, Metric::BinaryAccuracy,
                   Metric::MeanSquaredError, Metric::RootMeanSquaredError];
    model.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::BinaryCrossentropy, &metrics).unwrap();
    let loaded = Model::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.get_int(ModelOption::FromLogits).unwrap(), 1);
    assert_eq!(loaded.get_float(ModelOption::LabelSmoothing).unwrap(), 0.25);
    assert_eq!(loaded.get_int(ModelOption::TopK).unwrap(), 2);
    assert_eq!(loaded.get_float(ModelOption::MetricThreshold).unwrap(), 0.25);
}

/// Keras' sample and class weights (since 1.2): weights of 2 double a batch's MSE (the
/// metric stays), dataset and class weights read back, bad ones refused.
#[test]
fn sample_and_class_weights() {
    let mut model = Model::new(&[1]).unwrap();
    model.add_dense(1, Activation::Linear).unwrap();
    model
        .compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[Metric::MeanAbsoluteError])
        .unwrap();
    let x = Tensor::new(&[2, 1], &[0.5, 2.0]).unwrap();
    let y = Tensor::new(&[2, 1], &[1.0, -1.0]).unwrap();
    let plain = model.test_on_batch(&x, &y).unwrap();
    let doubled = model.test_on_batch_weighted(&x, &y, &[2.0, 2.0]).unwrap();
    assert!((doubled[0] - 2.0 * plain[0]).abs() <= 1e-6 * plain[0]);
    assert_eq!(doubled[1], plain[1]);
    expect_error(model.train_on_batch_weighted(&x, &y, &[1.0]), Status::Shape, "deep_model_train_on_batch_weighted");
    model.train_on_batch_weighted(&x, &y, &[1.0, 0.5]).unwrap();
    expect_error(model.set_class_weights(&[1.0, -1.0]), Status::InvalidArgument, "deep_model_set_class_weights");
    model.set_class_weights(&[1.0, 4.0]).unwrap();
    assert_eq!(model.class_weights().unwrap(), vec![1.0, 4.0]);
    model.set_class_weights(&[]).unwrap();
    assert!(model.class_weights().unwrap().is_empty());
    let mut data = Dataset::new(&[1], &[0.5, 2.0]).unwrap();
    expect_error(data.set_sample_weights(&[1.0]), Status::Shape, "deep_dataset_set_sample_weights");
    data.set_sample_weights(&[1.0, 3.0]).unwrap();
    assert_eq!(data.sample_weights().unwrap(), vec![1.0, 3.0]);
}
