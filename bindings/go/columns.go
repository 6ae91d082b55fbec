package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "unsafe"

// Typed tables (libdeep 1.1): text columns kept as categorical columns, encoded one-hot
// (pandas get_dummies) or ordinally (scikit-learn OrdinalEncoder), columns by name, value
// counts.

// Encoding is how Dataset.Encode turns categorical columns into numbers (deep_encoding).
type Encoding int32

const (
	EncodeOneHot  Encoding = C.DEEP_ENCODE_ONE_HOT // numeric columns, then "<column>_<category>" 0/1 columns
	EncodeOrdinal Encoding = C.DEEP_ENCODE_ORDINAL // category ids in place, missing as NaN
)

// LoadCSVTyped loads a CSV file as LoadCSV does, except that a column holding text is kept
// as a categorical column (its sorted categories from Categories, its values their ids)
// instead of being an error (deep_dataset_load_csv_typed).
func LoadCSVTyped(path, labelColumn string) (*Dataset, error) {
	cpath, err := cString("LoadCSVTyped", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var clabel *C.char
	if labelColumn != "" {
		if clabel, err = cString("LoadCSVTyped", labelColumn); err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(clabel))
	}
	var p *C.deep_dataset
	if err := call(func() C.deep_status { return C.deep_dataset_load_csv_typed(cpath, clabel, &p) }); err != nil {
		return nil, err
	}
	return wrapDataset(p), nil
}

// ColumnIndex is the index of the first feature column called name.
func (d *Dataset) ColumnIndex(name string) (int64, error) {
	cname, err := cString("Dataset.ColumnIndex", name)
	if err != nil {
		return -1, err
	}
	defer C.free(unsafe.Pointer(cname))
	var column C.int64_t
	err = d.read("Dataset.ColumnIndex", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_column_index(p, cname, &column)
	})
	return int64(column), err
}

// Categories is the sorted category names of feature column column: empty for a numeric
// column. A categorical column's values index this list (NaN when missing).
func (d *Dataset) Categories(column int64) ([]string, error) {
	var names []string
	err := d.read("Dataset.Categories", func(p *C.deep_dataset) C.deep_status {
		var count C.int64_t
		if s := C.deep_dataset_category_count(p, C.int64_t(column), &count); s != C.DEEP_OK {
			return s
		}
		names = make([]string, int(count))
		for c := range names {
			if s := text(&names[c], func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
				return C.deep_dataset_category_name(p, C.int64_t(column), C.int64_t(c), buf, capacity, needed)
			}); s != C.DEEP_OK {
				return s
			}
		}
		return C.DEEP_OK
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// ValueCounts is the distinct present values of a column (category ids for a categorical
// column) and their counts, most frequent first, ties in order of first appearance (pandas
// value_counts).
func (d *Dataset) ValueCounts(column int64) (values []float64, counts []int64, err error) {
	err = d.read("Dataset.ValueCounts", func(p *C.deep_dataset) C.deep_status {
		var nv, nc C.int64_t
		if s := C.deep_dataset_value_counts(p, C.int64_t(column), nil, 0, &nv, nil, 0, &nc); s != C.DEEP_OK {
			return s
		}
		values, counts = make([]float64, int(nv)), make([]int64, int(nc))
		if nv == 0 {
			return C.DEEP_OK
		}
		return C.deep_dataset_value_counts(p, C.int64_t(column), (*C.double)(unsafe.Pointer(&values[0])), nv, &nv,
			int64Ptr(counts), nc, &nc)
	})
	if err != nil {
		return nil, nil, err
	}
	return values, counts, nil
}

// cNames is names as a C array of C strings, and the function that frees them.
func cNames(op string, names []string) ([]*C.char, func(), error) {
	array := make([]*C.char, len(names))
	release := func() {
		for _, s := range array {
			C.free(unsafe.Pointer(s))
		}
	}
	for i, name := range names {
		s, err := cString(op, name)
		if err != nil {
			release()
			return nil, func() {}, err
		}
		array[i] = s
	}
	return array, release, nil
}

func (d *Dataset) columns(op string, names []string,
	f func(p *C.deep_dataset, names **C.char, count C.int64_t, out **C.deep_dataset) C.deep_status) (*Dataset, error) {
	if len(names) == 0 {
		return nil, goError(ErrInvalidArgument, "deep.%s: name at least one column", op)
	}
	array, release, err := cNames(op, names)
	if err != nil {
		return nil, err
	}
	defer release()
	var out *C.deep_dataset
	if err := d.read(op, func(p *C.deep_dataset) C.deep_status {
		return f(p, &array[0], C.int64_t(len(array)), &out)
	}); err != nil {
		return nil, err
	}
	return wrapDataset(out), nil
}

// SelectColumns is a new dataset of the named feature columns in that order (pandas
// df[names]), with the labels and targets.
func (d *Dataset) SelectColumns(names ...string) (*Dataset, error) {
	return d.columns("Dataset.SelectColumns", names, func(p *C.deep_dataset, n **C.char, count C.int64_t,
		out **C.deep_dataset) C.deep_status {
		return C.deep_dataset_select_columns(p, n, count, out)
	})
}

// DropColumns is a new dataset without the named feature columns (pandas df.drop(columns=...)).
func (d *Dataset) DropColumns(names ...string) (*Dataset, error) {
	return d.columns("Dataset.DropColumns", names, func(p *C.deep_dataset, n **C.char, count C.int64_t,
		out **C.deep_dataset) C.deep_status {
		return C.deep_dataset_drop_columns(p, n, count, out)
	})
}

// RenameColumn renames a feature column (or the label column) in place.
func (d *Dataset) RenameColumn(name, newName string) error {
	array, release, err := cNames("Dataset.RenameColumn", []string{name, newName})
	if err != nil {
		return err
	}
	defer release()
	return d.write("Dataset.RenameColumn", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_rename_column(p, array[0], array[1])
	})
}

// Encode is a new dataset with every categorical column encoded, with the categories of
// reference (the training table when encoding a test table; nil for the dataset's own). A
// category reference lacks is ErrInvalidArgument naming it unless ignoreUnknown, which
// encodes it as missing (zeros one-hot, NaN ordinally).
func (d *Dataset) Encode(encoding Encoding, reference *Dataset, ignoreUnknown bool) (*Dataset, error) {
	var ref *C.deep_dataset
	if reference != nil && reference != d {
		p, release, err := reference.borrow("Dataset.Encode: reference")
		if err != nil {
			return nil, err
		}
		defer release()
		ref = p
	}
	var out *C.deep_dataset
	if err := d.read("Dataset.Encode", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_encode(p, ref, C.deep_encoding(encoding), cBool(ignoreUnknown), &out)
	}); err != nil {
		return nil, err
	}
	return wrapDataset(out), nil
}

