package deep

/*
#include <deep.h>
*/
import "C"

// Probabilities, class weights, out-of-bag and cross-validated scores of trees and forests,
// and the inspection of a fitted tree's nodes.

// PredictProba is a tensor (n, classes) of each sample's class probabilities (the class
// fractions of its leaf; a forest averages its trees). A regressor is an ErrInvalidArgument.
func (t *Tree) PredictProba(inputs *Tensor) (*Tensor, error) {
	ip, release, err := inputs.borrow("Tree.PredictProba: inputs")
	if err != nil {
		return nil, err
	}
	defer release()
	var out *C.deep_tensor
	if err := t.do(true, "Tree.PredictProba", func() C.deep_status {
		return C.deep_tree_predict_proba(t.p, ip, &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// PredictProba is the mean of the trees' class probabilities, a tensor (n, classes).
func (f *Forest) PredictProba(inputs *Tensor) (*Tensor, error) {
	ip, release, err := inputs.borrow("Forest.PredictProba: inputs")
	if err != nil {
		return nil, err
	}
	defer release()
	var out *C.deep_tensor
	if err := f.do(true, "Forest.PredictProba", func() C.deep_status {
		return C.deep_forest_predict_proba(f.p, ip, &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// SetClassWeights makes every sample of class c weigh weights[c] (scikit-learn's
// class_weight); nil goes back to weight 1. Fit fails with ErrShape when the length differs
// from the dataset's class count.
func (t *Tree) SetClassWeights(weights []float64) error {
	return t.do(false, "Tree.SetClassWeights", func() C.deep_status {
		return C.deep_tree_set_class_weights(t.p, doublePtr(weights), C.int64_t(len(weights)))
	})
}

// SetClassWeights makes every sample of class c weigh weights[c]; nil goes back to 1.
func (f *Forest) SetClassWeights(weights []float64) error {
	return f.do(false, "Forest.SetClassWeights", func() C.deep_status {
		return C.deep_forest_set_class_weights(f.p, doublePtr(weights), C.int64_t(len(weights)))
	})
}

// OOBScore is the accuracy or R^2 of the out-of-bag predictions; an ErrState unless Fit ran
// with ForestOOBScore 1 and ForestBootstrap 1.
func (f *Forest) OOBScore() (float64, error) {
	var v C.double
	err := f.do(true, "Forest.OOBScore", func() C.deep_status { return C.deep_forest_oob_score(f.p, &v) })
	return float64(v), err
}

// CrossValScore is scikit-learn's cross_val_score with a shuffled KFold: for each of folds
// folds, a fresh tree with this one's settings is fitted on the other folds and scored on
// this one. The tree itself is not changed.
func (t *Tree) CrossValScore(data *Dataset, folds int32, seed uint64) ([]float64, error) {
	dp, release, err := data.borrow("Tree.CrossValScore: data")
	if err != nil {
		return nil, err
	}
	defer release()
	var scores []float64
	if err := t.do(true, "Tree.CrossValScore", func() C.deep_status {
		return doubles(&scores, func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_tree_cross_val_score(t.p, dp, C.int64_t(folds), C.uint64_t(seed), buf, capacity, needed)
		})
	}); err != nil {
		return nil, err
	}
	return scores, nil
}

// CrossValScore is the forest's k-fold cross-validation, as Tree.CrossValScore.
func (f *Forest) CrossValScore(data *Dataset, folds int32, seed uint64) ([]float64, error) {
	dp, release, err := data.borrow("Forest.CrossValScore: data")
	if err != nil {
		return nil, err
	}
	defer release()
	var scores []float64
	if err := f.do(true, "Forest.CrossValScore", func() C.deep_status {
		return doubles(&scores, func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_forest_cross_val_score(f.p, dp, C.int64_t(folds), C.uint64_t(seed), buf, capacity, needed)
		})
	}); err != nil {
		return nil, err
	}
	return scores, nil
}

// CV chooses the folds of cross-validation (deep_cv, since libdeep 1.2).
type CV int32

const (
	CVAuto       CV = C.DEEP_CV_AUTO       // scikit-learn's choice: stratified for a classifier
	CVKFold      CV = C.DEEP_CV_KFOLD      // plain k-fold
	CVStratified CV = C.DEEP_CV_STRATIFIED // stratified k-fold (classifiers only)
)

// CrossValScoreCV is CrossValScore with the folds chosen (since libdeep 1.2): CVAuto gives
// stratified folds for a classifier as scikit-learn's cross_val_score; shuffle false takes
// the folds in sample order (scikit-learn's cross_val_score(cv=k) exactly).
func (t *Tree) CrossValScoreCV(data *Dataset, folds int32, cv CV, shuffle bool, seed uint64) ([]float64, error) {
	dp, release, err := data.borrow("Tree.CrossValScoreCV: data")
	if err != nil {
		return nil, err
	}
	defer release()
	var scores []float64
	if err := t.do(true, "Tree.CrossValScoreCV", func() C.deep_status {
		return doubles(&scores, func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_tree_cross_val_score_cv(t.p, dp, C.int64_t(folds), C.deep_cv(cv), cBool(shuffle),
				C.uint64_t(seed), buf, capacity, needed)
		})
	}); err != nil {
		return nil, err
	}
	return scores, nil
}

// CrossValScoreCV is the forest's cross-validation with the folds chosen, as Tree.CrossValScoreCV.
func (f *Forest) CrossValScoreCV(data *Dataset, folds int32, cv CV, shuffle bool, seed uint64) ([]float64, error) {
	dp, release, err := data.borrow("Forest.CrossValScoreCV: data")
	if err != nil {
		return nil, err
	}
	defer release()
	var scores []float64
	if err := f.do(true, "Forest.CrossValScoreCV", func() C.deep_status {
		return doubles(&scores, func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_forest_cross_val_score_cv(f.p, dp, C.int64_t(folds), C.deep_cv(cv), cBool(shuffle),
				C.uint64_t(seed), buf, capacity, needed)
		})
	}); err != nil {
		return nil, err
	}
	return scores, nil
}

// TreeNode is one node of a fitted tree. Nodes are numbered from 0 (the root) in
// depth-first order, left child first; a sample goes left when its feature <= Threshold.
type TreeNode struct {
	Feature     int64   // the feature split on, or -1 for a leaf
	Threshold   float32 // 0 for a leaf
	Left, Right int64   // children, -1 for a leaf
}

// Leaf reports whether the node has no children.
func (n TreeNode) Leaf() bool { return n.Feature < 0 }

// NodeCount is the number of nodes.
func (t *Tree) NodeCount() (int64, error) {
	var n C.int64_t
	err := t.do(true, "Tree.NodeCount", func() C.deep_status { return C.deep_tree_node_count(t.p, &n) })
	return int64(n), err
}

// Node is the split of node node.
func (t *Tree) Node(node int64) (TreeNode, error) {
	var feature, left, right C.int64_t
	var threshold C.float
	err := t.do(true, "Tree.Node", func() C.deep_status {
		return C.deep_tree_node(t.p, C.int64_t(node), &feature, &threshold, &left, &right)
	})
	if err != nil {
		return TreeNode{}, err
	}
	return TreeNode{Feature: int64(feature), Threshold: float32(threshold), Left: int64(left), Right: int64(right)}, nil
}

// NodeValue is the prediction of node node: the weighted class fractions of a classifier
// (one per class) or the mean value of a regressor (one).
func (t *Tree) NodeValue(node int64) ([]float64, error) {
	if t == nil {
		return nil, nilError("Tree.NodeValue")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.p == nil {
		return nil, closedError("Tree.NodeValue")
	}
	var values []float64
	err := call(func() C.deep_status {
		return doubles(&values, func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_tree_node_value(t.p, C.int64_t(node), buf, capacity, needed)
		})
	})
	if err != nil {
		return nil, err
	}
	return values, nil
}

// JSON is the fitted tree as JSON text: its settings and every node with its feature,
// threshold, children, impurity, samples and value.
func (t *Tree) JSON() (string, error) {
	var out string
	err := t.do(true, "Tree.JSON", func() C.deep_status {
		return text(&out, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_tree_to_json(t.p, buf, capacity, needed)
		})
	})
	return out, err
}
