// Command cnn_fashion trains the convolutional network of examples/cnn_fashion.c on
// Fashion-MNIST with the Go binding of libdeep:
//
//	model = Sequential([
//	    Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)),
//	    MaxPooling2D((2, 2)),
//	    Conv2D(64, (3, 3), activation='relu'),
//	    MaxPooling2D((2, 2)),
//	    Flatten(),
//	    Dense(64, activation='relu'),
//	    Dense(10, activation='softmax')])
//	model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
//	x_train, x_test = ((x / 255 - 0.2860) / 0.3530 for x in (x_train, x_test))
//	halve = LearningRateScheduler(lambda epoch, lr: lr if epoch < 3 else lr / 2)
//	model.fit(x_train, y_train, epochs=5, batch_size=32, callbacks=[halve])
//	model.evaluate(x_test, y_test)
//
// The recipe (standardised pixels, the learning rate halved for the last two epochs) is
// explained in examples/cnn_fashion.c; with the same seed this prints the same accuracy.
//
// Usage: cnn_fashion [-data DIR] [-epochs N] [-limit N] [-seed N] [-threads N]
//
// -limit keeps the first N training and N/6 test images (0 keeps all 60000 and 10000), so
// that a run can take seconds instead of minutes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"libdeep/deep"
)

// The mean and standard deviation of the training pixels, on the [0, 1] scale.
var pixelMean, pixelStd = 0.2860, 0.3530

// load reads one split as standardised (28, 28, 1) images, keeping the first limit samples
// when limit > 0.
func load(dir, prefix string, limit int64) (*deep.Dataset, error) {
	d, err := deep.LoadIDX(filepath.Join(dir, prefix+"-images-idx3-ubyte.gz"),
		filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	if n, _ := d.Count(); limit > 0 && limit < n {
		indices := make([]int64, limit)
		for i := range indices {
			indices[i] = int64(i)
		}
		head, err := d.Subset(indices)
		d.Close()
		if err != nil {
			return nil, err
		}
		d = head
	}
	if err := d.Reshape([]int64{28, 28, 1}); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.Scale(1/(255*pixelStd), -pixelMean/pixelStd); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func run(dir string, epochs int, limit int64, seed uint64, threads int64) error {
	train, err := load(dir, "train", limit)
	if err != nil {
		return err
	}
	defer train.Close()
	test, err := load(dir, "t10k", limit/6)
	if err != nil {
		return err
	}
	defer test.Close()

	model, err := deep.NewModel(28, 28, 1)
	if err != nil {
		return err
	}
	defer model.Close()
	adam, err := deep.NewOptimizer(deep.Adam)
	if err != nil {
		return err
	}
	defer adam.Close() // harmless after Compile, which takes it over
	for _, err := range []error{
		model.SetSeed(seed),
		model.SetInt(deep.ModelThreads, threads),
		model.AddConv2D(32, 3, 3, deep.Valid, deep.ReLU),
		model.AddMaxPooling2D(2, 2),
		model.AddConv2D(64, 3, 3, deep.Valid, deep.ReLU),
		model.AddMaxPooling2D(2, 2),
		model.AddFlatten(),
		model.AddDense(64, deep.ReLU),
		model.AddDense(10, deep.Softmax),
	} {
		if err != nil {
			return err
		}
	}
	summary, err := model.Summary()
	if err != nil {
		return err
	}
	fmt.Print(summary)
	if err := model.Compile(adam, deep.SparseCategoricalCrossentropy, deep.MetricAccuracy); err != nil {
		return err
	}
	if err := model.SetConsoleLog(); err != nil {
		return err
	}
	// Keras' LearningRateScheduler above, run after each epoch for the next one.
	var scheduleErr error
	if err := model.SetCallbacks(nil, func(e *deep.Epoch) bool {
		next := e.Index + 1
		if next < 3 || next >= epochs {
			return false
		}
		lr, err := e.OptimizerFloat(deep.LearningRate)
		if err == nil {
			err = e.SetOptimizerFloat(deep.LearningRate, lr/2)
		}
		scheduleErr = err
		return err != nil
	}); err != nil {
		return err
	}
	if err := model.Fit(train, epochs, 32, nil); err != nil {
		return err
	}
	if scheduleErr != nil {
		return scheduleErr
	}
	results, err := model.Evaluate(test, 256)
	if err != nil {
		return err
	}
	fmt.Printf("test loss: %.4f\n", results[0])
	fmt.Printf("test accuracy: %.4f\n", results[1])

	// The per-class view of the same predictions.
	images, err := test.Features()
	if err != nil {
		return err
	}
	defer images.Close()
	outputs, err := model.Predict(images)
	if err != nil {
		return err
	}
	defer outputs.Close()
	classes, err := outputs.Argmax()
	if err != nil {
		return err
	}
	truth, err := test.Labels()
	if err != nil {
		return err
	}
	predicted := make([]int32, len(classes))
	for i, c := range classes {
		predicted[i] = int32(c)
	}
	report, err := deep.PrecisionRecallF1(truth, predicted, 10)
	if err != nil {
		return err
	}
	fmt.Printf("test macro F1: %.4f\n", report.MacroF1)
	return nil
}

func main() {
	dir := flag.String("data", "/usr/share/datasets/fashion-mnist", "directory of the Fashion-MNIST .gz files")
	epochs := flag.Int("epochs", 5, "training epochs")
	limit := flag.Int64("limit", 0, "keep the first N training images and N/6 test images (0: all)")
	seed := flag.Uint64("seed", 42, "seed of the weights and the shuffling")
	threads := flag.Int64("threads", 0, "training threads (0: one per core)")
	flag.Parse()
	if err := run(*dir, *epochs, *limit, *seed, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "cnn_fashion:", err)
		os.Exit(1)
	}
}
