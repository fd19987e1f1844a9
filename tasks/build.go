package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/runner"
)

// DocSource loads the rows of one dataset split (datasets.Loader is one).
type DocSource interface {
	Load(ctx context.Context, ref datasets.Ref) ([]datasets.Doc, error)
}

// BuildOptions are the run settings that change a task's requests.
type BuildOptions struct {
	// NumFewshot overrides the task's num_fewshot (CLI --num_fewshot), except
	// where the task config sets it to 0 explicitly (lm-eval keeps that 0).
	NumFewshot *int
	// Limit keeps only the first Limit eval docs (0: all), as lm-eval's
	// --limit N does: it builds requests (and so draws shots) for those docs
	// only, and since the few-shot stream is consumed in doc order their
	// prompts equal those of a full run. Fractional limits are not offered.
	Limit int
	// FewshotSeed seeds the few-shot sampler; nil means DefaultFewshotSeed.
	FewshotSeed *int64
	// DropTrailingNewline renders templates as lm-eval <= v0.4.3 did (Jinja
	// dropping one trailing newline of each template); default is v0.4.4+.
	DropTrailingNewline bool
}

// Task is a task ready to produce requests: config, docs and few-shot pool.
type Task struct {
	cfg        *Config
	opts       BuildOptions
	numFewshot int
	seed       int64

	evalRef  datasets.Ref
	docs     []*docContext // eval docs, after Limit
	allDocs  int           // eval docs before Limit
	pool     []*docContext
	poolRef  datasets.Ref
	poolName string // where the pool came from, for messages

	res           resolver
	multipleInput bool
	multiTarget   bool
}

// Build loads a task's eval docs and few-shot pool and checks the first doc
// renders, so template and column problems surface before any request is sent.
func Build(ctx context.Context, cfg *Config, src DocSource, opts BuildOptions) (*Task, error) {
	t := &Task{cfg: cfg, opts: opts, seed: DefaultFewshotSeed}
	if opts.FewshotSeed != nil {
		t.seed = *opts.FewshotSeed
	}
	t.numFewshot = effectiveFewshot(cfg.NumFewshot, opts.NumFewshot)

	splits := map[string][]datasets.Doc{}
	load := func(split string) ([]datasets.Doc, datasets.Ref, error) {
		ref := datasets.Ref{Path: cfg.DatasetPath, Config: cfg.DatasetName, Split: split, Files: cfg.DataFiles[split]}
		if docs, ok := splits[split]; ok {
			return docs, ref, nil
		}
		docs, err := src.Load(ctx, ref)
		if err != nil {
			return nil, ref, fmt.Errorf("task %q: loading %s split %q: %w", cfg.Name, cfg.DatasetPath, split, err)
		}
		if cfg.processDocs != nil {
			if docs, err = cfg.processDocs(docs); err != nil {
				return nil, ref, fmt.Errorf("task %q: process_docs %s on split %q: %w", cfg.Name, cfg.ProcessDocs, split, err)
			}
		}
		splits[split] = docs
		return docs, ref, nil
	}

	evalSplit := cfg.TestSplit
	if evalSplit == "" {
		evalSplit = cfg.ValidationSplit
	}
	evalDocs, ref, err := load(evalSplit)
	if err != nil {
		return nil, err
	}
	if len(evalDocs) == 0 {
		return nil, fmt.Errorf("task %q: split %q of %s has no docs", cfg.Name, evalSplit, cfg.DatasetPath)
	}
	t.evalRef = ref
	t.allDocs = len(evalDocs)
	limited := evalDocs
	if opts.Limit > 0 && opts.Limit < len(limited) {
		limited = limited[:opts.Limit]
	}
	t.docs = make([]*docContext, len(limited))
	for i, d := range limited {
		t.docs[i] = newDocContext(d)
	}
	t.res = resolver{features: docKeys(evalDocs), hasChoice: cfg.DocToChoice != nil, dropNL: opts.DropTrailingNewline}

	if t.numFewshot > 0 {
		if err := t.loadPool(load); err != nil {
			return nil, err
		}
		// Python's random.sample and the first_n assertion both refuse this.
		if t.drawCount() > len(t.pool) {
			return nil, fmt.Errorf("task %q: %d-shot draws %d few-shot docs but %s has %d", cfg.Name, t.numFewshot, t.drawCount(), t.poolName, len(t.pool))
		}
	}

	// lm-eval inspects the first eval doc to learn the task's shape.
	first := newDocContext(evalDocs[0])
	text, err := t.res.text(cfg.DocToText, first)
	if err != nil {
		return nil, t.docError(0, "doc_to_text", err)
	}
	target, err := t.res.target(cfg.DocToTarget, first)
	if err != nil {
		return nil, t.docError(0, "doc_to_target", err)
	}
	if cfg.DocToChoice != nil {
		if _, err := t.res.choice(cfg.DocToChoice, first); err != nil {
			return nil, t.docError(0, "doc_to_choice", err)
		}
		if _, isInt := text.(int); isInt {
			t.multipleInput = true
		}
	}
	if _, isList := asList(target); isList {
		t.multiTarget = true
	}
	if cfg.Description != nil {
		if _, err := cfg.Description.render(first, opts.DropTrailingNewline); err != nil {
			return nil, t.docError(0, "description", err)
		}
	}
	return t, nil
}

