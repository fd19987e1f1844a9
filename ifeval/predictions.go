package ifeval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/tasks"
)

// Scored is a predictions file scored against a task.
type Scored struct {
	// Records are the samples lines, one per prediction, in doc order.
	Records []tasks.SampleRecord
	Scores  tasks.Scores
	Summary Summary
	// Docs is the number of docs the task has (after any limit); a file may
	// predict fewer.
	Docs int
}

// PredictionError locates a bad line of a predictions file.
type PredictionError struct {
	Line int
	Msg  string
}

func (e *PredictionError) Error() string {
	return fmt.Sprintf("predictions line %d: %s", e.Line, e.Msg)
}

// ScorePredictions scores completions produced elsewhere (no model needed).
// r is JSON Lines, one object per doc:
//
//	{"key": 1000, "response": "..."}       IFEval's key
//	{"doc_id": 0, "completion": "..."}     the doc's index in the task
//	{"prompt": "Write a 300+ word...", "output": "..."}
//
// A line names its doc by key, doc_id or prompt (several must agree) and
// carries the text in exactly one of completion, response or output. Bad
// JSON, a missing field, an unknown doc or a doc given twice is a
// *PredictionError naming the line. Blank lines are skipped.
func ScorePredictions(ctx context.Context, r io.Reader, t *Task) (*Scored, error) {
	insts, err := t.Instances()
	if err != nil {
		return nil, err
	}
	byID := map[int]int{}        // doc_id -> index in insts
	byKey := map[int]int{}       // IFEval key -> index
	byPrompt := map[string]int{} // prompt -> index
	for i, in := range insts {
		byID[in.DocID] = i
		c := t.checkers[in.DocID]
		byKey[c.prompt.Key] = i
		byPrompt[c.prompt.Prompt] = i
	}
	firstLine := map[int]int{} // index -> line that predicted it
	var order []int
	texts := map[int]string{}
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		raw, readErr := br.ReadBytes('\n')
		if readErr != nil && !errors.Is(readErr, io.EOF) {
			return nil, fmt.Errorf("predictions: %w", readErr)
		}
		if len(bytes.TrimSpace(raw)) > 0 {
			idx, text, err := parsePrediction(raw, byID, byKey, byPrompt)
			if err != nil {
				return nil, &PredictionError{Line: line, Msg: err.Error()}
			}
			if prev, dup := firstLine[idx]; dup {
				return nil, &PredictionError{Line: line, Msg: fmt.Sprintf("doc %d (key %d) was already given on line %d", insts[idx].DocID, t.checkers[insts[idx].DocID].prompt.Key, prev)}
			}
			firstLine[idx] = line
			texts[idx] = text
			order = append(order, idx)
		}
		if errors.Is(readErr, io.EOF) {
			break
		}
	}
	if len(order) == 0 {
		return nil, errors.New("predictions: no predictions in the file")
	}
	sort.Ints(order)
	out := &Scored{Docs: len(insts)}
	var results []Result
	for _, idx := range order {
		inst := insts[idx]
		recs, err := t.Score(inst, nil, []runner.GenerateResult{{Text: texts[idx]}})
		if err != nil {
			return nil, fmt.Errorf("predictions line %d: %w", firstLine[idx], err)
		}
		out.Records = append(out.Records, recs...)
		t.mu.Lock()
		res := t.results[inst.DocID]
		t.mu.Unlock()
		results = append(results, res)
		out.Summary.Add(res)
	}
	out.Scores = scores(results)
	return out, nil
}

// parsePrediction finds the doc a line names and its text.
func parsePrediction(raw []byte, byID, byKey map[int]int, byPrompt map[string]int) (int, string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return 0, "", fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return 0, "", errors.New("invalid JSON: data after the object")
	}
	if obj == nil {
		return 0, "", errors.New("want a JSON object")
	}
	idx, named := -1, ""
	resolve := func(field string, i int, ok bool, desc string) error {
		if !ok {
			return fmt.Errorf("no doc with %s", desc)
		}
		if idx >= 0 && idx != i {
			return fmt.Errorf("%s names a different doc than %s", field, named)
		}
		idx, named = i, field
		return nil
	}
	if v, ok := obj["key"]; ok {
		k, isInt := toInt(v)
		if !isInt {
			return 0, "", fmt.Errorf("key %v is not an integer", v)
		}
		i, found := byKey[k]
		if err := resolve("key", i, found, fmt.Sprintf("key %d", k)); err != nil {
			return 0, "", err
		}
	}
	if v, ok := obj["doc_id"]; ok {
		d, isInt := toInt(v)
		if !isInt {
			return 0, "", fmt.Errorf("doc_id %v is not an integer", v)
		}
		i, found := byID[d]
		if err := resolve("doc_id", i, found, fmt.Sprintf("doc_id %d", d)); err != nil {
			return 0, "", err
		}
	}
	if v, ok := obj["prompt"]; ok {
		p, isStr := v.(string)
		if !isStr {
			return 0, "", fmt.Errorf("prompt is %T, not a string", v)
		}
		i, found := byPrompt[p]
		if err := resolve("prompt", i, found, fmt.Sprintf("prompt %.60q", p)); err != nil {
			return 0, "", err
		}
	}
	if idx < 0 {
		return 0, "", errors.New(`no doc named: give "key", "doc_id" or "prompt"`)
	}
	var text string
	found := ""
	for _, f := range []string{"completion", "response", "output"} {
		v, ok := obj[f]
		if !ok {
			continue
		}
		if found != "" {
			return 0, "", fmt.Errorf("both %q and %q given; give the text once", found, f)
		}
		s, isStr := v.(string)
		if !isStr {
			return 0, "", fmt.Errorf("%s is %T, not a string", f, v)
		}
		text, found = s, f
	}
	if found == "" {
		return 0, "", errors.New(`no text: give "completion", "response" or "output"`)
	}
	return idx, text, nil
}
