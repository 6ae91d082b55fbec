package deep

import (
	"errors"
	"testing"
)

// firstSign is count sequences of steps steps with one feature each, labelled by the sign of
// their first step: the answer is at the start, and a recurrent layer's last output must
// carry it through the following steps of noise.
func firstSign(t *testing.T, seed uint64, count, steps int) *Dataset {
	t.Helper()
	state := seed*2862933555777941757 + 3037000493
	next := func() float32 {
		state = state*6364136223846793005 + 1442695040888963407
		return float32(state>>40)/float32(1<<24)*2 - 1
	}
	features := make([]float32, 0, count*steps)
	labels := make([]int32, count)
	for i := 0; i < count; i++ {
		first := next()
		for first > -0.2 && first < 0.2 {
			first = next()
		}
		features = append(features, first)
		for s := 1; s < steps; s++ {
			features = append(features, next()*0.5)
		}
		if first > 0 {
			labels[i] = 1
		}
	}
	d, err := NewDataset([]int64{int64(steps), 1}, features)
	must(t, err)
	must(t, d.SetLabels(labels, 2))
	return d
}

// trainRecurrent fits model (already holding its layers) on the first-sign task and returns
// its test accuracy.
func trainRecurrent(t *testing.T, m *Model, epochs int) float64 {
	t.Helper()
	train, test := firstSign(t, 1, 600, 8), firstSign(t, 2, 300, 8)
	defer train.Close()
	defer test.Close()
	must(t, m.AddDense(2, Softmax))
	adam, err := NewOptimizer(Adam)
	must(t, err)
	must(t, adam.SetFloat(LearningRate, 0.01))
	must(t, m.Compile(adam, SparseCategoricalCrossentropy, MetricAccuracy))
	must(t, m.Fit(train, epochs, 32, nil))
	values, err := m.Evaluate(test, 100)
	must(t, err)
	return values[1]
}

func recurrentModel(t *testing.T) *Model {
	t.Helper()
	m, err := NewModel(8, 1)
	must(t, err)
	must(t, m.SetSeed(3))
	must(t, m.SetInt(ModelThreads, 1))
	return m
}

func TestLSTMLearnsFirstSign(t *testing.T) {
	m := recurrentModel(t)
	defer m.Close()
	must(t, m.AddLSTM(16))
	// LSTM(16) on 1 feature: 4*16*(1+16+1) parameters.
	if n, _ := m.ParameterCount(); n != 4*16*18 {
		t.Fatalf("parameter count %d", n)
	}
	if acc := trainRecurrent(t, m, 15); acc < 0.95 {
		t.Fatalf("LSTM test accuracy %.4f < 0.95", acc)
	}
	if n, _ := m.WeightCount(0); n != 3 {
		t.Fatalf("LSTM has %d weights, want kernel, recurrent_kernel, bias", n)
	}
}

func TestGRUAndSimpleRNNLearnFirstSign(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  func(m *Model) error
	}{
		{"GRU", func(m *Model) error { return m.AddGRU(16) }},
		{"SimpleRNN", func(m *Model) error { return m.AddSimpleRNN(16) }},
		{"stacked LSTM, backwards", func(m *Model) error {
			if err := m.AddLSTM(8, ReturnSequences()); err != nil {
				return err
			}
			if err := m.AddLSTM(8); err != nil {
				return err
			}
			// Reading the steps last to first puts the first step next to the output.
			return m.SetLayerInt(-1, LayerGoBackwards, 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := recurrentModel(t)
			defer m.Close()
			must(t, tc.add(m))
			if acc := trainRecurrent(t, m, 15); acc < 0.9 {
				t.Fatalf("%s test accuracy %.4f < 0.9", tc.name, acc)
			}
		})
	}
}

