package langdetect

import (
	"encoding/json"
	"errors"
	"github.com/parity-eval/parity/internal/shareddata"
	"math"
	"strings"
	"testing"

	"github.com/parity-eval/parity/ifeval/internal/shared"
)

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	return shareddata.ReadJSONL[T](t, path)
}

// checkProbabilities compares with Python's detect_langs (seed 0), rounded
// there to 6 decimals.
func checkProbabilities(t *testing.T, name, text, wantDetect string, want [][2]any) {
	t.Helper()
	got, err := Default().Probabilities(text, 0)
	if wantDetect == "LangDetectException" {
		if !errors.Is(err, ErrNoFeatures) {
			t.Errorf("%s: got %v, %v; want ErrNoFeatures", name, got, err)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if len(got) != len(want) {
		t.Errorf("%s: %v, python %v", name, got, want)
		return
	}
	for i, w := range want {
		p := w[1].(float64)
		if got[i].Lang != w[0].(string) || math.Abs(got[i].Prob-p) > 5.000001e-7 {
			t.Errorf("%s: %v, python %v", name, got, want)
			return
		}
	}
	if got[0].Lang != wantDetect {
		t.Errorf("%s: detect %s, python %s", name, got[0].Lang, wantDetect)
	}
}

func TestDetectCases(t *testing.T) {
	type row struct {
		Name   string   `json:"name"`
		Text   string   `json:"text"`
		Detect string   `json:"detect_seed0"`
		Probs  [][2]any `json:"probabilities_seed0"`
	}
	rows := readJSONL[row](t, shared.Path(t, "nlp/golden/langdetect_cases.jsonl"))
	if len(rows) != 26 {
		t.Fatalf("%d cases, want 26", len(rows))
	}
	for _, r := range rows {
		if strings.HasPrefix(r.Detect, "LangDetectException") {
			if _, err := Detect(r.Text); !errors.Is(err, ErrNoFeatures) {
				t.Errorf("%s: err %v, want ErrNoFeatures", r.Name, err)
			}
			continue
		}
		checkProbabilities(t, r.Name, r.Text, r.Detect, r.Probs)
	}
}

// TestDetectGPT4Responses compares detect_langs (seed 0) on all 541 GPT-4
// reference responses.
func TestDetectGPT4Responses(t *testing.T) {
	type golden struct {
		Key    int      `json:"key"`
		Detect string   `json:"detect_seed0"`
		Probs  [][2]any `json:"probabilities_seed0"`
	}
	type input struct {
		Key    int    `json:"key"`
		Prompt string `json:"prompt"`
	}
	type response struct {
		Prompt   string `json:"prompt"`
		Response string `json:"response"`
	}
	keys := map[string]int{}
	for _, in := range readJSONL[input](t, shared.Path(t, "reference/ifeval/input_data.jsonl")) {
		keys[in.Prompt] = in.Key
	}
	responses := map[int]string{}
	for _, r := range readJSONL[response](t, shared.Path(t, "reference/ifeval/input_response_data_gpt4_20231107_145030.jsonl")) {
		responses[keys[r.Prompt]] = r.Response
	}
	rows := readJSONL[golden](t, shared.Path(t, "nlp/golden/langdetect_ifeval_gpt4_responses.jsonl"))
	if len(rows) != 541 {
		t.Fatalf("%d rows, want 541", len(rows))
	}
	for _, g := range rows {
		text, ok := responses[g.Key]
		if !ok {
			t.Fatalf("key %d: no response", g.Key)
		}
		checkProbabilities(t, "key "+itoa(g.Key), text, g.Detect, g.Probs)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestModel(t *testing.T) {
	m := Default()
	if n := len(m.Languages()); n != 55 {
		t.Errorf("%d languages, want 55", n)
	}
	if n := len(m.grams); n != 87598 {
		t.Errorf("%d distinct n-grams, want 87,598", n)
	}
}

func TestTextCleaning(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"see https://example.com/a?b=c#d now", "see   now"},
		{"mail bob.smith@mail.example.com today", "mail   today"},
		{"x@y", "x@y"},
		{"a@bc", " "},
		{"http://", "http://"},
		{strings.Repeat("a", 70) + "@b.c x", "aaaaaa  x"},
		{"q@" + strings.Repeat("b", 300) + ".c", " "},
		{"a@b.", " "},
		{"x@@y.z", "x@@y.z"},
		{"a@-.-", " "},
	} {
		got := string(replaceMails(replaceURLs([]rune(c.in))))
		if got != c.want {
			t.Errorf("clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
