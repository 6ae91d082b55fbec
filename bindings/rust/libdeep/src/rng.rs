//! The seedable random generator (xoshiro256**) that fills tensors with random values.
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

use crate::error::{check, Result};

/// A seedable stream of random numbers (`deep_rng`, xoshiro256**): the same seed always
/// gives the same sequence. It fills tensors ([`crate::Tensor::fill_uniform`],
/// [`crate::Tensor::fill_normal`]); models and forests carry their own generators and take
/// a seed instead. `deep.h` forbids using one generator from two threads at once, so it is
/// `Send` but not `Sync`, and every draw takes `&mut self`.
pub struct Rng {
    raw: NonNull<sys::deep_rng>,
}
handle!(Rng, sys::deep_rng, sys::deep_rng_free);
// deep.h ties no handle to a thread; "a generator must not be used from two threads at once".
unsafe impl Send for Rng {}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Result<Rng> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_rng_new(seed, &mut raw) })?;
        Ok(Rng::from_raw(raw))
    }

    /// Restarts the stream at `seed`.
    pub fn reseed(&mut self, seed: u64) -> Result<()> {
        check(unsafe { sys::deep_rng_seed(self.ptr(), seed) })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> Result<u64> {
        let mut value = 0u64;
        check(unsafe { sys::deep_rng_next(self.ptr(), &mut value) })?;
        Ok(value)
    }

    /// A uniform float in [0, 1).
    pub fn uniform(&mut self) -> Result<f32> {
        let mut value = 0f32;
        check(unsafe { sys::deep_rng_uniform(self.ptr(), &mut value) })?;
        Ok(value)
    }
}
