// Package shared locates the project's shared test data (../shared/data
// beside the repository root) for the ifeval packages' tests. A test that
// needs the data fails, never skips, when it is missing.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns ../shared/data/<rel> relative to the directory holding
// go.mod, failing the test when it does not exist.
func Path(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("shared data: no go.mod above the test's directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared data missing (the tests need ../shared/data beside the repository): %v", err)
	}
	return p
}
