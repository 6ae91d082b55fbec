//! Stratified folds and cross-validation with the folds chosen (libdeep 1.2), and
//! Model::build (weights before compile).
mod common;

use common::expect_error;
use libdeep::{stratified_kfold_indices, Activation, Cv, Dataset, Forest, Model, Status, Tensor, Tree, TreeKind};

#[test]
fn stratified_folds_are_scikit_learns() {
    // scikit-learn 1.2's StratifiedKFold(3) on these labels.
    let labels = [5, 5, 2, 2, 2, 9, 5, 2, 9, 2, 5, 2, 9, 7];
    let want: [&[usize]; 3] = [&[0, 1, 2, 3, 5], &[4, 6, 7, 8, 13], &[9, 10, 11, 12]];
    for fold in 0..3 {
        let (train, test) = stratified_kfold_indices(&labels, 3, fold, false, 0).unwrap();
        assert_eq!(test, want[fold as usize]);
        assert_eq!(train.len() + test.len(), labels.len());
    }
    expect_error(stratified_kfold_indices(&[0, 0, 1, 1], 3, 0, false, 0), Status::InvalidArgument,
                 "deep_stratified_kfold_indices");
}

#[test]
fn cross_validation_with_stratified_folds() {
    let labels: Vec<i32> = (0..60).map(|i| i / 20).collect();
    let features: Vec<f32> = (0..60).map(|i| (i / 20) as f32 + 0.01 * (i % 20) as f32).collect();
    let mut data = Dataset::new(&[1], &features).unwrap();
    data.set_labels(&labels, 0).unwrap();
    let tree = Tree::new(TreeKind::Classifier).unwrap();
    let plain = tree.cross_val_score_cv(&data, 3, Cv::KFold, false, 0).unwrap();
    let auto = tree.cross_val_score_cv(&data, 3, Cv::Auto, false, 0).unwrap();
    assert_eq!(plain, vec![0.0; 3]); // each fold a class never trained on
    assert_eq!(auto, vec![1.0; 3]);
    let forest = Forest::new(TreeKind::Classifier).unwrap();
    let scores = forest.cross_val_score_cv(&data, 3, Cv::Stratified, true, 1).unwrap();
    assert!(scores.iter().all(|&s| s > 0.9), "{:?}", scores);
}

#[test]
fn build_gives_weights_before_compile() {
    let mut model = Model::new(&[3]).unwrap();
    model.add_dense(2, Activation::Linear).unwrap();
    let x = Tensor::new(&[1, 3], &[1.0, 2.0, 3.0]).unwrap();
    expect_error(model.predict(&x), Status::State, "deep_model_predict");
    model.build().unwrap();
    assert_eq!(model.predict(&x).unwrap().shape().unwrap(), vec![1, 2]);
    assert_eq!(model.get_weight(0, 0).unwrap().shape().unwrap(), vec![3, 2]);
    expect_error(model.add_dense(1, Activation::Linear), Status::State, "deep_model_add_dense");
}
