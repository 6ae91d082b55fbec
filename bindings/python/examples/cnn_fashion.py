"""cnn_fashion.py: the seed CNN on Fashion-MNIST through the libdeep binding, as in Keras:

    model = Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x_train, x_test = ((x / 255 - 0.2860) / 0.3530 for x in (x_train, x_test))
    halve = LearningRateScheduler(lambda epoch, lr: lr if epoch < 3 else lr / 2)
    model.fit(x_train, y_train, epochs=5, callbacks=[halve])   # Keras' default batch size, 32
    model.evaluate(x_test, y_test)

The same network, recipe, seed and data as examples/cnn_fashion.c (which explains the
recipe), so it prints the same accuracy.

Usage: python3 cnn_fashion.py [DATA_DIR [EPOCHS [SEED]]]   (default Debian's Fashion-MNIST, 5, 42)
"""

import sys

import libdeep
from libdeep import Conv2D, Dense, Flatten, LearningRateScheduler, MaxPooling2D

PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3530  # of the training pixels, on the [0, 1] scale


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else libdeep.datasets.fashion_mnist.DEFAULT_PATH
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    train, test = (d.reshape(28, 28, 1).scale(1.0 / (255.0 * PIXEL_STD), -PIXEL_MEAN / PIXEL_STD)
                   for d in libdeep.datasets.fashion_mnist.load_datasets(path))

    model = libdeep.Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ])
    model.set_seed(seed)
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    halve = LearningRateScheduler(lambda epoch, lr: lr if epoch < 3 else lr / 2)
    model.fit(train, epochs=epochs, batch_size=32, callbacks=[halve])
    loss, accuracy = model.evaluate(test, batch_size=256)
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
