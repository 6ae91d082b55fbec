"""autoencoder_fashion.py: a convolutional autoencoder on Fashion-MNIST, then its encoder,
cut from the trained graph, feeding a small classifier. The network, seed and settings of
examples/autoencoder_fashion.c, in Keras' code:

    inputs = Input(shape=(28, 28, 1))
    x = MaxPooling2D(2)(Conv2D(16, 3, padding="same", activation="relu")(inputs))   # 14 x 14 x 16
    x = MaxPooling2D(2)(Conv2D(8, 3, padding="same", activation="relu")(x))         # 7 x 7 x 8
    code = Dense(32, activation="relu")(Flatten()(x))                               # the code
    x = Reshape((7, 7, 8))(Dense(392, activation="relu")(code))
    x = Conv2D(16, 3, padding="same", activation="relu")(UpSampling2D(2)(x))        # 14 x 14 x 16
    outputs = Conv2D(1, 3, padding="same", activation="sigmoid")(UpSampling2D(2)(x))
    autoencoder = Model(inputs, outputs)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    autoencoder.fit(x_train, x_train, epochs=3, batch_size=64)
    encoder = Model(autoencoder.input, code)     # shares the trained weights, no copy

Prints the test reconstruction MSE; then a Dense(64, relu) -> Dense(10, softmax) head
trained 5 epochs on the standardised training codes prints its test accuracy.

Usage: python3 autoencoder_fashion.py [DATA_DIR [EPOCHS [SEED [GRID.pgm]]]]
       (default Debian's Fashion-MNIST, 3 epochs, seed 42, no picture; "" keeps a default)
GRID.pgm receives ten test images (top row) over their reconstructions (bottom row).
"""

import sys
import time

import numpy as np

import libdeep
from libdeep import Conv2D, Dense, Flatten, Input, MaxPooling2D, Model, Reshape, Sequential, UpSampling2D


def write_grid(path, originals, reconstructions):
    """A binary PGM: the originals in the top row, their reconstructions below."""
    rows = [np.concatenate(list(images[..., 0]), axis=1) for images in (originals, reconstructions)]
    pixels = (np.clip(np.concatenate(rows, axis=0), 0, 1) * 255 + 0.5).astype(np.uint8)
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]))
        f.write(pixels.tobytes())


def argument(index, default, kind=str):
    return kind(sys.argv[index]) if len(sys.argv) > index and sys.argv[index] else default


def main():
    path, epochs, seed, grid = argument(1, None), argument(2, 3, int), argument(3, 42, int), argument(4, None)
    (x_train, y_train), (x_test, y_test) = libdeep.datasets.fashion_mnist.load_data(path)
    # Pixels in [0, 1] as float32 products, as deep_dataset_scale computes them in the C example.
    x_train, x_test = ((x.astype(np.float32) * np.float32(1 / 255))[..., None] for x in (x_train, x_test))

    inputs = Input(shape=(28, 28, 1))
    x = MaxPooling2D(2)(Conv2D(16, 3, padding="same", activation="relu")(inputs))
    x = MaxPooling2D(2)(Conv2D(8, 3, padding="same", activation="relu")(x))
    code = Dense(32, activation="relu")(Flatten()(x))
    x = Reshape((7, 7, 8))(Dense(7 * 7 * 8, activation="relu")(code))
    x = Conv2D(16, 3, padding="same", activation="relu")(UpSampling2D(2)(x))
    outputs = Conv2D(1, 3, padding="same", activation="sigmoid")(UpSampling2D(2)(x))
    autoencoder = Model(inputs, outputs)
    autoencoder.set_seed(seed)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    start = time.perf_counter()
    autoencoder.fit(x_train, x_train, epochs=epochs, batch_size=64, verbose=0)
    seconds = time.perf_counter() - start
    reconstructions = autoencoder.predict(x_test)
    mse = float(np.mean((reconstructions.astype(np.float64) - x_test) ** 2))
    print(f"{epochs} epoch(s) in {seconds:.1f} s; test reconstruction MSE: {mse:.5f}")
    if grid:
        write_grid(grid, x_test[:10], reconstructions[:10])
        print(f"wrote {grid} (originals over reconstructions)")

    # The encoder: the trained graph's part from the input to the code, sharing its weights.
    encoder = Model(autoencoder.input, code)
    train_codes = libdeep.Dataset(encoder.predict(x_train), y_train, num_classes=10)
    test_codes = libdeep.Dataset(encoder.predict(x_test), y_test, num_classes=10)
    test_codes.standardize(train_codes)  # with the training codes' mean and deviation
    train_codes.standardize()
    head = Sequential([Input((32,)), Dense(64, activation="relu"), Dense(10, activation="softmax")])
    head.set_seed(seed)
    head.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    head.fit(train_codes, epochs=5, batch_size=64, verbose=0)
    _, accuracy = head.evaluate(test_codes, batch_size=256, verbose=0)
    print(f"classifier on the {encoder.output_shape[1]}-value codes: test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
