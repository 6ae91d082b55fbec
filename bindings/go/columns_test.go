package deep

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The values are pandas 1.5.3's on the same text: pd.get_dummies(X), X["city"].value_counts().
const typedTrain = `age,city,income,pet,y
30,Paris,50,cat,yes
25,Lyon,,dog,no
40,Paris,70,,yes
35,Nice,60,cat,no
28,Lyon,55,dog,yes
`

const typedTest = `age,city,income,pet,y
22,Lyon,45,cat,no
50,Berlin,80,dog,yes
`

func loadTyped(t *testing.T, name, text string) *Dataset {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	must(t, os.WriteFile(path, []byte(text), 0o644))
	d, err := LoadCSVTyped(path, "y")
	must(t, err)
	return d
}

func features(t *testing.T, d *Dataset) []float32 {
	t.Helper()
	x, err := d.Features()
	must(t, err)
	defer x.Close()
	values, err := x.Data()
	must(t, err)
	return values
}

func columnNames(t *testing.T, d *Dataset) []string {
	t.Helper()
	shape, err := d.SampleShape()
	must(t, err)
	names := make([]string, shape[0])
	for j := range names {
		names[j], err = d.ColumnName(int64(j))
		must(t, err)
	}
	return names
}

func sameValues(t *testing.T, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d", len(got), len(want))
	}
	for i := range want {
		if math.IsNaN(want[i]) != math.IsNaN(float64(got[i])) || (!math.IsNaN(want[i]) && float64(got[i]) != want[i]) {
			t.Fatalf("value %d is %v, want %v", i, got[i], want[i])
		}
	}
}

func TestTypedTableGetDummies(t *testing.T) {
	train := loadTyped(t, "train.csv", typedTrain)
	defer train.Close()
	test := loadTyped(t, "test.csv", typedTest)
	defer test.Close()
	cities, err := train.Categories(1)
	must(t, err)
	if !reflect.DeepEqual(cities, []string{"Lyon", "Nice", "Paris"}) {
		t.Fatalf("categories %v", cities)
	}
	if none, err := train.Categories(0); err != nil || len(none) != 0 {
		t.Fatalf("numeric column: %v %v", none, err)
	}
	wantError(t, train.Standardize(nil), ErrState, "deep_dataset_standardize")

	onehot, err := train.Encode(EncodeOneHot, nil, false)
	must(t, err)
	defer onehot.Close()
	want := []string{"age", "income", "city_Lyon", "city_Nice", "city_Paris", "pet_cat", "pet_dog"}
	if got := columnNames(t, onehot); !reflect.DeepEqual(got, want) {
		t.Fatalf("columns %v", got)
	}
	nan := math.NaN()
	sameValues(t, features(t, onehot), []float64{30, 50, 0, 0, 1, 1, 0, 25, nan, 1, 0, 0, 0, 1, 40, 70, 0, 0, 1, 0, 0,
		35, 60, 0, 1, 0, 1, 0, 28, 55, 1, 0, 0, 0, 1})

	_, err = test.Encode(EncodeOneHot, train, false)
	wantError(t, err, ErrInvalidArgument, "'Berlin'")
	ignored, err := test.Encode(EncodeOneHot, train, true)
	must(t, err)
	defer ignored.Close()
	sameValues(t, features(t, ignored), []float64{22, 45, 1, 0, 0, 1, 0, 50, 80, 0, 0, 0, 0, 1})
	ordinal, err := test.Encode(EncodeOrdinal, train, true)
	must(t, err)
	defer ordinal.Close()
	sameValues(t, features(t, ordinal), []float64{22, 0, 45, 0, 50, nan, 80, 1})
}

