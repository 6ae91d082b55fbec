package deep

/*
#include <stdlib.h>
#include <deep.h>
*/
import "C"

// LoadSQLite loads the rows of an SQL query on an SQLite database file as a typed table
// (deep_dataset_load_sqlite): text columns categorical, NULL missing, params bound to the
// query's ? placeholders (never pasted into it); labelColumn "" for none. ErrUnsupported
// when libdeep was built without SQLite.
func LoadSQLite(database, query string, params []string, labelColumn string) (*Dataset, error) {
	strs := append([]string{database, query, labelColumn}, params...)
	array, release, err := cNames("LoadSQLite", strs)
	if err != nil {
		return nil, err
	}
	defer release()
	label := array[2]
	if labelColumn == "" {
		label = nil
	}
	var bound **C.char
	if len(params) > 0 {
		bound = &array[3]
	}
	var p *C.deep_dataset
	if err := call(func() C.deep_status {
		return C.deep_dataset_load_sqlite(array[0], array[1], bound, C.int64_t(len(params)), label, &p)
	}); err != nil {
		return nil, err
	}
	return wrapDataset(p), nil
}

// WriteSQLite writes the dataset as table of an SQLite database file (created if missing);
// an existing table is an error unless replace.
func (d *Dataset) WriteSQLite(database, table string, replace bool) error {
	array, release, err := cNames("Dataset.WriteSQLite", []string{database, table})
	if err != nil {
		return err
	}
	defer release()
	return d.read("Dataset.WriteSQLite", func(p *C.deep_dataset) C.deep_status {
		return C.deep_dataset_write_sqlite(p, array[0], array[1], cBool(replace))
	})
}
