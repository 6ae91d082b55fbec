//! Tensor helpers and the random generator, with slices of the wrong length refused.
mod common;

use common::expect_error;
use libdeep::{Rng, Status, Tensor};

#[test]
fn element_access_fill_scale_and_sum() {
    let mut t = Tensor::filled(&[2, 3], 1.5).unwrap();
    assert_eq!(t.sum().unwrap(), 9.0);
    assert_eq!((t.dim(0).unwrap(), t.dim(-1).unwrap()), (2, 3));
    assert_eq!(t.rank().unwrap(), 2);
    assert_eq!(Tensor::zeros(&[4, 1, 2]).unwrap().rank().unwrap(), 3);
    t.set(&[1, 2], 4.0).unwrap();
    assert_eq!(t.get(&[1, 2]).unwrap(), 4.0);
    assert_eq!(t.data().unwrap()[5], 4.0);
    t.scale_shift(2.0, -1.0).unwrap();
    assert_eq!(t.data().unwrap(), &[2.0, 2.0, 2.0, 2.0, 2.0, 7.0]);
    let mut out = [0f32; 6];
    t.copy_to(&mut out).unwrap();
    assert_eq!(out, [2.0, 2.0, 2.0, 2.0, 2.0, 7.0]);
    t.copy_from(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    assert_eq!(t.sum().unwrap(), 21.0);
    assert_eq!(t.argmax().unwrap(), vec![2, 2]);
    t.fill(0.25).unwrap();
    assert_eq!(t.data().unwrap(), &[0.25; 6]);

    expect_error(t.get(&[2, 0]), Status::OutOfRange, "deep_tensor_get");
    expect_error(t.set(&[0], 1.0), Status::Shape, "deep_tensor_set");
    expect_error(t.copy_to(&mut [0f32; 5]), Status::Shape, "deep_tensor_copy_to");
    expect_error(t.copy_from(&[0f32; 7]), Status::Shape, "deep_tensor_copy_from");
    expect_error(t.dim(2), Status::OutOfRange, "deep_tensor_dim");
    expect_error(Tensor::filled(&[0, 2], 1.0), Status::InvalidArgument, "deep_tensor_new_filled");
}

#[test]
fn random_fills_are_seeded() {
    let mut a = Rng::new(42).unwrap();
    let mut b = Rng::new(42).unwrap();
    let first: Vec<u64> = (0..4).map(|_| a.next_u64().unwrap()).collect();
    assert_eq!(first, (0..4).map(|_| b.next_u64().unwrap()).collect::<Vec<_>>());
    a.reseed(42).unwrap();
    assert_eq!(a.next_u64().unwrap(), first[0]);
    let u = a.uniform().unwrap();
    assert!((0.0..1.0).contains(&u));

    let mut t = Tensor::zeros(&[10000]).unwrap();
    t.fill_uniform(&mut a, -2.0, 3.0).unwrap();
    assert!(t.data().unwrap().iter().all(|v| (-2.0..3.0).contains(v)));
    let mean = t.sum().unwrap() / 10000.0;
    assert!((mean - 0.5).abs() < 0.05, "uniform mean {}", mean);
    t.fill_normal(&mut a, 1.0, 2.0).unwrap();
    let data = t.data().unwrap();
    let mean = data.iter().map(|&v| v as f64).sum::<f64>() / 10000.0;
    let var = data.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / 9999.0;
    assert!((mean - 1.0).abs() < 0.08 && (var.sqrt() - 2.0).abs() < 0.08, "normal mean {} std {}", mean, var.sqrt());
    expect_error(t.fill_uniform(&mut a, 1.0, 1.0), Status::InvalidArgument, "deep_tensor_fill_uniform");
    expect_error(t.fill_normal(&mut a, 0.0, -1.0), Status::InvalidArgument, "deep_tensor_fill_normal");
}
