package tasks

import (
	"context"
	"flag"
	"fmt"
	"github.com/parity-eval/parity/internal/shareddata"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/tasks/taskstest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// repoRoot walks up from the package directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	return shareddata.RepoRoot(t)
}

// sharedData is ../shared/data relative to the repo root. Tests that need it
// fail (never skip) when it is missing.
func sharedData(t testing.TB) string {
	t.Helper()
	return shareddata.Dir(t, "hub")
}

// memoSource caches splits so tests that build many tasks read each parquet
// file once.
type memoSource struct {
	src   DocSource
	mu    sync.Mutex
	cache map[string][]datasets.Doc
}

func (m *memoSource) Load(ctx context.Context, ref datasets.Ref) ([]datasets.Doc, error) {
	key := fmt.Sprintf("%s|%s|%s|%v", ref.Path, ref.Config, ref.Split, ref.Files)
	m.mu.Lock()
	defer m.mu.Unlock()
	if docs, ok := m.cache[key]; ok {
		return docs, nil
	}
	docs, err := m.src.Load(ctx, ref)
	if err != nil {
		return nil, err
	}
	m.cache[key] = docs
	return docs, nil
}

var (
	hubOnce   sync.Once
	hubSource *memoSource
	hubErr    error
)

// hub is a DocSource over the shared Hub mirror, offline, plus the
// HellaSwag fixture of package taskstest, which the mirror lacks, written as
// Hub-layout parquet files under Rowan/hellaswag.
func hub(t testing.TB) DocSource {
	t.Helper()
	dir := filepath.Join(sharedData(t), "hub")
	hubOnce.Do(func() {
		fixture, err := os.MkdirTemp("", "parity-hellaswag-")
		if err != nil {
			hubErr = err
			return
		}
		if hubErr = taskstest.WriteHellaswag(fixture); hubErr != nil {
			return
		}
		cache, err := os.MkdirTemp("", "parity-hub-cache-")
		if err != nil {
			hubErr = err
			return
		}
		mirror := datasets.NewLoader(datasets.Options{DataDir: dir, Offline: true, CacheDir: cache})
		fix := datasets.NewLoader(datasets.Options{DataDir: fixture, Offline: true, CacheDir: cache})
		hubSource = &memoSource{src: routeSource{"Rowan/hellaswag": fix, "": mirror}, cache: map[string][]datasets.Doc{}}
	})
	if hubErr != nil {
		t.Fatalf("writing the HellaSwag fixture: %v", hubErr)
	}
	return hubSource
}

// routeSource sends each dataset to its own source ("" is the default).
type routeSource map[string]DocSource

func (r routeSource) Load(ctx context.Context, ref datasets.Ref) ([]datasets.Doc, error) {
	if s, ok := r[ref.Path]; ok {
		return s.Load(ctx, ref)
	}
	return r[""].Load(ctx, ref)
}

// registry parses the repository's tasks.yaml.
func registry(t testing.TB) *Registry {
	t.Helper()
	path := filepath.Join(repoRoot(t), "tasks.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Parse("tasks.yaml", data, ParseOptions{BaseDir: repoRoot(t)})
	if err != nil {
		t.Fatalf("parsing tasks.yaml: %v", err)
	}
	return reg
}

// resolveOne resolves a task or group name that must yield the named task.
func resolveOne(t testing.TB, reg *Registry, request, task string) *Config {
	t.Helper()
	cfgs, err := reg.Resolve([]string{request})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfgs {
		if c.Name == task {
			return c
		}
	}
	t.Fatalf("%s does not contain task %s", request, task)
	return nil
}

func intp(n int) *int { return &n }

// writeOrCompare writes got to the golden file with -update, else compares.
func writeOrCompare(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the output (run go test -update and review the diff):\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows where two texts part.
func firstDiff(want, got string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	lo := max(0, i-80)
	return fmt.Sprintf("at byte %d:\nwant …%q\ngot  …%q", i, want[lo:min(len(want), i+80)], got[lo:min(len(got), i+80)])
}
