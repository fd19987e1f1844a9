package evaluator

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/parity-eval/parity/runner"
)

// Predictions are completions made elsewhere, keyed by document id.
type Predictions map[int]string

// ReadPredictions reads one JSON object a line: the document named by
// "doc_id" (or by "prompt", the exact context the task builds for it), the
// text in "completion", "response" or "output". name is used in errors;
// prompts maps each document's context to its id.
func ReadPredictions(r io.Reader, name string, prompts map[string]int, numDocs int) (Predictions, error) {
	preds := Predictions{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			return nil, fmt.Errorf("%s:%d: not a JSON object: %v", name, line, err)
		}
		id, err := predictionID(m, prompts, numDocs)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		var out string
		found := false
		for _, k := range []string{"completion", "response", "output"} {
			if raw, ok := m[k]; ok {
				if err := json.Unmarshal(raw, &out); err != nil {
					return nil, fmt.Errorf("%s:%d: %q is not a string", name, line, k)
				}
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%s:%d: no \"completion\", \"response\" or \"output\" field", name, line)
		}
		if _, dup := preds[id]; dup {
			return nil, fmt.Errorf("%s:%d: a second prediction for doc %d", name, line, id)
		}
		preds[id] = out
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", name, line+1, err)
	}
	return preds, nil
}

func predictionID(m map[string]json.RawMessage, prompts map[string]int, numDocs int) (int, error) {
	if raw, ok := m["doc_id"]; ok {
		var id int
		if err := json.Unmarshal(raw, &id); err != nil {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return 0, fmt.Errorf("doc_id %s is not an integer", raw)
			}
			if id, err = strconv.Atoi(s); err != nil {
				return 0, fmt.Errorf("doc_id %q is not an integer", s)
			}
		}
		if id < 0 || id >= numDocs {
			return 0, fmt.Errorf("unknown doc_id %d (the task has docs 0..%d)", id, numDocs-1)
		}
		return id, nil
	}
	if raw, ok := m["prompt"]; ok {
		var p string
		if err := json.Unmarshal(raw, &p); err != nil {
			return 0, errors.New(`"prompt" is not a string`)
		}
		id, ok := prompts[p]
		if !ok {
			return 0, errors.New("the prompt is not one this task builds (check --num-fewshot, --seed and the chat flags)")
		}
		return id, nil
	}
	return 0, errors.New(`no "doc_id" or "prompt" field`)
}

// PredictionBackend answers generation requests from predictions, so a
// task scores completions made elsewhere through the same Score path as a
// live run. It answers only the prompts of the instances it was built for.
type PredictionBackend struct {
	byRequest map[string]string
}

// NewPredictionBackend maps each instance's generation request to its
// document's prediction. Every instance must have one.
func NewPredictionBackend(t Task, preds Predictions) (*PredictionBackend, error) {
	insts, err := t.Instances()
	if err != nil {
		return nil, err
	}
	b := &PredictionBackend{byRequest: map[string]string{}}
	var missing []int
	for _, in := range insts {
		if in.Generate == nil {
			return nil, fmt.Errorf("task %q is not generative: predictions cannot score it", t.Name())
		}
		p, ok := preds[in.DocID]
		if !ok {
			missing = append(missing, in.DocID)
			continue
		}
		key, err := json.Marshal(in.Generate)
		if err != nil {
			return nil, err
		}
		b.byRequest[string(key)] = p
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("task %q: %d of %d docs have no prediction (first: doc %d)", t.Name(), len(missing), len(insts), missing[0])
	}
	return b, nil
}

// ID implements runner.Backend.
func (b *PredictionBackend) ID() string { return "predictions" }

// Loglikelihood implements runner.Backend; predictions hold no scores.
func (b *PredictionBackend) Loglikelihood(context.Context, []runner.LoglikelihoodRequest) ([]runner.LoglikelihoodResult, error) {
	return nil, errors.New("predictions cannot answer loglikelihood requests")
}

// Generate implements runner.Backend.
func (b *PredictionBackend) Generate(_ context.Context, reqs []runner.GenerateRequest) ([]runner.GenerateResult, error) {
	out := make([]runner.GenerateResult, len(reqs))
	for i, r := range reqs {
		key, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		p, ok := b.byRequest[string(key)]
		if !ok {
			return nil, errors.New("no prediction for this prompt")
		}
		out[i] = runner.GenerateResult{Text: p, FinishReason: "stop"}
	}
	return out, nil
}

// PromptIndex maps each instance's context to its doc id, for predictions
// that name their document by prompt.
func PromptIndex(t Task) (map[string]int, int, error) {
	insts, err := t.Instances()
	if err != nil {
		return nil, 0, err
	}
	idx := make(map[string]int, len(insts))
	for _, in := range insts {
		if in.Generate != nil {
			idx[in.Generate.Context] = in.DocID
		}
	}
	return idx, len(insts), nil
}
