package evaluator

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/parity-eval/parity/runner"
)

func TestScorePredictionsThroughTheTask(t *testing.T) {
	task := buildTask(t, "gsm8k", 5, 4)
	prompts, n, err := PromptIndex(task)
	if err != nil {
		t.Fatal(err)
	}
	insts, _ := task.Instances()
	byPrompt, _ := json.Marshal(map[string]string{"prompt": insts[1].Generate.Context, "response": " 2 + 2 = 4\n#### 4"})
	// Doc 0 (Janet's ducks) is answered right under both filters; doc 1 is
	// named by its prompt and wrong; docs 2 and 3 are wrong under
	// strict-match only or both.
	file := `{"doc_id": 0, "completion": " 16-3-4=9 eggs, 9*2=18.\n#### 18"}
` + string(byPrompt) + `
{"doc_id": "2", "output": "The answer is 3."}
{"doc_id": 3, "completion": "no idea"}
`
	preds, err := ReadPredictions(strings.NewReader(file), "preds.jsonl", prompts, n)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewPredictionBackend(task, preds)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), runner.New(b, runner.Options{}), []Task{task}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := rep.File.Results["gsm8k"]
	if got := res["exact_match,strict-match"]; got != 0.25 {
		t.Errorf("strict-match = %v; want 0.25", got)
	}
	if rep.Stats.Sent != 4 {
		t.Errorf("sent %d generation requests to the predictions; want 4", rep.Stats.Sent)
	}
}

func TestReadPredictionsErrorsNameTheLine(t *testing.T) {
	prompts := map[string]int{"Q: a\nA:": 0}
	for _, tc := range []struct{ file, want string }{
		{`{"doc_id": 0, "completion": "x"}` + "\n" + `{"doc_id": 0, "completion": "y"}`, "p.jsonl:2: a second prediction for doc 0"},
		{`{"doc_id": 7, "completion": "x"}`, "p.jsonl:1: unknown doc_id 7"},
		{`{"doc_id": 0}`, `p.jsonl:1: no "completion"`},
		{`{"prompt": "other", "completion": "x"}`, "p.jsonl:1: the prompt is not one this task builds"},
		{"\n{\"doc_id\": 0,", "p.jsonl:2: not a JSON object"},
		{`{"completion": "x"}`, `p.jsonl:1: no "doc_id" or "prompt" field`},
	} {
		_, err := ReadPredictions(strings.NewReader(tc.file), "p.jsonl", prompts, 2)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadPredictions(%q) = %v; want an error containing %q", tc.file, err, tc.want)
		}
	}
}

func TestPredictionBackendWantsEveryDoc(t *testing.T) {
	task := buildTask(t, "gsm8k", 5, 3)
	_, err := NewPredictionBackend(task, Predictions{0: "x", 2: "y"})
	if err == nil || !strings.Contains(err.Error(), "1 of 3 docs have no prediction (first: doc 1)") {
		t.Errorf("err = %v; want the missing doc named", err)
	}
}
