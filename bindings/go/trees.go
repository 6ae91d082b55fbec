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

// Criterion is how a split is judged (deep_criterion), the value of TreeCriterion.
type Criterion int64

const (
	Gini         Criterion = C.DEEP_CRITERION_GINI          // classifier default
	Entropy      Criterion = C.DEEP_CRITERION_ENTROPY       // classifier; information gain in bits
	SquaredError Criterion = C.DEEP_CRITERION_SQUARED_ERROR // regressor (the only one)
)

// Splitter is how split thresholds are searched (deep_splitter), the value of TreeSplitter.
type Splitter int64

const (
	SplitterAuto      Splitter = C.DEEP_SPLITTER_AUTO      // histogram above 20000 samples, else exact
	SplitterExact     Splitter = C.DEEP_SPLITTER_EXACT     // every midpoint between distinct values
	SplitterHistogram Splitter = C.DEEP_SPLITTER_HISTOGRAM // quantile bins (TreeMaxBins)
)

// Special values of the integer options.
const (
	Unlimited       int64 = C.DEEP_UNLIMITED         // TreeMaxDepth without limit
	MaxFeaturesAll  int64 = C.DEEP_MAX_FEATURES_ALL  // TreeMaxFeatures: every feature
	MaxFeaturesSqrt int64 = C.DEEP_MAX_FEATURES_SQRT // TreeMaxFeatures: sqrt of the count ("sqrt")
	MaxFeaturesLog2 int64 = C.DEEP_MAX_FEATURES_LOG2 // TreeMaxFeatures: log2 of the count ("log2")
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
	cpath, err := cString("LoadTree", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var p *C.deep_tree
	if err := call(func() C.deep_status { return C.deep_tree_load(cpath, &p) }); err != nil {
		return nil, err
	}
	return wrapTree(p), nil
}

// LoadForest loads a forest saved by Forest.Save.
func LoadForest(path string) (*Forest, error) {
	cpath, err := cString("LoadForest", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var p *C.deep_forest
	if err := call(func() C.deep_status { return C.deep_forest_load(cpath, &p) }); err != nil {
		return nil, err
	}
	return wrapForest(p), nil
}

// Close frees the tree. Closing twice is allowed.
func (t *Tree) Close() error {
	if t == nil {
		return nil
	}
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
	if f == nil {
		return nil
	}
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

// do and do run fn on an open tree or forest, held shared or exclusively.
func (t *Tree) do(shared bool, op string, fn func() C.deep_status) error {
	if t == nil {
		return nilError(op)
	}
	return with(&t.handle, t.open, shared, op, fn)
}

func (f *Forest) do(shared bool, op string, fn func() C.deep_status) error {
	if f == nil {
		return nilError(op)
	}
	return with(&f.handle, f.open, shared, op, fn)
}

// SetInt sets an integer option.
func (t *Tree) SetInt(option TreeOption, value int64) error {
	return t.do(false, "Tree.SetInt", func() C.deep_status {
		return C.deep_tree_set_int(t.p, C.deep_tree_option(option), C.int64_t(value))
	})
}

// SetFloat sets a float option.
func (t *Tree) SetFloat(option TreeOption, value float64) error {
	return t.do(false, "Tree.SetFloat", func() C.deep_status {
		return C.deep_tree_set_float(t.p, C.deep_tree_option(option), C.double(value))
	})
}

// Int is the current value of an integer option (its default until set); a float option
// is an ErrInvalidArgument (TreeMaxFeatures answers to the kind it was last set as).
func (t *Tree) Int(option TreeOption) (int64, error) {
	var v C.int64_t
	err := t.do(true, "Tree.Int", func() C.deep_status {
		return C.deep_tree_get_int(t.p, C.deep_tree_option(option), &v)
	})
	return int64(v), err
}

// Float is the current value of a float option; an integer option is an ErrInvalidArgument.
func (t *Tree) Float(option TreeOption) (float64, error) {
	var v C.double
	err := t.do(true, "Tree.Float", func() C.deep_status {
		return C.deep_tree_get_float(t.p, C.deep_tree_option(option), &v)
	})
	return float64(v), err
}

// ClassWeights is the class weights set (empty when none are).
func (t *Tree) ClassWeights() ([]float64, error) {
	var out []float64
	err := t.do(true, "Tree.ClassWeights", func() C.deep_status {
		return doubles(&out, func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_tree_get_class_weights(t.p, buf, capacity, needed)
		})
	})
	return out, err
}

// Fit grows the tree on data's features and labels (classifier) or targets (regressor).
func (t *Tree) Fit(data *Dataset) error {
	dp, release, err := data.borrow("Tree.Fit: data")
	if err != nil {
		return err
	}
	defer release()
	return t.do(false, "Tree.Fit", func() C.deep_status {
		return C.deep_tree_fit(t.p, dp)
	})
}

// Predict is a tensor (n,) of class ids (as floats) or values for inputs (n, features...).
func (t *Tree) Predict(inputs *Tensor) (*Tensor, error) {
	ip, release, err := inputs.borrow("Tree.Predict: inputs")
	if err != nil {
		return nil, err
	}
	defer release()
	var out *C.deep_tensor
	if err := t.do(true, "Tree.Predict", func() C.deep_status {
		return C.deep_tree_predict(t.p, ip, &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// Score is the accuracy (classifier) or R^2 (regressor) on data.
func (t *Tree) Score(data *Dataset) (float64, error) {
	dp, release, err := data.borrow("Tree.Score: data")
	if err != nil {
		return 0, err
	}
	defer release()
	var score C.double
	err = t.do(true, "Tree.Score", func() C.deep_status {
		return C.deep_tree_score(t.p, dp, &score)
	})
	return float64(score), err
}

// FeatureImportances is the impurity-based importance of each of the tree's features,
// normalised to sum 1.
func (t *Tree) FeatureImportances() ([]float64, error) {
	var out []float64
	err := t.do(true, "Tree.FeatureImportances", func() C.deep_status {
		return doubles(&out, func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_tree_feature_importances(t.p, buf, capacity, needed)
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Depth is the depth of the deepest leaf.
func (t *Tree) Depth() (int64, error) {
	var d C.int64_t
	err := t.do(true, "Tree.Depth", func() C.deep_status { return C.deep_tree_depth(t.p, &d) })
	return int64(d), err
}

// Save writes the fitted tree to path (atomically).
func (t *Tree) Save(path string) error {
	cpath, err := cString("Tree.Save", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return t.do(true, "Tree.Save", func() C.deep_status { return C.deep_tree_save(t.p, cpath) })
}

// SetInt sets an integer option.
func (f *Forest) SetInt(option TreeOption, value int64) error {
	return f.do(false, "Forest.SetInt", func() C.deep_status {
		return C.deep_forest_set_int(f.p, C.deep_tree_option(option), C.int64_t(value))
	})
}

// SetFloat sets a float option.
func (f *Forest) SetFloat(option TreeOption, value float64) error {
	return f.do(false, "Forest.SetFloat", func() C.deep_status {
		return C.deep_forest_set_float(f.p, C.deep_tree_option(option), C.double(value))
	})
}

// Int is the current value of an integer option, as Tree.Int.
func (f *Forest) Int(option TreeOption) (int64, error) {
	var v C.int64_t
	err := f.do(true, "Forest.Int", func() C.deep_status {
		return C.deep_forest_get_int(f.p, C.deep_tree_option(option), &v)
	})
	return int64(v), err
}

// Float is the current value of a float option, as Tree.Float.
func (f *Forest) Float(option TreeOption) (float64, error) {
	var v C.double
	err := f.do(true, "Forest.Float", func() C.deep_status {
		return C.deep_forest_get_float(f.p, C.deep_tree_option(option), &v)
	})
	return float64(v), err
}

// ClassWeights is the class weights set (empty when none are).
func (f *Forest) ClassWeights() ([]float64, error) {
	var out []float64
	err := f.do(true, "Forest.ClassWeights", func() C.deep_status {
		return doubles(&out, func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_forest_get_class_weights(f.p, buf, capacity, needed)
		})
	})
	return out, err
}

// Fit grows the forest's trees on data.
func (f *Forest) Fit(data *Dataset) error {
	dp, release, err := data.borrow("Forest.Fit: data")
	if err != nil {
		return err
	}
	defer release()
	return f.do(false, "Forest.Fit", func() C.deep_status {
		return C.deep_forest_fit(f.p, dp)
	})
}

// Predict is a tensor (n,) of class ids (as floats) or values for inputs (n, features...).
func (f *Forest) Predict(inputs *Tensor) (*Tensor, error) {
	ip, release, err := inputs.borrow("Forest.Predict: inputs")
	if err != nil {
		return nil, err
	}
	defer release()
	var out *C.deep_tensor
	if err := f.do(true, "Forest.Predict", func() C.deep_status {
		return C.deep_forest_predict(f.p, ip, &out)
	}); err != nil {
		return nil, err
	}
	return wrapTensor(out), nil
}

// Score is the accuracy (classifier) or R^2 (regressor) on data.
func (f *Forest) Score(data *Dataset) (float64, error) {
	dp, release, err := data.borrow("Forest.Score: data")
	if err != nil {
		return 0, err
	}
	defer release()
	var score C.double
	err = f.do(true, "Forest.Score", func() C.deep_status {
		return C.deep_forest_score(f.p, dp, &score)
	})
	return float64(score), err
}

// FeatureImportances is the mean of the trees' importances, normalised to sum 1.
func (f *Forest) FeatureImportances() ([]float64, error) {
	var out []float64
	err := f.do(true, "Forest.FeatureImportances", func() C.deep_status {
		return doubles(&out, func(buf *C.double, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_forest_feature_importances(f.p, buf, capacity, needed)
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TreeCount is the number of fitted trees.
func (f *Forest) TreeCount() (int64, error) {
	var n C.int64_t
	err := f.do(true, "Forest.TreeCount", func() C.deep_status {
		return C.deep_forest_tree_count(f.p, &n)
	})
	return int64(n), err
}

// Save writes the fitted forest to path (atomically).
func (f *Forest) Save(path string) error {
	cpath, err := cString("Forest.Save", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return f.do(true, "Forest.Save", func() C.deep_status {
		return C.deep_forest_save(f.p, cpath)
	})
}
