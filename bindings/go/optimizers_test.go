package deep

import (
	"errors"
	"math"
	"testing"
)

// The optimizers of 1.1 from Go: kinds, options, schedules and their ownership, model
// files and ReduceLROnPlateau. The update rules themselves are checked against Keras'
// formulas by the C suite (tests/test_optim_keras.c) and the Python one.
func linearModel(t *testing.T, opt *Optimizer) *Model {
	t.Helper()
	m, err := NewModel(3)
	must(t, err)
	must(t, m.SetSeed(5))
	must(t, m.AddDense(2, Linear))
	must(t, m.Compile(opt, MeanSquaredError))
	return m
}

var (
	optX = []float32{0.5, -1.0, 2.0, 1.5, 0.25, -0.5, -1.0, 0.75, 0.3, 0.2, 0.1, -2.0}
	optY = []float32{1.0, -0.5, 0.0, 2.0, 0.5, 0.5, -1.0, 1.5}
)

func trainSteps(t *testing.T, m *Model, steps int) {
	t.Helper()
	x, err := NewTensor([]int64{4, 3}, optX)
	must(t, err)
	defer x.Close()
	y, err := NewTensor([]int64{4, 2}, optY)
	must(t, err)
	defer y.Close()
	for i := 0; i < steps; i++ {
		_, err := m.TrainOnBatch(x, y)
		must(t, err)
	}
}

func weights(t *testing.T, m *Model) []float32 {
	t.Helper()
	var all []float32
	for k := 0; k < 2; k++ {
		w, err := m.Weight(0, k)
		must(t, err)
		d, err := w.Data()
		must(t, err)
		all = append(all, d...)
		w.Close()
	}
	return all
}

func TestNewOptimizerKindsAndOptions(t *testing.T) {
	for _, kind := range []OptimizerKind{Nadam, AdamW, Adamax} {
		o, err := NewOptimizer(kind)
		must(t, err)
		if v, _ := o.Float(Beta2); float32(v) != 0.999 {
			t.Fatalf("kind %d beta_2 %v", kind, v)
		}
		wd, _ := o.Float(WeightDecay)
		if (kind == AdamW) != (float32(wd) == 0.004) {
			t.Fatalf("kind %d weight decay %v", kind, wd)
		}
		must(t, o.Close())
	}
	o, err := NewOptimizer(SGD)
	must(t, err)
	defer o.Close()
	must(t, o.SetFloat(ClipNorm, 1))
	wantError(t, o.SetFloat(ClipValue, 0.5), ErrInvalidArgument, "only one of")
	wantError(t, o.SetFloat(AMSGrad, 1), ErrInvalidArgument, "amsgrad")
	wantError(t, o.SetFloat(GlobalClipNorm, -1), ErrInvalidArgument, "global_clipnorm")
}

