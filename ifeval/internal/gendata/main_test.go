package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/parity-eval/parity/ifeval/internal/shared"
)

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEmbeddedDataIsGenerated regenerates the embedded data from
// shared/data/nlp (checksums verified) and compares it with the files the
// packages embed, so they cannot drift from their sources.
func TestEmbeddedDataIsGenerated(t *testing.T) {
	out := t.TempDir()
	for _, d := range []string{"nltk", "langdetect"} {
		if err := os.Mkdir(filepath.Join(out, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(shared.Path(t, "nlp"), out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"nltk/punkt_english.gz", "langdetect/profiles.gz"} {
		if !bytes.Equal(gunzip(t, filepath.Join(out, f)), gunzip(t, filepath.Join("..", "..", f))) {
			t.Errorf("%s differs from what gendata makes (run go generate ./ifeval)", f)
		}
	}
	for _, f := range []string{"langdetect/LICENSE", "langdetect/NOTICE"} {
		want, _ := os.ReadFile(filepath.Join(out, f))
		got, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the source (%v)", f, err)
		}
	}
}
