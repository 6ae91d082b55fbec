package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "unsafe"

// The pandas steps on tables loaded with LoadCSV: names, missing values, statistics,
// writing back, and the k-fold splits of cross-validation.

// AllColumns stands for every feature column in Dataset.MissingCount.
const AllColumns = -1

// Fill is how Dataset.FillMissing replaces a missing value (deep_fill).
type Fill int32

const (
	FillMean   Fill = C.DEEP_FILL_MEAN   // the column's mean
	FillMedian Fill = C.DEEP_FILL_MEDIAN // the column's median
)

// ColumnStat is one statistic of Dataset.Describe (deep_column_stat).
type ColumnStat int32

const (
	StatCount   ColumnStat = C.DEEP_STAT_COUNT   // present (non-missing) values
	StatMissing ColumnStat = C.DEEP_STAT_MISSING // missing values
	StatMean    ColumnStat = C.DEEP_STAT_MEAN
	StatStd     ColumnStat = C.DEEP_STAT_STD // sample standard deviation (n - 1), as pandas
	StatMin     ColumnStat = C.DEEP_STAT_MIN
	StatMax     ColumnStat = C.DEEP_STAT_MAX
)

// WriteCSV writes the features and labels (with class names when the dataset has them) as
// CSV, atomically. Missing values are empty cells; targets are not written.
func (d *Dataset) WriteCSV(path string) error {
	cpath, err := cString("Dataset.WriteCSV", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return d.read("Dataset.WriteCSV", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_write_csv(p, cpath)
	})
}

// ColumnName is the header name of feature column column (0-based); an ErrState when the
// dataset was not loaded from CSV.
func (d *Dataset) ColumnName(column int64) (string, error) {
	var out string
	err := d.read("Dataset.ColumnName", func(p *C.deep_dataset) C.deep_status {
		return text(&out, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_dataset_column_name(p, C.int64_t(column), buf, capacity, needed)
		})
	})
	return out, err
}

// ClassName is the name of class classID when the CSV labels were strings; an ErrState when
// they were integers.
func (d *Dataset) ClassName(classID int32) (string, error) {
	var out string
	err := d.read("Dataset.ClassName", func(p *C.deep_dataset) C.deep_status {
		return text(&out, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_dataset_class_name(p, C.int32_t(classID), buf, capacity, needed)
		})
	})
	return out, err
}

// MissingCount is the number of missing (NaN) features in one column, or in all of them
// with AllColumns.
func (d *Dataset) MissingCount(column int64) (int64, error) {
	var n C.int64_t
	err := d.read("Dataset.MissingCount", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_missing_count(p, C.int64_t(column), &n)
	})
	return int64(n), err
}

// FillMissing replaces each missing feature with the mean or median of its column's present
// values in reference (the training set when filling a test set; nil for the dataset's own),
// as scikit-learn's SimpleImputer.
func (d *Dataset) FillMissing(strategy Fill, reference *Dataset) error {
	return d.withReference("Dataset.FillMissing", reference, func(p, ref *C.deep_dataset) C.deep_status {
		return C.deep_dataset_fill_missing(p, C.deep_fill(strategy), ref)
	})
}

// UseClasses re-encodes the string class labels with reference's class list, so that a test
// set numbers its classes as the training set does (scikit-learn: a LabelEncoder fitted on
// the training set). A class reference lacks is ErrInvalidArgument naming it, and the
// dataset is unchanged; a dataset without class names is ErrState.
func (d *Dataset) UseClasses(reference *Dataset) error {
	if reference == nil {
		return goError(ErrNull, "deep.Dataset.UseClasses: reference is nil")
	}
	return d.withReference("Dataset.UseClasses", reference, func(p, ref *C.deep_dataset) C.deep_status {
		if ref == nil { // reference is d itself
			ref = p
		}
		return C.deep_dataset_use_classes(p, ref)
	})
}

// DropMissing removes the samples that have any missing feature (pandas dropna).
func (d *Dataset) DropMissing() error {
	return d.write("Dataset.DropMissing", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_drop_missing(p)
	})
}

// Describe is one statistic of feature column column over its present values.
func (d *Dataset) Describe(column int64, stat ColumnStat) (float64, error) {
	var v C.double
	err := d.read("Dataset.Describe", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_describe(p, C.int64_t(column), C.deep_column_stat(stat), &v)
	})
	return float64(v), err
}

// DescribeText is the statistics of every feature column as a text table (pandas'
// describe().T).
func (d *Dataset) DescribeText() (string, error) {
	var out string
	err := d.read("Dataset.DescribeText", func(p *C.deep_dataset) C.deep_status {
		return text(&out, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_dataset_describe_text(p, buf, capacity, needed)
		})
	})
	return out, err
}

// KFoldIndices is the sorted train and test indices of fold fold of folds over count samples
// (scikit-learn's KFold, the order shuffled by seed when shuffle is true).
func KFoldIndices(count int64, folds, fold int32, shuffle bool, seed uint64) (train, test []int64, err error) {
	var trainCount, testCount C.int64_t
	err = call(func() C.deep_status {
		s := C.deep_kfold_indices(C.int64_t(count), C.int64_t(folds), C.int64_t(fold), cBool(shuffle),
			C.uint64_t(seed), nil, 0, &trainCount, nil, 0, &testCount) // the size query
		if s != C.DEEP_OK {
			return s
		}
		train = make([]int64, int(trainCount))
		test = make([]int64, int(testCount))
		return C.deep_kfold_indices(C.int64_t(count), C.int64_t(folds), C.int64_t(fold), cBool(shuffle),
			C.uint64_t(seed), int64Ptr(train), C.int64_t(len(train)), &trainCount, int64Ptr(test),
			C.int64_t(len(test)), &testCount)
	})
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// StratifiedKFoldIndices is the sorted train and test indices of fold fold of folds over
// labels (scikit-learn's StratifiedKFold, since libdeep 1.2): every fold keeps each class's
// share; unshuffled, the folds are scikit-learn's own.
func StratifiedKFoldIndices(labels []int32, folds, fold int32, shuffle bool, seed uint64) (train, test []int64, err error) {
	var trainCount, testCount C.int64_t
	var lp *C.int32_t
	if len(labels) > 0 {
		lp = (*C.int32_t)(unsafe.Pointer(&labels[0]))
	}
	n := C.int64_t(len(labels))
	err = call(func() C.deep_status {
		s := C.deep_stratified_kfold_indices(lp, n, C.int64_t(folds), C.int64_t(fold), cBool(shuffle),
			C.uint64_t(seed), nil, 0, &trainCount, nil, 0, &testCount) // the size query
		if s != C.DEEP_OK {
			return s
		}
		train = make([]int64, int(trainCount))
		test = make([]int64, int(testCount))
		return C.deep_stratified_kfold_indices(lp, n, C.int64_t(folds), C.int64_t(fold), cBool(shuffle),
			C.uint64_t(seed), int64Ptr(train), C.int64_t(len(train)), &trainCount, int64Ptr(test),
			C.int64_t(len(test)), &testCount)
	})
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}
