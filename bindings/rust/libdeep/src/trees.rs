//! Decision trees and random forests (scikit-learn's), their settings, files,
//! cross-validation and, for trees, node inspection and JSON.
use std::path::Path;
use std::ptr::{self, NonNull};

use libdeep_sys as sys;

use crate::convert::{array_sized, c_path, len64, size, text_sized};
use crate::data::Dataset;
use crate::error::{check, Result};
use crate::tensor::Tensor;

/// "No limit", for `TreeOption::MaxDepth`.
pub const UNLIMITED: i64 = sys::DEEP_UNLIMITED;
/// `TreeOption::MaxFeatures`: every feature (scikit-learn's None).
pub const MAX_FEATURES_ALL: i64 = sys::DEEP_MAX_FEATURES_ALL;
/// `TreeOption::MaxFeatures`: the square root of the feature count ("sqrt").
pub const MAX_FEATURES_SQRT: i64 = sys::DEEP_MAX_FEATURES_SQRT;
/// `TreeOption::MaxFeatures`: the base-2 logarithm of the feature count ("log2").
pub const MAX_FEATURES_LOG2: i64 = sys::DEEP_MAX_FEATURES_LOG2;

c_enum!(
    /// Classification or regression (`deep_tree_kind`).
    TreeKind {
        /// Integer labels; predicts class ids.
        Classifier = sys::DEEP_TREE_CLASSIFIER,
        /// Targets of width 1 (or labels read as numbers); predicts values.
        Regressor = sys::DEEP_TREE_REGRESSOR,
    }
);
c_enum!(
    /// Split quality (`deep_criterion`), the value of `TreeOption::Criterion`
    /// (`set_int(TreeOption::Criterion, Criterion::Entropy as i64)`).
    Criterion {
        /// Classifier default.
        Gini = sys::DEEP_CRITERION_GINI,
        /// Classifier; information gain in bits.
        Entropy = sys::DEEP_CRITERION_ENTROPY,
        /// Regressor (the only one).
        SquaredError = sys::DEEP_CRITERION_SQUARED_ERROR,
    }
);
c_enum!(
    /// The folds of cross-validation (`deep_cv`, since libdeep 1.2).
    Cv {
        /// scikit-learn's choice in cross_val_score: stratified for a classifier.
        Auto = sys::DEEP_CV_AUTO,
        /// Plain k-fold.
        KFold = sys::DEEP_CV_KFOLD,
        /// Stratified k-fold (classifiers only).
        Stratified = sys::DEEP_CV_STRATIFIED,
    }
);
c_enum!(
    /// How thresholds are searched (`deep_splitter`), the value of `TreeOption::Splitter`.
    Splitter {
        /// Histogram above 20000 training samples, else exact (default).
        Auto = sys::DEEP_SPLITTER_AUTO,
        /// Every midpoint between consecutive distinct values.
        Exact = sys::DEEP_SPLITTER_EXACT,
        /// Features binned once into at most `MaxBins` quantile bins.
        Histogram = sys::DEEP_SPLITTER_HISTOGRAM,
    }
);
c_enum!(
    /// Settings of trees and forests (`deep_tree_option`); the `Forest*` ones are for forests.
    TreeOption {
        /// int [`Criterion`].
        Criterion = sys::DEEP_TREE_CRITERION,
        /// int >= 1, default [`UNLIMITED`].
        MaxDepth = sys::DEEP_TREE_MAX_DEPTH,
        /// int >= 2, default 2.
        MinSamplesSplit = sys::DEEP_TREE_MIN_SAMPLES_SPLIT,
        /// int >= 1, default 1.
        MinSamplesLeaf = sys::DEEP_TREE_MIN_SAMPLES_LEAF,
        /// int count or `MAX_FEATURES_*`, or float fraction in (0, 1].
        MaxFeatures = sys::DEEP_TREE_MAX_FEATURES,
        /// float >= 0, default 0.
        MinImpurityDecrease = sys::DEEP_TREE_MIN_IMPURITY_DECREASE,
        /// int, default 0.
        Seed = sys::DEEP_TREE_SEED,
        /// int [`Splitter`].
        Splitter = sys::DEEP_TREE_SPLITTER,
        /// int in [2, 256], default 256.
        MaxBins = sys::DEEP_TREE_MAX_BINS,
        /// int >= 1, default 100.
        ForestNEstimators = sys::DEEP_FOREST_N_ESTIMATORS,
        /// int 0 or 1, default 1.
        ForestBootstrap = sys::DEEP_FOREST_BOOTSTRAP,
        /// int count or float fraction in (0, 1]: bootstrap size.
        ForestMaxSamples = sys::DEEP_FOREST_MAX_SAMPLES,
        /// int >= 0, default 0 = all cores.
        ForestThreads = sys::DEEP_FOREST_THREADS,
        /// int 0 or 1: compute the out-of-bag score in fit ([`Forest::oob_score`]).
        ForestOobScore = sys::DEEP_FOREST_OOB_SCORE,
    }
);

