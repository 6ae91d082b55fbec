//! ONNX export (since 1.2): the file and the buffer hold the same bytes, a protobuf message
//! naming libdeep, opsets out of range and uncompiled models fail with the C message, and
//! trees and forests export once fitted. The files' contents are checked in the C test
//! suite (onnx_export, onnx-export: ONNX's checker, OpenCV and a reference evaluator).
mod common;

use common::{expect_error, xor, TempDir};
use libdeep::{Activation, Forest, Loss, Model, Optimizer, OptimizerKind, Status, Tree, TreeKind};

fn compiled() -> Model {
    let mut model = Model::new(&[2]).unwrap();
    model.add_dense(4, Activation::Relu).unwrap();
    model.add_dense(2, Activation::Softmax).unwrap();
    model.compile(Optimizer::new(OptimizerKind::Sgd).unwrap(), Loss::SparseCategoricalCrossentropy, &[]).unwrap();
    model
}

/// Whether the library was built with ONNX (otherwise every call is Unsupported).
fn has_onnx() -> bool {
    match compiled().to_onnx_bytes(0) {
        Ok(_) => true,
        Err(e) if e.status() == Status::Unsupported => false,
        Err(e) => panic!("{}", e),
    }
}

#[test]
fn model_file_and_bytes_agree() {
    if !has_onnx() {
        return;
    }
    let model = compiled();
    let dir = TempDir::new("onnx-model");
    let path = dir.join("m.onnx");
    model.save_onnx(&path, 17).unwrap();
    let bytes = model.to_onnx_bytes(17).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(bytes.windows(7).any(|w| w == b"libdeep"));
    expect_error(model.to_onnx_bytes(12), Status::Unsupported, "deep_model_save_onnx_buffer");
    let mut uncompiled = Model::new(&[2]).unwrap();
    uncompiled.add_dense(1, Activation::Linear).unwrap();
    expect_error(uncompiled.save_onnx(&path, 0), Status::State, "deep_model_save_onnx");
}

#[test]
fn trees_and_forests_export_once_fitted() {
    if !has_onnx() {
        return;
    }
    let mut tree = Tree::new(TreeKind::Classifier).unwrap();
    expect_error(tree.to_onnx_bytes(), Status::State, "deep_tree_save_onnx_buffer");
    let data = xor(3, 100);
    tree.fit(&data).unwrap();
    assert!(tree.to_onnx_bytes().unwrap().windows(22).any(|w| w == b"TreeEnsembleClassifier"));
    let mut forest = Forest::new(TreeKind::Classifier).unwrap();
    forest.fit(&data).unwrap();
    let dir = TempDir::new("onnx-forest");
    let path = dir.join("f.onnx");
    forest.save_onnx(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), forest.to_onnx_bytes().unwrap());
}
