//! Callbacks and logging through C trampolines: how often they run and with what, stopping
//! fit, a learning-rate schedule, saving from the epoch callback, and panics that stop fit
//! and resume in Rust instead of unwinding into C.
mod common;

use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use common::{xor, TempDir};
use libdeep::{Activation, LogLevel, Loss, Metric, Model, ModelOption, Optimizer, OptimizerKind, OptimizerOption};

fn model() -> Model {
    let mut m = Model::new(&[2]).unwrap();
    m.set_seed(1).unwrap();
    m.set_int(ModelOption::Threads, 1).unwrap();
    m.add_dense(8, Activation::Tanh).unwrap();
    m.add_dense(2, Activation::Softmax).unwrap();
    m.compile(Optimizer::new(OptimizerKind::Adam).unwrap(), Loss::SparseCategoricalCrossentropy, &[Metric::Accuracy])
        .unwrap();
    m
}

#[test]
fn epoch_callback_runs_once_per_epoch_with_a_finite_loss() {
    let mut m = model();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    m.set_epoch_callback(move |model, epoch| {
        assert_eq!(model.history_length().unwrap(), epoch + 1);
        let loss = model.history(epoch, libdeep::Metric::Loss, false).unwrap();
        let accuracy = model.history(epoch, libdeep::Metric::Accuracy, false).unwrap();
        s.lock().unwrap().push((epoch, loss, accuracy));
        ControlFlow::Continue(())
    })
    .unwrap();
    m.fit(&xor(1, 300), 5, 32, None).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.iter().map(|e| e.0).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    for &(epoch, loss, accuracy) in seen.iter() {
        assert!(loss.is_finite() && loss > 0.0, "epoch {} loss {}", epoch, loss);
        assert!((0.0..=1.0).contains(&accuracy));
        assert_eq!(loss, m.history(epoch, libdeep::Metric::Loss, false).unwrap());
    }
}

#[test]
fn batch_callback_sees_every_batch_and_can_stop() {
    let mut m = model();
    let batches = Arc::new(Mutex::new(Vec::new()));
    let b = batches.clone();
    m.set_batch_callback(move |epoch, batch, loss| {
        assert!(loss.is_finite());
        b.lock().unwrap().push((epoch, batch));
        ControlFlow::Continue(())
    })
    .unwrap();
    m.fit(&xor(2, 100), 3, 32, None).unwrap(); // 4 batches per epoch: 32, 32, 32, 4
    let want: Vec<(usize, usize)> = (0..3).flat_map(|e| (0..4).map(move |b| (e, b))).collect();
    assert_eq!(*batches.lock().unwrap(), want);

    // Break at epoch 1, batch 2: fit returns Ok with the epochs begun.
    batches.lock().unwrap().clear();
    let b = batches.clone();
    m.set_batch_callback(move |epoch, batch, _| {
        b.lock().unwrap().push((epoch, batch));
        if (epoch, batch) == (1, 2) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    })
    .unwrap();
    m.fit(&xor(2, 100), 10, 32, None).unwrap();
    assert_eq!(batches.lock().unwrap().last(), Some(&(1, 2)));
    assert_eq!(batches.lock().unwrap().len(), 7);
    assert!(m.history_length().unwrap() <= 2);

    // Cleared, nothing more is called.
    m.clear_callbacks().unwrap();
    batches.lock().unwrap().clear();
    m.fit(&xor(2, 100), 1, 32, None).unwrap();
    assert!(batches.lock().unwrap().is_empty());
}

#[test]
fn epoch_callback_stops_fit_and_sets_the_learning_rate() {
    let mut m = model();
    let rates = Arc::new(Mutex::new(Vec::new()));
    let r = rates.clone();
    m.set_epoch_callback(move |model, epoch| {
        let mut opt = model.optimizer().unwrap();
        r.lock().unwrap().push(opt.get(OptimizerOption::LearningRate).unwrap());
        opt.set(OptimizerOption::LearningRate, 0.1 / (epoch as f64 + 2.0)).unwrap();
        if epoch == 2 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    })
    .unwrap();
    m.fit(&xor(3, 200), 50, 32, None).unwrap();
    assert_eq!(m.history_length().unwrap(), 3);
    let rates = rates.lock().unwrap();
    assert_eq!(rates.len(), 3);
    assert!((rates[0] - 0.001).abs() < 1e-9 && (rates[1] - 0.05).abs() < 1e-7 && (rates[2] - 0.1 / 3.0).abs() < 1e-7, "{:?}", rates);
    assert!((m.optimizer().unwrap().get(OptimizerOption::LearningRate).unwrap() - 0.025).abs() < 1e-7);
}

