package deep

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// xor is count points of [-1, 1]^2 away from the axes, labelled 1 where x and y differ in
// sign: a problem no linear model solves.
func xor(t *testing.T, seed uint64, count int) *Dataset {
	t.Helper()
	features := make([]float32, 0, 2*count)
	labels := make([]int32, 0, count)
	state := seed*6364136223846793005 + 1442695040888963407
	next := func() float32 {
		state = state*6364136223846793005 + 1442695040888963407
		return float32(state>>40)/float32(1<<24)*2 - 1
	}
	for len(labels) < count {
		x, y := next(), next()
		if (x > -0.1 && x < 0.1) || (y > -0.1 && y < 0.1) {
			continue
		}
		features = append(features, x, y)
		var label int32
		if (x > 0) != (y > 0) {
			label = 1
		}
		labels = append(labels, label)
	}
	d, err := NewDataset([]int64{2}, features)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetLabels(labels, 2); err != nil {
		t.Fatal(err)
	}
	return d
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantError checks that err is an *Error of status want whose message names the C function.
func wantError(t *testing.T, err error, want Status, function string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %q does not match %v", err, want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %q is not a *deep.Error", err)
	}
	if !strings.Contains(e.Message, function) {
		t.Fatalf("message %q does not name %s", e.Message, function)
	}
}

func TestVersion(t *testing.T) {
	if Version() != HeaderVersion() {
		t.Fatalf("library %s, header %s", Version(), HeaderVersion())
	}
	if CPUCount() < 1 {
		t.Fatalf("CPUCount %d", CPUCount())
	}
	if ErrShape.String() != "DEEP_ERR_SHAPE" {
		t.Fatalf("ErrShape.String() = %q", ErrShape.String())
	}
}

func TestTensor(t *testing.T) {
	x, err := NewTensor([]int64{2, 3}, []float32{0.1, 0.7, 0.2, 0.5, 0.3, 0.2})
	must(t, err)
	defer x.Close()
	shape, err := x.Shape()
	must(t, err)
	if len(shape) != 2 || shape[0] != 2 || shape[1] != 3 {
		t.Fatalf("shape %v", shape)
	}
	classes, err := x.Argmax()
	must(t, err)
	if len(classes) != 2 || classes[0] != 1 || classes[1] != 0 {
		t.Fatalf("argmax %v", classes)
	}
	must(t, x.Reshape([]int64{3, -1}))
	shape, _ = x.Shape()
	if shape[0] != 3 || shape[1] != 2 {
		t.Fatalf("reshaped to %v", shape)
	}
	data, err := x.Data()
	must(t, err)
	if len(data) != 6 || data[1] != 0.7 {
		t.Fatalf("data %v", data)
	}
	zeros, err := NewTensor([]int64{4}, nil)
	must(t, err)
	defer zeros.Close()
	if n, _ := zeros.Size(); n != 4 {
		t.Fatalf("size %d", n)
	}
}

func TestTensorErrors(t *testing.T) {
	_, err := NewTensor([]int64{2, 3}, []float32{1, 2, 3})
	wantError(t, err, ErrShape, "deep_tensor_new_from")
	_, err = NewTensor(nil, nil)
	if err == nil {
		t.Fatal("a rank-0 tensor was accepted")
	}
	x, err := NewTensor([]int64{2, 3}, nil)
	must(t, err)
	defer x.Close()
	wantError(t, x.Reshape([]int64{4, 2}), ErrShape, "deep_tensor_reshape")
	wantError(t, x.SetData([]float32{1}), ErrShape, "deep_tensor_copy_from")
	// The failed reshape left the shape alone.
	if shape, _ := x.Shape(); shape[0] != 2 || shape[1] != 3 {
		t.Fatalf("shape after a failed reshape: %v", shape)
	}
}

