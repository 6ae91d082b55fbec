package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

import "runtime"

// Strategies of an Imputer beyond FillMean and FillMedian (libdeep 1.1).
const (
	FillMostFrequent Fill = C.DEEP_FILL_MOST_FREQUENT // the most frequent value, the smallest on ties
	FillConstant     Fill = C.DEEP_FILL_CONSTANT      // a value given with the strategy
)

// Imputer is scikit-learn's SimpleImputer with a strategy per column (deep_imputer): Fit
// computes each column's fill value on a training table, Transform fills any table with
// the same columns.
type Imputer struct {
	handle
	p *C.deep_imputer
}

// NewImputer makes an imputer whose strategy for every column not set by SetColumn is
// strategy; fillValue is FillConstant's value (a text column gets "missing_value").
func NewImputer(strategy Fill, fillValue float64) (*Imputer, error) {
	var p *C.deep_imputer
	if err := call(func() C.deep_status { return C.deep_imputer_new(C.deep_fill(strategy), C.double(fillValue), &p) }); err != nil {
		return nil, err
	}
	imp := &Imputer{p: p}
	runtime.SetFinalizer(imp, func(imp *Imputer) {
		if imp.p != nil {
			finalized.Add(1)
			C.deep_imputer_free(imp.p)
		}
	})
	return imp, nil
}

// Close frees the imputer. Closing twice is allowed.
func (imp *Imputer) Close() error {
	if imp == nil {
		return nil
	}
	imp.mu.Lock()
	defer imp.mu.Unlock()
	if imp.p != nil {
		C.deep_imputer_free(imp.p)
		imp.p = nil
	}
	return nil
}

func (imp *Imputer) use(op string, exclusive bool, f func(p *C.deep_imputer) C.deep_status) error {
	if imp == nil {
		return nilError(op)
	}
	if exclusive {
		imp.mu.Lock()
		defer imp.mu.Unlock()
	} else {
		imp.mu.RLock()
		defer imp.mu.RUnlock()
	}
	if imp.p == nil {
		return closedError(op)
	}
	return call(func() C.deep_status { return f(imp.p) })
}

// SetColumn sets the strategy of the column named column: fillValue is FillConstant's value
// for a numeric column, fillText its category for a text column ("" for "missing_value").
func (imp *Imputer) SetColumn(column string, strategy Fill, fillValue float64, fillText string) error {
	array, release, err := cNames("Imputer.SetColumn", []string{column, fillText})
	if err != nil {
		return err
	}
	defer release()
	text := array[1]
	if fillText == "" {
		text = nil
	}
	return imp.use("Imputer.SetColumn", true, func(p *C.deep_imputer) C.deep_status {
		return C.deep_imputer_set_column(p, array[0], C.deep_fill(strategy), C.double(fillValue), text)
	})
}

// Fit computes the fill value of every column of data.
func (imp *Imputer) Fit(data *Dataset) error {
	d, release, err := data.borrow("Imputer.Fit: data")
	if err != nil {
		return err
	}
	defer release()
	return imp.use("Imputer.Fit", true, func(p *C.deep_imputer) C.deep_status { return C.deep_imputer_fit(p, d) })
}

// Transform fills the missing values of data in place with the fitted values.
func (imp *Imputer) Transform(data *Dataset) error {
	if imp == nil {
		return nilError("Imputer.Transform")
	}
	imp.mu.RLock()
	defer imp.mu.RUnlock()
	if imp.p == nil {
		return closedError("Imputer.Transform")
	}
	p := imp.p
	return data.write("Imputer.Transform", func(d *C.deep_dataset) C.deep_status {
		return C.deep_imputer_transform(p, d)
	})
}

// Statistic is the fitted fill value of column (NaN for a text column; see FillText).
func (imp *Imputer) Statistic(column int64) (float64, error) {
	var v C.double
	err := imp.use("Imputer.Statistic", false, func(p *C.deep_imputer) C.deep_status {
		return C.deep_imputer_statistic(p, C.int64_t(column), &v)
	})
	return float64(v), err
}

// FillText is the fitted fill category of a text column.
func (imp *Imputer) FillText(column int64) (string, error) {
	var out string
	err := imp.use("Imputer.FillText", false, func(p *C.deep_imputer) C.deep_status {
		return text(&out, func(buf *C.char, capacity C.int64_t, needed *C.int64_t) C.deep_status {
			return C.deep_imputer_fill_text(p, C.int64_t(column), buf, capacity, needed)
		})
	})
	return out, err
}
