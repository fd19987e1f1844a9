// Package shareddata finds the real datasets the tests read: the folder
// ../shared/data beside the repository root. Its absence fails a test, never
// skips it, so CI cannot pass without the data.
package shareddata

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot is the directory holding go.mod, found by walking up from the
// test's working directory.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// Dir is ../shared/data; the test fails unless Dir/mustExist... exists.
func Dir(tb testing.TB, mustExist ...string) string {
	tb.Helper()
	dir := filepath.Join(RepoRoot(tb), "..", "shared", "data")
	check := filepath.Join(append([]string{dir}, mustExist...)...)
	if _, err := os.Stat(check); err != nil {
		tb.Fatalf("real datasets missing: %v (the tests read ../shared/data)", err)
	}
	return dir
}

// ReadJSONL decodes a JSON-lines test file into values of T; a bad line
// fails the test with its path and line number.
func ReadJSONL[T any](tb testing.TB, path string) []T {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for n := 1; sc.Scan(); n++ {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return out
}
