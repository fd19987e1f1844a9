package tasks

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/runner"
)

const mcYAML = `
tasks:
  - task: mc
    version: "1"
    dataset_path: x
    test_split: test
    output_type: multiple_choice
    doc_to_text: "{{q}}"
    doc_to_target: "{{gold}}"
    doc_to_choice: choices
`

func lls(xs ...float64) []runner.LoglikelihoodResult {
	out := make([]runner.LoglikelihoodResult, len(xs))
	best := 0
	for i, x := range xs {
		out[i].LogProb = x
		if x > xs[best] {
			best = i
		}
	}
	out[best].IsGreedy = true
	return out
}

func TestScoreMultipleChoice(t *testing.T) {
	cfg := parseOne(t, mcYAML)
	docs := []datasets.Doc{
		// acc_norm divides by code points: "café" is 4 (5 bytes), "abcd" 4,
		// "日本" 2 (6 bytes). Byte-length normalisation would pick "日本".
		{"q": "Q0", "choices": []any{"café", "abcd", "日本"}, "gold": "2"},
		// A tie goes to the first maximum (numpy.argmax).
		{"q": "Q1", "choices": []any{"a", "b"}, "gold": "1"},
		// A gold index past the choices scores 0 everywhere.
		{"q": "Q2", "choices": []any{"a", "b"}, "gold": "7"},
		// acc and acc_norm disagree.
		{"q": "Q3", "choices": []any{"x", "a much longer choice"}, "gold": "1"},
	}
	task, err := Build(context.Background(), cfg, memDocs{"test": docs}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	insts, err := task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	responses := [][]runner.LoglikelihoodResult{
		lls(-4.4, -4.0, -2.4), // per char: -1.1, -1.0, -1.2 → 1; raw → 2
		lls(-1, -1),
		lls(-1, -2),
		lls(-1, -5), // per char: -1, -0.25
	}
	want := []map[string]float64{
		{"acc": 1, "acc_norm": 0},
		{"acc": 0, "acc_norm": 0},
		{"acc": 0, "acc_norm": 0},
		{"acc": 0, "acc_norm": 1},
	}
	var all []SampleRecord
	for i, in := range insts {
		if i == 0 {
			wantReqs := []runner.LoglikelihoodRequest{{Context: "Q0", Continuation: " café"}, {Context: "Q0", Continuation: " abcd"}, {Context: "Q0", Continuation: " 日本"}}
			if diff := cmp.Diff(wantReqs, in.Loglikelihood); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		}
		recs, err := task.Score(in, responses[i], nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].Filter != "none" {
			t.Fatalf("doc %d: records %+v", i, recs)
		}
		if diff := cmp.Diff(want[i], recs[0].Metrics); diff != "" {
			t.Errorf("doc %d (-want +got):\n%s", i, diff)
		}
		all = append(all, recs...)
	}
	if insts[2].Gold != -1 {
		t.Errorf("out-of-range gold: Gold = %d, want -1", insts[2].Gold)
	}
	scores, err := task.Aggregate(all)
	if err != nil {
		t.Fatal(err)
	}
	// Sample std (ddof=1) over sqrt(n): mean .25 of [1 0 0 0] → .25.
	want2 := map[string]any{"acc,none": 0.25, "acc_stderr,none": 0.25, "acc_norm,none": 0.25, "acc_norm_stderr,none": 0.25}
	if diff := cmp.Diff(want2, scores.Map(), cmpopts.EquateApprox(0, 1e-15)); diff != "" {
		t.Errorf("aggregate (-want +got):\n%s", diff)
	}
	if scores.N != 4 {
		t.Errorf("N = %d", scores.N)
	}
	one, err := task.Aggregate(all[:1])
	if err != nil {
		t.Fatal(err)
	}
	if got := one.Map()["acc_stderr,none"]; got != "N/A" {
		t.Errorf("stderr of one sample = %v, want N/A", got)
	}
}

func TestScoreGSM8K(t *testing.T) {
	cfg, _ := registry(t).Task("gsm8k")
	doc := datasets.Doc{"question": "Q?", "answer": "Work: 2*9=<<2*9=18>>18 dollars.\n#### 1,800"}
	task, err := Build(context.Background(), cfg, memDocs{"test": {doc}, "train": {doc}}, BuildOptions{NumFewshot: intp(0)})
	if err != nil {
		t.Fatal(err)
	}
	insts, err := task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	wantReq := &runner.GenerateRequest{Context: "Question: Q?\nAnswer:", Until: []string{"Question:", "</s>", "<|im_end|>"}, MaxTokens: 256}
	if diff := cmp.Diff(wantReq, insts[0].Generate); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	tests := []struct {
		text           string
		strict, flex   string
		strictEM, flEM float64
	}{
		{" so #### 1800.", "1800.", "1800.", 1, 1},
		{" so $1,800 total", "[invalid]", "$1,800", 0, 1},
		{" #### 1,800 or maybe 18", "1,800", "18", 1, 0},
		{" 1800.00", "[invalid]", "1800.00", 0, 0},
		{" nothing", "[invalid]", "[invalid]", 0, 0},
	}
	for _, tt := range tests {
		recs, err := task.Score(insts[0], nil, []runner.GenerateResult{{Text: tt.text}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]any{}
		for _, r := range recs {
			got[r.Filter] = []any{r.FilteredResps[0], r.Metrics["exact_match"]}
		}
		want := map[string]any{"strict-match": []any{tt.strict, tt.strictEM}, "flexible-extract": []any{tt.flex, tt.flEM}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.text, diff)
		}
	}
	if _, err := task.Score(insts[0], nil, nil); err == nil {
		t.Error("scoring without a generation: no error")
	}
}

// TestSampleLines compares LMEvalJSON with lines built by lm-eval's own
// logging code (testdata/samples/make_samples.py).
func TestSampleLines(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "samples", "lmeval_lines.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	reg := registry(t)
	var got []string

	arc, _ := reg.Task("arc_challenge")
	task, err := Build(context.Background(), arc, hub(t), BuildOptions{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	insts, err := task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	ll := []runner.LoglikelihoodResult{{LogProb: -5.25}, {LogProb: -3.0}, {LogProb: -0.5, IsGreedy: true}, {LogProb: -1e-05}}
	recs, err := task.Score(insts[0], ll, nil)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, recs[0].LMEvalJSON())

	gsm, _ := reg.Task("gsm8k")
	task, err = Build(context.Background(), gsm, hub(t), BuildOptions{Limit: 1, NumFewshot: intp(0)})
	if err != nil {
		t.Fatal(err)
	}
	insts, err = task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	recs, err = task.Score(insts[0], nil, []runner.GenerateResult{{Text: " 16-3-4=9 eggs, 9*2=$18.\n#### 18"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		got = append(got, r.LMEvalJSON())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sample lines (-lm-eval +parity):\n%s", diff)
	}
}

func TestConfigForResults(t *testing.T) {
	gsm, _ := registry(t).Task("gsm8k")
	doc := datasets.Doc{"question": "Q?", "answer": "#### 1"}
	task, err := Build(context.Background(), gsm, memDocs{"test": {doc}, "train": {doc, doc, doc, doc, doc, doc}}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := task.ConfigForResults()
	for _, k := range []string{"task", "dataset_path", "dataset_name", "training_split", "fewshot_split", "test_split", "doc_to_text", "doc_to_target", "num_fewshot", "output_type", "repeats", "metadata"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing %q", k)
		}
	}
	if got["num_fewshot"] != 5 || got["doc_to_target"] != "{{answer}}" {
		t.Errorf("num_fewshot %v doc_to_target %v", got["num_fewshot"], got["doc_to_target"])
	}
	if v := got["metadata"].(map[string]any)["version"]; v != 3.0 {
		t.Errorf("metadata.version = %v", v)
	}
	gk, err := got["generation_kwargs"].(*orderedMap).MarshalJSON()
	if err != nil || string(gk) != `{"until":["Question:","</s>","<|im_end|>"],"do_sample":false,"temperature":0.0}` {
		t.Errorf("generation_kwargs %s %v", gk, err)
	}
	if _, ok := got["filter_list"]; !ok {
		t.Error("filter_list missing")
	}
}

func TestGenerationTemperature(t *testing.T) {
	f, tr := false, true
	half := 0.5
	tests := []struct {
		g    GenerationKwargs
		want float64
	}{
		{GenerationKwargs{DoSample: &f}, 0},
		{GenerationKwargs{DoSample: &f, Temperature: &half}, 0.5}, // vLLM keeps an explicit temperature
		{GenerationKwargs{DoSample: &tr}, 1},
		{GenerationKwargs{}, 1}, // no do_sample: vLLM's default
	}
	for _, tt := range tests {
		task := &Task{cfg: &Config{Generation: tt.g}, gen: tt.g}
		if got := task.generateRequest("c", nil).Temperature; got != tt.want || math.IsNaN(got) {
			t.Errorf("%+v: temperature %v, want %v", tt.g, got, tt.want)
		}
	}
}
