package deep

import (
	"math"
	"testing"
)

func TestMetricsByHand(t *testing.T) {
	truth := []int32{0, 0, 0, 1, 1, 2, 2, 2}
	predicted := []int32{0, 1, 0, 1, 2, 2, 2, 0}
	acc, err := Accuracy(truth, predicted)
	must(t, err)
	if acc != 5.0/8 {
		t.Fatalf("accuracy %v, want 5/8", acc)
	}
	matrix, err := ConfusionMatrix(truth, predicted, 3)
	must(t, err)
	want := [][]int64{{2, 1, 0}, {0, 1, 1}, {1, 0, 2}}
	for i := range want {
		for j := range want[i] {
			if matrix[i][j] != want[i][j] {
				t.Fatalf("confusion matrix %v, want %v", matrix, want)
			}
		}
	}
	r, err := PrecisionRecallF1(truth, predicted, 4)
	must(t, err)
	// Class 0: predicted 3 times, 2 right; 3 present. Class 1: predicted 2, 1 right; 2
	// present. Class 2: predicted 3, 2 right; 3 present. Class 3: never seen: 0, 0, 0.
	precision := []float64{2.0 / 3, 1.0 / 2, 2.0 / 3, 0}
	recall := []float64{2.0 / 3, 1.0 / 2, 2.0 / 3, 0}
	close := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	for c := 0; c < 4; c++ {
		f1 := 0.0
		if precision[c]+recall[c] > 0 {
			f1 = 2 * precision[c] * recall[c] / (precision[c] + recall[c])
		}
		if !close(r.Precision[c], precision[c]) || !close(r.Recall[c], recall[c]) || !close(r.F1[c], f1) {
			t.Fatalf("class %d: %v %v %v", c, r.Precision[c], r.Recall[c], r.F1[c])
		}
	}
	if !close(r.MacroPrecision, (2.0/3+0.5+2.0/3)/4) || !close(r.MacroRecall, r.MacroPrecision) ||
		!close(r.MacroF1, (r.F1[0]+r.F1[1]+r.F1[2])/4) {
		t.Fatalf("macro averages %v %v %v", r.MacroPrecision, r.MacroRecall, r.MacroF1)
	}
}

func TestMetricErrors(t *testing.T) {
	_, err := Accuracy([]int32{1, 2}, []int32{1})
	wantError(t, err, ErrShape, "Accuracy")
	_, err = ConfusionMatrix([]int32{0, 3}, []int32{0, 1}, 3)
	wantError(t, err, ErrOutOfRange, "deep_metric_confusion_matrix")
	_, err = ConfusionMatrix([]int32{0}, []int32{0}, 0)
	wantError(t, err, ErrInvalidArgument, "ConfusionMatrix")
	_, err = PrecisionRecallF1([]int32{0}, []int32{0, 1}, 2)
	wantError(t, err, ErrShape, "PrecisionRecallF1")
	_, err = PrecisionRecallF1([]int32{0, -1}, []int32{0, 1}, 2)
	wantError(t, err, ErrOutOfRange, "deep_metric_precision_recall_f1")
	_, err = Accuracy(nil, nil)
	wantError(t, err, ErrInvalidArgument, "at least one sample")
}
