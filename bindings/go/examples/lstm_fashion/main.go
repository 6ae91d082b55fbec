// Command lstm_fashion reads each Fashion-MNIST image row by row with an LSTM, as
// examples/lstm_fashion.c does, with the Go binding of libdeep:
//
//	model = Sequential([Input((28, 28)), LSTM(128), Dense(10, softmax)])
//	model.compile(Adam(), sparse_categorical_crossentropy, metrics=[accuracy])
//	model.fit(x_train / 255, y_train, epochs=15, batch_size=128)
//	model.evaluate(x_test / 255, y_test)
//
// Each 28x28 image is a sequence of 28 time steps (its rows) of 28 features (the pixels of
// the row); the LSTM's last output goes to the classifier. An epoch callback prints the
// time each epoch took and the best loss so far.
//
// Usage: lstm_fashion [-data DIR] [-epochs N] [-limit N] [-threads N] [-save FILE]
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"libdeep/deep"
)

// load reads one split; IDX images keep their (28, 28) shape, which is (timesteps,
// features).
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
	if err := d.Scale(1.0/255, 0); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func run(dir string, epochs int, limit, threads int64, save string) error {
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

	model, err := deep.NewModel(28, 28)
	if err != nil {
		return err
	}
	defer model.Close()
	adam, err := deep.NewOptimizer(deep.Adam)
	if err != nil {
		return err
	}
	defer adam.Close()
	for _, err := range []error{
		model.SetSeed(42),
		model.SetInt(deep.ModelThreads, threads),
		model.AddLSTM(128), // tanh, sigmoid gates, bias: Keras' defaults
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
	if err := model.SetLog(deep.LogConsole); err != nil {
		return err
	}
	best := math.Inf(1)
	start := time.Now()
	if err := model.SetCallbacks(nil, func(e *deep.Epoch) bool {
		loss, err := e.Loss()
		if err == nil && loss < best {
			best = loss
		}
		fmt.Printf("  epoch %d done after %.1fs, best loss %.4f\n", e.Index+1, time.Since(start).Seconds(), best)
		return false
	}); err != nil {
		return err
	}
	if err := model.Fit(train, epochs, 128, nil); err != nil {
		return err
	}
	results, err := model.Evaluate(test, 128)
	if err != nil {
		return err
	}
	fmt.Printf("test loss: %.4f\n", results[0])
	fmt.Printf("test accuracy: %.4f\n", results[1])
	if save != "" {
		if err := model.Save(save); err != nil {
			return err
		}
		fmt.Println("saved to", save)
	}
	return nil
}

func main() {
	dir := flag.String("data", "/usr/share/datasets/fashion-mnist", "directory of the Fashion-MNIST .gz files")
	epochs := flag.Int("epochs", 15, "training epochs (15 reach a test accuracy near 0.89)")
	limit := flag.Int64("limit", 0, "keep the first N training images and N/6 test images (0: all)")
	threads := flag.Int64("threads", 0, "training threads (0: one per core)")
	save := flag.String("save", "", "save the trained model to this file")
	flag.Parse()
	if err := run(*dir, *epochs, *limit, *threads, *save); err != nil {
		fmt.Fprintln(os.Stderr, "lstm_fashion:", err)
		os.Exit(1)
	}
}
