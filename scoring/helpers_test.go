package scoring

import (
	"encoding/json"
	"github.com/parity-eval/parity/internal/shareddata"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"
)

// readGolden decodes testdata/name, written by testdata/gen_golden.py.
func readGolden(t testing.TB, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("testdata/%s: %v", name, err)
	}
}

var cmpApprox = cmpopts.EquateApprox(0, 1e-12)

// sharedData returns the repository root's ../shared/data, failing when it is
// missing: the real-data tests must not pass vacuously.
func sharedData(t testing.TB) string {
	t.Helper()
	return shareddata.Dir(t, "gsm8k")
}

// readJSONL decodes every line of path into a T.
func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	return shareddata.ReadJSONL[T](t, path)
}