func TestSchedules(t *testing.T) {
	e, err := NewExponentialDecay(0.1, 3, 0.5, true)
	must(t, err)
	defer e.Close()
	if k, _ := e.Kind(); k != ExponentialDecay {
		t.Fatalf("kind %d", k)
	}
	if v, _ := e.LearningRate(7); math.Abs(v-0.025) > 1e-12 {
		t.Fatalf("staircase rate %v", v)
	}
	p, err := NewPiecewiseConstantDecay([]int64{2, 5}, []float64{1, 0.5, 0.25})
	must(t, err)
	if v, _ := p.LearningRate(3); v != 0.5 {
		t.Fatalf("piecewise rate %v", v)
	}
	must(t, p.Close())
	c, err := NewCosineDecay(0, 4, 0.1, 0.2, 2)
	must(t, err)
	if v, _ := c.LearningRate(4); math.Abs(v-0.11) > 1e-12 {
		t.Fatalf("cosine rate %v", v)
	}
	nw, err := NewCosineDecay(0.1, 4, 0.2, NoWarmup, 0)
	must(t, err)
	if v, _ := nw.LearningRate(2); math.Abs(v-0.06) > 1e-12 {
		t.Fatalf("cosine without warm-up %v", v)
	}
	must(t, nw.Close())
	_, err = NewPiecewiseConstantDecay([]int64{2}, []float64{1})
	wantError(t, err, ErrInvalidArgument, "NewPiecewiseConstantDecay")
	_, err = NewExponentialDecay(0.1, 0, 0.5, false)
	wantError(t, err, ErrInvalidArgument, "decay_steps")
	_, err = e.LearningRate(-1)
	wantError(t, err, ErrInvalidArgument, "step")

	// The optimizer takes the schedule over: the handle is closed.
	o, err := NewOptimizer(SGD)
	must(t, err)
	defer o.Close()
	must(t, o.SetSchedule(c))
	if _, err = c.LearningRate(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("a schedule given to an optimizer: %v", err)
	}
	if has, _ := o.HasSchedule(); !has {
		t.Fatal("no schedule after SetSchedule")
	}
	wantError(t, o.SetFloat(LearningRate, 0.1), ErrState, "schedule")
	must(t, o.SetSchedule(nil))
	if has, _ := o.HasSchedule(); has {
		t.Fatal("schedule left after SetSchedule(nil)")
	}
}

// A model saved after one step, loaded and trained two more steps reaches the weights of
// the original trained on: the file keeps the kind, options, schedule, moments (Adam's
// velocity_hat too) and the step count.
func TestOptimizerStateInModelFiles(t *testing.T) {
	for _, kind := range []OptimizerKind{Nadam, AdamW, Adamax, Adam} {
		o, err := NewOptimizer(kind)
		must(t, err)
		must(t, o.SetFloat(GlobalClipNorm, 0.3))
		if kind == Adam {
			must(t, o.SetFloat(AMSGrad, 1))
		}
		s, err := NewCosineDecay(0.01, 10, 0.1, 0.05, 2)
		must(t, err)
		must(t, o.SetSchedule(s))
		m := linearModel(t, o)
		trainSteps(t, m, 1)
		data, err := m.SaveBuffer()
		must(t, err)
		loaded, err := LoadModelBuffer(data)
		must(t, err)
		trainSteps(t, m, 2)
		trainSteps(t, loaded, 2)
		a, b := weights(t, m), weights(t, loaded)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("kind %d weight %d: %v, loaded %v", kind, i, a[i], b[i])
			}
		}
		m.Close()
		loaded.Close()
	}
}

func TestReduceLROnPlateau(t *testing.T) {
	o, err := NewOptimizer(SGD)
	must(t, err)
	must(t, o.SetFloat(LearningRate, 0.08))
	m := linearModel(t, o)
	defer m.Close()
	if f, p, d, c, l, err := m.ReduceLROnPlateau(); err != nil || f != 0 || p != 0 || d != 0 || c != 0 || l != 0 {
		t.Fatalf("defaults %v %v %v %v %v %v", f, p, d, c, l, err)
	}
	wantError(t, m.SetReduceLROnPlateau(1, 10, 0, 0, 0), ErrInvalidArgument, "factor")
	// No epoch beats the first by 1e9: with patience 0 every later epoch halves the rate.
	must(t, m.SetReduceLROnPlateau(0.5, 0, 1e9, 0, 0))
	if f, p, d, _, _, _ := m.ReduceLROnPlateau(); f != 0.5 || p != 0 || d != 1e9 {
		t.Fatalf("settings %v %v %v", f, p, d)
	}
	d, err := NewDataset([]int64{3}, optX)
	must(t, err)
	defer d.Close()
	must(t, d.SetTargets(optY, 2))
	must(t, m.Fit(d, 4, 2, nil))
	if v, _ := m.OptimizerFloat(LearningRate); float32(v) != 0.01 {
		t.Fatalf("learning rate %v after 3 reductions", v)
	}
}
