package mathans

import (
	"context"
	"github.com/parity-eval/parity/internal/shareddata"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/datasets"
)

// Expected values in testdata come from testdata/gen_expected.py, a
// stdlib-only Python transcription of lm-eval's functions.

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	return shareddata.ReadJSONL[T](t, path)
}

func TestExtractionCases(t *testing.T) {
	type tc struct {
		Input        string  `json:"input"`
		Boxed        *string `json:"boxed"`
		Unnormalized string  `json:"unnormalized"`
		Normalized   string  `json:"normalized"`
	}
	cases := readJSONL[tc](t, filepath.Join("testdata", "extraction.jsonl"))
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		var got tc
		got.Input = c.Input
		if b, ok := LastBoxedOnlyString(c.Input); ok {
			got.Boxed = &b
		}
		got.Unnormalized = UnnormalizedAnswer(c.Input)
		got.Normalized = NormalizeFinalAnswer(c.Input)
		if d := cmp.Diff(c, got); d != "" {
			t.Errorf("%q (-python +go):\n%s", c.Input, d)
		}
	}
}

// repoRoot walks up from the working directory to go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	return shareddata.RepoRoot(t)
}

// realDocs loads the test split of every MATH subject from both
// datasets the task can use, keyed like testdata/golds.jsonl.
func realDocs(t testing.TB) map[[3]any]datasets.Doc {
	t.Helper()
	hub := filepath.Join(repoRoot(t), "..", "shared", "data", "hub")
	if _, err := os.Stat(hub); err != nil {
		t.Fatalf("the real MATH data is needed: %v", err)
	}
	l := datasets.NewLoader(datasets.Options{DataDir: hub, Offline: true})
	out := map[[3]any]datasets.Doc{}
	for _, path := range []string{"lighteval/MATH-Hard", "DigitalLearningGmbH/MATH-lighteval"} {
		for _, c := range []string{"algebra", "counting_and_probability", "geometry", "intermediate_algebra", "number_theory", "prealgebra", "precalculus"} {
			docs, err := l.Load(context.Background(), datasets.Ref{Path: path, Config: c, Split: "test"})
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range docs {
				out[[3]any{path, c, float64(i)}] = d
			}
		}
	}
	return out
}

// TestRealGolds checks the gold answer of all 6 324 real test solutions
// (1 324 of MATH-Hard, 5 000 of MATH-lighteval) and the model-side
// extraction of a response ending in the Minerva sentence.
func TestRealGolds(t *testing.T) {
	docs := realDocs(t)
	rows := readJSONL[[6]any](t, filepath.Join("testdata", "golds.jsonl"))
	if len(rows) != 6324 || len(docs) != 6324 {
		t.Fatalf("%d expected rows, %d docs; want 6324", len(rows), len(docs))
	}
	for _, r := range rows {
		key := [3]any{r[0], r[1], r[2]}
		d, ok := docs[key]
		if !ok {
			t.Fatalf("no doc %v", key)
		}
		sol := d["solution"].(string)
		b, _ := LastBoxedOnlyString(sol)
		if r[3] != nil && b != r[3] {
			t.Errorf("%v: boxed %q, want %q", key, b, r[3])
		}
		if g := GoldAnswer(sol); g != r[4] {
			t.Errorf("%v: gold %q, want %q", key, g, r[4])
		}
		inner, _ := RemoveBoxed(b)
		resp := sol + "\nFinal Answer: The final answer is $" + inner + "$. I hope it is correct."
		if m := NormalizeFinalAnswer(UnnormalizedAnswer(resp)); m != r[5] {
			t.Errorf("%v: model answer %q, want %q", key, m, r[5])
		}
	}
}
