package deep

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func callbackModel(t *testing.T) *Model {
	t.Helper()
	m, err := NewModel(2)
	must(t, err)
	must(t, m.SetSeed(4))
	must(t, m.SetInt(ModelThreads, 1))
	must(t, m.AddDense(8, Tanh))
	must(t, m.AddDense(2, Softmax))
	opt, _ := NewOptimizer(Adam)
	must(t, m.Compile(opt, SparseCategoricalCrossentropy, MetricAccuracy))
	return m
}

func TestCallbacksOncePerEpochWithTheLoss(t *testing.T) {
	m := callbackModel(t)
	defer m.Close()
	train := xor(t, 21, 100) // 100 samples in batches of 32: 4 batches an epoch
	defer train.Close()
	var epochs []int
	var losses []float64
	batches := map[int]int64{}
	var lines []string
	must(t, m.SetCallbacks(func(epoch int, batch int64, loss float64) bool {
		if batch != batches[epoch] {
			t.Errorf("epoch %d: batch %d came after %d", epoch, batch, batches[epoch])
		}
		batches[epoch]++
		if !(loss > 0) {
			t.Errorf("batch loss %v", loss)
		}
		return false
	}, func(e *Epoch) bool {
		epochs = append(epochs, e.Index)
		loss, err := e.Loss()
		if err != nil {
			t.Error(err)
		}
		losses = append(losses, loss)
		if n, _ := e.HistoryLength(); n != e.Index+1 {
			t.Errorf("epoch %d: history of %d", e.Index, n)
		}
		return false
	}))
	must(t, m.SetLog(func(level LogLevel, message string) {
		if level != LogInfo {
			t.Errorf("log level %v", level)
		}
		lines = append(lines, message)
	}))
	must(t, m.Fit(train, 3, 32, nil))
	if len(epochs) != 3 || epochs[0] != 0 || epochs[2] != 2 {
		t.Fatalf("epoch callback calls: %v", epochs)
	}
	for epoch, loss := range losses {
		want, err := m.History(epoch, MetricLoss, false)
		must(t, err)
		if loss != want {
			t.Fatalf("epoch %d: callback saw loss %v, history has %v", epoch, loss, want)
		}
	}
	for epoch := 0; epoch < 3; epoch++ {
		if batches[epoch] != 4 {
			t.Fatalf("epoch %d had %d batch calls, want 4", epoch, batches[epoch])
		}
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Epoch 1/3") || !strings.Contains(lines[2], "accuracy") {
		t.Fatalf("log lines %q", lines)
	}

	// Removing them: the next Fit calls nothing.
	must(t, m.SetCallbacks(nil, nil))
	must(t, m.SetLog(nil))
	epochs, lines = nil, nil
	must(t, m.Fit(train, 1, 32, nil))
	if len(epochs) != 0 || len(lines) != 0 {
		t.Fatalf("removed callbacks were called: %v %q", epochs, lines)
	}
	must(t, m.SetConsoleLog())
	must(t, m.SetInt(ModelVerbose, 0))
	must(t, m.Fit(train, 1, 32, nil))
}

func TestCallbacksStopAndSchedule(t *testing.T) {
	m := callbackModel(t)
	defer m.Close()
	train := xor(t, 22, 100)
	defer train.Close()
	var kept *Epoch
	must(t, m.SetCallbacks(nil, func(e *Epoch) bool {
		lr, err := e.OptimizerFloat(LearningRate)
		if err != nil {
			t.Error(err)
		}
		if err := e.SetOptimizerFloat(LearningRate, lr/2); err != nil {
			t.Error(err)
		}
		kept = e
		return e.Index == 1 // stop after the second epoch
	}))
	must(t, m.Fit(train, 10, 32, nil))
	if n, _ := m.HistoryLength(); n != 2 {
		t.Fatalf("Fit ran %d epochs; the callback stopped it after 2", n)
	}
	lr, err := m.OptimizerFloat(LearningRate)
	must(t, err)
	if lr != float64(float32(0.001)/4) { // the optimizer keeps float32 settings

		t.Fatalf("learning rate %v after two halvings of 0.001", lr)
	}
	// An Epoch kept past its callback is dead.
	if _, err := kept.Loss(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Epoch used after its callback: %v", err)
	}
	var none *Epoch
	_, err = none.Loss()
	wantError(t, err, ErrNull, "Epoch.Value")

	// A batch callback stops within the first epoch.
	calls := 0
	must(t, m.SetCallbacks(func(epoch int, batch int64, loss float64) bool {
		calls++
		return batch == 1
	}, nil))
	must(t, m.Fit(train, 5, 32, nil))
	if calls != 2 {
		t.Fatalf("%d batch calls; the callback stopped Fit at the second", calls)
	}
}

