package deep

import (
	"math"
	"reflect"
	"testing"
)

// noise is a reproducible sequence in [-1, 1).
func noise(seed uint64, n int) []float32 {
	state := seed*2862933555777941757 + 3037000493
	values := make([]float32, n)
	for i := range values {
		state = state*6364136223846793005 + 1442695040888963407
		values[i] = float32(state>>40)/float32(1<<24)*2 - 1
	}
	return values
}

func tensorData(t *testing.T, x *Tensor) []float32 {
	t.Helper()
	data, err := x.Data()
	must(t, err)
	return data
}

func weightData(t *testing.T, m *Model, layer, index int) []float32 {
	t.Helper()
	w, err := m.Weight(layer, index)
	must(t, err)
	defer w.Close()
	return tensorData(t, w)
}

// dense computes x (n, in) times kernel (in, out) plus bias by hand.
func dense(x, kernel, bias []float32, in, out int) []float32 {
	n := len(x) / in
	y := make([]float32, n*out)
	for i := 0; i < n; i++ {
		for o := 0; o < out; o++ {
			s := bias[o]
			for k := 0; k < in; k++ {
				s += x[i*in+k] * kernel[k*out+o]
			}
			y[i*out+o] = s
		}
	}
	return y
}

func nearF32(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func predict(t *testing.T, m *Model, x []float32, features int64) []float32 {
	t.Helper()
	in, err := NewTensor([]int64{int64(len(x)) / features, features}, x)
	must(t, err)
	defer in.Close()
	y, err := m.Predict(in)
	must(t, err)
	defer y.Close()
	return tensorData(t, y)
}

// An image branch and a feature branch, concatenated: the deep.h example, smaller.
func TestTwoInputGraph(t *testing.T) {
	m, err := NewModel(2, 2, 1)
	must(t, err)
	defer m.Close()
	extra, err := m.AddInput(3)
	must(t, err)
	must(t, m.Connect(0))
	must(t, m.AddFlatten())
	must(t, m.AddDense(4, ReLU))
	a, err := m.LastNode()
	must(t, err)
	must(t, m.Connect(extra))
	must(t, m.AddDense(4, ReLU))
	b, err := m.LastNode()
	must(t, err)
	must(t, m.Connect(a, b))
	must(t, m.AddConcatenate(-1))
	joined, err := m.LastNode()
	must(t, err)
	must(t, m.AddDense(2, Softmax))

	count, err := m.NodeCount()
	must(t, err)
	shape, err := m.NodeShape(joined)
	must(t, err)
	inputs, err := m.NodeInputs(joined)
	must(t, err)
	layer, err := m.NodeLayer(joined)
	must(t, err)
	input, err := m.NodeLayer(extra)
	must(t, err)
	ins, err := m.InputNodes()
	must(t, err)
	outs, err := m.OutputNodes()
	must(t, err)
	if count != 7 || !reflect.DeepEqual(shape, []int64{8}) || !reflect.DeepEqual(inputs, []Node{a, b}) ||
		layer != 3 || input != -1 || !reflect.DeepEqual(ins, []Node{0, extra}) || !reflect.DeepEqual(outs, []Node{6}) {
		t.Fatalf("graph: %d nodes, shape %v, inputs %v, layer %d/%d, model inputs %v outputs %v",
			count, shape, inputs, layer, input, ins, outs)
	}

	// A row holds the image (4 values), then the 3 features; the class is the first feature's sign.
	const n = 256
	rows := noise(1, n*7)
	labels := make([]int32, n)
	for i := range labels {
		if rows[i*7+4] > 0 {
			labels[i] = 1
		}
	}
	data, err := NewDataset([]int64{7}, rows)
	must(t, err)
	defer data.Close()
	must(t, data.SetLabels(labels, 2))
	opt, err := NewOptimizer(Adam)
	must(t, err)
	must(t, m.SetSeed(5))
	must(t, m.Compile(opt, SparseCategoricalCrossentropy, MetricAccuracy))
	must(t, m.SetInt(ModelVerbose, 0))
	must(t, m.Fit(data, 30, 32, nil))
	results, err := m.Evaluate(data, 64)
	must(t, err)
	if results[1] < 0.9 {
		t.Fatalf("accuracy %v after 30 epochs, want >= 0.9", results[1])
	}
	if got := predict(t, m, rows[:14], 7); len(got) != 4 {
		t.Fatalf("predict gave %d values, want 2 samples of 2", len(got))
	}
}

// A shared Dense applied twice, with an Add skip: y = D2(D(x) + D(D(x))); then the sub-model
// up to the second call of D shares the weights the big model trains.
func TestSharedLayerResidualAndSubmodel(t *testing.T) {
	m, err := NewModel(3)
	must(t, err)
	defer m.Close()
	must(t, m.AddDense(3, Linear))
	first, err := m.LastNode()
	must(t, err)
	second, err := m.ApplyLayer(0, first)
	must(t, err)
	must(t, m.Connect(first, second))
	must(t, m.AddAdd())
	must(t, m.AddDense(1, Linear))
	layers, err := m.LayerCount()
	must(t, err)
	if layers != 3 {
		t.Fatalf("%d layers, want 3 (the shared Dense once)", layers)
	}
	opt, err := NewOptimizer(SGD)
	must(t, err)
	must(t, m.Compile(opt, MeanSquaredError))
	sub, err := m.Submodel([]Node{0}, []Node{second})
	must(t, err)
	defer sub.Close()

	x := noise(2, 16*3)
	byHand := func() ([]float32, []float32) {
		k, b := weightData(t, m, 0, 0), weightData(t, m, 0, 1)
		h1 := dense(x, k, b, 3, 3)
		h2 := dense(h1, k, b, 3, 3)
		sum := make([]float32, len(h1))
		for i := range sum {
			sum[i] = h1[i] + h2[i]
		}
		return h2, dense(sum, weightData(t, m, 2, 0), weightData(t, m, 2, 1), 3, 1)
	}
	h2, y := byHand()
	nearF32(t, "model", predict(t, m, x, 3), y)
	before := predict(t, sub, x, 3)
	nearF32(t, "sub-model", before, h2)

	targets := make([]float32, 16)
	for i := range targets {
		targets[i] = x[i*3] - x[i*3+2]
	}
	data, err := NewDataset([]int64{3}, x)
	must(t, err)
	defer data.Close()
	must(t, data.SetTargets(targets, 1))
	must(t, m.SetInt(ModelVerbose, 0))
	must(t, m.Fit(data, 3, 4, nil))
	h2, _ = byHand()
	after := predict(t, sub, x, 3)
	if reflect.DeepEqual(before, after) {
		t.Fatal("training the model left the sub-model's predictions unchanged")
	}
	nearF32(t, "sub-model after training", after, h2)
	must(t, m.Close()) // the shared weights live on in the sub-model
	nearF32(t, "sub-model after closing the model", predict(t, sub, x, 3), after)
}

func TestGraphErrors(t *testing.T) {
	m, err := NewModel(4)
	must(t, err)
	defer m.Close()
	other, err := m.AddInput(5)
	must(t, err)
	wantError(t, m.Connect(9), ErrOutOfRange, "deep_model_connect")
	must(t, m.Connect(0, other))
	wantError(t, m.AddAdd(), ErrShape, "deep_model_add_add")
	must(t, m.Connect(0))
	wantError(t, m.AddSubtract(), ErrInvalidArgument, "deep_model_add_subtract")
	wantError(t, m.SetOutputs(other), ErrInvalidArgument, "deep_model_set_outputs")
	_, err = m.ApplyLayer(0, 0)
	wantError(t, err, ErrOutOfRange, "deep_model_apply_layer")
	must(t, m.Connect(0))
	must(t, m.AddDense(2, Linear))
	a, err := m.LastNode()
	must(t, err)
	must(t, m.Connect(other))
	must(t, m.AddDense(2, Linear))
	b, err := m.LastNode()
	must(t, err)
	_, err = m.ApplyLayer(0, other)
	wantError(t, err, ErrShape, "deep_model_apply_layer")
	_, err = m.Submodel([]Node{0, other}, []Node{a})
	wantError(t, err, ErrInvalidArgument, "deep_model_submodel")
	_, err = m.NodeShape(99)
	wantError(t, err, ErrOutOfRange, "deep_model_node_shape")
	must(t, m.SetOutputs(a, b)) // several outputs compile since 1.1 (outputs_test.go)
	must(t, m.Connect(a, b))
	must(t, m.AddAdd())
	sum, err := m.LastNode()
	must(t, err)
	must(t, m.SetOutputs(sum))
	opt, err := NewOptimizer(SGD)
	must(t, err)
	must(t, m.Compile(opt, MeanSquaredError))
	_, err = m.AddInput(3)
	wantError(t, err, ErrState, "deep_model_add_input")
}

// A seq2seq encoder-decoder: the encoder LSTM's states (StateNodes) start the decoder
// (initial states after its sequence); the encoder cut out gives those states.
func TestRecurrentStates(t *testing.T) {
	m, err := NewModel(3, 2)
	must(t, err)
	defer m.Close()
	decoderIn, err := m.AddInput(3, 2)
	must(t, err)
	must(t, m.Connect(0))
	must(t, m.AddLSTM(4))
	encoder, err := m.LastNode()
	must(t, err)
	states, err := m.StateNodes(encoder)
	must(t, err)
	if len(states) != 2 {
		t.Fatalf("an LSTM has %d states, want 2", len(states))
	}
	h, c := states[0], states[1]
	if index, err := m.NodeOutputIndex(c); err != nil || index != 2 {
		t.Fatalf("state c has output index %d (%v), want 2", index, err)
	}
	must(t, m.Connect(decoderIn, h, c))
	must(t, m.AddLSTM(4, ReturnSequences()))
	must(t, m.AddDense(2, Linear))
	_, err = m.StateNodes(0)
	wantError(t, err, ErrInvalidArgument, "deep_model_state_nodes")
	opt, err := NewOptimizer(Adam)
	must(t, err)
	must(t, m.Compile(opt, MeanSquaredError))
	x := noise(5, 32*12)
	targets := make([]float32, 32*6)
	for i := 0; i < 32; i++ {
		copy(targets[i*6:i*6+6], x[i*12:i*12+6]) // repeat the encoder's sequence
	}
	data, err := NewDataset([]int64{12}, x)
	must(t, err)
	defer data.Close()
	must(t, data.SetTargets(targets, 6))
	must(t, m.SetInt(ModelVerbose, 0))
	must(t, m.Fit(data, 2, 8, nil))
	sub, err := m.Submodel([]Node{0}, []Node{h, c})
	must(t, err)
	defer sub.Close()
	encoderX := make([]float32, 0, 32*6)
	for i := 0; i < 32; i++ {
		encoderX = append(encoderX, x[i*12:i*12+6]...)
	}
	inputs, err := NewTensor([]int64{32, 3, 2}, encoderX)
	must(t, err)
	defer inputs.Close()
	codes, err := sub.Predict(inputs)
	must(t, err)
	defer codes.Close()
	if shape, _ := codes.Shape(); !reflect.DeepEqual(shape, []int64{32, 8}) {
		t.Fatalf("encoder states of shape %v, want [32 8]", shape)
	}
}

// Keras' Dense(3, name="code"): the loaded model finds the layer by name, and its node
// gives the encoder.
func TestLayerNamesSurviveAFile(t *testing.T) {
	m, err := NewModel(4)
	must(t, err)
	defer m.Close()
	must(t, m.AddDense(3, Linear))
	must(t, m.SetLayerName(0, "code"))
	must(t, m.AddDense(4, Linear))
	if err := m.SetLayerName(1, "code"); err == nil {
		t.Fatal("a second layer named code was accepted")
	}
	opt, err := NewOptimizer(SGD)
	must(t, err)
	must(t, m.Compile(opt, MeanSquaredError))
	data, err := m.SaveBuffer()
	must(t, err)
	loaded, err := LoadModelBuffer(data)
	must(t, err)
	defer loaded.Close()
	if name, err := loaded.LayerName(-1); err != nil || name != "dense_1" {
		t.Fatalf("LayerName(-1) = %q, %v", name, err)
	}
	code, err := loaded.LayerIndex("code")
	must(t, err)
	if _, err := loaded.LayerIndex("nope"); err == nil {
		t.Fatal("LayerIndex found a layer named nope")
	}
	count, err := loaded.NodeCount()
	must(t, err)
	for n := 1; n < count; n++ {
		if layer, _ := loaded.NodeLayer(Node(n)); layer == code {
			encoder, err := loaded.Submodel([]Node{0}, []Node{Node(n)})
			must(t, err)
			defer encoder.Close()
			x := noise(4, 5*4)
			nearF32(t, "encoder", predict(t, encoder, x, 4), dense(x, weightData(t, m, 0, 0), weightData(t, m, 0, 1), 4, 3))
			return
		}
	}
	t.Fatal("no node calls the layer named code")
}
