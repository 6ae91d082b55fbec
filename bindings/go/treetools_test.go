package deep

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

func TestTreeInspectionMatchesPredict(t *testing.T) {
	train, test := xor(t, 31, 400), xor(t, 32, 100)
	defer train.Close()
	defer test.Close()
	tree, err := NewTree(Classifier)
	must(t, err)
	defer tree.Close()
	must(t, tree.SetInt(TreeMaxDepth, 3))
	must(t, tree.SetInt(TreeCriterion, int64(Entropy)))
	must(t, tree.SetInt(TreeSplitter, int64(SplitterExact)))
	must(t, tree.Fit(train))
	nodes, err := tree.NodeCount()
	must(t, err)
	if nodes < 3 || nodes > 15 {
		t.Fatalf("%d nodes in a tree of depth 3", nodes)
	}
	x, _ := test.Features()
	defer x.Close()
	pred, err := tree.Predict(x)
	must(t, err)
	defer pred.Close()
	proba, err := tree.PredictProba(x)
	must(t, err)
	defer proba.Close()
	predicted, _ := pred.Data()
	probabilities, _ := proba.Data()
	features, _ := x.Data()
	// Walking the nodes by hand reaches the leaf whose value is the predicted probability.
	for i := range predicted {
		node := int64(0)
		for {
			n, err := tree.Node(node)
			must(t, err)
			if n.Leaf() {
				break
			}
			if features[2*i+int(n.Feature)] <= n.Threshold {
				node = n.Left
			} else {
				node = n.Right
			}
		}
		value, err := tree.NodeValue(node)
		must(t, err)
		if len(value) != 2 || math.Abs(value[0]+value[1]-1) > 1e-9 {
			t.Fatalf("leaf %d value %v", node, value)
		}
		for c := 0; c < 2; c++ {
			if math.Abs(float64(probabilities[2*i+c])-value[c]) > 1e-6 {
				t.Fatalf("sample %d: proba %v, leaf %d value %v", i, probabilities[2*i:2*i+2], node, value)
			}
		}
		class := float32(0)
		if value[1] > value[0] {
			class = 1
		}
		if value[0] != value[1] && predicted[i] != class {
			t.Fatalf("sample %d: predicted %v, leaf value %v", i, predicted[i], value)
		}
	}
	doc, err := tree.JSON()
	must(t, err)
	var parsed map[string]any
	if err := json.Unmarshal([]byte(doc), &parsed); err != nil {
		t.Fatalf("tree JSON does not parse: %v\n%s", err, doc)
	}
	_, err = tree.Node(nodes)
	wantError(t, err, ErrOutOfRange, "deep_tree_node")
	_, err = tree.NodeValue(-1)
	wantError(t, err, ErrOutOfRange, "deep_tree_node_value")

	// A regressor's nodes hold one value; it has no probabilities.
	reg, _ := NewTree(Regressor)
	defer reg.Close()
	must(t, reg.SetInt(TreeMaxDepth, 2))
	must(t, reg.Fit(train))
	if v, err := reg.NodeValue(0); err != nil || len(v) != 1 || v[0] < 0.3 || v[0] > 0.7 {
		t.Fatalf("regressor root value %v %v, want the mean label", v, err)
	}
	_, err = reg.PredictProba(x)
	wantError(t, err, ErrInvalidArgument, "deep_tree_predict_proba")
}

