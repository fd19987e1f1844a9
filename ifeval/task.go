package ifeval

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"sync"

	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/scoring"
	"github.com/parity-eval/parity/tasks"
)

// tasksYAML declares the request side of the tasks (dataset, prompt,
// generation settings) so that prompts are built by package tasks exactly
// as for every other task, chat formatting and system instructions included.
//
//go:embed tasks.yaml
var tasksYAML []byte

// The four metrics in lm-eval's order.
const (
	PromptLevelStrict = "prompt_level_strict_acc"
	InstLevelStrict   = "inst_level_strict_acc"
	PromptLevelLoose  = "prompt_level_loose_acc"
	InstLevelLoose    = "inst_level_loose_acc"
)

var metricNames = []string{PromptLevelStrict, InstLevelStrict, PromptLevelLoose, InstLevelLoose}

// registry parses tasks.yaml; it is fixed at build time, so a parse error is
// a programming error caught by the tests.
var registry = sync.OnceValues(func() (*tasks.Registry, error) {
	return tasks.Parse("ifeval/tasks.yaml", tasksYAML, tasks.ParseOptions{})
})

// TaskNames lists the tasks this package builds: leaderboard_ifeval (Open
// LLM Leaderboard v2, dataset wis-k/instruction-following-eval) and ifeval
// (upstream lm-eval, google/IFEval).
func TaskNames() []string {
	reg, err := registry()
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range reg.Tasks() {
		out = append(out, c.Name)
	}
	return out
}

// IsTask reports whether name is one of TaskNames.
func IsTask(name string) bool {
	for _, n := range TaskNames() {
		if n == name {
			return true
		}
	}
	return false
}

// Configs returns the tasks' configs (for listings such as parity tasks).
func Configs() []*tasks.Config {
	reg, err := registry()
	if err != nil {
		return nil
	}
	return reg.Tasks()
}

// Task is an IFEval task for the evaluator: package tasks builds its
// requests (0-shot, the prompt as is, until [], max_gen_toks 1280,
// greedy); Score and Aggregate are IFEval's. Task is safe for concurrent
// Score calls.
type Task struct {
	*tasks.Task
	checkers  map[int]*Checker // by doc id
	genKwargs any              // generation_kwargs as lm-eval logs them in arguments

	mu      sync.Mutex
	results map[int]Result // by doc id, filled by Score
}

// Build loads and prepares the named task (see TaskNames). opts are the
// run's build options (limit, chat formatting, system instruction,
// generation overrides). The task config sets num_fewshot: 0, which a run's
// --num-fewshot does not override (as in lm-eval).
func Build(ctx context.Context, name string, src tasks.DocSource, opts tasks.BuildOptions) (*Task, error) {
	reg, err := registry()
	if err != nil {
		return nil, fmt.Errorf("ifeval: built-in task file: %w", err)
	}
	if !IsTask(name) {
		return nil, fmt.Errorf("ifeval: unknown task %q (have %v)", name, TaskNames())
	}
	cfgs, err := reg.Resolve([]string{name})
	if err != nil {
		return nil, err
	}
	inner, err := tasks.Build(ctx, cfgs[0], src, opts)
	if err != nil {
		return nil, err
	}
	if n := inner.NumFewshot(); n != 0 {
		return nil, fmt.Errorf("task %q: built %d-shot, but IFEval has no few-shot examples", name, n)
	}
	t := &Task{Task: inner, checkers: map[int]*Checker{}, results: map[int]Result{}}
	t.genKwargs = inner.ConfigForResults()["generation_kwargs"]
	insts, err := inner.Instances()
	if err != nil {
		return nil, err
	}
	// Compile every prompt's checks now, so that a bad row fails the run
	// before any request is sent.
	for _, inst := range insts {
		p, err := PromptFromDoc(inst.Doc)
		if err != nil {
			return nil, fmt.Errorf("task %q doc %d: %w", name, inst.DocID, err)
		}
		c, err := NewChecker(p)
		if err != nil {
			return nil, fmt.Errorf("task %q doc %d: %w", name, inst.DocID, err)
		}
		t.checkers[inst.DocID] = c
	}
	return t, nil
}

// Score is lm-eval's process_results for one doc. The samples line holds
// the four values as lm-eval writes them, except that the inst-level ones
// (lists of booleans in lm-eval) are the doc's share of followed
// instructions, since a SampleRecord's metrics are numbers; the lists
// themselves follow as follow_instruction_list_strict and
// follow_instruction_list_loose.
func (t *Task) Score(inst tasks.Instance, ll []runner.LoglikelihoodResult, gen []runner.GenerateResult) ([]tasks.SampleRecord, error) {
	if len(gen) != 1 || inst.Generate == nil {
		return nil, fmt.Errorf("task %q doc %d: %d generation results for 1 request", t.Name(), inst.DocID, len(gen))
	}
	c, ok := t.checkers[inst.DocID]
	if !ok {
		return nil, fmt.Errorf("task %q: doc %d was not built", t.Name(), inst.DocID)
	}
	res, err := c.Evaluate(gen[0].Text)
	if err != nil {
		return nil, fmt.Errorf("task %q doc %d: %w", t.Name(), inst.DocID, err)
	}
	t.mu.Lock()
	t.results[inst.DocID] = res
	t.mu.Unlock()
	return []tasks.SampleRecord{t.record(inst, gen[0].Text, res)}, nil
}