func TestEmbeddingLearnsToken(t *testing.T) {
	// Sequences of ids 2..9, padded to 6; label 1 when id 7 occurs.
	var seqs [][]int32
	var labels []int32
	state := uint64(11)
	for i := 0; i < 600; i++ {
		n := 3 + i%4
		s := make([]int32, n)
		label := int32(0)
		for j := range s {
			state = state*6364136223846793005 + 1442695040888963407
			s[j] = 2 + int32(state>>60)%8
			if s[j] == 7 {
				label = 1
			}
		}
		seqs = append(seqs, s)
		labels = append(labels, label)
	}
	d, err := NewSequences(seqs, 6, PadPre, PadPre)
	must(t, err)
	defer d.Close()
	must(t, d.SetLabels(labels, 2))
	train, test, err := d.Split(0.25, 1, true)
	must(t, err)
	defer train.Close()
	defer test.Close()
	m, err := NewModel(6)
	must(t, err)
	defer m.Close()
	must(t, m.SetSeed(5))
	must(t, m.AddEmbedding(10, 8, 0))
	must(t, m.AddLSTM(16))
	must(t, m.AddDense(2, Softmax))
	adam, _ := NewOptimizer(Adam)
	must(t, adam.SetFloat(LearningRate, 0.01))
	must(t, m.Compile(adam, SparseCategoricalCrossentropy, MetricAccuracy))
	must(t, m.Fit(train, 20, 32, nil))
	values, err := m.Evaluate(test, 64)
	must(t, err)
	if values[1] < 0.9 {
		t.Fatalf("Embedding+LSTM test accuracy %.4f < 0.9", values[1])
	}
	// An id beyond the embedding's 10 rows is refused, naming the value.
	bad, _ := NewTensor([]int64{1, 6}, []float32{2, 3, 4, 5, 6, 12})
	defer bad.Close()
	_, err = m.Predict(bad)
	wantError(t, err, ErrOutOfRange, "deep_model_predict")
}

func TestConvolutionLayers(t *testing.T) {
	m, err := NewModel(8, 8, 3)
	must(t, err)
	defer m.Close()
	must(t, m.AddConv2D(4, 3, 3, Same, Linear, Strides(2, 2), NoBias()))
	must(t, m.AddBatchNormalization(BatchNormMomentum, BatchNormEpsilon))
	must(t, m.AddActivation(ReLU))
	must(t, m.AddAveragePooling2D(2, 2, WithPadding(Same)))
	must(t, m.AddMaxPooling2D(2, 2, Strides(1, 1)))
	must(t, m.AddGlobalAveragePooling2D())
	must(t, m.AddDense(3, Softmax, NoBias()))
	// Conv 3*3*3*4 (no bias), batch norm 4*4, dense 4*3 (no bias).
	if n, _ := m.ParameterCount(); n != 3*3*3*4+4*4+4*3 {
		t.Fatalf("parameter count %d", n)
	}
	if n, _ := m.LayerCount(); n != 7 {
		t.Fatalf("%d layers", n)
	}
	if n, _ := m.WeightCount(1); n != 4 {
		t.Fatalf("batch normalization has %d weights, want 4", n)
	}
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, CategoricalCrossentropy))
	x, _ := NewTensorFilled([]int64{5, 8, 8, 3}, 0.5)
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	if shape, _ := y.Shape(); len(shape) != 2 || shape[0] != 5 || shape[1] != 3 {
		t.Fatalf("output shape %v", shape)
	}
	if sum, _ := y.Sum(); sum < 4.999 || sum > 5.001 {
		t.Fatalf("softmax rows sum to %v, want 5", sum)
	}
}

func TestReshape(t *testing.T) {
	m, err := NewModel(12)
	must(t, err)
	defer m.Close()
	wantError(t, m.AddReshape(5, 3), ErrShape, "deep_model_add_reshape")
	wantError(t, m.AddReshape(-1, 2, -1), ErrInvalidArgument, "more than one -1")
	wantError(t, m.AddReshape(), ErrNull, "deep_model_add_reshape")
	must(t, m.AddReshape(3, -1))
	must(t, m.AddDense(2, Linear))
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	x, _ := NewTensorFilled([]int64{4, 12}, 0.5)
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	// Dense acts on the last axis of (3, 4): (3, 2) per sample.
	if shape, _ := y.Shape(); len(shape) != 3 || shape[0] != 4 || shape[1] != 3 || shape[2] != 2 {
		t.Fatalf("output shape %v, want [4 3 2]", shape)
	}
}

