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
// line names the task (request, task, num_fewshot); then one line per doc
// gives the model's responses and the metrics lm-eval v0.4.5 computes for
// them ("metric,filter" keys); the last line holds the aggregate.
type conformanceLine struct {
	Request    string `json:"request"`
	Task       string `json:"task"`
	NumFewshot *int   `json:"num_fewshot"`

	DocID          *int               `json:"doc_id"`
	Loglikelihoods []float64          `json:"loglikelihoods"`
	IsGreedy       []bool             `json:"is_greedy"`
	Generation     *string            `json:"generation"`
	Gold           string             `json:"gold"` // for readers only
	Filtered       map[string]string  `json:"filtered"`
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
			var docs []conformanceLine
			var agg map[string]float64
			maxID := 0
			for _, l := range lines[1:] {
				switch {
				case l.DocID != nil:
					docs = append(docs, l)
					maxID = max(maxID, *l.DocID)
				case l.Aggregate != nil:
					agg = l.Aggregate
				}
			}
			cfg := resolveOne(t, reg, head.Request, head.Task)
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
					t.Fatalf("doc %d: %v", *d.DocID, err)
				}
				got := map[string]float64{}
				filtered := map[string]string{}
				for _, r := range recs {
					for k, v := range r.Metrics {
						got[k+","+r.Filter] = v
					}
					if s, ok := r.FilteredResps[0].(string); ok {
						filtered[r.Filter] = s
					}
				}
				if diff := cmp.Diff(d.Metrics, got); diff != "" {
					t.Errorf("doc %d metrics (-lm-eval +parity):\n%s", *d.DocID, diff)
				}
				if d.Filtered != nil {
					if diff := cmp.Diff(d.Filtered, filtered); diff != "" {
						t.Errorf("doc %d filtered responses (-lm-eval +parity):\n%s", *d.DocID, diff)
					}
				}
				all = append(all, recs...)
			}
			scores, err := task.Aggregate(all)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for k, v := range scores.Map() {
				if f, ok := v.(float64); ok {
					got[k] = f
				}
			}
			if diff := cmp.Diff(agg, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("aggregate (-lm-eval +parity):\n%s", diff)
			}
		})
	}
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
