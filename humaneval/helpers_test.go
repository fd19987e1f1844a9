package humaneval

import (
	"context"
	"github.com/parity-eval/parity/internal/shareddata"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/sandbox"
)

// dataDir is ../shared/data above the module root; its absence fails the
// test (never skips it).
func dataDir(t testing.TB) string {
	t.Helper()
	return shareddata.Dir(t, "humanevalplus", "HumanEvalPlus.jsonl.gz")
}

func evalPlusFile(t testing.TB) string {
	return filepath.Join(dataDir(t), "humanevalplus", "HumanEvalPlus.jsonl.gz")
}

var (
	sbOnce sync.Once
	sb     *sandbox.Sandbox
	sbErr  error
)

// testSandbox is one strict sandbox shared by the package's tests.
func testSandbox(t testing.TB) *sandbox.Sandbox {
	t.Helper()
	sbOnce.Do(func() { sb, sbErr = sandbox.New(context.Background(), sandbox.Config{Mode: sandbox.Strict}) })
	if sbErr != nil {
		t.Fatal(sbErr)
	}
	return sb
}

func testExecutor(t testing.TB) *Executor {
	t.Helper()
	ex, err := NewExecutor(testSandbox(t), runtime.NumCPU(), "", testSandbox(t).Python())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Close() })
	return ex
}

func hubLoader(t testing.TB) *datasets.Loader {
	o := datasets.Options{DataDir: filepath.Join(dataDir(t), "hub"), Offline: true}
	return datasets.NewLoader(o)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sb != nil {
		sb.Close()
	}
	os.Exit(code)
}