func TestTypedTableColumns(t *testing.T) {
	d := loadTyped(t, "train.csv", typedTrain)
	defer d.Close()
	column, err := d.ColumnIndex("city")
	must(t, err)
	values, counts, err := d.ValueCounts(column)
	must(t, err)
	// pandas: Paris 2, Lyon 2, Nice 1 (ids 2, 0, 1).
	if !reflect.DeepEqual(values, []float64{2, 0, 1}) || !reflect.DeepEqual(counts, []int64{2, 2, 1}) {
		t.Fatalf("value counts %v %v", values, counts)
	}
	picked, err := d.SelectColumns("pet", "age")
	must(t, err)
	defer picked.Close()
	if got := columnNames(t, picked); !reflect.DeepEqual(got, []string{"pet", "age"}) {
		t.Fatalf("columns %v", got)
	}
	sameValues(t, features(t, picked), []float64{0, 30, 1, 25, math.NaN(), 40, 0, 35, 1, 28})
	rest, err := d.DropColumns("city", "pet")
	must(t, err)
	defer rest.Close()
	if got := columnNames(t, rest); !reflect.DeepEqual(got, []string{"age", "income"}) {
		t.Fatalf("columns %v", got)
	}
	_, err = d.SelectColumns("town")
	wantError(t, err, ErrInvalidArgument, "'town'")
	_, err = d.SelectColumns()
	wantError(t, err, ErrInvalidArgument, "at least one column")
	must(t, d.RenameColumn("income", "salary"))
	if name, _ := d.ColumnName(2); name != "salary" {
		t.Fatalf("renamed to %q", name)
	}
	_, err = d.ColumnIndex("income")
	wantError(t, err, ErrInvalidArgument, "deep_dataset_column_index")
}

// scikit-learn 1.2.1's SimpleImputer on this text: age mean 31.6, income median 55, city
// most frequent "Lyon" (Paris and Lyon tie: the smallest).
const imputeTrain = `age,city,income,pet,y
30,Paris,50,cat,yes
25,Lyon,,dog,no
40,Paris,70,,yes
35,,60,cat,no
28,Lyon,55,dog,yes
,Nice,55,,no
`

func TestImputerPerColumn(t *testing.T) {
	train := loadTyped(t, "train.csv", imputeTrain)
	defer train.Close()
	test := loadTyped(t, "test.csv", "age,city,income,pet,y\n,Berlin,,dog,no\n50,,80,,yes\n")
	defer test.Close()
	imp, err := NewImputer(FillMedian, 0)
	must(t, err)
	defer imp.Close()
	wantError(t, imp.Fit(train), ErrState, "holds text")
	must(t, imp.SetColumn("age", FillMean, 0, ""))
	must(t, imp.SetColumn("city", FillMostFrequent, 0, ""))
	must(t, imp.SetColumn("pet", FillConstant, 0, "none"))
	wantError(t, imp.Transform(test), ErrState, "not fitted")
	must(t, imp.Fit(train))
	if v, _ := imp.Statistic(0); math.Abs(v-31.6) > 1e-12 {
		t.Fatalf("age mean %v", v)
	}
	if v, _ := imp.Statistic(2); v != 55 {
		t.Fatalf("income median %v", v)
	}
	if s, _ := imp.FillText(1); s != "Lyon" {
		t.Fatalf("city %q", s)
	}
	must(t, imp.Transform(test))
	if n, _ := test.MissingCount(AllColumns); n != 0 {
		t.Fatalf("%d missing", n)
	}
	pets, _ := test.Categories(3)
	if !reflect.DeepEqual(pets, []string{"dog", "none"}) {
		t.Fatalf("pets %v", pets)
	}
	sameValues(t, features(t, test), []float64{float64(float32(31.6)), 0, 55, 0, 50, 1, 80, 1})
	must(t, imp.SetColumn("town", FillMean, 0, ""))
	wantError(t, imp.Fit(train), ErrInvalidArgument, "'town'")
	_, err = NewImputer(Fill(9), 0)
	wantError(t, err, ErrInvalidArgument, "deep_imputer_new")
}