func TestCallbackPanicReachesFit(t *testing.T) {
	m := callbackModel(t)
	defer m.Close()
	train := xor(t, 23, 64)
	defer train.Close()
	epochs := 0
	must(t, m.SetCallbacks(nil, func(e *Epoch) bool {
		epochs++
		panic("boom in epoch callback")
	}))
	func() {
		defer func() {
			if r := recover(); r != "boom in epoch callback" {
				t.Fatalf("recovered %v", r)
			}
		}()
		_ = m.Fit(train, 5, 32, nil)
		t.Fatal("Fit returned after its callback panicked")
	}()
	if epochs != 1 {
		t.Fatalf("the callback ran %d times; the panic should stop Fit after 1", epochs)
	}
	// A panicking log stops Fit too, at the next batch, and the model stays usable.
	must(t, m.SetCallbacks(nil, nil))
	must(t, m.SetLog(func(LogLevel, string) { panic(errors.New("log panic")) }))
	func() {
		defer func() {
			if r, ok := recover().(error); !ok || r.Error() != "log panic" {
				t.Fatalf("recovered %v", r)
			}
		}()
		_ = m.Fit(train, 5, 32, nil)
	}()
	if n, _ := m.HistoryLength(); n > 2 {
		t.Fatalf("Fit went on for %d epochs after the log panicked", n)
	}
	must(t, m.SetLog(nil))
	must(t, m.Fit(train, 1, 32, nil))
}

func TestCallbackErrors(t *testing.T) {
	m := callbackModel(t)
	must(t, m.Close())
	if err := m.SetCallbacks(nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetCallbacks after Close: %v", err)
	}
	if err := m.SetLog(LogConsole); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetLog after Close: %v", err)
	}
	var none *Model
	wantError(t, none.SetConsoleLog(), ErrNull, "Model.SetConsoleLog")
	// Before Compile a model has no optimizer.
	fresh, _ := NewModel(2)
	defer fresh.Close()
	_, err := fresh.OptimizerFloat(LearningRate)
	wantError(t, err, ErrState, "deep_model_optimizer")
	if LogWarning.String() != "WARNING" || LogLevel(9).String() != "LogLevel(9)" {
		t.Fatal("LogLevel.String")
	}
}

// The console log writes from C to the process's standard output, so a child process runs
// the training and this test reads what it printed.
func TestConsoleLogOutput(t *testing.T) {
	if os.Getenv("DEEP_TEST_CONSOLE_CHILD") == "1" {
		m := callbackModel(t)
		defer m.Close()
		train := xor(t, 24, 64)
		defer train.Close()
		must(t, m.SetConsoleLog())
		epochs := 0
		// Installing callbacks afterwards keeps the console log.
		must(t, m.SetCallbacks(nil, func(*Epoch) bool { epochs++; return false }))
		must(t, m.Fit(train, 2, 32, nil))
		if epochs != 2 {
			t.Fatalf("%d epoch calls", epochs)
		}
		LogConsole(LogWarning, "a warning goes to standard error")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestConsoleLogOutput$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DEEP_TEST_CONSOLE_CHILD=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "Epoch 1/2") || !strings.Contains(stdout.String(), "Epoch 2/2") {
		t.Fatalf("the console log printed:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "a warning goes to standard error") {
		t.Fatalf("standard error:\n%s", stderr.String())
	}
}
