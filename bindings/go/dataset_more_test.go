package deep

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDatasetOperations(t *testing.T) {
	// 4 samples of 2 features: sample i is (i, 10*i), label i%2.
	d, err := NewDataset([]int64{2}, []float32{0, 0, 1, 10, 2, 20, 3, 30})
	must(t, err)
	defer d.Close()
	must(t, d.SetLabels([]int32{0, 1, 0, 1}, 0))
	if n, _ := d.NumClasses(); n != 2 {
		t.Fatalf("%d classes", n)
	}
	if w, _ := d.TargetWidth(); w != 0 {
		t.Fatalf("target width %d before ToCategorical", w)
	}
	sub, err := d.Subset([]int64{3, 3, 0})
	must(t, err)
	defer sub.Close()
	x, _ := sub.Features()
	data, _ := x.Data()
	x.Close()
	labels, _ := sub.Labels()
	if data[0] != 3 || data[1] != 30 || data[2] != 3 || data[4] != 0 || labels[0] != 1 || labels[2] != 0 {
		t.Fatalf("subset features %v labels %v", data, labels)
	}
	both, err := Concat(d, sub)
	must(t, err)
	defer both.Close()
	if n, _ := both.Count(); n != 7 {
		t.Fatalf("concat has %d samples", n)
	}
	self, err := Concat(d, d)
	must(t, err)
	self.Close()

	// Shuffling keeps every sample with its label.
	must(t, both.Shuffle(9))
	x, _ = both.Features()
	data, _ = x.Data()
	x.Close()
	labels, _ = both.Labels()
	for i := range labels {
		if data[2*i+1] != 10*data[2*i] || labels[i] != int32(data[2*i])%2 {
			t.Fatalf("sample %d (%v, %v) label %d after shuffling", i, data[2*i], data[2*i+1], labels[i])
		}
	}

	features, targets, err := d.Batch(1, 2)
	must(t, err)
	defer features.Close()
	defer targets.Close()
	fd, _ := features.Data()
	td, _ := targets.Data()
	if fd[0] != 1 || fd[3] != 20 || len(td) != 4 || td[0] != 0 || td[1] != 1 || td[2] != 1 || td[3] != 0 {
		t.Fatalf("batch features %v targets %v", fd, td)
	}
	only, err := d.BatchFeatures(3, 1)
	must(t, err)
	if od, _ := only.Data(); len(od) != 2 || od[0] != 3 {
		t.Fatalf("BatchFeatures %v", od)
	}
	only.Close()

	// Standardize the test set with the training statistics, min-max with its own.
	test, _ := NewDataset([]int64{2}, []float32{1.5, 15})
	defer test.Close()
	must(t, test.Standardize(d))
	x, _ = test.Features()
	data, _ = x.Data()
	x.Close()
	if math.Abs(float64(data[0])) > 1e-6 || math.Abs(float64(data[1])) > 1e-6 {
		t.Fatalf("the training mean standardized to %v", data)
	}
	must(t, d.MinMaxScale(nil))
	if v, _ := d.Describe(1, StatMax); v != 1 {
		t.Fatalf("max after min-max scaling %v", v)
	}
	must(t, d.Standardize(d))
	if v, _ := d.Describe(0, StatMean); math.Abs(v) > 1e-6 {
		t.Fatalf("mean after standardizing %v", v)
	}

	_, err = d.Subset([]int64{4})
	wantError(t, err, ErrOutOfRange, "deep_dataset_subset")
	other, _ := NewDataset([]int64{3}, []float32{1, 2, 3})
	defer other.Close()
	_, err = Concat(d, other)
	wantError(t, err, ErrShape, "deep_dataset_concat")
	_, err = Concat(d, nil)
	wantError(t, err, ErrNull, "Concat: b")
	_, _, err = d.Batch(3, 2)
	wantError(t, err, ErrOutOfRange, "deep_dataset_batch")
	wantError(t, d.Standardize(other), ErrShape, "deep_dataset_standardize")
	must(t, other.Close())
	if err := d.MinMaxScale(other); !errors.Is(err, ErrClosed) {
		t.Fatalf("MinMaxScale with a closed reference: %v", err)
	}
	var none *Dataset
	_, err = none.Count()
	wantError(t, err, ErrNull, "Dataset.Count")
	m, _ := NewModel(2)
	defer m.Close()
	wantError(t, m.Fit(nil, 1, 1, nil), ErrNull, "Model.Fit: train")
}

const table = `height,weight,colour,kind
1.5,60,,cat
2.5,NA,3,dog
3.5,80,4,cat
,90,5,bird
`

