//! Keras' activation layers with arguments, library 1.3: LeakyReLU, ELU, ReLU and PReLU.
//! Re-exported by [`crate::layers`]. The `Activation` layer's leaky_relu and elu keep their
//! fixed 0.3 and 1.
use libdeep_sys as sys;

use crate::error::{check, Result};
use crate::layers::Layer;
use crate::model::Model;

/// LeakyReLU: x for x >= 0, `negative_slope * x` below (>= 0; Keras' default 0.3).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyRelu {
    negative_slope: f64,
}

impl LeakyRelu {
    /// LeakyReLU(negative_slope).
    pub fn new(negative_slope: f64) -> LeakyRelu {
        LeakyRelu { negative_slope }
    }
}

impl Layer for LeakyRelu {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_leaky_relu(model.ptr(), self.negative_slope) })
    }
}

/// ELU: x for x > 0, `alpha * (exp(x) - 1)` below (Keras' default alpha 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Elu {
    alpha: f64,
}

impl Elu {
    /// ELU(alpha).
    pub fn new(alpha: f64) -> Elu {
        Elu { alpha }
    }
}

impl Layer for Elu {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        check(unsafe { sys::deep_model_add_elu(model.ptr(), self.alpha) })
    }
}

/// ReLU with Keras' formula: x where x > threshold (else 0), clipped to [0, max_value] when
/// `max_value` is `Some`, plus `negative_slope * (x - threshold)` where x < threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relu {
    max_value: Option<f64>,
    negative_slope: f64,
    threshold: f64,
}

impl Relu {
    /// ReLU(max_value, negative_slope, threshold); Keras' defaults are `None, 0.0, 0.0`.
    pub fn new(max_value: Option<f64>, negative_slope: f64, threshold: f64) -> Relu {
        Relu { max_value, negative_slope, threshold }
    }
}

impl Layer for Relu {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        // The library reads a negative max_value as None.
        let max_value = self.max_value.unwrap_or(-1.0);
        check(unsafe { sys::deep_model_add_relu(model.ptr(), max_value, self.negative_slope, self.threshold) })
    }
}

/// PReLU: x for x >= 0, `alpha * x` below, alpha learned from zeros, of the sample's shape
/// but of size 1 along `shared_axes` (1-based sample axes, as Keras: `&[1, 2]` on images
/// learns one alpha per channel; empty: Keras' None).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PRelu {
    shared_axes: Vec<i64>,
}

impl PRelu {
    /// PReLU(shared_axes).
    pub fn new(shared_axes: &[i64]) -> PRelu {
        PRelu { shared_axes: shared_axes.to_vec() }
    }
}

impl Layer for PRelu {
    fn add_to(&self, model: &mut Model) -> Result<()> {
        let count = i32::try_from(self.shared_axes.len()).unwrap_or(i32::MAX);
        let axes = if self.shared_axes.is_empty() { std::ptr::null() } else { self.shared_axes.as_ptr() };
        check(unsafe { sys::deep_model_add_prelu(model.ptr(), count, axes) })
    }
}