// Join is how Merge keeps rows (deep_join).
type Join int32

const (
	JoinInner Join = C.DEEP_JOIN_INNER // the rows of left with a match in right
	JoinLeft  Join = C.DEEP_JOIN_LEFT  // every row of left, right's columns missing without a match
)

// Merge is pandas' merge of left and right on the key columns on: each row of left in
// order, once per matching row of right (in right's order), left's columns then right's
// others, clashing names suffixed ("" for "_x" and "_y"). Labels and targets are left's.
func Merge(left, right *Dataset, on []string, how Join, leftSuffix, rightSuffix string) (*Dataset, error) {
	if len(on) == 0 {
		return nil, goError(ErrInvalidArgument, "deep.Merge: name at least one key column")
	}
	keys, release, err := cNames("Merge", append(append([]string{}, on...), leftSuffix, rightSuffix))
	if err != nil {
		return nil, err
	}
	defer release()
	ls, rs := keys[len(on)], keys[len(on)+1]
	if leftSuffix == "" {
		ls = nil
	}
	if rightSuffix == "" {
		rs = nil
	}
	pr, releaseRight, err := right.borrow("Merge: right")
	if err != nil {
		return nil, err
	}
	defer releaseRight()
	var out *C.deep_dataset
	if err := left.read("Merge", func(pl *C.deep_dataset) C.deep_status {
		return C.deep_dataset_merge(pl, pr, &keys[0], C.int64_t(len(on)), C.deep_join(how), ls, rs, &out)
	}); err != nil {
		return nil, err
	}
	return wrapDataset(out), nil
}

// Histogram is numpy.histogram of a numeric column's present values: bins equal bins (0 for
// numpy's "auto"), their counts and the bins + 1 edges.
func (d *Dataset) Histogram(column, bins int64) (counts []int64, edges []float64, err error) {
	err = d.read("Dataset.Histogram", func(p *C.deep_dataset) C.deep_status {
		var ne, nc C.int64_t
		if s := C.deep_dataset_histogram(p, C.int64_t(column), C.int64_t(bins), nil, 0, &ne, nil, 0, &nc); s != C.DEEP_OK {
			return s
		}
		edges, counts = make([]float64, int(ne)), make([]int64, int(nc))
		return C.deep_dataset_histogram(p, C.int64_t(column), C.int64_t(bins), (*C.double)(unsafe.Pointer(&edges[0])),
			ne, &ne, int64Ptr(counts), nc, &nc)
	})
	if err != nil {
		return nil, nil, err
	}
	return counts, edges, nil
}