// effectiveFewshot applies lm-eval's rule: the run's value wins unless the
// config says 0; an unset config without a run value means 0.
func effectiveFewshot(cfg, run *int) int {
	switch {
	case run != nil && (cfg == nil || *cfg != 0):
		return *run
	case cfg != nil:
		return *cfg
	}
	return 0
}

// loadPool picks the few-shot pool (lm-eval ConfigurableTask.fewshot_docs):
// fewshot_split, else inline samples, else training, validation, test split.
func (t *Task) loadPool(load func(string) ([]datasets.Doc, datasets.Ref, error)) error {
	cfg := t.cfg
	var docs []datasets.Doc
	var err error
	switch {
	case cfg.FewshotSplit != "":
		docs, t.poolRef, err = load(cfg.FewshotSplit)
		t.poolName = fmt.Sprintf("fewshot_split %q", cfg.FewshotSplit)
	case cfg.Fewshot.Samples != nil:
		docs = cfg.Fewshot.Samples
		t.poolName = "fewshot_config.samples"
		t.poolRef = datasets.Ref{Path: cfg.DatasetPath, Config: cfg.DatasetName, Split: "fewshot_config.samples"}
	case cfg.TrainingSplit != "":
		docs, t.poolRef, err = load(cfg.TrainingSplit)
		t.poolName = fmt.Sprintf("training_split %q", cfg.TrainingSplit)
	case cfg.ValidationSplit != "":
		docs, t.poolRef, err = load(cfg.ValidationSplit)
		t.poolName = fmt.Sprintf("validation_split %q", cfg.ValidationSplit)
	default:
		docs, t.poolRef, err = load(cfg.TestSplit)
		t.poolName = fmt.Sprintf("test_split %q", cfg.TestSplit)
	}
	if err != nil {
		return err
	}
	t.pool = make([]*docContext, len(docs))
	for i, d := range docs {
		t.pool[i] = newDocContext(d)
	}
	return nil
}

// docError names the doc and field a resolution failed on; a template that
// reads a missing column becomes datasets.MissingColumn.
func (t *Task) docError(docID int, field string, err error) error {
	return t.docErrorIn(t.evalRef, docID, field, err)
}

func (t *Task) docErrorIn(ref datasets.Ref, docID int, field string, err error) error {
	var u *UndefinedError
	if errors.As(err, &u) {
		return fmt.Errorf("task %q: %s: %w", t.cfg.Name, field, datasets.MissingColumn(ref, docID, u.Name))
	}
	return fmt.Errorf("task %q: doc %d of %s: %s: %w", t.cfg.Name, docID, refName(ref), field, err)
}

