"""The spatial layers of libdeep 1.1 from Python: Keras' argument names and defaults, output
shapes, values against NumPy written from Keras' definitions, errors, and a small model that
trains and survives a save/load round trip."""

import numpy as np
import pytest

import libdeep
from libdeep import layers


def conv_transpose_numpy(x, kernel, bias, strides, padding, output_padding):
    """Keras' Conv2DTranspose (TensorFlow's semantics) in NumPy: the full transposed
    convolution, cropped to Keras' output size from max(full - out, 0) // 2."""
    n, h, w, c = x.shape
    kh, kw, f, _ = kernel.shape
    sizes = []
    for length, k, s, op in zip((h, w), (kh, kw), strides, output_padding or (None, None)):
        if padding == "valid":
            sizes.append((length - 1) * s + k + (max(k, s) - k if op is None else op))
        else:
            sizes.append(length * s if op is None else (length - 1) * s + k % 2 + op)
    full = np.zeros((n, (h - 1) * strides[0] + kh, (w - 1) * strides[1] + kw, f))
    for i in range(h):
        for j in range(w):
            full[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw, :] += np.einsum(
                "abfc,nc->nabf", kernel, x[:, i, j, :])
    top, left = (max(full.shape[1] - sizes[0], 0) // 2, max(full.shape[2] - sizes[1], 0) // 2)
    big = np.zeros((n, max(full.shape[1], top + sizes[0]), max(full.shape[2], left + sizes[1]), f))
    big[:, :full.shape[1], :full.shape[2]] = full
    return big[:, top:top + sizes[0], left:left + sizes[1]] + bias


def predict_one_layer(layer, x):
    model = libdeep.Sequential([layers.Input(x.shape[1:]), layer])
    model.compile("sgd", "mse")
    return model, model.predict(x)


@pytest.mark.parametrize("strides,padding,output_padding", [
    ((2, 2), "same", None), ((2, 2), "valid", None), ((2, 3), "same", (1, 2)), ((1, 1), "valid", None),
    ((3, 2), "valid", (2, 0)),
])
def test_conv2d_transpose_matches_numpy(strides, padding, output_padding):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (2, 3, 4, 2)).astype(np.float32)
    layer = layers.Conv2DTranspose(3, (3, 2), strides=strides, padding=padding, output_padding=output_padding)
    model, _ = predict_one_layer(layer, x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 3, 2) and bias.shape == (3,)
    bias = rng.uniform(-1, 1, 3).astype(np.float32)
    layer.set_weights([kernel, bias])
    got = model.predict(x)
    want = conv_transpose_numpy(x.astype(np.float64), kernel.astype(np.float64), bias, strides, padding,
                                output_padding)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_keras_defaults_and_errors():
    layer = layers.Conv2DTranspose(4, 3)
    assert (layer.kernel_size, layer.strides, layer.padding, layer.output_padding, layer.use_bias) == (
        (3, 3), (1, 1), "valid", None, True)
    model = libdeep.Sequential([layers.Input((7, 7, 8)), layer,
                                layers.Conv2DTranspose(2, 3, strides=2, padding="same", activation="sigmoid")])
    model.compile("adam", "mse")
    assert model.layers[0].get_weights()[0].shape == (3, 3, 4, 8)
    assert model.predict(np.zeros((1, 7, 7, 8), np.float32)).shape == (1, 18, 18, 2)
    with pytest.raises(libdeep.InvalidArgumentError, match="output_padding 2 x 0 must be below the strides 2 x 2"):
        libdeep.Sequential([layers.Input((4, 4, 1)), layers.Conv2DTranspose(2, 3, strides=2, output_padding=(2, 0))])
    with pytest.raises(libdeep.ShapeError, match="Conv2DTranspose needs"):
        libdeep.Sequential([layers.Input((16,)), layers.Conv2DTranspose(2, 3)])
    with pytest.raises(TypeError):
        layers.Conv2DTranspose(2, 3, output_padding="none")


def up_sampling_numpy(x, size, interpolation):
    """Keras' UpSampling2D in NumPy: repeat, or half-pixel bilinear weights per axis."""
    if interpolation == "nearest":
        return x.repeat(size[0], axis=1).repeat(size[1], axis=2)

    def weights(n, f):
        w = np.zeros((n * f, n))
        for o in range(n * f):
            u = max((o + 0.5) / f - 0.5, 0.0)
            i0 = min(int(u), n - 1)
            w[o, i0] += 1 - (u - i0)
            w[o, min(i0 + 1, n - 1)] += u - i0
        return w
    return np.einsum("Yh,Xw,nhwc->nYXc", weights(x.shape[1], size[0]), weights(x.shape[2], size[1]), x)