func TestCSVTable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "animals.csv")
	must(t, os.WriteFile(path, []byte(table), 0o644))
	d, err := LoadCSV(path, "kind")
	must(t, err)
	defer d.Close()
	if n, _ := d.NumClasses(); n != 3 {
		t.Fatalf("%d classes", n)
	}
	for i, want := range []string{"bird", "cat", "dog"} { // sorted, not by first appearance
		if got, err := d.ClassName(int32(i)); err != nil || got != want {
			t.Fatalf("class %d: %q %v, want %q", i, got, err, want)
		}
	}
	if got, _ := d.ColumnName(1); got != "weight" {
		t.Fatalf("column 1 is %q", got)
	}
	if n, _ := d.MissingCount(AllColumns); n != 3 {
		t.Fatalf("%d missing values, want 3", n)
	}
	if n, _ := d.MissingCount(0); n != 1 {
		t.Fatalf("%d missing heights, want 1", n)
	}
	if v, _ := d.Describe(0, StatMean); v != 2.5 {
		t.Fatalf("mean height %v", v)
	}
	// Weights 60, 80, 90: sample variance ((50/3)^2 + (10/3)^2 + (40/3)^2) / 2 = 700/3.
	if v, _ := d.Describe(1, StatStd); math.Abs(v-math.Sqrt(700.0/3)) > 1e-9 {
		t.Fatalf("std weight %v", v)
	}
	if v, _ := d.Describe(0, StatCount); v != 3 {
		t.Fatalf("count height %v", v)
	}
	summary, err := d.DescribeText()
	must(t, err)
	if !strings.Contains(summary, "height") || !strings.Contains(summary, "colour") {
		t.Fatalf("describe text:\n%s", summary)
	}

	dropped, err := d.Subset([]int64{0, 1, 2, 3})
	must(t, err)
	defer dropped.Close()
	must(t, dropped.DropMissing())
	if n, _ := dropped.Count(); n != 1 {
		t.Fatalf("%d samples without a missing value, want 1", n)
	}
	must(t, d.FillMissing(FillMedian, nil))
	if n, _ := d.MissingCount(AllColumns); n != 0 {
		t.Fatalf("%d missing after FillMissing", n)
	}
	x, _ := d.Features()
	data, _ := x.Data()
	x.Close()
	// Row 3's height is the median of 1.5, 2.5, 3.5; row 1's weight that of 60, 80, 90;
	// row 0's colour that of 3, 4, 5.
	if data[9] != 2.5 || data[4] != 80 || data[2] != 4 {
		t.Fatalf("filled features %v", data)
	}

	out := filepath.Join(dir, "filled.csv")
	must(t, d.WriteCSV(out))
	again, err := LoadCSV(out, "kind")
	must(t, err)
	defer again.Close()
	x, _ = again.Features()
	back, _ := x.Data()
	x.Close()
	sameFloats(t, "written and read back", data, back)
	if got, _ := again.ClassName(0); got != "bird" {
		t.Fatalf("class 2 read back as %q", got)
	}

	// Misuse.
	_, err = d.ClassName(3)
	wantError(t, err, ErrOutOfRange, "deep_dataset_class_name")
	plain, _ := NewDataset([]int64{1}, []float32{math.Float32frombits(0x7fc00000), 2})
	defer plain.Close()
	_, err = plain.ColumnName(0)
	wantError(t, err, ErrState, "deep_dataset_column_name")
	empty, _ := plain.Subset([]int64{0})
	defer empty.Close()
	wantError(t, empty.FillMissing(FillMean, nil), ErrNumeric, "deep_dataset_fill_missing")
	wantError(t, empty.DropMissing(), ErrNumeric, "deep_dataset_drop_missing")
	_, err = d.Describe(9, StatMean)
	wantError(t, err, ErrOutOfRange, "deep_dataset_describe")
	_, err = LoadCSV(path, "legs")
	wantError(t, err, ErrInvalidArgument, "deep_dataset_load_csv")
	_, err = LoadCSV(path+"\x00", "")
	wantError(t, err, ErrInvalidArgument, "LoadCSV")
	must(t, os.WriteFile(path, []byte("a,b\n1,2\n3\n"), 0o644))
	_, err = LoadCSV(path, "")
	wantError(t, err, ErrFormat, "deep_dataset_load_csv")
	wantError(t, d.WriteCSV(filepath.Join(dir, "none", "x.csv")), ErrIO, "deep_dataset_write_csv")
}

