package deep

/*
#include <deep.h>
*/
import "C"

import "unsafe"

// Metrics on label slices: what a model predicted against the truth. truth and predicted
// must have the same length; labels of ConfusionMatrix and PrecisionRecallF1 must lie in
// [0, numClasses).

// noLabels stands for an empty slice, so that the C library says that no sample was given
// rather than that a pointer is NULL; it reads nothing through it.
var noLabels [1]int32

func labelsPtr(s []int32) *C.int32_t {
	if len(s) == 0 {
		return (*C.int32_t)(unsafe.Pointer(&noLabels[0]))
	}
	return int32Ptr(s)
}

func sameLength(op string, truth, predicted []int32) error {
	if len(truth) != len(predicted) {
		return goError(ErrShape, "deep.%s: %d true labels but %d predicted ones", op, len(truth), len(predicted))
	}
	return nil
}

// Accuracy is the fraction of positions where predicted equals truth.
func Accuracy(truth, predicted []int32) (float64, error) {
	if err := sameLength("Accuracy", truth, predicted); err != nil {
		return 0, err
	}
	var v C.double
	err := call(func() C.deep_status {
		return C.deep_metric_accuracy(labelsPtr(truth), labelsPtr(predicted), C.int64_t(len(truth)), &v)
	})
	return float64(v), err
}

// ConfusionMatrix counts in matrix[t][p] the samples of true class t predicted as p.
func ConfusionMatrix(truth, predicted []int32, numClasses int32) ([][]int64, error) {
	if err := sameLength("ConfusionMatrix", truth, predicted); err != nil {
		return nil, err
	}
	if numClasses < 1 || int64(numClasses)*int64(numClasses) > 1<<31 {
		return nil, goError(ErrInvalidArgument, "deep.ConfusionMatrix: %d classes", numClasses)
	}
	n := int(numClasses)
	flat := make([]int64, n*n)
	if err := call(func() C.deep_status {
		return C.deep_metric_confusion_matrix(labelsPtr(truth), labelsPtr(predicted), C.int64_t(len(truth)),
			C.int32_t(numClasses), int64Ptr(flat))
	}); err != nil {
		return nil, err
	}
	matrix := make([][]int64, n)
	for t := range matrix {
		matrix[t] = flat[t*n : (t+1)*n : (t+1)*n]
	}
	return matrix, nil
}

// ClassReport is the per-class precision, recall and F1 of PrecisionRecallF1 and their
// unweighted means (macro averages). A class never predicted has precision 0, one never
// present recall 0 (scikit-learn's zero_division=0).
type ClassReport struct {
	Precision, Recall, F1                []float64 // one per class
	MacroPrecision, MacroRecall, MacroF1 float64
}

// PrecisionRecallF1 is the ClassReport of predicted against truth.
func PrecisionRecallF1(truth, predicted []int32, numClasses int32) (*ClassReport, error) {
	if err := sameLength("PrecisionRecallF1", truth, predicted); err != nil {
		return nil, err
	}
	if numClasses < 1 {
		return nil, goError(ErrInvalidArgument, "deep.PrecisionRecallF1: %d classes", numClasses)
	}
	r := &ClassReport{
		Precision: make([]float64, numClasses),
		Recall:    make([]float64, numClasses),
		F1:        make([]float64, numClasses),
	}
	var mp, mr, mf C.double
	if err := call(func() C.deep_status {
		return C.deep_metric_precision_recall_f1(labelsPtr(truth), labelsPtr(predicted), C.int64_t(len(truth)),
			C.int32_t(numClasses), doublePtr(r.Precision), doublePtr(r.Recall), doublePtr(r.F1), &mp, &mr, &mf)
	}); err != nil {
		return nil, err
	}
	r.MacroPrecision, r.MacroRecall, r.MacroF1 = float64(mp), float64(mr), float64(mf)
	return r, nil
}