// pandas 1.5.3: pd.merge(L, R, on="city", how="left"), in left order.
func TestMergeAsPandas(t *testing.T) {
	left := loadTyped(t, "l.csv", "id,city,score,y\n1,Paris,0.5,yes\n2,Lyon,0.7,no\n3,Paris,0.2,yes\n4,Nice,0.9,no\n")
	defer left.Close()
	path := filepath.Join(t.TempDir(), "r.csv")
	must(t, os.WriteFile(path, []byte("city,pop,score\nLyon,500,1\nParis,2100,2\nParis,2200,3\n"), 0o644))
	right, err := LoadCSVTyped(path, "")
	must(t, err)
	defer right.Close()
	m, err := Merge(left, right, []string{"city"}, JoinLeft, "", "")
	must(t, err)
	defer m.Close()
	if got := columnNames(t, m); !reflect.DeepEqual(got, []string{"id", "city", "score_x", "pop", "score_y"}) {
		t.Fatalf("columns %v", got)
	}
	nan := math.NaN()
	f := func(x float32) float64 { return float64(x) }
	// Cities: Lyon 0, Nice 1, Paris 2 (left's categories).
	sameValues(t, features(t, m), []float64{1, 2, f(0.5), 2100, 2, 1, 2, f(0.5), 2200, 3, 2, 0, f(0.7), 500, 1,
		3, 2, f(0.2), 2100, 2, 3, 2, f(0.2), 2200, 3, 4, 1, f(0.9), nan, nan})
	labels, err := m.Labels()
	must(t, err)
	if !reflect.DeepEqual(labels, []int32{1, 1, 0, 1, 1, 0}) {
		t.Fatalf("labels %v", labels)
	}
	inner, err := Merge(left, right, []string{"city"}, JoinInner, "_l", "_r")
	must(t, err)
	defer inner.Close()
	if n, _ := inner.Count(); n != 5 {
		t.Fatalf("%d rows", n)
	}
	_, err = Merge(left, right, []string{"town"}, JoinInner, "", "")
	wantError(t, err, ErrInvalidArgument, "'town'")
}

func TestSQLiteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	d := loadTyped(t, "train.csv", typedTrain)
	defer d.Close()
	db := filepath.Join(dir, "t.db")
	err := d.WriteSQLite(db, "people", false)
	if e, ok := err.(*Error); ok && e.Status == ErrUnsupported {
		t.Skip("libdeep built without SQLite")
	}
	must(t, err)
	wantError(t, d.WriteSQLite(db, "people", false), ErrInvalidArgument, "already exists")
	back, err := LoadSQLite(db, `SELECT * FROM people WHERE age > ? ORDER BY age`, []string{"26"}, "y")
	must(t, err)
	defer back.Close()
	// Rows with age > 26 by age: 28 Lyon, 30 Paris, 35 Nice, 40 Paris (categories of these rows).
	cities, _ := back.Categories(1)
	if !reflect.DeepEqual(cities, []string{"Lyon", "Nice", "Paris"}) {
		t.Fatalf("cities %v", cities)
	}
	sameValues(t, features(t, back), []float64{28, 0, 55, 1, 30, 2, 50, 0, 35, 1, 60, 0, 40, 2, 70, math.NaN()})
	labels, _ := back.Labels()
	if !reflect.DeepEqual(labels, []int32{1, 1, 0, 1}) {
		t.Fatalf("labels %v", labels)
	}
	_, err = LoadSQLite(db, "SELECT * FROM nowhere", nil, "")
	wantError(t, err, ErrInvalidArgument, "no such table")
}

// numpy 1.24: np.histogram([1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 10.5, 7.25], bins="auto").
func TestHistogramAsNumpy(t *testing.T) {
	d, err := NewDataset([]int64{1}, []float32{1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 10.5, float32(math.NaN()), 7.25})
	must(t, err)
	defer d.Close()
	counts, edges, err := d.Histogram(0, 0)
	must(t, err)
	if !reflect.DeepEqual(counts, []int64{3, 3, 4, 0, 0, 1, 0, 0, 1}) || len(edges) != 10 || edges[1] != 2.0555555555555554 {
		t.Fatalf("counts %v edges %v", counts, edges)
	}
	counts, _, err = d.Histogram(0, 3)
	must(t, err)
	if !reflect.DeepEqual(counts, []int64{10, 1, 1}) {
		t.Fatalf("counts %v", counts)
	}
	_, _, err = d.Histogram(0, -1)
	wantError(t, err, ErrInvalidArgument, "deep_dataset_histogram")
}
