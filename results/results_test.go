package results

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestSampleWriterKeepsLinesAndSortsOnClose(t *testing.T) {
	dir := t.TempDir()
	w, err := NewSampleWriter(dir, "gsm8k")
	if err != nil {
		t.Fatal(err)
	}
	// Documents complete out of order; each has two filter lines.
	for _, id := range []int{2, 0, 1} {
		if err := w.Add([]Line{{id, `{"doc_id":` + string(rune('0'+id)) + `,"filter":"strict-match"}`}, {id, `{"doc_id":` + string(rune('0'+id)) + `,"filter":"flexible-extract"}`}}); err != nil {
			t.Fatal(err)
		}
		// Before Close, what arrived is already on disk, in arrival order.
		b, err := os.ReadFile(SamplesPath(dir, "gsm8k"))
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("\n")); n == 0 {
			t.Fatalf("nothing on disk after Add of doc %d", id)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSamples(SamplesPath(dir, "gsm8k"))
	if err != nil {
		t.Fatal(err)
	}
	var order []any
	for _, s := range got {
		order = append(order, []any{s["doc_id"], s["filter"]})
	}
	want := []any{
		[]any{0.0, "strict-match"}, []any{0.0, "flexible-extract"},
		[]any{1.0, "strict-match"}, []any{1.0, "flexible-extract"},
		[]any{2.0, "strict-match"}, []any{2.0, "flexible-extract"},
	}
	if d := cmp.Diff(want, order); d != "" {
		t.Errorf("sample order (-want +got):\n%s", d)
	}
}

func TestReadSamplesNamesTheBadLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples_x.jsonl")
	os.WriteFile(path, []byte("{\"doc_id\":0}\n{\"doc_id\":1\n"), 0o644)
	_, err := ReadSamples(path)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(path+":2")) {
		t.Fatalf("err = %v; want it to name %s:2", err, path)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f := &File{
		Results:  map[string]map[string]any{"arc_challenge": {"acc,none": 0.25, "acc_stderr,none": 0.1}},
		Versions: map[string]any{"arc_challenge": "1.0"},
		NShot:    map[string]int{"arc_challenge": 25},
		NSamples: map[string]NSamples{"arc_challenge": {1172, 20}},
	}
	if err := Write(dir, f); err != nil {
		t.Fatal(err)
	}
	got, err := Read(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(f.Results, got.Results); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("Write left %d files behind; want only results.json", len(entries))
	}
}

func TestWriteTableGolden(t *testing.T) {
	f := &File{
		Results: map[string]map[string]any{
			"arc_challenge": {"alias": "arc_challenge", "acc,none": 0.5, "acc_stderr,none": 0.0146, "acc_norm,none": 0.53, "acc_norm_stderr,none": 0.0145},
			"gsm8k":         {"alias": "gsm8k", "exact_match,strict-match": 0.25, "exact_match_stderr,strict-match": math.NaN(), "exact_match,flexible-extract": 0.3, "exact_match_stderr,flexible-extract": "N/A"},
		},
		Versions: map[string]any{"arc_challenge": "1.0", "gsm8k": "3.0"},
		NShot:    map[string]int{"arc_challenge": 25, "gsm8k": 5},
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, f); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "table.golden")
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), buf.String()); d != "" {
		t.Errorf("table (-golden +got):\n%s", d)
	}
}
