package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "unsafe"

// SVG pictures (libdeep 1.1): a column's histogram and the training curves, as files any
// browser opens, written atomically.

// HistogramSVG draws the histogram of feature column `column` (the bins of Histogram: a
// count, or 0 for numpy's "auto") as an SVG file at path, titled with the column's name.
// A categorical column is an ErrState.
func (d *Dataset) HistogramSVG(column, bins int64, path string) error {
	cpath, err := cString("Dataset.HistogramSVG", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return d.read("Dataset.HistogramSVG", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_histogram_svg(p, C.int64_t(column), C.int64_t(bins), cpath)
	})
}

// HistorySVG draws the history of the last Fit as an SVG file at path: one panel per
// quantity (the loss, then each compiled metric), training and, when Fit had validation
// data, validation values per epoch. A model not yet fitted is an ErrState.
func (m *Model) HistorySVG(path string) error {
	cpath, err := cString("Model.HistorySVG", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))
	return m.read("Model.HistorySVG", func(p *C.deep_model) C.deep_status {
		return C.deep_model_history_svg(p, cpath)
	})
}
