//! The optimizers of 1.1 from Rust: kinds, options, schedules and their ownership, model
//! files and ReduceLROnPlateau. The update rules themselves are checked against Keras'
//! formulas by the C suite (tests/test_optim_keras.c) and the Python one.
use libdeep::{
    Activation, Dataset, Loss, Model, ModelOption, Optimizer, OptimizerKind, OptimizerOption, Schedule, ScheduleKind,
    Status, Tensor,
};

const X: [f32; 12] = [0.5, -1.0, 2.0, 1.5, 0.25, -0.5, -1.0, 0.75, 0.3, 0.2, 0.1, -2.0];
const Y: [f32; 8] = [1.0, -0.5, 0.0, 2.0, 0.5, 0.5, -1.0, 1.5];

fn linear(opt: Optimizer) -> Model {
    let mut m = Model::new(&[3]).unwrap();
    m.set_seed(5).unwrap();
    m.set_int(ModelOption::Verbose, 0).unwrap();
    m.add_dense(2, Activation::Linear).unwrap();
    m.compile(opt, Loss::MeanSquaredError, &[]).unwrap();
    m
}

fn steps(m: &mut Model, n: usize) {
    let x = Tensor::new(&[4, 3], &X).unwrap();
    let y = Tensor::new(&[4, 2], &Y).unwrap();
    for _ in 0..n {
        m.train_on_batch(&x, &y).unwrap();
    }
}

fn weights(m: &Model) -> Vec<f32> {
    m.get_weights(0).unwrap().iter().flat_map(|w| w.data().unwrap().to_vec()).collect()
}

#[test]
fn kinds_and_options() {
    for kind in [OptimizerKind::Nadam, OptimizerKind::AdamW, OptimizerKind::Adamax] {
        let o = Optimizer::new(kind).unwrap();
        assert_eq!(o.get(OptimizerOption::Beta2).unwrap() as f32, 0.999);
        let decay = o.get(OptimizerOption::WeightDecay).unwrap() as f32;
        assert_eq!(decay, if kind == OptimizerKind::AdamW { 0.004 } else { 0.0 });
    }
    let mut sgd = Optimizer::new(OptimizerKind::Sgd).unwrap();
    sgd.set(OptimizerOption::ClipNorm, 1.0).unwrap();
    let err = sgd.set(OptimizerOption::ClipValue, 0.5).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    assert!(err.message().contains("only one of"), "{}", err.message());
    assert_eq!(sgd.set(OptimizerOption::AmsGrad, 1.0).unwrap_err().status(), Status::InvalidArgument);
    let mut adam = Optimizer::new(OptimizerKind::Adam).unwrap();
    adam.set(OptimizerOption::AmsGrad, 1.0).unwrap();
    let mut m = linear(adam);
    let err = m.optimizer().unwrap().set(OptimizerOption::AmsGrad, 0.0).unwrap_err();
    assert_eq!(err.status(), Status::State);
}

#[test]
fn schedules() {
    let e = Schedule::exponential_decay(0.1, 3, 0.5, true).unwrap();
    assert_eq!(e.kind().unwrap(), ScheduleKind::ExponentialDecay);
    assert!((e.learning_rate(7).unwrap() - 0.025).abs() < 1e-12);
    assert_eq!(e.learning_rate(-1).unwrap_err().status(), Status::InvalidArgument);
    let p = Schedule::piecewise_constant_decay(&[2, 5], &[1.0, 0.5, 0.25]).unwrap();
    assert_eq!(p.kind().unwrap(), ScheduleKind::PiecewiseConstantDecay);
    assert_eq!(p.learning_rate(3).unwrap(), 0.5);
    assert_eq!(Schedule::piecewise_constant_decay(&[2], &[1.0]).unwrap_err().status(), Status::InvalidArgument);
    let c = Schedule::cosine_decay(0.0, 4, 0.1, Some(0.2), 2).unwrap();
    assert_eq!(c.kind().unwrap(), ScheduleKind::CosineDecay);
    assert!((c.learning_rate(4).unwrap() - 0.11).abs() < 1e-12);
    let n = Schedule::cosine_decay(0.1, 4, 0.2, None, 0).unwrap();
    assert!((n.learning_rate(2).unwrap() - 0.06).abs() < 1e-12);
    assert_eq!(Schedule::exponential_decay(0.1, 0, 0.5, false).unwrap_err().status(), Status::InvalidArgument);

    let mut o = Optimizer::new(OptimizerKind::Sgd).unwrap();
    assert!(!o.has_schedule().unwrap());
    o.set_schedule(Some(c)).unwrap(); // c moved: the optimizer owns it
    assert!(o.has_schedule().unwrap());
    assert_eq!(o.get(OptimizerOption::LearningRate).unwrap(), 0.0);
    assert_eq!(o.set(OptimizerOption::LearningRate, 0.1).unwrap_err().status(), Status::State);
    o.set_schedule(None).unwrap();
    assert!(!o.has_schedule().unwrap());
    o.set(OptimizerOption::LearningRate, 0.1).unwrap();
}

#[test]
fn model_files_resume_exactly() {
    for kind in [OptimizerKind::Nadam, OptimizerKind::AdamW, OptimizerKind::Adamax, OptimizerKind::Adam] {
        let mut o = Optimizer::new(kind).unwrap();
        o.set(OptimizerOption::GlobalClipNorm, 0.3).unwrap();
        if kind == OptimizerKind::Adam {
            o.set(OptimizerOption::AmsGrad, 1.0).unwrap();
        }
        o.set_schedule(Some(Schedule::cosine_decay(0.01, 10, 0.1, Some(0.05), 2).unwrap())).unwrap();
        let mut m = linear(o);
        steps(&mut m, 1);
        let mut loaded = Model::from_bytes(&m.to_bytes().unwrap()).unwrap();
        steps(&mut m, 2);
        steps(&mut loaded, 2);
        assert_eq!(weights(&m), weights(&loaded), "{kind:?}");
    }
}

#[test]
fn reduce_lr_on_plateau() {
    let mut sgd = Optimizer::new(OptimizerKind::Sgd).unwrap();
    sgd.set(OptimizerOption::LearningRate, 0.08).unwrap();
    let mut m = linear(sgd);
    assert_eq!(m.reduce_lr_on_plateau().unwrap(), (0.0, 0, 0.0, 0, 0.0));
    assert_eq!(m.set_reduce_lr_on_plateau(1.0, 10, 0.0, 0, 0.0).unwrap_err().status(), Status::InvalidArgument);
    // No epoch beats the first by 1e9: with patience 0 every later epoch halves the rate.
    m.set_reduce_lr_on_plateau(0.5, 0, 1e9, 0, 0.0).unwrap();
    assert_eq!(m.reduce_lr_on_plateau().unwrap(), (0.5, 0, 1e9, 0, 0.0));
    let mut d = Dataset::new(&[3], &X).unwrap();
    d.set_targets(&Y, 2).unwrap();
    m.fit(&d, 4, 2, None).unwrap();
    assert_eq!(m.optimizer().unwrap().get(OptimizerOption::LearningRate).unwrap() as f32, 0.01);
}
