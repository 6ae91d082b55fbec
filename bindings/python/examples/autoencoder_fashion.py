"""autoencoder_fashion.py: a convolutional autoencoder on Fashion-MNIST, then its encoder.

    inputs = Input(shape=(28, 28, 1))
    x = MaxPooling2D((2, 2), padding="same")(Conv2D(16, (3, 3), activation="relu", padding="same")(inputs))
    code = MaxPooling2D((2, 2), padding="same")(Conv2D(4, (3, 3), activation="relu", padding="same")(x))
    x = Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(code)     # (14, 14, 8)
    x = Conv2DTranspose(16, (3, 3), strides=2, activation="relu", padding="same")(x)       # (28, 28, 16)
    outputs = Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = Model(inputs, outputs)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")

The code is (7, 7, 4): 196 numbers for 784 pixels. Trained a few epochs on pixels in [0, 1]
(input and target the same image), then the test reconstruction MSE is printed. Then
`encoder = Model(autoencoder.input, code)` cuts the encoder out of the trained graph (it
shares the trained weights, no copy) and a softmax Dense head trained on the training
codes classifies the test codes: its test accuracy is printed.

Usage: python3 autoencoder_fashion.py [DATA_DIR [EPOCHS [SEED [GRID.pgm]]]]
       (default Debian's Fashion-MNIST, 2 epochs, seed 42, no picture)
GRID.pgm receives ten test images (top row) over their reconstructions (bottom row).
"""

import sys
import time

import numpy as np

import libdeep
from libdeep import Conv2D, Conv2DTranspose, Dense, Input, MaxPooling2D, Model, Sequential


def write_grid(path, originals, reconstructions):
    """A binary PGM: the originals in the top row, their reconstructions below."""
    rows = [np.concatenate(list(images[..., 0]), axis=1) for images in (originals, reconstructions)]
    pixels = (np.clip(np.concatenate(rows, axis=0), 0, 1) * 255).astype(np.uint8)
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]))
        f.write(pixels.tobytes())


def main():
    path = (sys.argv[1] or None) if len(sys.argv) > 1 else None  # "" for the default
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    grid = sys.argv[4] if len(sys.argv) > 4 else None
    (x_train, y_train), (x_test, y_test) = libdeep.datasets.fashion_mnist.load_data(path)
    x_train, x_test = ((x / 255.0).astype(np.float32)[..., None] for x in (x_train, x_test))

    inputs = Input(shape=(28, 28, 1))
    x = Conv2D(16, (3, 3), activation="relu", padding="same")(inputs)
    x = MaxPooling2D((2, 2), padding="same")(x)
    x = Conv2D(4, (3, 3), activation="relu", padding="same")(x)
    code = MaxPooling2D((2, 2), padding="same")(x)
    x = Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(code)
    x = Conv2DTranspose(16, (3, 3), strides=2, activation="relu", padding="same")(x)
    outputs = Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = Model(inputs, outputs)
    autoencoder.set_seed(seed)
    autoencoder.summary()
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    start = time.perf_counter()
    autoencoder.fit(x_train, x_train, epochs=epochs, batch_size=128, verbose=0)
    seconds = time.perf_counter() - start
    reconstructions = autoencoder.predict(x_test)
    mse = float(np.mean((reconstructions - x_test) ** 2))
    print(f"{epochs} epoch(s) in {seconds:.1f} s; test reconstruction MSE {mse:.4f}")
    if grid:
        write_grid(grid, x_test[:10], reconstructions[:10])
        print(f"wrote {grid}")

    # The encoder: the trained graph's part from the input to the code, sharing its weights.
    encoder = Model(autoencoder.input, code)
    codes_train = encoder.predict(x_train).reshape(len(x_train), -1)
    codes_test = encoder.predict(x_test).reshape(len(x_test), -1)
    scale = codes_train.std() or 1.0
    head = Sequential([Input((codes_train.shape[1],)), Dense(10, activation="softmax")])
    head.set_seed(seed)
    head.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    head.fit(codes_train / scale, y_train, epochs=5, batch_size=64, verbose=0)
    _, accuracy = head.evaluate(codes_test / scale, y_test, verbose=0)
    print(f"encoder codes {encoder.output_shape[1:]}; test accuracy of a softmax head on the codes {accuracy:.4f}")


if __name__ == "__main__":
    main()