func TestLayerErrors(t *testing.T) {
	m, err := NewModel(8, 1)
	must(t, err)
	defer m.Close()
	// Optional arguments a layer does not take are refused by name.
	err = m.AddDense(4, ReLU, ReturnSequences())
	wantError(t, err, ErrInvalidArgument, "ReturnSequences does not apply")
	wantError(t, m.AddSimpleRNN(4, WithRecurrentActivation(Sigmoid)), ErrInvalidArgument, "AddSimpleRNN")
	wantError(t, m.AddGlobalAveragePooling2D(), ErrShape, "deep_model_add_global_average_pooling2d")
	wantError(t, m.AddLSTM(4, WithActivation(Softmax)), ErrInvalidArgument, "deep_model_add_lstm")
	wantError(t, m.AddLSTM(0), ErrInvalidArgument, "deep_model_add_lstm")
	wantError(t, m.AddDense(4, ReLU, LayerArg{}), ErrInvalidArgument, "zero LayerArg")
	if n, _ := m.LayerCount(); n != 0 {
		t.Fatalf("failed additions left %d layers", n)
	}
	must(t, m.AddLSTM(4))
	// An LSTM gives (4,): a second one needs ReturnSequences on the first.
	wantError(t, m.AddLSTM(4), ErrShape, "deep_model_add_lstm")
	must(t, m.SetLayerFloat(0, LayerDropout, 0.2))
	must(t, m.SetLayerFloat(0, LayerRecurrentDropout, 0.1))
	must(t, m.SetLayerInt(0, LayerUnitForgetBias, 0))
	if v, err := m.LayerFloat(0, LayerDropout); err != nil || v != float64(float32(0.2)) {
		t.Fatalf("LayerFloat(dropout) = %v, %v; want float32(0.2)", v, err)
	}
	if v, err := m.LayerInt(-1, LayerUnitForgetBias); err != nil || v != 0 {
		t.Fatalf("LayerInt(unit_forget_bias) = %v, %v; want 0", v, err)
	}
	if v, err := m.LayerInt(0, LayerGoBackwards); err != nil || v != 0 {
		t.Fatalf("LayerInt(go_backwards) = %v, %v; want the default 0", v, err)
	}
	_, err = m.LayerInt(0, LayerResetAfter)
	wantError(t, err, ErrInvalidArgument, "deep_model_get_layer_int")
	_, err = m.LayerFloat(0, LayerGoBackwards)
	wantError(t, err, ErrInvalidArgument, "deep_model_get_layer_float")
	wantError(t, m.SetLayerFloat(0, LayerDropout, 1.5), ErrInvalidArgument, "deep_model_set_layer_float")
	wantError(t, m.SetLayerInt(0, LayerDropout, 1), ErrInvalidArgument, "deep_model_set_layer_int")
	wantError(t, m.SetLayerInt(5, LayerGoBackwards, 1), ErrOutOfRange, "deep_model_set_layer_int")
	must(t, m.AddDense(2, Softmax))
	wantError(t, m.SetLayerInt(-1, LayerGoBackwards, 1), ErrInvalidArgument, "deep_model_set_layer_int")
	opt, _ := NewOptimizer(Adam)
	must(t, m.Compile(opt, SparseCategoricalCrossentropy))
	wantError(t, m.SetLayerInt(0, LayerGoBackwards, 1), ErrState, "deep_model_set_layer_int")

	// Nil and closed models.
	var none *Model
	wantError(t, none.AddLSTM(4), ErrNull, "Model.AddLSTM")
	must(t, none.Close())
	must(t, m.Close())
	if err := m.AddGRU(3); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddGRU after Close: %v", err)
	}
	if err := m.SetLayerInt(0, LayerGoBackwards, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetLayerInt after Close: %v", err)
	}
}

