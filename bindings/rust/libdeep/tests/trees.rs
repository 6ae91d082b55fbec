//! Trees and forests beyond fit and predict: node inspection and JSON against a tree worked
//! out by hand, class weights, out-of-bag scores, cross-validation against the same folds
//! done by hand, probabilities, and misuse.
mod common;

use common::{expect_error, xor};
use libdeep::{
    kfold_indices, Criterion, Dataset, Forest, Split, Status, Tensor, Tree, TreeKind, TreeOption, MAX_FEATURES_SQRT,
};

/// One feature: 0, 1, 2 are class 0, 10, 11 class 1, 12 class 2.
fn steps() -> Dataset {
    let mut d = Dataset::new(&[1], &[0., 1., 2., 10., 11., 12.]).unwrap();
    d.set_labels(&[0, 0, 0, 1, 1, 2], 3).unwrap();
    d
}

#[test]
fn nodes_and_json_of_a_tree_worked_out_by_hand() {
    let mut tree = Tree::new(TreeKind::Classifier).unwrap();
    tree.fit(&steps()).unwrap();
    // Root: x <= 6 (midpoint of 2 and 10) separates class 0; then x <= 11.5 splits 1 from 2.
    assert_eq!(tree.node_count().unwrap(), 5);
    assert_eq!(tree.depth().unwrap(), 2);
    let root = tree.node(0).unwrap();
    assert_eq!(root.split, Some(Split { feature: 0, threshold: 6.0, left: 1, right: 2 }));
    let close = |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
    assert!(close(&root.value, &[0.5, 2.0 / 6.0, 1.0 / 6.0]), "{:?}", root.value);
    let left = tree.node(1).unwrap();
    assert_eq!(left.split, None);
    assert!(close(&left.value, &[1.0, 0.0, 0.0]), "{:?}", left.value);
    let right = tree.node(2).unwrap();
    assert_eq!(right.split, Some(Split { feature: 0, threshold: 11.5, left: 3, right: 4 }));
    let nodes = tree.nodes().unwrap();
    assert_eq!(nodes.len(), 5);
    assert!(close(&nodes[4].value, &[0.0, 0.0, 1.0]));
    expect_error(tree.node(5), Status::OutOfRange, "deep_tree_node");

    let json = tree.to_json().unwrap();
    assert!(json.starts_with('{') && json.trim_end().ends_with('}'), "{}", json);
    assert!(json.contains("\"threshold\"") && json.contains("11.5"), "{}", json);

    // A regressor's nodes hold one value, the mean.
    let mut reg = Tree::new(TreeKind::Regressor).unwrap();
    let mut d = Dataset::new(&[1], &[0., 1., 10., 11.]).unwrap();
    d.set_targets(&[1., 3., 19., 21.], 1).unwrap();
    reg.set_int(TreeOption::MaxDepth, 1).unwrap();
    reg.fit(&d).unwrap();
    assert_eq!(reg.node(0).unwrap().value, vec![11.0]);
    assert_eq!(reg.node(1).unwrap().value, vec![2.0]);
    assert_eq!(reg.node(2).unwrap().value, vec![20.0]);
    let p = reg.predict(&Tensor::new(&[2, 1], &[0.5, 100.0]).unwrap()).unwrap();
    assert_eq!(p.data().unwrap(), &[2.0, 20.0]);
    expect_error(reg.predict_proba(&Tensor::zeros(&[1, 1]).unwrap()), Status::InvalidArgument, "deep_tree_predict_proba");
}

#[test]
fn class_weights_change_the_fractions_and_the_prediction() {
    // A single leaf (max depth 1 with no split possible: one feature value) predicts the
    // class of largest weight: 3 samples of class 0 against 1 of class 1.
    let mut d = Dataset::new(&[1], &[1., 1., 1., 1.]).unwrap();
    d.set_labels(&[0, 0, 0, 1], 2).unwrap();
    let one = Tensor::new(&[1, 1], &[1.0]).unwrap();
    let mut plain = Tree::new(TreeKind::Classifier).unwrap();
    plain.fit(&d).unwrap();
    assert_eq!(plain.node(0).unwrap().value, vec![0.75, 0.25]);
    assert_eq!(plain.predict(&one).unwrap().data().unwrap(), &[0.0]);
    let mut weighted = Tree::new(TreeKind::Classifier).unwrap();
    weighted.set_class_weights(&[1.0, 5.0]).unwrap();
    weighted.fit(&d).unwrap();
    // Weighted: 3 * 1 against 1 * 5.
    assert_eq!(weighted.node(0).unwrap().value, vec![3.0 / 8.0, 5.0 / 8.0]);
    assert_eq!(weighted.predict(&one).unwrap().data().unwrap(), &[1.0]);
    assert_eq!(weighted.predict_proba(&one).unwrap().data().unwrap(), &[0.375, 0.625]);
    weighted.set_class_weights(&[]).unwrap(); // back to weight 1
    weighted.fit(&d).unwrap();
    assert_eq!(weighted.predict(&one).unwrap().data().unwrap(), &[0.0]);

    let mut forest = Forest::new(TreeKind::Classifier).unwrap();
    forest.set_int(TreeOption::ForestNEstimators, 5).unwrap();
    forest.set_int(TreeOption::ForestBootstrap, 0).unwrap();
    forest.set_class_weights(&[1.0, 5.0]).unwrap();
    forest.fit(&d).unwrap();
    assert_eq!(forest.predict(&one).unwrap().data().unwrap(), &[1.0]);
    forest.set_class_weights(&[1.0, 2.0, 3.0]).unwrap();
    expect_error(forest.fit(&d), Status::Shape, "deep_forest_fit");
    expect_error(forest.set_class_weights(&[1.0, -1.0]), Status::InvalidArgument, "deep_forest_set_class_weights");
    expect_error(plain.set_class_weights(&[f64::NAN, 1.0]), Status::InvalidArgument, "deep_tree_set_class_weights");
}

