package deep

import (
	"errors"
	"testing"
)

// Bidirectional, masks, GRU reset_after and return_state through the binding.

func TestBidirectionalLearnsFirstSign(t *testing.T) {
	m := recurrentModel(t)
	defer m.Close()
	must(t, m.AddLSTM(8))
	must(t, m.AddBidirectional(MergeConcat))
	// Two LSTM(8) copies on 1 feature: 2 * 4*8*(1+8+1) parameters.
	if n, _ := m.ParameterCount(); n != 2*4*8*10 {
		t.Fatalf("parameter count %d", n)
	}
	if acc := trainRecurrent(t, m, 15); acc < 0.9 {
		t.Fatalf("Bidirectional(LSTM) test accuracy %.4f < 0.9", acc)
	}
	if n, _ := m.WeightCount(0); n != 6 {
		t.Fatalf("Bidirectional(LSTM) has %d weights, want 6", n)
	}
}

func TestGRUResetBeforeLearnsFirstSign(t *testing.T) {
	m := recurrentModel(t)
	defer m.Close()
	must(t, m.AddGRU(16))
	must(t, m.SetLayerInt(-1, LayerResetAfter, 0))
	if acc := trainRecurrent(t, m, 15); acc < 0.9 {
		t.Fatalf("GRU(reset_after=False) test accuracy %.4f < 0.9", acc)
	}
}

// A sequence padded with zero steps in front gives what the unpadded one gives, once the
// padding is masked, and the final h equals the LSTM's output.
func TestMaskingAndPredictStates(t *testing.T) {
	build := func(steps int64, masked bool) *Model {
		m, err := NewModel(steps, 1)
		must(t, err)
		must(t, m.SetSeed(5))
		if masked {
			must(t, m.AddMasking(0))
		}
		must(t, m.AddLSTM(3))
		opt, _ := NewOptimizer(Adam)
		must(t, m.Compile(opt, MeanSquaredError))
		return m
	}
	padded, alone := build(5, true), build(2, false)
	defer padded.Close()
	defer alone.Close()
	for w := 0; w < 3; w++ {
		weight, err := padded.Weight(1, w)
		must(t, err)
		must(t, alone.SetWeight(0, w, weight))
		weight.Close()
	}
	x, _ := NewTensor([]int64{1, 5, 1}, []float32{0, 0, 0, 0.5, -0.7})
	y, _ := NewTensor([]int64{1, 2, 1}, []float32{0.5, -0.7})
	defer x.Close()
	defer y.Close()
	got, err := padded.Predict(x)
	must(t, err)
	defer got.Close()
	want, err := alone.Predict(y)
	must(t, err)
	defer want.Close()
	a, _ := got.Data()
	b, _ := want.Data()
	for i := range b {
		if d := a[i] - b[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("padded output %v, unpadded %v", a, b)
		}
	}
	h, _ := NewTensorFilled([]int64{1, 3}, 0)
	c, _ := NewTensorFilled([]int64{1, 3}, 0)
	defer h.Close()
	defer c.Close()
	must(t, padded.PredictStates(x, -1, h, c))
	hv, _ := h.Data()
	for i := range hv {
		if hv[i] != a[i] {
			t.Fatalf("final h %v, output %v", hv, a)
		}
	}
	must(t, padded.PredictStates(x, -1, h, nil))
	wantError(t, padded.PredictStates(x, 0, h, nil), ErrInvalidArgument, "is not recurrent")
	bad, _ := NewTensorFilled([]int64{2, 3}, 0)
	defer bad.Close()
	wantError(t, padded.PredictStates(x, -1, bad, nil), ErrShape, "deep_model_predict_states")
	wantError(t, padded.PredictStates(x, -1, nil, nil), ErrNull, "Model.PredictStates: h")
}

func TestSequenceLayerErrors(t *testing.T) {
	m, err := NewModel(4, 2)
	must(t, err)
	defer m.Close()
	wantError(t, m.AddBidirectional(MergeConcat), ErrState, "deep_model_add_bidirectional")
	must(t, m.AddMasking(0))
	wantError(t, m.AddBidirectional(MergeConcat), ErrInvalidArgument, "deep_model_add_bidirectional")
	wantError(t, m.AddFlatten(), ErrInvalidArgument, "deep_model_add_flatten")
	must(t, m.AddGRU(3, ReturnSequences()))
	wantError(t, m.AddBidirectional(MergeMode(9)), ErrInvalidArgument, "deep_model_add_bidirectional")
	wantError(t, m.SetLayerInt(-1, LayerMaskZero, 1), ErrInvalidArgument, "deep_model_set_layer_int")
	must(t, m.AddBidirectional(MergeAve))
	must(t, m.SetLayerInt(-1, LayerResetAfter, 0))
	must(t, m.Close())
	if err := m.AddMasking(0); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddMasking after Close: %v", err)
	}
}
