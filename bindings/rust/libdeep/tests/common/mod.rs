//! Helpers shared by the test files: small synthetic datasets, error checks, temporary
//! directories.
#![allow(dead_code)]
use std::path::PathBuf;

use libdeep::{Dataset, Error, Status};

/// A linear congruential generator, so that the tests need no crate.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }
    /// Uniform in [0, 1).
    pub fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// count points of [-1, 1]^2 away from the axes, labelled 1 where x and y differ in sign.
pub fn xor(seed: u64, count: usize) -> Dataset {
    let mut rng = Lcg::new(seed);
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    while labels.len() < count {
        let (x, y) = (rng.next() * 2.0 - 1.0, rng.next() * 2.0 - 1.0);
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

/// The failure is of kind `status` and its message names `function` (and, when given,
/// contains `detail`).
pub fn expect_error<T: std::fmt::Debug>(result: Result<T, Error>, status: Status, function: &str) -> Error {
    let err = result.expect_err("the call succeeded");
    assert_eq!(err.status(), status, "{}", err);
    assert!(err.message().contains(function), "message {:?} does not name {}", err.message(), function);
    assert!(err.to_string().contains(status.name()));
    err
}

/// A fresh directory for one test, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("libdeep-rust-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
