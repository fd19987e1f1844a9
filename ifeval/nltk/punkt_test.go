package nltk

import (
	"github.com/parity-eval/parity/internal/shareddata"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/ifeval/internal/shared"
)

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	return shareddata.ReadJSONL[T](t, path)
}

func spanPairs(spans []Span) [][2]int {
	out := [][2]int{}
	for _, s := range spans {
		out = append(out, [2]int{s.Start, s.End})
	}
	return out
}

// TestPunktCases checks the 44 hand-picked cases of shared/data/nlp
// (EXAMPLES.md), computed with NLTK 3.8 and 3.9.1.
func TestPunktCases(t *testing.T) {
	type row struct {
		Name      string   `json:"name"`
		Text      string   `json:"text"`
		Num       int      `json:"num_sentences"`
		Sentences []string `json:"sentences"`
		Spans     [][2]int `json:"spans"`
	}
	rows := readJSONL[row](t, shared.Path(t, "nlp/golden/punkt_cases.jsonl"))
	if len(rows) != 44 {
		t.Fatalf("%d cases, want 44", len(rows))
	}
	p := English()
	for _, r := range rows {
		if diff := cmp.Diff(r.Spans, spanPairs(p.SpanTokenize(r.Text))); diff != "" {
			t.Errorf("%s: spans (-nltk +parity):\n%s", r.Name, diff)
		}
		got := p.Tokenize(r.Text)
		if len(got) == 0 {
			got = nil
		}
		want := r.Sentences
		if len(want) == 0 {
			want = nil
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: sentences (-nltk +parity):\n%s", r.Name, diff)
		}
		if n := p.CountSentences(r.Text); n != r.Num {
			t.Errorf("%s: %d sentences, nltk %d", r.Name, n, r.Num)
		}
	}
}

// TestPunktGPT4Responses checks the sentence spans of all 541 GPT-4
// responses of the IFEval reference (6,943 sentences).
func TestPunktGPT4Responses(t *testing.T) {
	type golden struct {
		Key   int      `json:"key"`
		Num   int      `json:"num_sentences"`
		Spans [][2]int `json:"spans"`
	}
	want := readJSONL[golden](t, shared.Path(t, "nlp/golden/punkt_ifeval_gpt4_responses.jsonl"))
	responses := gpt4Responses(t)
	p := English()
	sentences := 0
	for _, g := range want {
		resp, ok := responses[g.Key]
		if !ok {
			t.Fatalf("key %d: no response", g.Key)
		}
		got := spanPairs(p.SpanTokenize(resp))
		if diff := cmp.Diff(g.Spans, got); diff != "" {
			t.Errorf("key %d: spans (-nltk +parity):\n%s", g.Key, diff)
		}
		sentences += len(got)
	}
	if len(want) != 541 || sentences != 6943 {
		t.Errorf("%d responses, %d sentences; want 541 and 6943", len(want), sentences)
	}
}

// gpt4Responses maps IFEval keys to GPT-4's reference responses (joined by
// prompt, as the golden files were).
func gpt4Responses(t testing.TB) map[int]string {
	t.Helper()
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
	out := map[int]string{}
	for _, r := range readJSONL[response](t, shared.Path(t, "reference/ifeval/input_response_data_gpt4_20231107_145030.jsonl")) {
		k, ok := keys[r.Prompt]
		if !ok {
			t.Fatalf("response to an unknown prompt %.60q", r.Prompt)
		}
		out[k] = r.Response
	}
	return out
}