/// A decision tree (scikit-learn's DecisionTreeClassifier / DecisionTreeRegressor).
pub struct Tree {
    raw: NonNull<sys::deep_tree>,
}
handle!(Tree, sys::deep_tree, sys::deep_tree_free);
// deep.h: "Predicting with one fitted tree or forest from many threads at once is allowed;
// fit and the setters must not run concurrently with any other call" — those take &mut self.
unsafe impl Send for Tree {}
unsafe impl Sync for Tree {}

/// A random forest (RandomForestClassifier / RandomForestRegressor).
pub struct Forest {
    raw: NonNull<sys::deep_forest>,
}
handle!(Forest, sys::deep_forest, sys::deep_forest_free);
unsafe impl Send for Forest {}
unsafe impl Sync for Forest {}

macro_rules! learner {
    ($name:ident, $new:path, $set_int:path, $set_float:path, $weights:path, $fit:path, $predict:path,
     $proba:path, $score:path, $importances:path, $save:path, $load:path, $cv:path, $cv_with:path) => {
        impl $name {
            /// An unfitted learner with scikit-learn's defaults.
            pub fn new(kind: TreeKind) -> Result<$name> {
                let mut raw = ptr::null_mut();
                check(unsafe { $new(kind as i32, &mut raw) })?;
                Ok($name::from_raw(raw))
            }

            /// Loads a file written by `save`.
            pub fn load<P: AsRef<Path>>(path: P) -> Result<$name> {
                let path = c_path(path.as_ref())?;
                let mut raw = ptr::null_mut();
                check(unsafe { $load(path.as_ptr(), &mut raw) })?;
                Ok($name::from_raw(raw))
            }

            /// Sets an integer option (before fit).
            pub fn set_int(&mut self, option: TreeOption, value: i64) -> Result<()> {
                check(unsafe { $set_int(self.ptr(), option as i32, value) })
            }

            /// Sets a float option (before fit).
            pub fn set_float(&mut self, option: TreeOption, value: f64) -> Result<()> {
                check(unsafe { $set_float(self.ptr(), option as i32, value) })
            }

            /// Classifier: every sample of class c weighs `weights[c]` (finite, >= 0), as
            /// scikit-learn's class_weight; an empty slice goes back to weight 1. Fit fails
            /// when the count differs from the data's class count.
            pub fn set_class_weights(&mut self, weights: &[f64]) -> Result<()> {
                let p = if weights.is_empty() { ptr::null() } else { weights.as_ptr() };
                check(unsafe { $weights(self.ptr(), p, len64(weights.len())) })
            }

            /// Fits on data's features and labels (classifier) or targets (regressor).
            pub fn fit(&mut self, data: &Dataset) -> Result<()> {
                check(unsafe { $fit(self.ptr(), data.ptr()) })
            }

            /// A tensor (n,) of class ids (as floats) or values; callable from many threads.
            pub fn predict(&self, inputs: &Tensor) -> Result<Tensor> {
                let mut raw = ptr::null_mut();
                check(unsafe { $predict(self.ptr(), inputs.ptr(), &mut raw) })?;
                Ok(Tensor::from_raw(raw))
            }

            /// Classifier only: a tensor (n, classes) of class probabilities.
            pub fn predict_proba(&self, inputs: &Tensor) -> Result<Tensor> {
                let mut raw = ptr::null_mut();
                check(unsafe { $proba(self.ptr(), inputs.ptr(), &mut raw) })?;
                Ok(Tensor::from_raw(raw))
            }

            /// Accuracy (classifier) or R² (regressor) on data.
            pub fn score(&self, data: &Dataset) -> Result<f64> {
                let mut score = 0f64;
                check(unsafe { $score(self.ptr(), data.ptr(), &mut score) })?;
                Ok(score)
            }

            /// Impurity-based importance of each feature, normalised to sum 1.
            pub fn feature_importances(&self) -> Result<Vec<f64>> {
                array_sized(|buffer, capacity, needed| unsafe { $importances(self.ptr(), buffer, capacity, needed) })
            }

            /// Writes the fitted learner to path, atomically.
            pub fn save<P: AsRef<Path>>(&self, path: P) -> Result<()> {
                let path = c_path(path.as_ref())?;
                check(unsafe { $save(self.ptr(), path.as_ptr()) })
            }

            /// k-fold cross-validation (scikit-learn's cross_val_score with a shuffled
            /// KFold): the score of a fresh learner with these settings on each of `folds`
            /// folds, fitted on the others. This learner is not changed.
            pub fn cross_val_score(&self, data: &Dataset, folds: i32, seed: u64) -> Result<Vec<f64>> {
                array_sized(|buffer, capacity, needed| unsafe {
                    $cv(self.ptr(), data.ptr(), folds as i64, seed, buffer, capacity, needed)
                })
            }

            /// Cross-validation with the folds chosen (since libdeep 1.2): `Cv::Auto` gives
            /// stratified folds for a classifier, as scikit-learn's cross_val_score; with
            /// `shuffle` false the folds are taken in sample order (scikit-learn's exactly).
            pub fn cross_val_score_cv(&self, data: &Dataset, folds: i32, cv: Cv, shuffle: bool, seed: u64)
                -> Result<Vec<f64>> {
                array_sized(|buffer, capacity, needed| unsafe {
                    $cv_with(self.ptr(), data.ptr(), folds as i64, cv as i32, shuffle as i32, seed, buffer, capacity,
                             needed)
                })
            }
        }
    };
}

