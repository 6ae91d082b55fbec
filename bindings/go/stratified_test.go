package deep

import "testing"

// scikit-learn 1.2's StratifiedKFold(3) on these labels (classes by first appearance).
func TestStratifiedKFoldIndices(t *testing.T) {
	labels := []int32{5, 5, 2, 2, 2, 9, 5, 2, 9, 2, 5, 2, 9, 7}
	want := [][]int64{{0, 1, 2, 3, 5}, {4, 6, 7, 8, 13}, {9, 10, 11, 12}}
	for fold := int32(0); fold < 3; fold++ {
		train, test, err := StratifiedKFoldIndices(labels, 3, fold, false, 0)
		must(t, err)
		if len(test) != len(want[fold]) || len(train)+len(test) != len(labels) {
			t.Fatalf("fold %d: %v / %v", fold, train, test)
		}
		for i := range test {
			if test[i] != want[fold][i] {
				t.Fatalf("fold %d: test %v, scikit-learn %v", fold, test, want[fold])
			}
		}
	}
	_, _, err := StratifiedKFoldIndices([]int32{0, 0, 1, 1}, 3, 0, false, 0)
	wantError(t, err, ErrInvalidArgument, "deep_stratified_kfold_indices")
}

// Samples sorted by class: plain unshuffled folds test unseen classes, stratified ones not.
func TestCrossValScoreCV(t *testing.T) {
	features := make([]float32, 60)
	labels := make([]int32, 60)
	for i := range labels {
		labels[i] = int32(i / 20)
		features[i] = float32(labels[i]) + 0.01*float32(i%20)
	}
	data, err := NewDataset([]int64{1}, features)
	must(t, err)
	defer data.Close()
	must(t, data.SetLabels(labels, 0))
	tree, _ := NewTree(Classifier)
	defer tree.Close()
	plain, err := tree.CrossValScoreCV(data, 3, CVKFold, false, 0)
	must(t, err)
	strat, err := tree.CrossValScoreCV(data, 3, CVAuto, false, 0)
	must(t, err)
	for k := range plain {
		if plain[k] != 0 || strat[k] != 1 {
			t.Fatalf("plain %v, stratified %v", plain, strat)
		}
	}
	forest, _ := NewForest(Classifier)
	defer forest.Close()
	scores, err := forest.CrossValScoreCV(data, 3, CVStratified, true, 1)
	must(t, err)
	if len(scores) != 3 || scores[0] < 0.9 {
		t.Fatalf("forest scores %v", scores)
	}
}

// Build gives weights before Compile; Predict needs no optimizer.
func TestModelBuild(t *testing.T) {
	m, err := NewModel(3)
	must(t, err)
	defer m.Close()
	must(t, m.AddDense(2, Linear))
	x, _ := NewTensor([]int64{1, 3}, []float32{1, 2, 3})
	defer x.Close()
	if _, err := m.Predict(x); err == nil {
		t.Fatal("predict without weights")
	}
	must(t, m.Build())
	out, err := m.Predict(x)
	must(t, err)
	out.Close()
	w, err := m.Weight(0, 0)
	must(t, err)
	w.Close()
	wantError(t, m.AddDense(1, Linear), ErrState, "deep_model_add_dense")
}
