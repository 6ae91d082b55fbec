//! The spatial layers of libdeep 1.1 (Conv2DTranspose, ...): Keras' output shapes and weight
//! layouts, values computed by hand, misuse as an Error naming the C function, and a small
//! model whose predictions survive a save/load round trip.
mod common;

use common::expect_error;
use libdeep::layers::{Conv2dTranspose, Cropping2d, UpSampling2d, ZeroPadding2d};
use libdeep::{Activation, Interpolation, Loss, Model, Optimizer, OptimizerKind, Padding, Status, Tensor};

fn compiled(model: &mut Model) {
    model.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::MeanSquaredError, &[]).unwrap();
}

#[test]
fn conv2d_transpose_shapes_values_and_errors() {
    let mut m = Model::new(&[4, 4, 3]).unwrap();
    let err = expect_error(
        m.add(Conv2dTranspose::new(2, (3, 3)).strides((2, 2)).output_padding(Some((2, 0)))),
        Status::InvalidArgument,
        "deep_model_add_conv2d_transpose",
    );
    assert!(err.message().contains("must be below the strides 2 x 2"), "{}", err.message());
    m.add(Conv2dTranspose::new(5, (3, 3)).strides((2, 2)).padding(Padding::Same).activation(Activation::Relu)).unwrap();
    m.add(Conv2dTranspose::new(2, (3, 2)).strides((2, 3)).output_padding(Some((1, 2))).use_bias(false)).unwrap();
    assert_eq!(m.parameter_count().unwrap(), 3 * 3 * 5 * 3 + 5 + 3 * 2 * 2 * 5);
    compiled(&mut m);
    assert_eq!(m.get_weight(0, 0).unwrap().shape().unwrap(), vec![3, 3, 5, 3]); // Keras' (kh, kw, filters, channels)
    let y = m.predict(&Tensor::filled(&[2, 4, 4, 3], 0.5).unwrap()).unwrap();
    // valid: (8 - 1) * 2 + 3 + 1 = 18 rows, (8 - 1) * 3 + 2 + 2 = 25 columns
    assert_eq!(y.shape().unwrap(), vec![2, 18, 25, 2]);
}

/// A 2x2 kernel of ones with strides 2 and no bias copies each input cell to a 2x2 block:
/// by hand, the nearest-neighbour upsampling of the input.
#[test]
fn conv2d_transpose_of_ones_repeats_each_cell() {
    let mut m = Model::new(&[2, 2, 1]).unwrap();
    m.add(Conv2dTranspose::new(1, (2, 2)).strides((2, 2)).use_bias(false)).unwrap();
    compiled(&mut m);
    m.set_weight(0, 0, &Tensor::filled(&[2, 2, 1, 1], 1.0).unwrap()).unwrap();
    let y = m.predict(&Tensor::new(&[1, 2, 2, 1], &[1.0, 2.0, 3.0, 4.0]).unwrap()).unwrap();
    let want = [1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 3.0, 3.0, 4.0, 4.0];
    assert_eq!(y.data().unwrap(), &want[..]);
    let loaded = Model::from_bytes(&m.to_bytes().unwrap()).unwrap();
    let again = loaded.predict(&Tensor::new(&[1, 2, 2, 1], &[1.0, 2.0, 3.0, 4.0]).unwrap()).unwrap();
    assert_eq!(again.data().unwrap(), &want[..]);
}

#[test]
fn up_sampling2d_nearest_and_bilinear() {
    let mut m = Model::new(&[1, 2, 1]).unwrap();
    let err = expect_error(m.add(UpSampling2d::new((0, 2))), Status::InvalidArgument, "deep_model_add_up_sampling2d");
    assert!(err.message().contains("size 0 x 2"), "{}", err.message());
    m.add(UpSampling2d::new((1, 2)).interpolation(Interpolation::Bilinear)).unwrap(); // (1, 4, 1)
    m.add(UpSampling2d::new((2, 1))).unwrap(); // (2, 4, 1)
    compiled(&mut m);
    let y = m.predict(&Tensor::new(&[1, 1, 2, 1], &[1.0, 2.0]).unwrap()).unwrap();
    // PyTorch's interpolate([1, 2], scale_factor=2, mode="linear") is [1, 1.25, 1.75, 2]; then each row twice.
    assert_eq!(y.data().unwrap(), &[1.0, 1.25, 1.75, 2.0, 1.0, 1.25, 1.75, 2.0][..]);
    assert_eq!(UpSampling2d::default(), UpSampling2d::new((2, 2)).interpolation(Interpolation::Nearest));
}

#[test]
fn zero_padding2d_and_cropping2d_by_hand() {
    let mut m = Model::new(&[2, 2, 1]).unwrap();
    let err = expect_error(m.add(Cropping2d::new((1, 1), (0, 0))), Status::Shape, "deep_model_add_cropping2d");
    assert!(err.message().contains("at least one row must stay"), "{}", err.message());
    expect_error(m.add(ZeroPadding2d::new((0, -1), (0, 0))), Status::InvalidArgument, "deep_model_add_zero_padding2d");
    m.add(ZeroPadding2d::new((1, 0), (0, 2))).unwrap(); // (3, 4, 1)
    m.add(Cropping2d::new((1, 0), (0, 1))).unwrap(); // (2, 3, 1)
    compiled(&mut m);
    let y = m.predict(&Tensor::new(&[1, 2, 2, 1], &[1.0, 2.0, 3.0, 4.0]).unwrap()).unwrap();
    assert_eq!(y.data().unwrap(), &[1.0, 2.0, 0.0, 3.0, 4.0, 0.0][..]);
    assert_eq!(ZeroPadding2d::default(), ZeroPadding2d::new((1, 1), (1, 1)));
}
