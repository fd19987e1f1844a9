package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedData returns /work/shared/data (the repo root's ../shared/data),
// failing the test when it is missing: these tests check real datasets and
// must not pass vacuously.
func sharedData(t testing.TB) string {
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
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "hub")); err != nil {
		t.Fatalf("shared data missing: %v", err)
	}
	return data
}

// hubFile returns the mirror's parquet file for repo/config/split.
func hubFile(t testing.TB, repo, config, split string) string {
	t.Helper()
	return filepath.Join(sharedData(t), "hub", filepath.FromSlash(repo), config, split, "0000.parquet")
}
