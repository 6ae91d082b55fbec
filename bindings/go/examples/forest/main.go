// Command forest trains a random forest with the Go binding of libdeep, as
// examples/forest_fashion.c does, on the Fashion-MNIST pixels (784 features per image, raw
// 0..255) or on a CSV file: scikit-learn's RandomForestClassifier(n_estimators=100,
// oob_score=True). It prints the fit time, the out-of-bag score and the test accuracy.
//
// Usage:
//
//	forest [-data DIR] [-limit N] [-trees N] [-threads N] [-seed N]
//	forest -csv FILE -label COLUMN [-trees N] [-threads N] [-seed N]
//
// A CSV file is split 75/25 (stratified); missing values are filled with the training
// set's column means.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"libdeep/deep"
)

func loadFashion(dir, prefix string, limit int64) (*deep.Dataset, error) {
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
	if err := d.Reshape([]int64{784}); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// loadCSV splits a CSV file into a training and a test set without missing values.
func loadCSV(path, label string, seed uint64) (train, test *deep.Dataset, err error) {
	all, err := deep.LoadCSV(path, label)
	if err != nil {
		return nil, nil, err
	}
	defer all.Close()
	if train, test, err = all.Split(0.25, seed, true); err != nil {
		return nil, nil, err
	}
	if missing, _ := all.MissingCount(deep.AllColumns); missing > 0 {
		fmt.Printf("filling %d missing values with the training means\n", missing)
		// The test set is filled with the training set's statistics, then the training set.
		if err = test.FillMissing(deep.FillMean, train); err == nil {
			err = train.FillMissing(deep.FillMean, nil)
		}
		if err != nil {
			train.Close()
			test.Close()
			return nil, nil, err
		}
	}
	return train, test, nil
}

func run(train, test *deep.Dataset, trees, threads int64, seed uint64) error {
	forest, err := deep.NewForest(deep.Classifier)
	if err != nil {
		return err
	}
	defer forest.Close()
	for _, err := range []error{
		forest.SetInt(deep.ForestNEstimators, trees),
		forest.SetInt(deep.ForestThreads, threads),
		forest.SetInt(deep.ForestOOBScore, 1),
		forest.SetInt(deep.TreeSeed, int64(seed)),
	} {
		if err != nil {
			return err
		}
	}
	n, _ := train.Count()
	shape, _ := train.SampleShape()
	features := int64(1)
	for _, d := range shape {
		features *= d
	}
	start := time.Now()
	if err := forest.Fit(train); err != nil {
		return err
	}
	fmt.Printf("fit time: %.1f s (%d trees on %d samples of %d features)\n", time.Since(start).Seconds(), trees, n,
		features)
	oob, err := forest.OOBScore()
	if err != nil {
		return err
	}
	accuracy, err := forest.Score(test)
	if err != nil {
		return err
	}
	fmt.Printf("out-of-bag score: %.4f\n", oob)
	fmt.Printf("test accuracy: %.4f\n", accuracy)
	return nil
}

func main() {
	dir := flag.String("data", "/usr/share/datasets/fashion-mnist", "directory of the Fashion-MNIST .gz files")
	limit := flag.Int64("limit", 0, "Fashion-MNIST: keep the first N training images and N/6 test images (0: all)")
	csv := flag.String("csv", "", "train on this CSV file instead of Fashion-MNIST")
	label := flag.String("label", "", "the CSV file's label column")
	trees := flag.Int64("trees", 100, "trees in the forest")
	threads := flag.Int64("threads", 0, "threads (0: one per core; the result does not depend on it)")
	seed := flag.Uint64("seed", 42, "seed of the bootstrap samples, features tried and the CSV split")
	flag.Parse()

	var train, test *deep.Dataset
	var err error
	if *csv != "" {
		if *label == "" {
			fmt.Fprintln(os.Stderr, "forest: -csv needs -label")
			os.Exit(2)
		}
		train, test, err = loadCSV(*csv, *label, *seed)
	} else if train, err = loadFashion(*dir, "train", *limit); err == nil {
		test, err = loadFashion(*dir, "t10k", *limit/6)
	}
	if err == nil {
		err = run(train, test, *trees, *threads, *seed)
	}
	train.Close() // Close accepts nil
	test.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "forest:", err)
		os.Exit(1)
	}
}
