//! Tensors: dense float32 arrays of rank 1 to 8, row-major, with slice access.
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

use crate::convert::{array_sized, len64, rank};
use crate::error::{check, Result};
use crate::rng::Rng;

/// A dense float32 array of rank 1 to 8, row-major.
pub struct Tensor {
    raw: NonNull<sys::deep_tensor>,
}
handle!(Tensor, sys::deep_tensor, sys::deep_tensor_free);
// deep.h: a tensor belongs to no thread; concurrent reads are allowed and writes need &mut.
unsafe impl Send for Tensor {}
unsafe impl Sync for Tensor {}

impl Tensor {
    /// A tensor of the given shape holding a copy of data (exactly the shape's element count).
    pub fn new(shape: &[i64], data: &[f32]) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_tensor_new_from(rank(shape), shape.as_ptr(), data.as_ptr(), len64(data.len()), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[i64]) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_tensor_new(rank(shape), shape.as_ptr(), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// A tensor with every element equal to `value`.
    pub fn filled(shape: &[i64], value: f32) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_tensor_new_filled(rank(shape), shape.as_ptr(), value, &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// A deep copy.
    pub fn try_clone(&self) -> Result<Tensor> {
        let mut raw = ptr::null_mut();
        check(unsafe { sys::deep_tensor_clone(self.ptr(), &mut raw) })?;
        Ok(Tensor::from_raw(raw))
    }

    /// The dimensions.
    pub fn shape(&self) -> Result<Vec<i64>> {
        array_sized(|buffer, capacity, needed| unsafe { sys::deep_tensor_shape(self.ptr(), buffer, capacity, needed) })
    }

    /// The number of dimensions (1 to `DEEP_MAX_RANK`).
    pub fn rank(&self) -> Result<i32> {
        let mut r = 0i32;
        check(unsafe { sys::deep_tensor_rank(self.ptr(), &mut r) })?;
        Ok(r)
    }

    /// The size of one axis; negative axes count from the end (-1 is the last).
    pub fn dim(&self, axis: i32) -> Result<i64> {
        let mut d = 0i64;
        check(unsafe { sys::deep_tensor_dim(self.ptr(), axis, &mut d) })?;
        Ok(d)
    }

    /// The number of elements.
    pub fn len(&self) -> Result<usize> {
        let mut n = 0i64;
        check(unsafe { sys::deep_tensor_size(self.ptr(), &mut n) })?;
        Ok(n as usize)
    }

    /// Whether it has no elements (never, for a tensor the library made).
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The elements, row-major, borrowed from the tensor.
    pub fn data(&self) -> Result<&[f32]> {
        let n = self.len()?;
        let mut data: *const f32 = ptr::null();
        check(unsafe { sys::deep_tensor_data(self.ptr(), &mut data) })?;
        // The buffer lives as long as the tensor and never moves (reshape keeps it).
        Ok(unsafe { std::slice::from_raw_parts(data, n) })
    }

    /// The elements, mutably.
    pub fn data_mut(&mut self) -> Result<&mut [f32]> {
        let n = self.len()?;
        let mut data: *mut f32 = ptr::null_mut();
        check(unsafe { sys::deep_tensor_data_mut(self.ptr(), &mut data) })?;
        Ok(unsafe { std::slice::from_raw_parts_mut(data, n) })
    }

    /// Copies every element into `buffer`, which must hold exactly [`Tensor::len`] floats.
    pub fn copy_to(&self, buffer: &mut [f32]) -> Result<()> {
        check(unsafe { sys::deep_tensor_copy_to(self.ptr(), buffer.as_mut_ptr(), len64(buffer.len())) })
    }

    /// Overwrites every element from `buffer`, which must hold exactly [`Tensor::len`] floats.
    pub fn copy_from(&mut self, buffer: &[f32]) -> Result<()> {
        check(unsafe { sys::deep_tensor_copy_from(self.ptr(), buffer.as_ptr(), len64(buffer.len())) })
    }

    /// The element at a full index (one coordinate per axis).
    pub fn get(&self, index: &[i64]) -> Result<f32> {
        let mut value = 0f32;
        check(unsafe { sys::deep_tensor_get(self.ptr(), index.as_ptr(), rank(index), &mut value) })?;
        Ok(value)
    }

    /// Sets the element at a full index.
    pub fn set(&mut self, index: &[i64], value: f32) -> Result<()> {
        check(unsafe { sys::deep_tensor_set(self.ptr(), index.as_ptr(), rank(index), value) })
    }

    /// A new shape with the same element count; one dimension may be -1. On failure the
    /// tensor keeps its shape.
    pub fn reshape(&mut self, shape: &[i64]) -> Result<()> {
        check(unsafe { sys::deep_tensor_reshape(self.ptr(), rank(shape), shape.as_ptr()) })
    }

    /// Sets every element to `value`.
    pub fn fill(&mut self, value: f32) -> Result<()> {
        check(unsafe { sys::deep_tensor_fill(self.ptr(), value) })
    }

    /// x = x * scale + shift for every element (scale 1/255 brings pixels to [0, 1]).
    pub fn scale_shift(&mut self, scale: f64, shift: f64) -> Result<()> {
        check(unsafe { sys::deep_tensor_scale_shift(self.ptr(), scale, shift) })
    }

    /// Fills with uniform values in [low, high) drawn from `rng`.
    pub fn fill_uniform(&mut self, rng: &mut Rng, low: f64, high: f64) -> Result<()> {
        check(unsafe { sys::deep_tensor_fill_uniform(self.ptr(), rng.ptr(), low, high) })
    }

    /// Fills with normal values of the given mean and standard deviation drawn from `rng`.
    pub fn fill_normal(&mut self, rng: &mut Rng, mean: f64, stddev: f64) -> Result<()> {
        check(unsafe { sys::deep_tensor_fill_normal(self.ptr(), rng.ptr(), mean, stddev) })
    }

    /// The sum of all elements, accumulated in double precision.
    pub fn sum(&self) -> Result<f64> {
        let mut sum = 0f64;
        check(unsafe { sys::deep_tensor_sum(self.ptr(), &mut sum) })?;
        Ok(sum)
    }

    /// The index of the largest element of each row along the last axis (ties: the first).
    pub fn argmax(&self) -> Result<Vec<i64>> {
        array_sized(|buffer, capacity, needed| unsafe { sys::deep_tensor_argmax(self.ptr(), buffer, capacity, needed) })
    }
}