#[test]
fn epoch_callback_may_save_and_read_weights() {
    let dir = TempDir::new("callback-save");
    let path = dir.join("epoch.safetensors");
    let p = path.clone();
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let s = sizes.clone();
    let mut m = model();
    m.set_epoch_callback(move |model, _| {
        model.save(&p).unwrap();
        s.lock().unwrap().push((model.to_bytes().unwrap().len(), model.get_weight(0, 0).unwrap().len().unwrap()));
        ControlFlow::Continue(())
    })
    .unwrap();
    m.fit(&xor(4, 100), 2, 32, None).unwrap();
    assert_eq!(sizes.lock().unwrap().len(), 2);
    assert_eq!(sizes.lock().unwrap()[0].1, 16);
    // The file of the last epoch is the model as fit left it.
    let saved = Model::load(&path).unwrap();
    let inputs = xor(5, 50).features().unwrap();
    assert_eq!(saved.predict(&inputs).unwrap().data().unwrap(), m.predict(&inputs).unwrap().data().unwrap());
}

#[test]
fn log_closure_gets_one_line_per_epoch() {
    let mut m = model();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l = lines.clone();
    m.set_log(move |level, line| l.lock().unwrap().push((level, line.to_string()))).unwrap();
    m.fit(&xor(6, 100), 3, 50, None).unwrap();
    {
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 3, "{:?}", lines);
        for (i, (level, line)) in lines.iter().enumerate() {
            assert_eq!(*level, LogLevel::Info);
            assert!(line.starts_with(&format!("Epoch {}/3", i + 1)), "{}", line);
            assert!(line.contains("loss: ") && line.contains("accuracy: "), "{}", line);
        }
    }
    // Verbose 0 silences it; clear_log removes it; the console log is the C one.
    m.set_int(ModelOption::Verbose, 0).unwrap();
    m.fit(&xor(6, 100), 1, 50, None).unwrap();
    assert_eq!(lines.lock().unwrap().len(), 3);
    m.set_int(ModelOption::Verbose, 1).unwrap();
    m.clear_log().unwrap();
    m.fit(&xor(6, 100), 1, 50, None).unwrap();
    assert_eq!(lines.lock().unwrap().len(), 3);
    m.set_log_console().unwrap();
    m.set_int(ModelOption::Verbose, 0).unwrap(); // keep the test's output clean
    m.fit(&xor(6, 100), 1, 50, None).unwrap();
    assert_eq!(lines.lock().unwrap().len(), 3);
}

#[test]
fn a_panicking_callback_stops_fit_and_resumes_in_rust() {
    let mut m = model();
    let calls = Arc::new(Mutex::new(0));
    let c = calls.clone();
    m.set_batch_callback(move |epoch, batch, _| {
        *c.lock().unwrap() += 1;
        if (epoch, batch) == (0, 1) {
            panic!("batch callback gave up");
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    let train = xor(7, 200);
    let caught = panic::catch_unwind(AssertUnwindSafe(|| m.fit(&train, 20, 32, None)));
    let payload = caught.expect_err("the panic did not come out of fit");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"batch callback gave up"));
    assert_eq!(*calls.lock().unwrap(), 2, "fit went on after the panic");

    // The model still works, and the next fit runs normally.
    m.clear_callbacks().unwrap();
    m.fit(&train, 1, 32, None).unwrap();
    assert_eq!(m.history_length().unwrap(), 1);

    // A panic in the log closure (which returns nothing to C) also stops fit.
    let epochs = Arc::new(Mutex::new(0));
    let e = epochs.clone();
    m.set_log(|_, _| panic!("log gave up")).unwrap();
    m.set_epoch_callback(move |_, _| {
        *e.lock().unwrap() += 1;
        ControlFlow::Continue(())
    })
    .unwrap();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| m.fit(&train, 20, 32, None)));
    assert_eq!(caught.expect_err("no panic").downcast_ref::<&str>(), Some(&"log gave up"));
    assert!(m.history_length().unwrap() <= 2, "fit ran {} epochs after the panic", m.history_length().unwrap());
    assert_eq!(*epochs.lock().unwrap(), 0, "a closure ran after the panic");
}

#[test]
fn callbacks_move_with_the_model_to_another_thread() {
    let mut m = model();
    let count = Arc::new(Mutex::new(0));
    let c = count.clone();
    m.set_epoch_callback(move |_, _| {
        *c.lock().unwrap() += 1;
        ControlFlow::Continue(())
    })
    .unwrap();
    let m = std::thread::spawn(move || {
        m.fit(&xor(8, 100), 2, 32, None).unwrap();
        m
    })
    .join()
    .unwrap();
    assert_eq!(*count.lock().unwrap(), 2);
    drop(m);
    assert_eq!(Arc::strong_count(&count), 1, "dropping the model did not free the closure");
}
