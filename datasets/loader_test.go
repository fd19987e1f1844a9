package datasets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.jsonl")
	b := filepath.Join(dir, "b.csv")
	if err := os.WriteFile(a, []byte("{\"x\": 1}\n{\"x\": 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("x\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Files win over the Hub: no mirror, cache or network is consulted.
	l := NewLoader(Options{Endpoint: "http://127.0.0.1:1", CacheDir: t.TempDir()})
	got, err := l.Load(context.Background(), Ref{Path: "local/thing", Split: "test", Files: []string{b, a}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Doc{{"x": "three"}, {"x": int64(1)}, {"x": int64(2)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"x\": 1}\n{\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = l.Load(context.Background(), Ref{Path: "local/thing", Split: "test", Files: []string{a, bad}})
	wantErr := "datasets: local/thing/default/test: file " + bad + ": line 2: unexpected EOF"
	if err == nil || err.Error() != wantErr {
		t.Errorf("got  %v\nwant %s", err, wantErr)
	}
}

// TestMirrorSplitFiles: several files of a split are read in name order,
// numbers by value, and the mirror wins over the cache.
func TestMirrorSplitFiles(t *testing.T) {
	mirror := t.TempDir()
	split := filepath.Join(mirror, "me", "ds", "default", "train")
	if err := os.MkdirAll(split, 0o755); err != nil {
		t.Fatal(err)
	}
	arcVal := readShared(t, "allenai/ai2_arc", "ARC-Challenge", "validation")
	gsmTest := readShared(t, "openai/gsm8k", "main", "test")
	for name, data := range map[string][]byte{"2.parquet": arcVal, "10.parquet": gsmTest, "notes.txt": []byte("ignored"), ".tmp-0.parquet": []byte("ignored")} {
		if err := os.WriteFile(filepath.Join(split, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := append(loadShared(t, "allenai/ai2_arc", "ARC-Challenge", "validation"), loadShared(t, "openai/gsm8k", "main", "test")...)
	l := NewLoader(Options{DataDir: mirror, CacheDir: t.TempDir(), Offline: true})
	got, err := l.Load(context.Background(), Ref{Path: "me/ds", Split: "train"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNaturalCompare(t *testing.T) {
	got := []string{"10.parquet", "0001.parquet", "2.parquet", "a10", "a9", "a09b", "b", "0000.parquet", "partial-train-1"}
	slices.SortFunc(got, naturalCompare)
	want := []string{"0000.parquet", "0001.parquet", "2.parquet", "10.parquet", "a9", "a09b", "a10", "b", "partial-train-1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestOfflineMisses: offline, a config or split that the mirror lacks is
// an error that lists what the mirror has.
func TestOfflineMisses(t *testing.T) {
	mirror := filepath.Join(sharedData(t), "hub")
	cache := t.TempDir()
	l := NewLoader(Options{DataDir: mirror, CacheDir: cache, Offline: true})
	tests := []struct {
		ref  Ref
		want string
	}{
		{Ref{Path: "allenai/ai2_arc", Config: "ARC-Easy", Split: "test"},
			fmt.Sprintf("datasets: allenai/ai2_arc/ARC-Easy/test: offline: config %q not in mirror %s (configs there: ARC-Challenge); dataset not in cache %s", "ARC-Easy", mirror, cache)},
		{Ref{Path: "openai/gsm8k", Config: "main", Split: "validation"},
			fmt.Sprintf("datasets: openai/gsm8k/main/validation: offline: split %q not in mirror %s (splits there: test, train); dataset not in cache %s", "validation", mirror, cache)},
		{Ref{Path: "Rowan/hellaswag", Split: "validation"},
			fmt.Sprintf("datasets: Rowan/hellaswag/default/validation: offline: dataset not in mirror %s; dataset not in cache %s", mirror, cache)},
	}
	for _, tc := range tests {
		_, err := l.Load(context.Background(), tc.ref)
		if !errors.Is(err, ErrOffline) {
			t.Errorf("%v: got %v, want ErrOffline", tc.ref, err)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("got  %s\nwant %s", err, tc.want)
		}
	}
}

func TestBadRefs(t *testing.T) {
	l := NewLoader(Options{DataDir: t.TempDir(), CacheDir: t.TempDir(), Offline: true})
	tests := []struct {
		ref  Ref
		want string
	}{
		{Ref{Split: "test"}, "no dataset path"},
		{Ref{Path: "a/b"}, "no split"},
		{Ref{Path: "a/b/c", Split: "test"}, `dataset path "a/b/c": want owner/name`},
		{Ref{Path: "../etc", Split: "test"}, `bad name ".." in dataset reference`},
		{Ref{Path: "a/b", Config: "..", Split: "test"}, `bad name ".." in dataset reference`},
		{Ref{Path: "a/b", Split: `x\y`}, `bad name "x\\y" in dataset reference`},
	}
	for _, tc := range tests {
		_, err := l.Load(context.Background(), tc.ref)
		if err == nil || !strings.HasSuffix(err.Error(), ": "+tc.want) {
			t.Errorf("%+v: got %v, want …%s", tc.ref, err, tc.want)
		}
	}
}

func TestOptionsFromEnv(t *testing.T) {
	for _, k := range []string{"HF_ENDPOINT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HOME"} {
		t.Setenv(k, "")
	}
	userCache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	opts := func(o Options) string { return fmt.Sprintf("%+v|%s", o, o.Token) }
	if got, want := opts(OptionsFromEnv()), opts(Options{Endpoint: DefaultEndpoint, CacheDir: filepath.Join(userCache, "parity", "hub")}); got != want {
		t.Errorf("defaults: got %s, want %s", got, want)
	}
	t.Setenv("HF_ENDPOINT", "https://hf-mirror.example/")
	t.Setenv("HF_TOKEN", "hf_abc")
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("HF_HOME", "/data/hf")
	want := Options{Endpoint: "https://hf-mirror.example", Token: "hf_abc", Offline: true, CacheDir: "/data/hf/parity/hub"}
	if got := OptionsFromEnv(); opts(got) != opts(want) {
		t.Errorf("got %s, want %s", opts(got), opts(want))
	}
	for v, off := range map[string]bool{"true": true, "TRUE": true, "yes": true, "0": false, "false": false, "": false} {
		t.Setenv("HF_HUB_OFFLINE", v)
		if got := OptionsFromEnv().Offline; got != off {
			t.Errorf("HF_HUB_OFFLINE=%q: Offline=%t", v, got)
		}
	}
	t.Setenv("HF_HUB_OFFLINE", "")
	t.Setenv("HF_DATASETS_OFFLINE", "1")
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HUGGING_FACE_HUB_TOKEN", "hf_old")
	if o := OptionsFromEnv(); !o.Offline || o.Token != "hf_old" {
		t.Errorf("HF_DATASETS_OFFLINE / HUGGING_FACE_HUB_TOKEN ignored: %+v", o)
	}
}

func TestOptionsHideToken(t *testing.T) {
	o := Options{Token: "hf_secret", Endpoint: DefaultEndpoint}
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o), fmt.Sprint(&o)} {
		if strings.Contains(s, "hf_secret") {
			t.Errorf("token printed: %s", s)
		}
		if !strings.Contains(s, "Token:(set)") {
			t.Errorf("token presence not shown: %s", s)
		}
	}
}
