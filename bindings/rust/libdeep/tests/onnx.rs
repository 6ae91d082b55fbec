//! ONNX import: the MLP PyTorch exported (tests/onnx, with PyTorch's outputs) predicts what
//! PyTorch predicted, from a file and from bytes; refusals name the node.
mod common;

use common::expect_error;
use libdeep::{Model, Status, Tensor};

/// tests/onnx: LIBDEEP_ONNX_DIR (scripts/check-rust.sh sets it, since it tests a copy of the
/// binding), else the source tree's; None when neither exists.
fn onnx_dir() -> Option<std::path::PathBuf> {
    let dir = match std::env::var_os("LIBDEEP_ONNX_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/onnx"),
    };
    if dir.join("mlp.onnx").exists() {
        Some(dir)
    } else {
        None
    }
}

fn floats(dir: &std::path::Path, name: &str) -> Vec<f32> {
    std::fs::read(dir.join(name)).unwrap().chunks(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

#[test]
fn mlp_predicts_as_pytorch() {
    let dir = match onnx_dir() {
        Some(dir) => dir,
        None => return, // no tests/onnx: set LIBDEEP_ONNX_DIR
    };
    let model = match Model::load_onnx(dir.join("mlp.onnx")) {
        Err(e) if e.status() == Status::Unsupported => return, // a libdeep built without ONNX
        other => other.unwrap(),
    };
    let x = Tensor::new(&[4, 20], &floats(&dir, "mlp.in.f32")).unwrap();
    let want = floats(&dir, "mlp.out.f32");
    let got = model.predict(&x).unwrap();
    for (a, b) in got.data().unwrap().iter().zip(want.iter()) {
        assert!((a - b).abs() <= 1e-4 * b.abs().max(1e-2), "{a} != {b}");
    }
    let bytes = std::fs::read(dir.join("mlp.onnx")).unwrap();
    let again = Model::load_onnx_bytes(&bytes).unwrap();
    assert_eq!(again.predict(&x).unwrap().data().unwrap(), got.data().unwrap());
    let err = expect_error(Model::load_onnx(dir.join("bad_group.onnx")), Status::Unsupported, "deep_model_load_onnx");
    assert!(err.to_string().contains("node 0 \"Conv_3\" (Conv, opset 13)"), "{err}");
    expect_error(Model::load_onnx_bytes(b"\xff\xff\xff"), Status::Format, "deep_model_load_onnx_buffer");
}