learner!(Tree, sys::deep_tree_new, sys::deep_tree_set_int, sys::deep_tree_set_float,
         sys::deep_tree_set_class_weights, sys::deep_tree_fit, sys::deep_tree_predict,
         sys::deep_tree_predict_proba, sys::deep_tree_score, sys::deep_tree_feature_importances,
         sys::deep_tree_save, sys::deep_tree_load, sys::deep_tree_cross_val_score,
         sys::deep_tree_cross_val_score_cv);
learner!(Forest, sys::deep_forest_new, sys::deep_forest_set_int, sys::deep_forest_set_float,
         sys::deep_forest_set_class_weights, sys::deep_forest_fit, sys::deep_forest_predict,
         sys::deep_forest_predict_proba, sys::deep_forest_score, sys::deep_forest_feature_importances,
         sys::deep_forest_save, sys::deep_forest_load, sys::deep_forest_cross_val_score,
         sys::deep_forest_cross_val_score_cv);

/// The getters of every setter (deep.h, "Conventions"): the getter of another kind than the
/// option's is a `Status::InvalidArgument` error.
macro_rules! option_getters {
    ($name:ident, $get_int:path, $get_float:path, $get_weights:path) => {
        impl $name {
            /// The current value of an integer option (its default until set).
            pub fn get_int(&self, option: TreeOption) -> Result<i64> {
                let mut value = 0i64;
                check(unsafe { $get_int(self.ptr(), option as i32, &mut value) })?;
                Ok(value)
            }

            /// The current value of a float option.
            pub fn get_float(&self, option: TreeOption) -> Result<f64> {
                let mut value = 0f64;
                check(unsafe { $get_float(self.ptr(), option as i32, &mut value) })?;
                Ok(value)
            }

            /// The class weights set (empty when none are).
            pub fn class_weights(&self) -> Result<Vec<f64>> {
                array_sized(|buffer, capacity, needed| unsafe { $get_weights(self.ptr(), buffer, capacity, needed) })
            }
        }
    };
}