func TestUseClasses(t *testing.T) {
	dir := t.TempDir()
	load := func(name, text string) *Dataset {
		path := filepath.Join(dir, name)
		must(t, os.WriteFile(path, []byte(text), 0o644))
		d, err := LoadCSV(path, "y")
		must(t, err)
		return d
	}
	train := load("train.csv", "x,y\n1,b\n2,a\n3,c\n")
	defer train.Close()
	test := load("test.csv", "x,y\n3,c\n1,b\n")
	defer test.Close()
	if labels, _ := train.Labels(); labels[0] != 1 || labels[1] != 0 || labels[2] != 2 {
		t.Fatalf("train labels %v, want [1 0 2] (sorted class ids)", labels)
	}
	must(t, test.UseClasses(train))
	if n, _ := test.NumClasses(); n != 3 {
		t.Fatalf("%d classes after UseClasses, want 3", n)
	}
	if labels, _ := test.Labels(); labels[0] != 2 || labels[1] != 1 {
		t.Fatalf("test labels %v, want [2 1]", labels)
	}
	other := load("other.csv", "x,y\n1,b\n4,dingo\n")
	defer other.Close()
	wantError(t, other.UseClasses(train), ErrInvalidArgument, "class 'dingo'")
	if labels, _ := other.Labels(); labels[0] != 0 || labels[1] != 1 {
		t.Fatalf("labels %v changed by a failed UseClasses", labels)
	}
	plain, _ := NewDataset([]int64{1}, []float32{1, 2})
	defer plain.Close()
	wantError(t, plain.UseClasses(train), ErrState, "deep_dataset_use_classes")
}

func TestKFoldIndices(t *testing.T) {
	seen := make([]int, 10)
	for fold := int32(0); fold < 3; fold++ {
		train, test, err := KFoldIndices(10, 3, fold, true, 5)
		must(t, err)
		// 10 samples in 3 folds: 4, 3, 3 test samples.
		if want := []int{4, 3, 3}[fold]; len(test) != want || len(train) != 10-want {
			t.Fatalf("fold %d: %d train, %d test", fold, len(train), len(test))
		}
		for _, i := range test {
			seen[i]++
		}
		inTest := map[int64]bool{}
		for _, i := range test {
			inTest[i] = true
		}
		for _, i := range train {
			if inTest[i] {
				t.Fatalf("fold %d: %d in both train and test", fold, i)
			}
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("sample %d in %d test folds", i, n)
		}
	}
	_, test, err := KFoldIndices(6, 3, 0, false, 0)
	must(t, err)
	if len(test) != 2 || test[0] != 0 || test[1] != 1 {
		t.Fatalf("unshuffled first fold %v", test)
	}
	_, _, err = KFoldIndices(5, 1, 0, false, 0)
	wantError(t, err, ErrInvalidArgument, "deep_kfold_indices")
	_, _, err = KFoldIndices(5, 2, 2, false, 0)
	wantError(t, err, ErrOutOfRange, "deep_kfold_indices")
}

func TestLoadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	// Two records: label byte, then 1024 red, 1024 green and 1024 blue bytes.
	record := func(label byte, r, g, b byte) []byte {
		out := []byte{label}
		for _, v := range []byte{r, g, b} {
			for i := 0; i < 1024; i++ {
				out = append(out, v)
			}
		}
		return out
	}
	a := filepath.Join(dir, "data_batch_1.bin")
	b := filepath.Join(dir, "data_batch_2.bin")
	must(t, os.WriteFile(a, record(3, 10, 20, 30), 0o644))
	must(t, os.WriteFile(b, record(9, 1, 2, 3), 0o644))
	d, err := LoadCIFAR10(a, b)
	must(t, err)
	defer d.Close()
	shape, _ := d.SampleShape()
	if len(shape) != 3 || shape[0] != 32 || shape[1] != 32 || shape[2] != 3 {
		t.Fatalf("sample shape %v", shape)
	}
	labels, _ := d.Labels()
	if len(labels) != 2 || labels[0] != 3 || labels[1] != 9 {
		t.Fatalf("labels %v", labels)
	}
	x, _ := d.Features()
	data, _ := x.Data()
	x.Close()
	if data[0] != 10 || data[1] != 20 || data[2] != 30 || data[3*1024] != 1 {
		t.Fatalf("channels last: %v", data[:6])
	}
	bad := filepath.Join(dir, "bad.bin")
	must(t, os.WriteFile(bad, record(3, 0, 0, 0)[:100], 0o644))
	_, err = LoadCIFAR10(bad)
	wantError(t, err, ErrFormat, "deep_dataset_load_cifar10")
	_, err = LoadCIFAR10()
	wantError(t, err, ErrInvalidArgument, "LoadCIFAR10")
	_, err = LoadCIFAR10(filepath.Join(dir, "missing.bin"))
	wantError(t, err, ErrIO, "deep_dataset_load_cifar10")
}