func TestConv2DTranspose(t *testing.T) {
	m, err := NewModel(4, 4, 3)
	must(t, err)
	defer m.Close()
	wantError(t, m.AddConv2DTranspose(2, 3, 3, Same, ReLU, Strides(2, 2), OutputPadding(2, 0)), ErrInvalidArgument,
		"output_padding 2 x 0 must be below the strides 2 x 2")
	wantError(t, m.AddConv2DTranspose(2, 3, 3, Same, ReLU, WithPadding(Valid)), ErrInvalidArgument,
		"WithPadding does not apply")
	must(t, m.AddConv2DTranspose(5, 3, 3, Same, ReLU, Strides(2, 2)))                                   // 8x8x5
	must(t, m.AddConv2DTranspose(2, 3, 2, Valid, Linear, Strides(2, 3), OutputPadding(1, 2), NoBias())) // 18x25x2
	if n, _ := m.ParameterCount(); n != 3*3*5*3+5+3*2*2*5 {
		t.Fatalf("parameter count %d", n)
	}
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	if w, err := m.Weight(0, 0); err != nil {
		t.Fatal(err)
	} else {
		defer w.Close()
		if shape, _ := w.Shape(); len(shape) != 4 || shape[2] != 5 || shape[3] != 3 {
			t.Fatalf("kernel shape %v, want (3, 3, 5, 3) as Keras stores it", shape)
		}
	}
	x, _ := NewTensorFilled([]int64{2, 4, 4, 3}, 0.5)
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	if shape, _ := y.Shape(); len(shape) != 4 || shape[1] != 18 || shape[2] != 25 || shape[3] != 2 {
		t.Fatalf("output shape %v, want (2, 18, 25, 2)", shape)
	}
}

func TestUpSampling2D(t *testing.T) {
	m, err := NewModel(1, 2, 1)
	must(t, err)
	defer m.Close()
	wantError(t, m.AddUpSampling2D(0, 2, Nearest), ErrInvalidArgument, "size 0 x 2")
	wantError(t, m.AddUpSampling2D(2, 2, Interpolation(7)), ErrInvalidArgument, "unknown interpolation 7")
	must(t, m.AddUpSampling2D(1, 2, Bilinear)) // (1, 4, 1)
	must(t, m.AddUpSampling2D(2, 1, Nearest))  // (2, 4, 1)
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	x, _ := NewTensor([]int64{1, 1, 2, 1}, []float32{1, 2})
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	// PyTorch's interpolate([1, 2], scale_factor=2, mode="linear") is [1, 1.25, 1.75, 2];
	// then each row twice.
	want := []float32{1, 1.25, 1.75, 2, 1, 1.25, 1.75, 2}
	got, err := y.Data()
	must(t, err)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("output %v, want %v", got, want)
		}
	}
}

func TestZeroPadding2DAndCropping2D(t *testing.T) {
	m, err := NewModel(2, 2, 1)
	must(t, err)
	defer m.Close()
	wantError(t, m.AddZeroPadding2D(1, -1, 0, 0), ErrInvalidArgument, "must be in 0..2147483647 on each side")
	wantError(t, m.AddCropping2D(1, 1, 0, 0), ErrShape, "at least one row must stay")
	must(t, m.AddZeroPadding2D(1, 0, 0, 2)) // (3, 4, 1)
	must(t, m.AddCropping2D(1, 0, 0, 1))    // (2, 3, 1)
	opt, _ := NewOptimizer(SGD)
	must(t, m.Compile(opt, MeanSquaredError))
	x, _ := NewTensor([]int64{1, 2, 2, 1}, []float32{1, 2, 3, 4})
	defer x.Close()
	y, err := m.Predict(x)
	must(t, err)
	defer y.Close()
	want := []float32{1, 2, 0, 3, 4, 0} // by hand: two zero columns added on the right, one cut
	got, err := y.Data()
	must(t, err)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("output %v, want %v", got, want)
		}
	}
}