#[test]
fn oob_score_and_cross_validation() {
    let data = xor(11, 300);
    let mut forest = Forest::new(TreeKind::Classifier).unwrap();
    forest.set_int(TreeOption::ForestNEstimators, 20).unwrap();
    forest.set_int(TreeOption::Seed, 4).unwrap();
    forest.set_int(TreeOption::MaxFeatures, MAX_FEATURES_SQRT).unwrap();
    forest.fit(&data).unwrap();
    expect_error(forest.oob_score(), Status::State, "deep_forest_oob_score");
    forest.set_int(TreeOption::ForestOobScore, 1).unwrap();
    forest.fit(&data).unwrap();
    let oob = forest.oob_score().unwrap();
    assert!(oob > 0.85 && oob <= 1.0, "out-of-bag score {}", oob);

    // cross_val_score is a fresh learner per fold of kfold_indices(shuffle, seed): the
    // same folds done by hand give the same scores.
    let mut tree = Tree::new(TreeKind::Classifier).unwrap();
    tree.set_int(TreeOption::Criterion, Criterion::Entropy as i64).unwrap();
    tree.set_int(TreeOption::MaxDepth, 3).unwrap();
    let scores = tree.cross_val_score(&data, 4, 9).unwrap();
    assert_eq!(scores.len(), 4);
    for fold in 0..4 {
        let (train, test) = kfold_indices(300, 4, fold, true, 9).unwrap();
        let mut fresh = Tree::new(TreeKind::Classifier).unwrap();
        fresh.set_int(TreeOption::Criterion, Criterion::Entropy as i64).unwrap();
        fresh.set_int(TreeOption::MaxDepth, 3).unwrap();
        fresh.fit(&data.subset(&train).unwrap()).unwrap();
        assert_eq!(fresh.score(&data.subset(&test).unwrap()).unwrap(), scores[fold as usize], "fold {}", fold);
    }
    expect_error(tree.node_count(), Status::State, "deep_tree_node_count"); // tree itself unfitted
    let forest_scores = forest.cross_val_score(&data, 3, 1).unwrap();
    assert!(forest_scores.iter().all(|&s| s > 0.85), "{:?}", forest_scores);
    expect_error(tree.cross_val_score(&data, 1, 0), Status::InvalidArgument, "deep_tree_cross_val_score");
    expect_error(forest.cross_val_score(&steps().subset(&[0]).unwrap(), 2, 0), Status::InvalidArgument, "deep_forest_cross_val_score");
}

#[test]
fn tree_misuse_is_an_error() {
    let tree = Tree::new(TreeKind::Classifier).unwrap();
    expect_error(tree.to_json(), Status::State, "deep_tree_to_json");
    expect_error(tree.node(0), Status::State, "deep_tree_node");
    let mut tree = tree;
    expect_error(tree.set_float(TreeOption::MaxDepth, 2.0), Status::InvalidArgument, "deep_tree_set_float");
    expect_error(tree.set_int(TreeOption::Criterion, Criterion::SquaredError as i64), Status::InvalidArgument, "deep_tree_set_int");
    let mut nan = Dataset::new(&[1], &[1.0, f32::NAN]).unwrap();
    nan.set_labels(&[0, 1], 2).unwrap();
    expect_error(tree.fit(&nan), Status::Numeric, "deep_tree_fit");
}

/// Every setter has a getter (deep.h, "Conventions").
#[test]
fn option_getters_give_back_defaults_and_settings() {
    let mut tree = Tree::new(TreeKind::Classifier).unwrap();
    assert_eq!(tree.get_int(TreeOption::MinSamplesSplit).unwrap(), 2);
    tree.set_int(TreeOption::MaxDepth, 3).unwrap();
    tree.set_float(TreeOption::MinImpurityDecrease, 0.25).unwrap();
    tree.set_class_weights(&[2.0, 0.5]).unwrap();
    assert_eq!(tree.get_int(TreeOption::MaxDepth).unwrap(), 3);
    assert_eq!(tree.get_float(TreeOption::MinImpurityDecrease).unwrap(), 0.25);
    assert_eq!(tree.class_weights().unwrap(), vec![2.0, 0.5]);
    expect_error(tree.get_float(TreeOption::MaxDepth), Status::InvalidArgument, "deep_tree_get_float");
    let mut forest = Forest::new(TreeKind::Classifier).unwrap();
    assert_eq!(forest.get_int(TreeOption::ForestNEstimators).unwrap(), 100);
    assert_eq!(forest.get_int(TreeOption::MaxFeatures).unwrap(), MAX_FEATURES_SQRT);
    forest.set_float(TreeOption::ForestMaxSamples, 0.5).unwrap();
    assert_eq!(forest.get_float(TreeOption::ForestMaxSamples).unwrap(), 0.5);
    expect_error(forest.get_int(TreeOption::ForestMaxSamples), Status::InvalidArgument, "deep_forest_get_int");
    assert!(forest.class_weights().unwrap().is_empty());
}
