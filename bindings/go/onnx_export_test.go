package deep

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// ONNX export: the file and the buffer hold the same bytes, bad opsets and uncompiled or
// unfitted handles fail, trees and forests export. The files' contents are checked by the
// C test suite (onnx_export, onnx-export).
func TestONNXExport(t *testing.T) {
	m, test := trainedXOR(t, 1)
	defer m.Close()
	defer test.Close()
	data, err := m.ONNXBuffer(0)
	if errors.Is(err, ErrUnsupported) {
		t.Skip("libdeep built without ONNX")
	}
	must(t, err)
	if !bytes.Contains(data, []byte("libdeep")) {
		t.Fatal("the ONNX bytes do not name their producer")
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	must(t, m.SaveONNX(path, 13))
	file, err := os.ReadFile(path)
	must(t, err)
	if !bytes.Equal(file, data) {
		t.Fatal("SaveONNX and ONNXBuffer wrote different bytes")
	}
	if _, err := m.ONNXBuffer(11); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("opset 11: %v", err)
	}
	fresh, err := NewModel(2)
	must(t, err)
	defer fresh.Close()
	must(t, fresh.AddDense(2, Linear))
	if err := fresh.SaveONNX(path, 0); !errors.Is(err, ErrState) {
		t.Fatalf("uncompiled: %v", err)
	}

	tree, err := NewTree(Classifier)
	must(t, err)
	defer tree.Close()
	if _, err := tree.ONNXBuffer(); !errors.Is(err, ErrState) {
		t.Fatalf("unfitted tree: %v", err)
	}
	train := xor(t, 3, 100)
	defer train.Close()
	must(t, tree.Fit(train))
	tb, err := tree.ONNXBuffer()
	must(t, err)
	if !bytes.Contains(tb, []byte("TreeEnsembleClassifier")) {
		t.Fatal("no TreeEnsembleClassifier in the tree's ONNX")
	}
	must(t, tree.SaveONNX(path))
	forest, err := NewForest(Classifier)
	must(t, err)
	defer forest.Close()
	must(t, forest.Fit(train))
	fb, err := forest.ONNXBuffer()
	must(t, err)
	must(t, forest.SaveONNX(path))
	file, err = os.ReadFile(path)
	must(t, err)
	if !bytes.Equal(file, fb) {
		t.Fatal("Forest.SaveONNX and ONNXBuffer wrote different bytes")
	}
}
