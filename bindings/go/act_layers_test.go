package deep

import (
	"math"
	"testing"
)

func TestActivationLayersWithArguments(t *testing.T) {
	in := []float32{-10, -5, -0.5, 0, 5, 10}
	cases := []struct {
		name string
		add  func(m *Model) error
		want func(x float64) float64
	}{
		{"LeakyReLU(0.2)", func(m *Model) error { return m.AddLeakyReLU(0.2) },
			func(x float64) float64 { return math.Max(x, 0.2*x) }},
		{"ELU(0.5)", func(m *Model) error { return m.AddELU(0.5) },
			func(x float64) float64 {
				if x > 0 {
					return x
				}
				return 0.5 * math.Expm1(x)
			}},
		{"ReLU(6, 0.1, 1)", func(m *Model) error { return m.AddReLU(6, 0.1, 1) },
			func(x float64) float64 {
				if x > 1 {
					return math.Min(x, 6)
				}
				if x < 1 {
					return 0.1 * (x - 1)
				}
				return 0
			}},
		{"PReLU()", func(m *Model) error { return m.AddPReLU() },
			func(x float64) float64 { return math.Max(x, 0) }}, // alpha starts at zeros
	}
	for _, c := range cases {
		m, err := NewModel(6)
		must(t, err)
		must(t, c.add(m))
		opt, _ := NewOptimizer(SGD)
		must(t, m.Compile(opt, MeanSquaredError))
		x, _ := NewTensor([]int64{1, 6}, in)
		y, err := m.Predict(x)
		must(t, err)
		out, _ := y.Data()
		for i, v := range in {
			if want := c.want(float64(v)); math.Abs(float64(out[i])-want) > 1e-6 {
				t.Errorf("%s(%g) = %g, want %g", c.name, v, out[i], want)
			}
		}
		x.Close()
		y.Close()
		m.Close()
	}
	img, _ := NewModel(2, 2, 3)
	defer img.Close()
	must(t, img.AddPReLU(1, 2))
	wantError(t, img.AddPReLU(4), ErrShape, "deep_model_add_prelu")
	wantError(t, img.AddLeakyReLU(-1), ErrInvalidArgument, "deep_model_add_leaky_relu")
	wantError(t, img.AddReLU(6, -1, 0), ErrInvalidArgument, "deep_model_add_relu")
}