func TestDatasetErrors(t *testing.T) {
	// 5 floats are not whole samples of 2: refused before C reads past the slice.
	_, err := NewDataset([]int64{2}, []float32{1, 2, 3, 4, 5})
	wantError(t, err, ErrShape, "deep.NewDataset")
	_, err = NewDataset([]int64{0}, []float32{1})
	if err == nil {
		t.Fatal("a sample shape (0) was accepted")
	}
	d, err := NewDataset([]int64{2}, []float32{1, 2, 3, 4})
	must(t, err)
	defer d.Close()
	wantError(t, d.SetLabels([]int32{0, 1, 1}, 2), ErrShape, "deep_dataset_set_labels")
	wantError(t, d.ToCategorical(), ErrState, "deep_dataset_to_categorical")
	_, err = d.Labels()
	wantError(t, err, ErrState, "deep_dataset_labels")
	wantError(t, d.SetTargets([]float32{1, 2, 3}, 2), ErrShape, "SetTargets")
	_, err = LoadCSV(filepath.Join(t.TempDir(), "missing.csv"), "")
	wantError(t, err, ErrIO, "deep_dataset_load_csv")
	_, err = LoadIDX(filepath.Join(t.TempDir(), "missing-images"), "")
	wantError(t, err, ErrIO, "deep_dataset_load_idx")

	// Samples of (2) can become (2, 1) or (1, 2) but not (3).
	must(t, d.Reshape([]int64{2, 1}))
	shape, err := d.SampleShape()
	must(t, err)
	if len(shape) != 2 || shape[0] != 2 || shape[1] != 1 {
		t.Fatalf("sample shape %v after reshape", shape)
	}
	wantError(t, d.Reshape([]int64{3}), ErrShape, "deep_dataset_reshape")
	must(t, d.Scale(0.5, 1))
	x, err := d.Features()
	must(t, err)
	defer x.Close()
	if data, _ := x.Data(); data[0] != 1.5 || data[3] != 3 {
		t.Fatalf("scaled features %v", data)
	}
}

