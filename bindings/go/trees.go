package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// TreeKind says whether a tree or forest classifies or regresses (deep_tree_kind).
type TreeKind int32

const (
	Classifier TreeKind = C.DEEP_TREE_CLASSIFIER
	Regressor  TreeKind = C.DEEP_TREE_REGRESSOR
)

// TreeOption is a setting of trees and forests (deep_tree_option). The Tree* ones apply to
// both, the Forest* ones to forests only.
type TreeOption int32

const (
	TreeCriterion           TreeOption = C.DEEP_TREE_CRITERION
	TreeMaxDepth            TreeOption = C.DEEP_TREE_MAX_DEPTH
	TreeMinSamplesSplit     TreeOption = C.DEEP_TREE_MIN_SAMPLES_SPLIT
	TreeMinSamplesLeaf      TreeOption = C.DEEP_TREE_MIN_SAMPLES_LEAF
	TreeMaxFeatures         TreeOption = C.DEEP_TREE_MAX_FEATURES
	TreeMinImpurityDecrease TreeOption = C.DEEP_TREE_MIN_IMPURITY_DECREASE
	TreeSeed                TreeOption = C.DEEP_TREE_SEED
	TreeSplitter            TreeOption = C.DEEP_TREE_SPLITTER
	TreeMaxBins             TreeOption = C.DEEP_TREE_MAX_BINS
	ForestNEstimators       TreeOption = C.DEEP_FOREST_N_ESTIMATORS
	ForestBootstrap         TreeOption = C.DEEP_FOREST_BOOTSTRAP
	ForestMaxSamples        TreeOption = C.DEEP_FOREST_MAX_SAMPLES
	ForestThreads           TreeOption = C.DEEP_FOREST_THREADS
	ForestOOBScore          TreeOption = C.DEEP_FOREST_OOB_SCORE
)

// Tree is a decision tree (scikit-learn's DecisionTreeClassifier / DecisionTreeRegressor).
type Tree struct {
	handle
	p *C.deep_tree
}

// Forest is a random forest (RandomForestClassifier / RandomForestRegressor).
type Forest struct {
	handle
	p *C.deep_forest
}

func wrapTree(p *C.deep_tree) *Tree {
	t := &Tree{p: p}
	runtime.SetFinalizer(t, func(t *Tree) {
		if t.p != nil {
			finalized.Add(1)
			C.deep_tree_free(t.p)
		}
	})
	return t
}

func wrapForest(p *C.deep_forest) *Forest {
	f := &Forest{p: p}
	runtime.SetFinalizer(f, func(f *Forest) {
		if f.p != nil {
			finalized.Add(1)
			C.deep_forest_free(f.p)
		}
	})
	return f
}

// NewTree makes an unfitted tree with scikit-learn's defaults.
func NewTree(kind TreeKind) (*Tree, error) {
	var p *C.deep_tree
	if err := call(func() C.deep_status { return C.deep_tree_new(C.deep_tree_kind(kind), &p) }); err != nil {
		return nil, err
	}
	return wrapTree(p), nil
}

// NewForest makes an unfitted forest with scikit-learn's defaults.
func NewForest(kind TreeKind) (*Forest, error) {
	var p *C.deep_forest
	if err := call(func() C.deep_status { return C.deep_forest_new(C.deep_tree_kind(kind), &p) }); err != nil {
		return nil, err
	}
	return wrapForest(p), nil
}

// LoadTree loads a tree saved by Tree.Save.
func LoadTree(path string) (*Tree, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var p *C.deep_tree
	if err := call(func() C.deep_status { return C.deep_tree_load(cpath, &p) }); err != nil {
		return nil, err
	}
	return wrapTree(p), nil
}

// LoadForest loads a forest saved by Forest.Save.
func LoadForest(path string) (*Forest, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var p *C.deep_forest
	if err := call(func() C.deep_status { return C.deep_forest_load(cpath, &p) }); err != nil {
		return nil, err
	}
	return wrapForest(p), nil
}

// Close frees the tree. Closing twice is allowed.
func (t *Tree) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.p != nil {
		C.deep_tree_free(t.p)
		t.p = nil
	}
	return nil
}

// Close frees the forest. Closing twice is allowed.
func (f *Forest) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.p != nil {
		C.deep_forest_free(f.p)
		f.p = nil
	}
	return nil
}

// with runs fn holding h's lock (shared when shared is true) once h is known to be open.
func with(h *handle, open func() bool, shared bool, op string, fn func() C.deep_status) error {
	if shared {
		h.mu.RLock()
		defer h.mu.RUnlock()
	} else {
		h.mu.Lock()
		defer h.mu.Unlock()
	}
	if !open() {
		return closedError(op)
	}
	return call(fn)
}

func (t *Tree) open() bool   { return t.p != nil }
func (f *Forest) open() bool { return f.p != nil }

// SetInt sets an integer option.
func (t *Tree) SetInt(option TreeOption, value int64) error {
	return with(&t.handle, t.open, false, "Tree.SetInt", func() C.deep_status {
		return C.deep_tree_set_int(t.p, C.deep_tree_option(option), C.int64_t(value))
	})
}

// SetFloat sets a float option.
func (t *Tree) SetFloat(option TreeOption, value float64) error {
	return with(&t.handle, t.open, false, "Tree.SetFloat", func() C.deep_status {
		return C.deep_tree_set_float(t.p, C.deep_tree_option(option), C.double(value))
	})
}

