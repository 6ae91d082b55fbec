package deep

import (
	"errors"
	"math"
	"testing"
)

func TestTensorHelpers(t *testing.T) {
	x, err := NewTensorFilled([]int64{2, 3}, 1.5)
	must(t, err)
	defer x.Close()
	if sum, _ := x.Sum(); sum != 9 {
		t.Fatalf("sum %v", sum)
	}
	if r, _ := x.Rank(); r != 2 {
		t.Fatalf("rank %d", r)
	}
	if d, _ := x.Dim(-1); d != 3 {
		t.Fatalf("last dim %d", d)
	}
	must(t, x.Set(7, 1, 2))
	if v, _ := x.At(1, 2); v != 7 {
		t.Fatalf("At(1, 2) = %v", v)
	}
	y, err := x.Clone()
	must(t, err)
	defer y.Close()
	must(t, x.Fill(0))
	if v, _ := y.At(1, 2); v != 7 {
		t.Fatalf("the clone changed with its source: %v", v)
	}
	must(t, y.ScaleShift(2, 1)) // 1.5 -> 4, 7 -> 15
	if sum, _ := y.Sum(); sum != 5*4+15 {
		t.Fatalf("sum after ScaleShift %v", sum)
	}
	must(t, y.Update(func(data []float32) {
		for i := range data {
			data[i] = float32(i)
		}
	}))
	var seen float32
	must(t, y.View(func(data []float32) {
		for _, v := range data {
			seen += v
		}
	}))
	if seen != 15 {
		t.Fatalf("View saw a sum of %v", seen)
	}

	// The same seed gives the same stream; uniform values stay in range.
	rng, err := NewRng(42)
	must(t, err)
	defer rng.Close()
	u, _ := NewTensor([]int64{1000}, nil)
	defer u.Close()
	must(t, u.FillUniform(rng, -2, 3))
	values, _ := u.Data()
	for _, v := range values {
		if v < -2 || v >= 3 {
			t.Fatalf("uniform value %v outside [-2, 3)", v)
		}
	}
	must(t, rng.Seed(42))
	again, _ := NewTensor([]int64{1000}, nil)
	defer again.Close()
	must(t, again.FillUniform(rng, -2, 3))
	second, _ := again.Data()
	sameFloats(t, "reseeded stream", values, second)
	must(t, u.FillNormal(rng, 5, 0.5))
	sum, _ := u.Sum()
	if mean := sum / 1000; math.Abs(mean-5) > 0.1 {
		t.Fatalf("normal mean %v", mean)
	}
	a, _ := rng.Uint64()
	b, _ := rng.Uint64()
	f, _ := rng.Float32()
	if a == b || f < 0 || f >= 1 {
		t.Fatalf("rng gave %d, %d, %v", a, b, f)
	}
}

func TestTensorHelperErrors(t *testing.T) {
	x, _ := NewTensor([]int64{2, 3}, nil)
	defer x.Close()
	_, err := x.At(2, 0)
	wantError(t, err, ErrOutOfRange, "deep_tensor_get")
	_, err = x.At(1)
	wantError(t, err, ErrShape, "deep_tensor_get")
	wantError(t, x.Set(1, 0, 3), ErrOutOfRange, "deep_tensor_set")
	_, err = x.Dim(2)
	wantError(t, err, ErrOutOfRange, "deep_tensor_dim")
	_, err = NewTensorFilled([]int64{2, 0}, 1)
	if err == nil {
		t.Fatal("a (2, 0) tensor was made")
	}
	wantError(t, x.FillUniform(nil, 0, 1), ErrNull, "Tensor.FillUniform")
	rng, _ := NewRng(1)
	wantError(t, x.FillUniform(rng, 1, 0), ErrInvalidArgument, "deep_tensor_fill_uniform")
	wantError(t, x.FillNormal(rng, 0, -1), ErrInvalidArgument, "deep_tensor_fill_normal")
	must(t, rng.Close())
	must(t, rng.Close())
	if _, err := rng.Uint64(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Uint64 after Close: %v", err)
	}
	var none *Tensor
	_, err = none.Sum()
	wantError(t, err, ErrNull, "Tensor.Sum")
	m, _ := NewModel(3)
	defer m.Close()
	_, err = m.Predict(nil)
	wantError(t, err, ErrNull, "Model.Predict: inputs")
	must(t, x.Close())
	if err := x.View(func([]float32) { t.Fatal("View ran on a closed tensor") }); !errors.Is(err, ErrClosed) {
		t.Fatalf("View after Close: %v", err)
	}
	if _, err := x.Clone(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Clone after Close: %v", err)
	}
	if VersionNumber() != HeaderVersionNumber {
		t.Fatalf("library %d, header %d", VersionNumber(), HeaderVersionNumber)
	}
}
