// Package shareddata finds the real datasets the tests read: the folder
// ../shared/data beside the repository root. Its absence fails a test, never
// skips it, so CI cannot pass without the data.
package shareddata

import (
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
