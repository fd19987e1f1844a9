package datasets

import (
	"github.com/parity-eval/parity/internal/shareddata"
	"path/filepath"
	"testing"
)

// sharedData returns /work/shared/data (the repo root's ../shared/data),
// failing the test when it is missing: these tests check real datasets and
// must not pass vacuously.
func sharedData(t testing.TB) string {
	t.Helper()
	return shareddata.Dir(t, "hub")
}

// hubFile returns the mirror's parquet file for repo/config/split.
func hubFile(t testing.TB, repo, config, split string) string {
	t.Helper()
	return filepath.Join(sharedData(t), "hub", filepath.FromSlash(repo), config, split, "0000.parquet")
}
