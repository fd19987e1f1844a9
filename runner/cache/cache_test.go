package cache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPutGetSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "cache.db")
	c, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	var keys []string
	for i := range 1200 { // more than one IN-chunk
		k := Key("srv|model", "loglikelihood", fmt.Appendf(nil, "req-%d", i))
		keys = append(keys, k)
		entries = append(entries, Entry{Key: k, Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := c.Put(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Get(ctx, append(keys, Key("other", "x", nil)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	for _, e := range entries {
		want[e.Key] = e.Value
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Get after reopen (-want +got):\n%s", d)
	}
	n, err := c.Len(ctx)
	if err != nil || n != 1200 {
		t.Fatalf("Len = %d, %v; want 1200", n, err)
	}
}

func TestKeyDependsOnEveryPart(t *testing.T) {
	base := Key("a", "b", []byte("c"))
	for _, k := range []string{Key("a2", "b", []byte("c")), Key("a", "b2", []byte("c")), Key("a", "b", []byte("c2")), Key("ab", "", []byte("c"))} {
		if k == base {
			t.Fatalf("key collision: %s", k)
		}
	}
	if Key("a", "b", []byte("c")) != base {
		t.Fatal("Key is not deterministic")
	}
}

func TestOpenRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not sqlite ", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open(garbage) = %v; want an error naming %s", err, path)
	}
}

func BenchmarkPut32(b *testing.B) {
	ctx := context.Background()
	c, err := Open(ctx, filepath.Join(b.TempDir(), "c.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	val := []byte(`{"logprob":-12.345678,"is_greedy":false,"continuation_tokens":3,"prompt_tokens":61}`)
	n := 0
	for b.Loop() {
		entries := make([]Entry, 32)
		for j := range entries {
			entries[j] = Entry{Key: Key("id", "ll", fmt.Appendf(nil, "%d", n)), Value: val}
			n++
		}
		if err := c.Put(ctx, entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*32)/b.Elapsed().Seconds(), "entries/s")
}
