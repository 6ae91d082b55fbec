//! Keras' metric arguments per metric and loss settings per output (library 1.3): Recall(),
//! Recall(top_k=2) and Recall(class_id=1) side by side on an identity model, against the
//! values worked out by hand from Keras' update_confusion_matrix_variables
//! (tests/test_compiled_metrics.c); an output's own settings; files; misuse.
mod common;

use common::expect_error;
use libdeep::{Activation, Loss, Metric, MetricOption, Model, ModelOption, Optimizer, OptimizerKind, Status, Tensor};

#[test]
fn metric_arguments_and_output_settings() {
    let mut m = Model::new(&[3]).unwrap();
    m.set_int(ModelOption::Threads, 1).unwrap();
    m.add_dense(3, Activation::Linear).unwrap();
    m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError,
              &[Metric::Recall, Metric::Recall, Metric::Recall]).unwrap();
    m.set_weight(0, 0, &Tensor::new(&[3, 3], &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]).unwrap()).unwrap();
    m.set_weight(0, 1, &Tensor::new(&[3], &[0.0, 0.0, 0.0]).unwrap()).unwrap();
    m.set_metric_int(1, MetricOption::TopK, 2).unwrap();
    m.set_metric_int(2, MetricOption::ClassId, 1).unwrap();
    assert_eq!(m.metric_float(1, MetricOption::Threshold).unwrap(), -1e10);
    let x = Tensor::new(&[4, 3], &[0.7, 0.2, 0.1, 0.3, 0.4, 0.3, 0.05, 0.15, 0.8, 0.5, 0.45, 0.05]).unwrap();
    let y = Tensor::new(&[4, 3], &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]).unwrap();
    let values = m.test_on_batch(&x, &y).unwrap();
    for (i, want) in [0.5, 0.75, 0.0].iter().enumerate() {
        assert!((values[1 + i] - want).abs() < 1e-9, "metric {i}: {} against Keras' {want}", values[1 + i]);
    }
    m.set_output_int(0, ModelOption::FromLogits, 1).unwrap();
    m.set_output_float(0, ModelOption::LabelSmoothing, 0.1).unwrap();
    let loaded = Model::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.metric_int(2, MetricOption::ClassId).unwrap(), 1);
    assert_eq!(loaded.output_int(0, ModelOption::FromLogits).unwrap(), 1);
    assert_eq!(loaded.output_float(0, ModelOption::LabelSmoothing).unwrap(), 0.1);
    assert_eq!(loaded.get_int(ModelOption::FromLogits).unwrap(), 0);
    expect_error(m.set_metric_int(3, MetricOption::TopK, 1), Status::OutOfRange, "deep_model_set_metric_int");
    expect_error(m.set_metric_float(0, MetricOption::ClassId, 1.0), Status::InvalidArgument,
                 "deep_model_set_metric_float");
    expect_error(m.set_output_float(0, ModelOption::LabelSmoothing, 2.0), Status::InvalidArgument,
                 "deep_model_set_output_float");
}

#[test]
fn initializer_seed_gives_the_same_kernel_under_any_model_seed() {
    use libdeep::{Initializer, WeightRole};
    let build = |model_seed: u64| {
        let mut m = Model::new(&[4]).unwrap();
        m.set_seed(model_seed).unwrap();
        m.add_dense(3, Activation::Linear).unwrap();
        expect_error(m.set_layer_initializer_seed(0, WeightRole::Kernel, Some(9)), Status::State,
                     "deep_model_set_layer_initializer_seed");
        m.set_layer_initializer(0, WeightRole::Kernel, Initializer::HeNormal, 0.0, 0.0).unwrap();
        m.set_layer_initializer_seed(0, WeightRole::Kernel, Some(9)).unwrap();
        m.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
        m
    };
    let (a, b) = (build(1), build(2));
    assert_eq!(a.get_weight(0, 0).unwrap().data().unwrap(), b.get_weight(0, 0).unwrap().data().unwrap());
    let loaded = Model::from_bytes(&a.to_bytes().unwrap()).unwrap();
    assert_eq!(loaded.layer_initializer_seed(0, WeightRole::Kernel).unwrap(), Some(9));
}