func TestNetworkLearnsXOR(t *testing.T) {
	train, test := xor(t, 1, 800), xor(t, 2, 400)
	defer train.Close()
	defer test.Close()
	m, err := NewModel(2)
	must(t, err)
	defer m.Close()
	must(t, m.SetSeed(7))
	must(t, m.SetInt(ModelThreads, 1))
	must(t, m.AddDense(16, Tanh))
	must(t, m.AddDense(2, Softmax))
	adam, err := NewOptimizer(Adam)
	must(t, err)
	must(t, adam.SetFloat(LearningRate, 0.02))
	must(t, m.Compile(adam, SparseCategoricalCrossentropy, MetricAccuracy))
	must(t, m.Fit(train, 40, 32, nil))
	epochs, err := m.HistoryLength()
	must(t, err)
	firstLoss, err := m.History(0, MetricLoss, false)
	must(t, err)
	lastLoss, err := m.History(epochs-1, MetricLoss, false)
	must(t, err)
	if epochs != 40 || !(lastLoss < firstLoss) {
		t.Fatalf("history: %d epochs, loss %.4f then %.4f", epochs, firstLoss, lastLoss)
	}
	_, err = m.History(epochs, MetricLoss, false)
	wantError(t, err, ErrOutOfRange, "deep_model_history")
	values, err := m.Evaluate(test, 100)
	must(t, err)
	if len(values) != 2 || values[1] < 0.9 {
		t.Fatalf("evaluate: %v; want accuracy >= 0.9", values)
	}
	summary, err := m.Summary()
	must(t, err)
	if !strings.Contains(summary, "dense") {
		t.Fatalf("summary without its dense layers:\n%s", summary)
	}
	if n, _ := m.ParameterCount(); n != 2*16+16+16*2+2 {
		t.Fatalf("parameter count %d", n)
	}

	// Predicting from many goroutines at once is allowed and gives the same answer.
	inputs, err := test.Features()
	must(t, err)
	defer inputs.Close()
	first, err := m.Predict(inputs)
	must(t, err)
	want, _ := first.Data()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := m.Predict(inputs)
			if err != nil {
				errs <- err
				return
			}
			defer out.Close()
			got, _ := out.Data()
			for j := range want {
				if got[j] != want[j] {
					errs <- errors.New("concurrent predictions differ")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestModelErrors(t *testing.T) {
	train := xor(t, 3, 64)
	defer train.Close()
	m, err := NewModel(2)
	must(t, err)
	defer m.Close()
	wantError(t, m.Fit(train, 1, 8, nil), ErrState, "deep_model_fit")
	wantError(t, m.AddDense(0, ReLU), ErrInvalidArgument, "deep_model_add_dense")
	must(t, m.AddDense(2, Softmax))
	sgd, err := NewOptimizer(SGD)
	must(t, err)
	wantError(t, sgd.SetFloat(Beta1, 0.5), ErrInvalidArgument, "deep_optimizer_set_float")
	must(t, m.Compile(sgd, SparseCategoricalCrossentropy))
	// The model owns the optimizer now: the Go handle is closed, and closing it is harmless.
	if err := sgd.SetFloat(LearningRate, 0.1); !errors.Is(err, ErrClosed) {
		t.Fatalf("optimizer after Compile: %v; want ErrClosed", err)
	}
	must(t, sgd.Close())
	if err := m.Compile(sgd, SparseCategoricalCrossentropy); !errors.Is(err, ErrClosed) {
		t.Fatalf("compiling with a taken optimizer: %v; want ErrClosed", err)
	}
	wrong, err := NewTensor([]int64{4, 3}, nil)
	must(t, err)
	defer wrong.Close()
	out, err := m.Predict(wrong)
	wantError(t, err, ErrShape, "deep_model_predict")
	if out != nil {
		t.Fatal("a failed Predict returned a tensor")
	}
	wantError(t, m.Fit(train, 1, 0, nil), ErrInvalidArgument, "deep_model_fit")
}

func TestForestLearnsXOR(t *testing.T) {
	train, test := xor(t, 4, 800), xor(t, 5, 400)
	defer train.Close()
	defer test.Close()
	f, err := NewForest(Classifier)
	must(t, err)
	defer f.Close()
	must(t, f.SetInt(ForestNEstimators, 25))
	must(t, f.SetInt(TreeSeed, 3))
	must(t, f.Fit(train))
	score, err := f.Score(test)
	must(t, err)
	if score < 0.9 {
		t.Fatalf("forest test accuracy %.4f < 0.9", score)
	}
	importances, err := f.FeatureImportances()
	must(t, err)
	if len(importances) != 2 {
		t.Fatalf("forest importances %v: want one per feature (2)", importances)
	}
	if sum := importances[0] + importances[1]; sum < 0.999 || sum > 1.001 {
		t.Fatalf("forest importances %v do not sum to 1", importances)
	}
	if n, _ := f.TreeCount(); n != 25 {
		t.Fatalf("%d trees", n)
	}

	// A saved and loaded forest predicts the same.
	path := filepath.Join(t.TempDir(), "forest.bin")
	must(t, f.Save(path))
	g, err := LoadForest(path)
	must(t, err)
	defer g.Close()
	inputs, err := test.Features()
	must(t, err)
	defer inputs.Close()
	a, err := f.Predict(inputs)
	must(t, err)
	b, err := g.Predict(inputs)
	must(t, err)
	da, _ := a.Data()
	db, _ := b.Data()
	for i := range da {
		if da[i] != db[i] {
			t.Fatalf("prediction %d: %v before saving, %v after loading", i, da[i], db[i])
		}
	}

	tree, err := NewTree(Classifier)
	must(t, err)
	defer tree.Close()
	must(t, tree.SetInt(TreeMaxDepth, 4))
	must(t, tree.Fit(train))
	if depth, _ := tree.Depth(); depth < 1 || depth > 4 {
		t.Fatalf("tree depth %d", depth)
	}
	treeScore, err := tree.Score(test)
	must(t, err)
	if treeScore < 0.9 {
		t.Fatalf("tree test accuracy %.4f < 0.9", treeScore)
	}
}

func TestTreeErrors(t *testing.T) {
	tree, err := NewTree(Classifier)
	must(t, err)
	defer tree.Close()
	x, err := NewTensor([]int64{3, 2}, nil)
	must(t, err)
	defer x.Close()
	_, err = tree.Predict(x)
	wantError(t, err, ErrState, "deep_tree_predict")
	wantError(t, tree.SetInt(TreeMaxDepth, 0), ErrInvalidArgument, "deep_tree_set_int")
	wantError(t, tree.SetInt(ForestNEstimators, 10), ErrInvalidArgument, "deep_tree_set_int")
	wantError(t, tree.Save(filepath.Join(t.TempDir(), "t.bin")), ErrState, "deep_tree_save")

	train := xor(t, 6, 100)
	defer train.Close()
	must(t, tree.Fit(train))
	wide, err := NewTensor([]int64{3, 5}, nil)
	must(t, err)
	defer wide.Close()
	_, err = tree.Predict(wide)
	if err == nil {
		t.Fatal("predicting 5 features with a tree fitted on 2 succeeded")
	}

	bad := filepath.Join(t.TempDir(), "bad.bin")
	must(t, os.WriteFile(bad, []byte("not a forest"), 0o644))
	_, err = LoadForest(bad)
	wantError(t, err, ErrFormat, "deep_forest_load")
}

func TestUseAfterClose(t *testing.T) {
	x, err := NewTensor([]int64{2}, []float32{1, 2})
	must(t, err)
	must(t, x.Close())
	must(t, x.Close()) // twice is fine
	if _, err := x.Data(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Data after Close: %v", err)
	}
	if err := x.Reshape([]int64{2}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Reshape after Close: %v", err)
	}

	d := xor(t, 7, 10)
	must(t, d.Close())
	if _, err := d.Count(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Count after Close: %v", err)
	}
	m, err := NewModel(2)
	must(t, err)
	must(t, m.AddDense(2, Softmax))
	opt, err := NewOptimizer(Adam)
	must(t, err)
	must(t, m.Compile(opt, SparseCategoricalCrossentropy))
	if err := m.Fit(d, 1, 4, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Fit on a closed dataset: %v", err)
	}
	y, err := NewTensor([]int64{1, 2}, nil)
	must(t, err)
	must(t, m.Close())
	if _, err := m.Predict(y); !errors.Is(err, ErrClosed) {
		t.Fatalf("Predict after Close: %v", err)
	}
	if err := m.AddDense(1, Linear); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddDense after Close: %v", err)
	}
	must(t, y.Close())
	if _, err := (&Model{}).Summary(); !errors.Is(err, ErrClosed) {
		t.Fatalf("zero Model: %v", err)
	}

	f, err := NewForest(Regressor)
	must(t, err)
	must(t, f.Close())
	if err := f.SetInt(ForestNEstimators, 3); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetInt after Close: %v", err)
	}
}

// Handles dropped without Close are freed by their finalizers.
func TestFinalizers(t *testing.T) {
	before := finalized.Load()
	func() {
		for i := 0; i < 100; i++ {
			if _, err := NewTensor([]int64{16}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for finalized.Load()-before < 100 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := finalized.Load() - before; n < 100 {
		t.Fatalf("only %d of 100 dropped tensors were finalized", n)
	}
}

// Close while other goroutines predict: calls in flight finish, later ones get ErrClosed,
// nothing crashes (go test -race checks the locking).
func TestCloseWhilePredicting(t *testing.T) {
	m, err := NewModel(2)
	must(t, err)
	must(t, m.AddDense(8, ReLU))
	must(t, m.AddDense(2, Softmax))
	opt, err := NewOptimizer(Adam)
	must(t, err)
	must(t, m.Compile(opt, SparseCategoricalCrossentropy))
	inputs, err := NewTensor([]int64{64, 2}, nil)
	must(t, err)
	defer inputs.Close()

	var wg sync.WaitGroup
	var predicted, refused atomic.Int64
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				out, err := m.Predict(inputs)
				switch {
				case err == nil:
					predicted.Add(1)
					out.Close()
				case errors.Is(err, ErrClosed):
					refused.Add(1)
				default:
					errs <- err
					return
				}
			}
		}()
	}
	for predicted.Load() == 0 {
		runtime.Gosched()
	}
	must(t, m.Close())
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := m.Predict(inputs); !errors.Is(err, ErrClosed) {
		t.Fatalf("Predict after Close: %v", err)
	}
	t.Logf("%d predictions before Close, %d refused after", predicted.Load(), refused.Load())
}
