"""lstm_fashion.py: an LSTM reads each Fashion-MNIST image row by row, through the libdeep
binding, as in Keras:

    model = Sequential([Input((28, 28)), LSTM(128), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train / 255, y_train, epochs=15, batch_size=128)
    model.evaluate(x_test / 255, y_test)

Each image is 28 time steps (its rows) of 28 features (the row's pixels). The same network,
seed and data as examples/lstm_fashion.c, so it prints the same accuracy.

Usage: python3 lstm_fashion.py [DATA_DIR [EPOCHS]]   (default Debian's Fashion-MNIST, 15)
"""

import sys

import libdeep
from libdeep import LSTM, Dense


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else libdeep.datasets.fashion_mnist.DEFAULT_PATH
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    # IDX images keep their (28, 28) shape: (timesteps, features).
    train, test = (d.scale(1.0 / 255.0) for d in libdeep.datasets.fashion_mnist.load_datasets(path))

    model = libdeep.Sequential([
        libdeep.Input(shape=(28, 28)),
        LSTM(128),
        Dense(10, activation="softmax"),
    ])
    model.set_seed(42)
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train, epochs=epochs, batch_size=128)
    loss, accuracy = model.evaluate(test, batch_size=128)
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
