package datasets

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGPQAZipMatchesMirror: the authors' encrypted dataset.zip gives the
// same text columns, row for row, as the Hub-layout mirror (which was built
// from it with pandas' reading rules).
func TestGPQAZipMatchesMirror(t *testing.T) {
	data := sharedData(t)
	hubLoader := NewLoader(Options{DataDir: filepath.Join(data, "hub"), Offline: true})
	zs := GPQAZip(hubLoader, filepath.Join(data, "gpqa", "dataset.zip"))
	cols := []string{"Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3", "Record ID", "Subdomain"}
	want := map[string]int{"gpqa_main": 448, "gpqa_diamond": 198, "gpqa_extended": 546}
	for cfg, n := range want {
		ref := Ref{Path: "Idavidrein/gpqa", Config: cfg, Split: "train"}
		fromZip, err := zs.Load(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		fromHub, err := hubLoader.Load(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if len(fromZip) != n || len(fromHub) != n {
			t.Fatalf("%s: %d rows from the zip, %d from the mirror, want %d", cfg, len(fromZip), len(fromHub), n)
		}
		for i := range fromZip {
			for _, c := range cols {
				if diff := cmp.Diff(fromHub[i][c], fromZip[i][c]); diff != "" {
					t.Fatalf("%s row %d column %q (-mirror +zip):\n%s", cfg, i, c, diff)
				}
			}
		}
	}
	// Other datasets go to the next source.
	if _, err := zs.Load(context.Background(), Ref{Path: "TAUR-Lab/MuSR", Split: "team_allocation"}); err != nil {
		t.Errorf("pass-through: %v", err)
	}
	if _, err := zs.Load(context.Background(), Ref{Path: "Idavidrein/gpqa", Config: "nope", Split: "train"}); err == nil {
		t.Error("unknown config: no error")
	}
}
