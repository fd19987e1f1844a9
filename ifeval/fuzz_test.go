package ifeval

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzCheckers are the instruction settings of checker_golden.json, built
// once per fuzz process.
func fuzzCheckers(f *testing.F) ([]*Checker, []string) {
	b, err := os.ReadFile("testdata/checker_golden.json")
	if err != nil {
		f.Fatal(err)
	}
	var g checkerGolden
	if err := json.Unmarshal(b, &g); err != nil {
		f.Fatal(err)
	}
	var out []*Checker
	for _, in := range g.Instructions {
		p, err := PromptFromDoc(map[string]any{"key": 1, "prompt": "", "instruction_id_list": []any{in.ID}, "kwargs": []any{in.Kwargs}})
		if err != nil {
			f.Fatal(err)
		}
		c, err := NewChecker(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, c)
	}
	return out, g.Responses
}

// FuzzCheckers runs every instruction checker, strict and loose, on
// arbitrary responses: none may panic or fail.
func FuzzCheckers(f *testing.F) {
	checkers, seeds := fuzzCheckers(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add("\xff\xfe invalid utf-8 \xc3")
	f.Add(strings.Repeat("[", 5000))
	f.Add(strings.Repeat("*", 3000) + "\n" + strings.Repeat(". ", 2000))
	f.Fuzz(func(t *testing.T, resp string) {
		for _, c := range checkers {
			r, err := c.Evaluate(resp)
			if err != nil {
				t.Fatalf("%s on %q: %v", c.prompt.Instructions[0].ID, resp, err)
			}
			if len(r.Strict) != 1 || len(r.Loose) != 1 || (r.Strict[0] && !r.Loose[0]) {
				t.Fatalf("%s on %q: %+v (strict implies loose)", c.prompt.Instructions[0].ID, resp, r)
			}
		}
	})
}

// FuzzPyJSON compares the json.loads check with encoding/json, which reads
// the same grammar except NaN and Infinity (and nests deeper).
func FuzzPyJSON(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5e-3, true, null]}`, `"x\u00e9"`, `[1,]`, `01`, `1.`, `-0`, `{"a":1}x`, `"\ud800"`, "\"\t\"", `[[[[]]]]`, ` 5 `} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := pyJSONValid(s)
		if !utf8.ValidString(s) || strings.Contains(s, "NaN") || strings.Contains(s, "Infinity") || strings.Count(s, "[")+strings.Count(s, "{") > maxJSONDepth {
			return
		}
		if want := json.Valid([]byte(s)); got != want {
			t.Fatalf("pyJSONValid(%q) = %v, encoding/json %v", s, got, want)
		}
	})
}

// FuzzPredictions feeds arbitrary bytes to the predictions reader: it may
// reject them, but only with an error.
func FuzzPredictions(f *testing.F) {
	byID := map[int]int{0: 0, 1: 1}
	byKey := map[int]int{1000: 0, 1001: 1}
	byPrompt := map[string]int{"p": 0}
	for _, s := range []string{`{"key": 1000, "response": "x"}`, `{"doc_id": 1, "output": "y"}`, `{"prompt": "p", "completion": 5}`, `{}`, `[`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		idx, _, err := parsePrediction(b, byID, byKey, byPrompt)
		if err == nil && (idx < 0 || idx > 1) {
			t.Fatalf("%q: doc index %d", b, idx)
		}
	})
}
