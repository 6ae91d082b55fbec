//! Keras' regularisation layers of library 1.2: active while training only, the identity
//! at inference, their draws from the model's seed. Re-exported by [`crate::layers`].
use libdeep_sys as sys;

use crate::error::{check, Result};
use crate::layers::Layer;
use crate::model::Model;

/// SpatialDropout2D: drops whole channels of (height, width, channels) samples while
/// training, scaling the kept ones by 1 / (1 - rate); rate in [0, 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpatialDropout2d {
    rate: f64,
}

impl SpatialDropout2d {
    /// SpatialDropout2D(rate).
    pub fn new(rate: f64) -> SpatialDropout2d {
        SpatialDropout2d { rate }
    }
}

impl Layer for SpatialDropout2d {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_spatial_dropout2d(model.ptr(), self.rate) })
    }
}

/// GaussianNoise: adds normal noise of standard deviation `stddev` (in [0, 1]) while training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianNoise {
    stddev: f64,
}

impl GaussianNoise {
    /// GaussianNoise(stddev).
    pub fn new(stddev: f64) -> GaussianNoise {
        GaussianNoise { stddev }
    }
}

impl Layer for GaussianNoise {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_gaussian_noise(model.ptr(), self.stddev) })
    }
}

/// GaussianDropout: multiplies by normal noise of mean 1 and standard deviation
/// sqrt(rate / (1 - rate)) while training; rate in [0, 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussianDropout {
    rate: f64,
}

impl GaussianDropout {
    /// GaussianDropout(rate).
    pub fn new(rate: f64) -> GaussianDropout {
        GaussianDropout { rate }
    }
}

impl Layer for GaussianDropout {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_gaussian_dropout(model.ptr(), self.rate) })
    }
}
