package deep

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// notBoundFunctions lists the functions of deep.h the Go binding leaves out on purpose, and
// why. Every other one must be called by the package (C.deep_x in a .go file that is not a
// test, or deep_x in its cgo C file), so that a function added to the header fails
// TestEveryFunctionIsBound until the binding handles it. A deep_model_add_* may not be listed.
var notBoundFunctions = map[string]string{
	"deep_model_get_log":            "the binding owns the log function it installs (Model keeps it)",
	"deep_model_get_callbacks":      "the binding owns the callbacks it installs (Model keeps them)",
	"deep_set_last_error":           "for C companion libraries (libdeep-mpi) and C callbacks; Go code returns its own errors",
	"deep_forest_fit_trees":         "forests grown in pieces across processes: libdeep-mpi's job, which has no Go binding yet",
	"deep_forest_join":              "as deep_forest_fit_trees",
	"deep_forest_compute_oob_score": "as deep_forest_fit_trees",
	"deep_forest_save_buffer":       "as deep_forest_fit_trees; Forest.Save writes the same bytes to a file",
	"deep_forest_load_buffer":       "as deep_forest_save_buffer",
	"deep_model_set_replica":        "the replica hook is for a transport such as libdeep-mpi (deep_mpi_fit), which Go does not bind yet",
	"deep_model_get_replica":        "as deep_model_set_replica",

	// since 1.3
	"deep_model_set_replica_validation": "as deep_model_set_replica (deep_mpi_fit sets it)",
	"deep_model_get_replica_validation": "as deep_model_set_replica",
}

// headerFunctions returns the names of the DEEP_API functions of the header at path.
func headerFunctions(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`).ReplaceAllString(string(data), " ")
	text = regexp.MustCompile(`#define[^\n]*`).ReplaceAllString(text, " ")
	var names []string
	for _, m := range regexp.MustCompile(`\bDEEP_API\b[^;(]*?\b(deep_\w+)\s*\(`).FindAllStringSubmatch(text, -1) {
		names = append(names, m[1])
	}
	if len(names) < 150 || len(names) != strings.Count(text, "DEEP_API") {
		t.Fatalf("%s: read %d functions out of %d DEEP_API", path, len(names), strings.Count(text, "DEEP_API"))
	}
	return names
}

// calledFunctions returns the deep_* names the package's non-test sources use: C.deep_x in
// Go, deep_x in the cgo C files (trampolines that install the callbacks).
func calledFunctions(t *testing.T) map[string]bool {
	t.Helper()
	used := map[string]bool{}
	goRef := regexp.MustCompile(`\bC\.(deep_\w+)`)
	cRef := regexp.MustCompile(`\b(deep_\w+)`)
	for _, pattern := range []string{"*.go", "*.c"} {
		sources, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, source := range sources {
			if strings.HasSuffix(source, "_test.go") {
				continue
			}
			data, err := os.ReadFile(source)
			if err != nil {
				t.Fatal(err)
			}
			ref := goRef
			if strings.HasSuffix(source, ".c") {
				ref = cRef
			}
			for _, m := range ref.FindAllStringSubmatch(string(data), -1) {
				used[m[1]] = true
			}
		}
	}
	return used
}

// functionCoverage compares the header's functions with the used and listed ones: the
// functions neither used nor listed, the listed ones that are used or not in the header,
// and the listed layer types (never allowed).
func functionCoverage(functions []string, used map[string]bool, listed map[string]string) (missing, stale, forbidden []string) {
	inHeader := map[string]bool{}
	for _, name := range functions {
		inHeader[name] = true
		if !used[name] && listed[name] == "" {
			missing = append(missing, name)
		}
	}
	for name := range listed {
		if used[name] || !inHeader[name] {
			stale = append(stale, name)
		}
		if strings.HasPrefix(name, "deep_model_add_") {
			forbidden = append(forbidden, name)
		}
	}
	sort.Strings(stale)
	sort.Strings(forbidden)
	return missing, stale, forbidden
}

func TestEveryFunctionIsBound(t *testing.T) {
	path := headerPath(t)
	functions := headerFunctions(t, path)
	missing, stale, forbidden := functionCoverage(functions, calledFunctions(t), notBoundFunctions)
	if len(missing) > 0 {
		t.Errorf("%s has functions the Go binding does not call (bind them or list them in notBoundFunctions): %s",
			path, strings.Join(missing, " "))
	}
	if len(stale) > 0 {
		t.Errorf("notBoundFunctions lists functions that are bound or no longer in %s: %s", path, strings.Join(stale, " "))
	}
	if len(forbidden) > 0 {
		t.Errorf("layer types must be bound, not listed in notBoundFunctions: %s", strings.Join(forbidden, " "))
	}
}

func TestFunctionCoverageCanFail(t *testing.T) {
	functions := headerFunctions(t, headerPath(t))
	used := calledFunctions(t)
	// A binding call removed: that function is missing.
	delete(used, "deep_tree_get_float")
	if missing, _, _ := functionCoverage(functions, used, notBoundFunctions); strings.Join(missing, " ") != "deep_tree_get_float" {
		t.Errorf("missing = %v, want deep_tree_get_float", missing)
	}
	used["deep_tree_get_float"] = true
	// A bound function listed: the list is stale; a layer type listed is refused.
	listed := map[string]string{"deep_model_add_dense": "not allowed"}
	for name, reason := range notBoundFunctions {
		listed[name] = reason
	}
	_, stale, forbidden := functionCoverage(functions, used, listed)
	if strings.Join(stale, " ") != "deep_model_add_dense" || strings.Join(forbidden, " ") != "deep_model_add_dense" {
		t.Errorf("stale = %v, forbidden = %v, want deep_model_add_dense in both", stale, forbidden)
	}
}
