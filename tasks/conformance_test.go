package tasks

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity/runner"
)

// conformanceLine is one line of testdata/conformance/<task>.jsonl. The first
// line names the task (request, task, num_fewshot; group for a group file);
// then one line per doc gives the model's responses and the metrics lm-eval
// v0.4.5 computes for them ("metric,filter" keys), with the doc's task in a
// group file; the last line holds the aggregate (the group's, in a group
// file).
type conformanceLine struct {
	Request    string `json:"request"`
	Task       string `json:"task"`
	Group      string `json:"group"`
	NumFewshot *int   `json:"num_fewshot"`

	DocID          *int               `json:"doc_id"`
	Loglikelihoods []float64          `json:"loglikelihoods"`
	IsGreedy       []bool             `json:"is_greedy"`
	Generation     *string            `json:"generation"`
	Gold           string             `json:"gold"` // for readers only
	Filtered       map[string]any     `json:"filtered"`
	Metrics        map[string]float64 `json:"metrics"`

	Aggregate map[string]float64 `json:"aggregate"`
}

// TestConformance runs every conformance file. They are produced by
// testdata/conformance/make_conformance.py, which scores the responses with
// its own port of lm-eval's code, not with parity's.
func TestConformance(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance files: %v", err)
	}
	reg := registry(t)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			lines := readConformance(t, file)
			head := lines[0]
			docs := map[string][]conformanceLine{}
			var order []string
			var agg map[string]float64
			for _, l := range lines[1:] {
				switch {
				case l.DocID != nil:
					task := head.Task
					if head.Group != "" {
						task = l.Task
					}
					if _, ok := docs[task]; !ok {
						order = append(order, task)
					}
					docs[task] = append(docs[task], l)
				case l.Aggregate != nil:
					agg = l.Aggregate
				}
			}
			scores := map[string]Scores{}
			for _, name := range order {
				s := scoreConformance(t, reg, head, name, docs[name])
				scores[name] = s
			}
			var got map[string]float64
			if head.Group != "" {
				g, ok := reg.Group(head.Group)
				if !ok {
					t.Fatalf("no group %q", head.Group)
				}
				s, ok, err := g.Aggregate(scores)
				if err != nil || !ok {
					t.Fatalf("group %s: %v (has score: %v)", head.Group, err, ok)
				}
				got = floats(s.Map())
			} else {
				got = floats(scores[head.Task].Map())
			}
			if diff := cmp.Diff(agg, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("aggregate (-lm-eval +parity):\n%s", diff)
			}
		})
	}
}

func floats(m map[string]any) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if f, ok := v.(float64); ok {
			out[k] = f
		}
	}
	return out
}

// scoreConformance builds the task, scores the given docs' responses,
// compares each doc's metrics and filtered responses, and aggregates.
func scoreConformance(t *testing.T, reg *Registry, head conformanceLine, name string, docs []conformanceLine) Scores {
	t.Helper()
	maxID := 0
	for _, d := range docs {
		maxID = max(maxID, *d.DocID)
	}
	cfg := resolveOne(t, reg, head.Request, name)
	task, err := Build(context.Background(), cfg, hub(t), BuildOptions{NumFewshot: head.NumFewshot, Limit: maxID + 1})
	if err != nil {
		t.Fatal(err)
	}
	insts, err := task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	var all []SampleRecord
	for _, d := range docs {
		inst := insts[*d.DocID]
		var ll []runner.LoglikelihoodResult
		for i, v := range d.Loglikelihoods {
			ll = append(ll, runner.LoglikelihoodResult{LogProb: v, IsGreedy: d.IsGreedy[i]})
		}
		var gen []runner.GenerateResult
		if d.Generation != nil {
			gen = []runner.GenerateResult{{Text: *d.Generation}}
		}
		recs, err := task.Score(inst, ll, gen)
		if err != nil {
			t.Fatalf("%s doc %d: %v", name, *d.DocID, err)
		}
		got := map[string]float64{}
		filtered := map[string]any{}
		for _, r := range recs {
			for k, v := range r.Metrics {
				got[k+","+r.Filter] = v
			}
			switch f := r.FilteredResps[0].(type) {
			case string:
				filtered[r.Filter] = f
			case []any:
				filtered[r.Filter] = f
			}
		}
		if diff := cmp.Diff(d.Metrics, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
			t.Errorf("%s doc %d metrics (-lm-eval +parity):\n%s", name, *d.DocID, diff)
		}
		if d.Filtered != nil {
			if diff := cmp.Diff(d.Filtered, filtered); diff != "" {
				t.Errorf("%s doc %d filtered responses (-lm-eval +parity):\n%s", name, *d.DocID, diff)
			}
		}
		all = append(all, recs...)
	}
	scores, err := task.Aggregate(all)
	if err != nil {
		t.Fatal(err)
	}
	return scores
}

func readConformance(t *testing.T, file string) []conformanceLine {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []conformanceLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l conformanceLine
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("%s:%d: %v", file, n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 2 || out[0].Task == "" {
		t.Fatalf("%s: want a header line with task and request, then docs", file)
	}
	return out
}