option_getters!(Tree, sys::deep_tree_get_int, sys::deep_tree_get_float, sys::deep_tree_get_class_weights);
option_getters!(Forest, sys::deep_forest_get_int, sys::deep_forest_get_float, sys::deep_forest_get_class_weights);

/// How an inner node splits: samples with `feature <= threshold` go `left`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Split {
    /// The feature index (in the flattened sample).
    pub feature: usize,
    /// Samples with a feature value up to this go left.
    pub threshold: f32,
    /// The node number of the left child.
    pub left: usize,
    /// The node number of the right child.
    pub right: usize,
}

/// One node of a fitted tree: its split (None for a leaf) and its prediction, the weighted
/// class fractions (classifier) or the mean value (regressor, one entry).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// How the node splits; None for a leaf.
    pub split: Option<Split>,
    /// The class fractions (classifier) or the mean value (regressor).
    pub value: Vec<f64>,
}

impl Tree {
    /// Depth of the deepest leaf (a single leaf has depth 0).
    pub fn depth(&self) -> Result<i64> {
        let mut d = 0i64;
        check(unsafe { sys::deep_tree_depth(self.ptr(), &mut d) })?;
        Ok(d)
    }

    /// The number of nodes, numbered 0 (the root) on in depth-first order, left first.
    pub fn node_count(&self) -> Result<usize> {
        let mut n = 0i64;
        check(unsafe { sys::deep_tree_node_count(self.ptr(), &mut n) })?;
        Ok(size(n))
    }

    /// Node `node` (0 is the root): its split and its value.
    pub fn node(&self, node: usize) -> Result<Node> {
        let (mut feature, mut threshold, mut left, mut right) = (0i64, 0f32, 0i64, 0i64);
        check(unsafe { sys::deep_tree_node(self.ptr(), len64(node), &mut feature, &mut threshold, &mut left, &mut right) })?;
        let value = array_sized(|buffer, capacity, needed| unsafe {
            sys::deep_tree_node_value(self.ptr(), len64(node), buffer, capacity, needed)
        })?;
        let split = if feature < 0 {
            None
        } else {
            Some(Split { feature: size(feature), threshold, left: size(left), right: size(right) })
        };
        Ok(Node { split, value })
    }

    /// Every node, in node-number order.
    pub fn nodes(&self) -> Result<Vec<Node>> {
        (0..self.node_count()?).map(|i| self.node(i)).collect()
    }

    /// The fitted tree as JSON: settings and every node with its feature, threshold,
    /// children, impurity, samples and value.
    pub fn to_json(&self) -> Result<String> {
        text_sized(|buf, cap, needed| unsafe { sys::deep_tree_to_json(self.ptr(), buf, cap, needed) })
    }
}

impl Forest {
    /// The number of fitted trees.
    pub fn tree_count(&self) -> Result<i64> {
        let mut n = 0i64;
        check(unsafe { sys::deep_forest_tree_count(self.ptr(), &mut n) })?;
        Ok(n)
    }

    /// The out-of-bag score (accuracy or R²) computed by fit; a `Status::State` error
    /// unless fit ran with `ForestOobScore` 1 and `ForestBootstrap` 1.
    pub fn oob_score(&self) -> Result<f64> {
        let mut score = 0f64;
        check(unsafe { sys::deep_forest_oob_score(self.ptr(), &mut score) })?;
        Ok(score)
    }
}