// Fit grows the tree on data's features and labels (classifier) or targets (regressor).
func (t *Tree) Fit(data *Dataset) error {
	data.mu.RLock()
	defer data.mu.RUnlock()
	if data.p == nil {
		return closedError("Tree.Fit: data")
	}
	return with(&t.handle, t.open, false, "Tree.Fit", func() C.deep_status { return C.deep_tree_fit(t.p, data.p) })
}

// Predict is a tensor (n,) of class ids (as floats) or values for inputs (n, features...).
func (t *Tree) Predict(inputs *Tensor) (*Tensor, error) {
	inputs.mu.RLock()
	defer inputs.mu.RUnlock()
	if inputs.p == nil {
		return nil, closedError("Tree.Predict: inputs")
	}
	var out *C.deep_tensor
	if err := with(&t.handle, t.open, true, "Tree.Predict", func() C.deep_status {
		return C.deep_tree_predict(t.p, inputs.p, &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// Score is the accuracy (classifier) or R^2 (regressor) on data.
func (t *Tree) Score(data *Dataset) (float64, error) {
	data.mu.RLock()
	defer data.mu.RUnlock()
	if data.p == nil {
		return 0, closedError("Tree.Score: data")
	}
	var score C.double
	err := with(&t.handle, t.open, true, "Tree.Score", func() C.deep_status {
		return C.deep_tree_score(t.p, data.p, &score)
	})
	return float64(score), err
}

// FeatureImportances is the impurity-based importance of each of the tree's features
// (features must be at least the number it was fitted on), normalised to sum 1.
func (t *Tree) FeatureImportances(features int) ([]float64, error) {
	out := make([]float64, features)
	err := with(&t.handle, t.open, true, "Tree.FeatureImportances", func() C.deep_status {
		return C.deep_tree_feature_importances(t.p, doublePtr(out), C.int64_t(len(out)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Depth is the depth of the deepest leaf.
func (t *Tree) Depth() (int64, error) {
	var d C.int64_t
	err := with(&t.handle, t.open, true, "Tree.Depth", func() C.deep_status { return C.deep_tree_depth(t.p, &d) })
	return int64(d), err
}

// Save writes the fitted tree to path (atomically).
func (t *Tree) Save(path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return with(&t.handle, t.open, true, "Tree.Save", func() C.deep_status { return C.deep_tree_save(t.p, cpath) })
}

// SetInt sets an integer option.
func (f *Forest) SetInt(option TreeOption, value int64) error {
	return with(&f.handle, f.open, false, "Forest.SetInt", func() C.deep_status {
		return C.deep_forest_set_int(f.p, C.deep_tree_option(option), C.int64_t(value))
	})
}

// SetFloat sets a float option.
func (f *Forest) SetFloat(option TreeOption, value float64) error {
	return with(&f.handle, f.open, false, "Forest.SetFloat", func() C.deep_status {
		return C.deep_forest_set_float(f.p, C.deep_tree_option(option), C.double(value))
	})
}

// Fit grows the forest's trees on data.
func (f *Forest) Fit(data *Dataset) error {
	data.mu.RLock()
	defer data.mu.RUnlock()
	if data.p == nil {
		return closedError("Forest.Fit: data")
	}
	return with(&f.handle, f.open, false, "Forest.Fit", func() C.deep_status {
		return C.deep_forest_fit(f.p, data.p)
	})
}

// Predict is a tensor (n,) of class ids (as floats) or values for inputs (n, features...).
func (f *Forest) Predict(inputs *Tensor) (*Tensor, error) {
	inputs.mu.RLock()
	defer inputs.mu.RUnlock()
	if inputs.p == nil {
		return nil, closedError("Forest.Predict: inputs")
	}
	var out *C.deep_tensor
	if err := with(&f.handle, f.open, true, "Forest.Predict", func() C.deep_status {
		return C.deep_forest_predict(f.p, inputs.p, &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// Score is the accuracy (classifier) or R^2 (regressor) on data.
func (f *Forest) Score(data *Dataset) (float64, error) {
	data.mu.RLock()
	defer data.mu.RUnlock()
	if data.p == nil {
		return 0, closedError("Forest.Score: data")
	}
	var score C.double
	err := with(&f.handle, f.open, true, "Forest.Score", func() C.deep_status {
		return C.deep_forest_score(f.p, data.p, &score)
	})
	return float64(score), err
}

// FeatureImportances is the mean of the trees' importances, normalised to sum 1.
func (f *Forest) FeatureImportances(features int) ([]float64, error) {
	out := make([]float64, features)
	err := with(&f.handle, f.open, true, "Forest.FeatureImportances", func() C.deep_status {
		return C.deep_forest_feature_importances(f.p, doublePtr(out), C.int64_t(len(out)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TreeCount is the number of fitted trees.
func (f *Forest) TreeCount() (int64, error) {
	var n C.int64_t
	err := with(&f.handle, f.open, true, "Forest.TreeCount", func() C.deep_status {
		return C.deep_forest_tree_count(f.p, &n)
	})
	return int64(n), err
}

// Save writes the fitted forest to path (atomically).
func (f *Forest) Save(path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return with(&f.handle, f.open, true, "Forest.Save", func() C.deep_status {
		return C.deep_forest_save(f.p, cpath)
	})
}
