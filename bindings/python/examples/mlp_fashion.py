"""mlp_fashion.py: the Keras seed MLP on Fashion-MNIST, through the libdeep binding.

    model = Sequential([Dense(256, relu), Dense(128, relu), Dense(10, softmax)])
    model.compile(Adam(), categorical_crossentropy, metrics=[accuracy])
    model.fit(x_train / 255, to_categorical(y_train), epochs=10, batch_size=128)
    model.evaluate(x_test / 255, to_categorical(y_test))

The data is read by libdeep's IDX loader (Debian's dataset-fashion-mnist package) into
libdeep Datasets, which fit and evaluate use directly, without copies through NumPy.

Usage: python3 mlp_fashion.py [DATA_DIR [EPOCHS]]   (default /usr/share/datasets/fashion-mnist, 10)
"""

import sys
import time

import libdeep
from libdeep import Dense


def load_split(datasets, index):
    data = datasets[index]
    return data.reshape(784).scale(1.0 / 255.0).to_categorical()


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else libdeep.datasets.fashion_mnist.DEFAULT_PATH
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    splits = libdeep.datasets.fashion_mnist.load_datasets(path)
    train, test = load_split(splits, 0), load_split(splits, 1)
    print(f"libdeep {libdeep.library_version} from {libdeep.library_path}: "
          f"{len(train)} training and {len(test)} test images")

    model = libdeep.Sequential([
        libdeep.Input(shape=(784,)),
        Dense(256, activation="relu"),
        Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ])
    model.set_seed(42)
    model.summary()
    model.compile(optimizer=libdeep.optimizers.Adam(), loss="categorical_crossentropy", metrics=["accuracy"])

    started = time.perf_counter()
    model.fit(train, epochs=epochs, batch_size=128)
    print(f"training took {time.perf_counter() - started:.1f}s")

    loss, accuracy = model.evaluate(test, batch_size=128)
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
