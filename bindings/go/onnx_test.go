package deep

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The MLP PyTorch exported (tests/onnx, with PyTorch's outputs) predicts what PyTorch
// predicted, from a file and from bytes; refusals name the node.

// onnxDir is tests/onnx: LIBDEEP_ONNX_DIR, else the source tree's (scripts/check-go.sh sets
// the variable, since it tests a copy of the binding).
func onnxDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("LIBDEEP_ONNX_DIR"); dir != "" {
		return dir
	}
	dir := filepath.Join("..", "..", "tests", "onnx")
	if !fileExists(filepath.Join(dir, "mlp.onnx")) {
		t.Skip("no tests/onnx: set LIBDEEP_ONNX_DIR")
	}
	return dir
}

func onnxFloats(t *testing.T, name string) []float32 {
	data, err := os.ReadFile(filepath.Join(onnxDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

func TestLoadONNX(t *testing.T) {
	dir := onnxDir(t)
	m, err := LoadONNX(filepath.Join(dir, "mlp.onnx"))
	if errors.Is(err, ErrUnsupported) {
		t.Skip("libdeep built without ONNX")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	x, err := NewTensor([]int64{4, 20}, onnxFloats(t, "mlp.in.f32"))
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := y.Data()
	for i, want := range onnxFloats(t, "mlp.out.f32") {
		if math.Abs(float64(got[i]-want)) > 1e-4*math.Max(math.Abs(float64(want)), 1e-2) {
			t.Fatalf("output %d: %g, PyTorch %g", i, got[i], want)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "mlp.onnx"))
	again, err := LoadONNXBuffer(data)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	_, err = LoadONNX(filepath.Join(dir, "bad_group.onnx"))
	wantError(t, err, ErrUnsupported, "deep_model_load_onnx")
	if !strings.Contains(err.Error(), `node 0 "Conv_3" (Conv, opset 13)`) {
		t.Fatalf("message %q does not name the node", err)
	}
	_, err = LoadONNXBuffer([]byte{0xff, 0xff, 0xff})
	wantError(t, err, ErrFormat, "deep_model_load_onnx_buffer")
}