func TestForestProbaOOBAndCrossValidation(t *testing.T) {
	train, test := xor(t, 33, 600), xor(t, 34, 200)
	defer train.Close()
	defer test.Close()
	f, err := NewForest(Classifier)
	must(t, err)
	defer f.Close()
	_, err = f.OOBScore()
	wantError(t, err, ErrState, "deep_forest_oob_score")
	must(t, f.SetInt(ForestNEstimators, 20))
	must(t, f.SetInt(ForestOOBScore, 1))
	must(t, f.SetInt(ForestThreads, 2))
	must(t, f.SetInt(TreeMaxFeatures, MaxFeaturesAll))
	must(t, f.Fit(train))
	oob, err := f.OOBScore()
	must(t, err)
	score, _ := f.Score(test)
	if oob < 0.9 || math.Abs(oob-score) > 0.08 {
		t.Fatalf("out-of-bag score %.4f, test accuracy %.4f", oob, score)
	}
	x, _ := test.Features()
	defer x.Close()
	proba, err := f.PredictProba(x)
	must(t, err)
	defer proba.Close()
	pred, _ := f.Predict(x)
	defer pred.Close()
	classes, _ := proba.Argmax()
	predicted, _ := pred.Data()
	p, _ := proba.Data()
	for i := range classes {
		if math.Abs(float64(p[2*i]+p[2*i+1])-1) > 1e-5 {
			t.Fatalf("row %d of probabilities sums to %v", i, p[2*i]+p[2*i+1])
		}
		if p[2*i] != p[2*i+1] && float32(classes[i]) != predicted[i] {
			t.Fatalf("sample %d: argmax of proba %d, predicted %v", i, classes[i], predicted[i])
		}
	}
	scores, err := f.CrossValScore(train, 3, 1)
	must(t, err)
	if len(scores) != 3 {
		t.Fatalf("%d scores for 3 folds", len(scores))
	}
	for _, s := range scores {
		if s < 0.85 || s > 1 {
			t.Fatalf("fold scores %v", scores)
		}
	}
	tree, _ := NewTree(Classifier)
	defer tree.Close()
	treeScores, err := tree.CrossValScore(train, 4, 1)
	must(t, err)
	if len(treeScores) != 4 || treeScores[0] < 0.85 {
		t.Fatalf("tree fold scores %v", treeScores)
	}
	if _, err := tree.NodeCount(); err == nil {
		t.Fatal("cross-validation fitted the tree itself")
	}
	_, err = tree.CrossValScore(train, 1, 1)
	wantError(t, err, ErrInvalidArgument, "deep_tree_cross_val_score")
	_, err = f.CrossValScore(nil, 3, 1)
	wantError(t, err, ErrNull, "Forest.CrossValScore: data")
}

func TestClassWeights(t *testing.T) {
	// Overlapping classes: feature 0 is noise, so a tree of depth 1 predicts the majority
	// class unless class 1 weighs enough.
	features := make([]float32, 0, 200)
	labels := make([]int32, 0, 100)
	for i := 0; i < 100; i++ {
		features = append(features, float32(i%7), 0)
		if i%4 == 0 {
			labels = append(labels, 1)
		} else {
			labels = append(labels, 0)
		}
	}
	d, _ := NewDataset([]int64{2}, features)
	defer d.Close()
	must(t, d.SetLabels(labels, 2))
	x, _ := d.Features()
	defer x.Close()
	ones := func(tree *Tree) int {
		pred, err := tree.Predict(x)
		must(t, err)
		defer pred.Close()
		data, _ := pred.Data()
		n := 0
		for _, v := range data {
			if v == 1 {
				n++
			}
		}
		return n
	}
	tree, _ := NewTree(Classifier)
	defer tree.Close()
	must(t, tree.SetInt(TreeMaxDepth, 1))
	must(t, tree.Fit(d))
	before := ones(tree)
	must(t, tree.SetClassWeights([]float64{1, 10}))
	must(t, tree.Fit(d))
	after := ones(tree)
	if after <= before {
		t.Fatalf("weighting class 1 by 10 predicted it %d times, %d before", after, before)
	}
	must(t, tree.SetClassWeights(nil))
	wantError(t, tree.SetClassWeights([]float64{1, -1}), ErrInvalidArgument, "deep_tree_set_class_weights")
	must(t, tree.SetClassWeights([]float64{1, 2, 3}))
	wantError(t, tree.Fit(d), ErrShape, "deep_tree_fit")

	f, _ := NewForest(Classifier)
	defer f.Close()
	must(t, f.SetInt(ForestNEstimators, 3))
	must(t, f.SetClassWeights([]float64{1, 4}))
	must(t, f.Fit(d))
	must(t, f.Close())
	if err := f.SetClassWeights(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetClassWeights after Close: %v", err)
	}
	var none *Tree
	_, err := none.JSON()
	wantError(t, err, ErrNull, "Tree.JSON")
	_, err = none.NodeValue(0)
	wantError(t, err, ErrNull, "Tree.NodeValue")
}