func (t *Task) record(inst tasks.Instance, text string, res Result) tasks.SampleRecord {
	return tasks.SampleRecord{
		DocID:         inst.DocID,
		Doc:           inst.Doc,
		Target:        inst.Target,
		Arguments:     [][2]any{{inst.Generate.Context, t.genKwargs}},
		Resps:         [][]any{{text}},
		FilteredResps: []any{text},
		Filter:        "none",
		Metrics: map[string]float64{
			PromptLevelStrict: boolFloat(res.PromptStrict()),
			InstLevelStrict:   share(res.Strict),
			PromptLevelLoose:  boolFloat(res.PromptLoose()),
			InstLevelLoose:    share(res.Loose),
		},
		Extra: map[string]any{
			"follow_instruction_list_strict": boolsAny(res.Strict),
			"follow_instruction_list_loose":  boolsAny(res.Loose),
		},
	}
}

func boolsAny(bs []bool) []any {
	out := make([]any, len(bs))
	for i, b := range bs {
		out[i] = b
	}
	return out
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func share(bs []bool) float64 {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return ratio(n, len(bs))
}

// Aggregate is lm-eval's aggregation: prompt-level metrics are means over
// docs (with the sample standard error), inst-level ones the share of all
// instructions followed (agg_inst_level_acc; stderr "N/A").
func (t *Task) Aggregate(records []tasks.SampleRecord) (tasks.Scores, error) {
	results, err := t.resultsOf(records)
	if err != nil {
		return tasks.Scores{}, err
	}
	return scores(results), nil
}

// resultsOf finds each record's verdicts: those Score kept, or, for records
// that did not pass through Score (read back from a samples file, say), the
// verdict lists of the record or else the response re-checked.
func (t *Task) resultsOf(records []tasks.SampleRecord) ([]Result, error) {
	seen := map[int]bool{}
	var out []Result
	for _, rec := range records {
		if seen[rec.DocID] {
			return nil, fmt.Errorf("task %q: doc %d scored twice", t.Name(), rec.DocID)
		}
		seen[rec.DocID] = true
		t.mu.Lock()
		res, ok := t.results[rec.DocID]
		t.mu.Unlock()
		if !ok {
			res, ok = verdictsOf(rec)
		}
		if !ok {
			c, okc := t.checkers[rec.DocID]
			text, okt := responseOf(rec)
			if !okc || !okt {
				return nil, fmt.Errorf("task %q: doc %d has no response to score", t.Name(), rec.DocID)
			}
			var err error
			if res, err = c.Evaluate(text); err != nil {
				return nil, fmt.Errorf("task %q doc %d: %w", t.Name(), rec.DocID, err)
			}
		}
		out = append(out, res)
	}
	return out, nil
}

func verdictsOf(rec tasks.SampleRecord) (Result, bool) {
	strict, ok1 := toBools(rec.Extra["follow_instruction_list_strict"])
	loose, ok2 := toBools(rec.Extra["follow_instruction_list_loose"])
	if !ok1 || !ok2 || len(strict) != len(loose) {
		return Result{}, false
	}
	return Result{Strict: strict, Loose: loose}, true
}

func toBools(v any) ([]bool, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]bool, len(list))
	for i, x := range list {
		if out[i], ok = x.(bool); !ok {
			return nil, false
		}
	}
	return out, true
}

func responseOf(rec tasks.SampleRecord) (string, bool) {
	if len(rec.Resps) != 1 || len(rec.Resps[0]) != 1 {
		return "", false
	}
	s, ok := rec.Resps[0][0].(string)
	return s, ok
}

// scores turns verdicts into the four metrics in lm-eval's order.
func scores(results []Result) tasks.Scores {
	var sum Summary
	strict := make([]float64, len(results))
	loose := make([]float64, len(results))
	for i, r := range results {
		sum.Add(r)
		strict[i] = boolFloat(r.PromptStrict())
		loose[i] = boolFloat(r.PromptLoose())
	}
	stderr := func(xs []float64) float64 {
		if len(xs) < 2 {
			return math.NaN()
		}
		return scoring.MeanStderr(xs)
	}
	return tasks.Scores{N: len(results), Metrics: []tasks.MetricScore{
		{Metric: PromptLevelStrict, Filter: "none", Value: sum.PromptLevelStrictAcc(), Stderr: stderr(strict), HigherIsBetter: true},
		{Metric: InstLevelStrict, Filter: "none", Value: sum.InstLevelStrictAcc(), Stderr: math.NaN(), HigherIsBetter: true},
		{Metric: PromptLevelLoose, Filter: "none", Value: sum.PromptLevelLooseAcc(), Stderr: stderr(loose), HigherIsBetter: true},
		{Metric: InstLevelLoose, Filter: "none", Value: sum.InstLevelLooseAcc(), Stderr: math.NaN(), HigherIsBetter: true},
	}}
}

// ConfigForResults is the task config as lm-eval writes it, with IFEval's
// process_results and metric_list (the Python functions named, not their
// source as lm-eval prints it), and parity's two deterministic rules under
// metadata.
func (t *Task) ConfigForResults() map[string]any {
	cfg := t.Task.ConfigForResults()
	cfg["process_results"] = "utils.process_results"
	metrics := make([]any, len(metricNames))
	for i, m := range metricNames {
		agg := "mean"
		if m == InstLevelStrict || m == InstLevelLoose {
			agg = "utils.agg_inst_level_acc"
		}
		metrics[i] = map[string]any{"metric": m, "aggregation": agg, "higher_is_better": true}
	}
	cfg["metric_list"] = metrics
	delete(cfg, "filter_list")
	// Where the reference is random, the rule parity applies instead.
	if meta, ok := cfg["metadata"].(map[string]any); ok {
		meta["parity_langdetect_seed"] = 0
		meta["parity_letter_frequency_non_letter"] = "counts the character given"
	}
	return cfg
}
