"""functional_fashion.py: a two-branch layer graph (Keras' functional API) on Fashion-MNIST.

    inputs = Input(shape=(28, 28, 1))
    conv = Flatten()(MaxPooling2D((2, 2))(Conv2D(16, (3, 3), activation="relu")(inputs)))
    conv = Dense(64, activation="relu")(conv)           # the convolutional branch
    dense = Dense(64, activation="relu")(Flatten()(inputs))   # the dense branch, same image
    outputs = Dense(10, activation="softmax")(Concatenate()([conv, dense]))
    model = Model(inputs, outputs)

Both branches read the same input node; their outputs are joined and classified. Trained
one epoch with Adam (batch 32), then the test accuracy is printed.

Usage: python3 functional_fashion.py [DATA_DIR [EPOCHS [SEED]]]   (default Debian's Fashion-MNIST, 1, 42)
"""

import sys
import time

import numpy as np

import libdeep
from libdeep import Concatenate, Conv2D, Dense, Flatten, Input, MaxPooling2D, Model

PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530  # of the training pixels, on the [0, 1] scale


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else None
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    (x_train, y_train), (x_test, y_test) = libdeep.datasets.fashion_mnist.load_data(path)
    x_train, x_test = (((x / 255.0 - PIXEL_MEAN) / PIXEL_STD).astype(np.float32)[..., None]
                       for x in (x_train, x_test))

    inputs = Input(shape=(28, 28, 1))
    conv = Conv2D(16, (3, 3), activation="relu")(inputs)
    conv = Flatten()(MaxPooling2D((2, 2))(conv))
    conv = Dense(64, activation="relu")(conv)
    dense = Dense(64, activation="relu")(Flatten()(inputs))
    outputs = Dense(10, activation="softmax")(Concatenate()([conv, dense]))
    model = Model(inputs, outputs)
    model.set_seed(seed)
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{epochs} epoch(s) in {seconds:.1f} s; test loss {loss:.4f}, test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
