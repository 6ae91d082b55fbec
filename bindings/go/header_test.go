package deep

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// notBound lists the enum values of deep.h the Go binding leaves out on purpose, and why.
// Every other value must appear as C.DEEP_... in the package, so that a value added to the
// header fails TestEveryEnumValueIsBound until the binding handles it. (The numbers
// themselves cannot drift: they are cgo's C.DEEP_... constants.)
var notBound = map[string]string{
	"DEEP_REPLICA_AGREE":     "the replica hook's events are for a transport such as libdeep-mpi, which Go does not bind yet",
	"DEEP_REPLICA_BROADCAST": "as DEEP_REPLICA_AGREE",
	"DEEP_REPLICA_GRADIENTS": "as DEEP_REPLICA_AGREE",
	"DEEP_REPLICA_REDUCE":    "as DEEP_REPLICA_AGREE",
	"DEEP_REPLICA_SUM":       "as DEEP_REPLICA_AGREE",
}

// headerPath is the deep.h the binding is built against: LIBDEEP_HEADER, the source tree's
// include/deep.h, or the one pkg-config's libdeep.pc points to (as cgo finds it).
func headerPath(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("LIBDEEP_HEADER"); path != "" {
		return path
	}
	if path := filepath.Join("..", "..", "include", "deep.h"); fileExists(path) {
		return path
	}
	out, err := exec.Command("pkg-config", "--variable=includedir", "libdeep").Output()
	if err != nil {
		t.Fatalf("cannot find deep.h: set LIBDEEP_HEADER, or make pkg-config find libdeep: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "deep.h")
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// headerEnumValues returns the enumerators of every `typedef enum deep_x { ... } deep_x;`.
func headerEnumValues(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`).ReplaceAllString(string(data), " ")
	enums := regexp.MustCompile(`(?s)typedef\s+enum\s+(deep_\w+)\s*\{(.*?)\}\s*(deep_\w+)\s*;`).FindAllStringSubmatch(text, -1)
	if len(enums) == 0 || len(enums) != strings.Count(text, "typedef enum") {
		t.Fatalf("%s: found %d enums out of %d typedef enum", path, len(enums), strings.Count(text, "typedef enum"))
	}
	first := regexp.MustCompile(`^\s*(DEEP_\w+)`)
	var names []string
	for _, e := range enums {
		for _, item := range strings.Split(e[2], ",") {
			if strings.TrimSpace(item) == "" {
				continue
			}
			m := first.FindStringSubmatch(item)
			if m == nil {
				t.Fatalf("%s: cannot read the enumerator %q of %s", path, item, e[1])
			}
			names = append(names, m[1])
		}
	}
	return names
}

func TestEveryEnumValueIsBound(t *testing.T) {
	path := headerPath(t)
	values := headerEnumValues(t, path)
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	reference := regexp.MustCompile(`\bC\.(DEEP_\w+)`)
	for _, source := range sources {
		if strings.HasSuffix(source, "_test.go") {
			continue
		}
		data, err := os.ReadFile(source)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range reference.FindAllStringSubmatch(string(data), -1) {
			used[m[1]] = true
		}
	}
	inHeader := map[string]bool{}
	var missing []string
	for _, name := range values {
		inHeader[name] = true
		if !used[name] && notBound[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s has enum values the Go binding does not use as C.<name> (bind them or list them in notBound): %s",
			path, strings.Join(missing, " "))
	}
	var stale []string
	for name := range notBound {
		if used[name] || !inHeader[name] {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("notBound lists values that are bound or no longer in %s: %s", path, strings.Join(stale, " "))
	}
	if len(values) < 50 {
		t.Errorf("%s: only %d enum values read", path, len(values))
	}
}