func refName(r datasets.Ref) string {
	s := r.Path
	if r.Config != "" {
		s += "/" + r.Config
	}
	return s + "/" + r.Split
}

// Name is the task name.
func (t *Task) Name() string { return t.cfg.Name }

// Version is the task's version string.
func (t *Task) Version() string { return t.cfg.Version }

// NumFewshot is the number of shots in force.
func (t *Task) NumFewshot() int { return t.numFewshot }

// Config is the task's config.
func (t *Task) Config() *Config { return t.cfg }

// NumDocs is the number of eval docs after Limit; TotalDocs before it.
func (t *Task) NumDocs() int { return len(t.docs) }

// TotalDocs is the number of eval docs in the split, before Limit.
func (t *Task) TotalDocs() int { return t.allDocs }

// FewshotSeed is the seed of the few-shot sampler.
func (t *Task) FewshotSeed() int64 { return t.seed }

// Instance is everything parity sends for one eval doc, plus what scoring
// needs to know about it.
type Instance struct {
	DocID int
	Doc   datasets.Doc
	// Target is doc_to_target as lm-eval logs it (an int index, a string or a
	// list).
	Target any
	// Choices are the answer strings of a multiple_choice task.
	Choices []string
	// Gold is the gold choice index of a multiple_choice task, -1 when the
	// target does not name a choice (lm-eval then scores 0).
	Gold int
	// Golds holds every gold index when the target is a list.
	Golds []int
	// Loglikelihood has one request per choice (multiple_choice) or one
	// request (loglikelihood).
	Loglikelihood []runner.LoglikelihoodRequest
	// Generate is the request of a generate_until task.
	Generate *runner.GenerateRequest
	// Fewshot are the indexes into the few-shot pool of the shots used.
	Fewshot []int
}

// Instances builds every eval doc's requests in doc order; it is safe for
// concurrent use. The few-shot sampler is one Python random stream per call,
// consumed in doc order, so the result is deterministic and equals lm-eval's.
func (t *Task) Instances() ([]Instance, error) {
	fs := t.newFewshot()
	out := make([]Instance, len(t.docs))
	for i, d := range t.docs {
		inst, err := t.instance(i, d, fs)
		if err != nil {
			return nil, err
		}
		out[i] = inst
	}
	return out, nil
}

