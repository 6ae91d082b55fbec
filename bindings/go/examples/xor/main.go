// Command xor trains a small network and a random forest on the XOR of two coordinates with
// the Go binding of libdeep, prints their test accuracies, and shows a misuse coming back as
// an error. scripts/check-go.sh builds and runs it against the installed library.
package main

import (
	"errors"
	"fmt"
	"math/rand"
	"os"

	"libdeep/deep"
)

func data(seed int64, count int) (*deep.Dataset, error) {
	r := rand.New(rand.NewSource(seed))
	features := make([]float32, 0, 2*count)
	labels := make([]int32, 0, count)
	for len(labels) < count {
		x, y := r.Float32()*2-1, r.Float32()*2-1
		if (x > -0.1 && x < 0.1) || (y > -0.1 && y < 0.1) {
			continue
		}
		features = append(features, x, y)
		if (x > 0) != (y > 0) {
			labels = append(labels, 1)
		} else {
			labels = append(labels, 0)
		}
	}
	d, err := deep.NewDataset([]int64{2}, features)
	if err != nil {
		return nil, err
	}
	return d, d.SetLabels(labels, 2)
}

func run() error {
	fmt.Println("libdeep", deep.Version())
	train, err := data(1, 800)
	if err != nil {
		return err
	}
	defer train.Close()
	test, err := data(2, 400)
	if err != nil {
		return err
	}
	defer test.Close()

	model, err := deep.NewModel(2)
	if err != nil {
		return err
	}
	defer model.Close()
	adam, err := deep.NewOptimizer(deep.Adam)
	if err != nil {
		return err
	}
	for _, err := range []error{
		model.SetSeed(7),
		model.AddDense(16, deep.Tanh),
		model.AddDense(2, deep.Softmax),
		adam.SetFloat(deep.LearningRate, 0.02),
		model.Compile(adam, deep.SparseCategoricalCrossentropy, deep.MetricAccuracy),
		model.Fit(train, 40, 32, nil),
	} {
		if err != nil {
			return err
		}
	}
	values, err := model.Evaluate(test, 100)
	if err != nil {
		return err
	}
	fmt.Printf("network: test loss %.4f, test accuracy %.4f\n", values[0], values[1])
	if values[1] < 0.9 {
		return fmt.Errorf("the network did not learn XOR (accuracy %.4f)", values[1])
	}

	forest, err := deep.NewForest(deep.Classifier)
	if err != nil {
		return err
	}
	defer forest.Close()
	if err := forest.SetInt(deep.ForestNEstimators, 25); err != nil {
		return err
	}
	if err := forest.Fit(train); err != nil {
		return err
	}
	score, err := forest.Score(test)
	if err != nil {
		return err
	}
	fmt.Printf("forest: test accuracy %.4f\n", score)
	if score < 0.9 {
		return fmt.Errorf("the forest did not learn XOR (accuracy %.4f)", score)
	}

	wrong, err := deep.NewTensor([]int64{4, 3}, nil)
	if err != nil {
		return err
	}
	defer wrong.Close()
	_, err = model.Predict(wrong)
	if !errors.Is(err, deep.ErrShape) {
		return fmt.Errorf("predicting on 3 features gave %v, want a deep.ErrShape", err)
	}
	fmt.Println("misuse reported:", err)
	fmt.Println("go program OK")
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "xor:", err)
		os.Exit(1)
	}
}
