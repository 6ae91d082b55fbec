package deep

import (
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// svgElements parses the file as XML (failing on a malformed one) and returns its start
// elements.
func svgElements(t *testing.T, path string) []xml.StartElement {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	dec := xml.NewDecoder(f)
	var out []xml.StartElement
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		must(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			out = append(out, se.Copy())
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestHistogramSVG(t *testing.T) {
	d, err := NewDataset([]int64{1}, []float32{1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 10.5, float32(math.NaN()), 7.25})
	must(t, err)
	defer d.Close()
	path := filepath.Join(t.TempDir(), "h.svg")
	must(t, d.HistogramSVG(0, 3, path))
	counts, _, err := d.Histogram(0, 3)
	must(t, err)
	var bars []xml.StartElement
	for _, e := range svgElements(t, path) {
		if e.Name.Local == "rect" && attr(e, "class") == "bar" {
			bars = append(bars, e)
		}
	}
	if len(bars) != 3 {
		t.Fatalf("%d bars", len(bars))
	}
	h0, _ := strconv.ParseFloat(attr(bars[0], "height"), 64)
	for i, b := range bars {
		h, _ := strconv.ParseFloat(attr(b, "height"), 64)
		if attr(b, "data-count") != strconv.FormatInt(counts[i], 10) ||
			math.Abs(h-h0*float64(counts[i])/float64(counts[0])) > 2e-3 {
			t.Fatalf("bar %d: %v against count %d", i, b.Attr, counts[i])
		}
	}
	err = d.HistogramSVG(0, 3, filepath.Join(t.TempDir(), "no", "h.svg"))
	wantError(t, err, ErrIO, "deep_dataset_histogram_svg")
	err = d.HistogramSVG(2, 3, path)
	wantError(t, err, ErrOutOfRange, "deep_dataset_histogram_svg")
}

func TestHistorySVG(t *testing.T) {
	train := xor(t, 1, 200)
	defer train.Close()
	m, err := NewModel(2)
	must(t, err)
	defer m.Close()
	must(t, m.SetSeed(7))
	must(t, m.AddDense(8, Tanh))
	must(t, m.AddDense(2, Softmax))
	path := filepath.Join(t.TempDir(), "history.svg")
	wantError(t, m.HistorySVG(path), ErrState, "no history")
	adam, err := NewOptimizer(Adam)
	must(t, err)
	must(t, m.Compile(adam, SparseCategoricalCrossentropy, MetricAccuracy))
	must(t, m.Fit(train, 4, 32, train))
	must(t, m.HistorySVG(path))
	lines := map[string][]int{}
	for _, e := range svgElements(t, path) {
		if e.Name.Local == "polyline" {
			lines[attr(e, "class")] = append(lines[attr(e, "class")], len(strings.Fields(attr(e, "points"))))
		}
	}
	if len(lines["train"]) != 2 || len(lines["validation"]) != 2 || lines["train"][0] != 4 || lines["validation"][1] != 4 {
		t.Fatalf("polylines %v", lines)
	}
}