@pytest.mark.parametrize("size,interpolation", [((2, 2), "nearest"), ((1, 3), "nearest"), ((2, 2), "bilinear"),
                                                ((3, 2), "bilinear")])
def test_up_sampling2d_matches_numpy(size, interpolation):
    x = np.random.default_rng(2).uniform(-1, 1, (2, 3, 4, 2)).astype(np.float32)
    _, got = predict_one_layer(layers.UpSampling2D(size, interpolation=interpolation), x)
    want = up_sampling_numpy(x.astype(np.float64), size, interpolation)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_up_sampling2d_keras_defaults_and_errors():
    layer = layers.UpSampling2D()
    assert (layer.size, layer.interpolation) == ((2, 2), "nearest")
    # torch.nn.functional.interpolate([1, 2], scale_factor=2, mode="linear") is [1, 1.25, 1.75, 2]
    _, row = predict_one_layer(layers.UpSampling2D((1, 2), interpolation="bilinear"),
                               np.array([[[[1.0], [2.0]]]], np.float32))
    assert row.ravel().tolist() == [1.0, 1.25, 1.75, 2.0]
    with pytest.raises(ValueError):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(libdeep.InvalidArgumentError, match="size 0 x 2"):
        libdeep.Sequential([layers.Input((4, 4, 1)), layers.UpSampling2D((0, 2))])


@pytest.mark.parametrize("argument,sides", [(2, (2, 2, 2, 2)), ((1, 3), (1, 1, 3, 3)), (((0, 1), (2, 0)), (0, 1, 2, 0))])
def test_zero_padding2d_and_cropping2d_match_numpy(argument, sides):
    top, bottom, left, right = sides
    x = np.random.default_rng(3).uniform(-1, 1, (2, 5, 8, 2)).astype(np.float32)
    _, padded = predict_one_layer(layers.ZeroPadding2D(argument), x)
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0))))
    _, cropped = predict_one_layer(layers.Cropping2D(argument), x)
    np.testing.assert_array_equal(cropped, x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :])


def test_zero_padding2d_and_cropping2d_defaults_and_errors():
    assert layers.ZeroPadding2D()._sides == (1, 1, 1, 1)
    assert layers.Cropping2D()._sides == (0, 0, 0, 0)
    with pytest.raises(libdeep.ShapeError, match="at least one row must stay"):
        libdeep.Sequential([layers.Input((4, 4, 1)), layers.Cropping2D(((2, 2), (0, 0)))])
    with pytest.raises(libdeep.InvalidArgumentError, match="must be in 0..2147483647 on each side"):
        libdeep.Sequential([layers.Input((4, 4, 1)), layers.ZeroPadding2D(((0, -1), (0, 0)))])
    with pytest.raises(TypeError):
        layers.ZeroPadding2D("same")


def autoencoder(decoder):
    model = libdeep.Sequential([layers.Input((8, 8, 1)),
                                layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")]
                               + decoder + [layers.Conv2D(1, 3, padding="same", activation="sigmoid")])
    model.set_seed(3)
    model.compile(libdeep.optimizers.Adam(learning_rate=0.01), "mse")
    return model


def blobs(n, seed):
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:8, 0:8]
    centres = rng.uniform(1.5, 6.5, (n, 2))
    x = np.exp(-((r - centres[:, :1, None]) ** 2 + (c - centres[:, 1:, None]) ** 2) / 3.0)
    return x[..., None].astype(np.float32)


@pytest.mark.parametrize("decoder", [
    lambda: [layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")],
    lambda: [layers.UpSampling2D()],
    lambda: [layers.UpSampling2D(interpolation="bilinear")],
    lambda: [layers.ZeroPadding2D(), layers.Conv2DTranspose(4, 3, strides=2, activation="relu"),
             layers.Cropping2D(((2, 3), (2, 3)))],
], ids=["Conv2DTranspose", "UpSampling2D", "UpSampling2D-bilinear", "ZeroPadding2D-Cropping2D"])
def test_autoencoder_trains_and_round_trips(decoder, tmp_path):
    x = blobs(64, 1)
    model = autoencoder(decoder())
    history = model.fit(x, x.reshape(64, -1), epochs=15, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    path = tmp_path / "autoencoder.deep"
    model.save(path)
    loaded = libdeep.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x[:5]), model.predict(x[:5]))