func (t *Task) instance(id int, d *docContext, fs *fewshot) (Instance, error) {
	cfg := t.cfg
	inst := Instance{DocID: id, Doc: d.doc, Gold: -1}

	ctx := ""
	if cfg.Description != nil {
		s, err := cfg.Description.render(d, t.opts.DropTrailingNewline)
		if err != nil {
			return inst, t.docError(id, "description", err)
		}
		ctx = s
	}
	if t.numFewshot > 0 {
		shots, idx, err := fs.context(d)
		if err != nil {
			return inst, fmt.Errorf("task %q: few-shot context for doc %d: %w", cfg.Name, id, err)
		}
		ctx += shots
		inst.Fewshot = idx
	}

	text, err := t.res.text(cfg.DocToText, d)
	if err != nil {
		return inst, t.docError(id, "doc_to_text", err)
	}
	target, err := t.res.target(cfg.DocToTarget, d)
	if err != nil {
		return inst, t.docError(id, "doc_to_target", err)
	}
	inst.Target = target
	if cfg.DocToChoice != nil {
		if inst.Choices, err = t.res.choice(cfg.DocToChoice, d); err != nil {
			return inst, t.docError(id, "doc_to_choice", err)
		}
	}

	// The plain-mode prompt(s): description + shots + doc_to_text.
	var contexts []string
	switch x := text.(type) {
	case string:
		contexts = []string{ctx + x}
	case int:
		if t.multipleInput {
			contexts = []string{ctx}
		} else if cfg.DocToChoice != nil {
			s, err := indexChoice(inst.Choices, x)
			if err != nil {
				return inst, t.docError(id, "doc_to_text", err)
			}
			contexts = []string{ctx + s}
		} else {
			contexts = []string{ctx + fmt.Sprint(x)}
		}
	default:
		list, ok := asList(text)
		if !ok {
			return inst, t.docError(id, "doc_to_text", fmt.Errorf("unexpected value %s", abbreviate(pyRepr(text))))
		}
		for _, e := range list {
			contexts = append(contexts, ctx+pyStr(e))
		}
	}

	switch cfg.OutputType {
	case MultipleChoice:
		if len(contexts) != 1 {
			return inst, t.docError(id, "doc_to_text", fmt.Errorf("a list of contexts is not supported for multiple_choice"))
		}
		if t.multipleInput {
			// Winogrande style: each choice completes the context, the target
			// is the scored continuation.
			cont := pyStr(target)
			for _, c := range inst.Choices {
				inst.Loglikelihood = append(inst.Loglikelihood, runner.LoglikelihoodRequest{Context: contexts[0] + c, Continuation: cfg.TargetDelimiter + cont})
			}
		} else {
			for _, c := range inst.Choices {
				inst.Loglikelihood = append(inst.Loglikelihood, runner.LoglikelihoodRequest{Context: contexts[0], Continuation: cfg.TargetDelimiter + c})
			}
		}
		gold := target
		if t.multipleInput {
			gold = text
		}
		inst.Gold, inst.Golds = goldIndex(gold, inst.Choices)
	case Loglikelihood:
		if len(contexts) != 1 {
			return inst, t.docError(id, "doc_to_text", fmt.Errorf("a list of contexts is not supported for loglikelihood"))
		}
		s, ok := target.(string)
		if !ok {
			return inst, t.docError(id, "doc_to_target", fmt.Errorf("loglikelihood needs a string target, got %s", pyRepr(target)))
		}
		inst.Loglikelihood = []runner.LoglikelihoodRequest{{Context: contexts[0], Continuation: s}}
	case GenerateUntil:
		if len(contexts) != 1 {
			return inst, t.docError(id, "doc_to_text", fmt.Errorf("a list of contexts is not supported for generate_until"))
		}
		inst.Generate = t.generateRequest(contexts[0])
	}
	return inst, nil
}

// goldIndex is lm-eval's gold for multiple_choice: an int index (out of range
// → -1), a string looked up among the choices, or a list of those.
func goldIndex(gold any, choices []string) (int, []int) {
	one := func(g any) int {
		if i, ok := pyInt(g); ok {
			if i >= 0 && i < len(choices) {
				return i
			}
			return -1
		}
		if s, ok := g.(string); ok {
			for i, c := range choices {
				if c == s {
					return i
				}
			}
		}
		return -1
	}
	if list, ok := asList(gold); ok {
		golds := make([]int, len(list))
		for i, g := range list {
			golds[i] = one(g)
		}
		first := -1
		if len(golds) > 0 {
			first = golds[0]
		}
		return first, golds
	}
	return one(gold), nil
}

func (t *Task) generateRequest(context string) *runner.GenerateRequest {
	g := t.cfg.Generation
	req := &runner.GenerateRequest{
		Context:   context,
		Until:     append([]string(nil), g.Until...),
		MaxTokens: DefaultMaxGenToks,
	}
	if g.MaxGenToks != nil {
		req.MaxTokens = *g.MaxGenToks
	}
	// lm-eval's vLLM backend (the paper's engine): an explicit temperature
	// is used as given; otherwise do_sample false means greedy and anything
	// else vLLM's default temperature 1.
	switch {
	case g.Temperature != nil:
		req.Temperature = *g.Temperature
	case g.DoSample != nil && !*g.DoSample:
		req.Temperature = 0
	default:
		req.Temperature = 1
	}
	return req
}
