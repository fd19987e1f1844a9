package tasks

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/parity-eval/parity/chat"
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
	// prompts equal those of a full run.
	Limit int
	// LimitFraction, when Limit is 0 and it lies in (0, 1), keeps the first
	// ceil(n * LimitFraction) docs (lm-eval's --limit 0.1).
	LimitFraction float64
	// FewshotSeed seeds the few-shot sampler; nil means DefaultFewshotSeed.
	FewshotSeed *int64
	// DropTrailingNewline renders templates as lm-eval <= v0.4.3 did (Jinja
	// dropping one trailing newline of each template); default is v0.4.4+.
	DropTrailingNewline bool
	// Profile picks the lm-eval behaviours that differ between the paper's
	// runs and current lm-eval; "" is ProfilePaper.
	Profile Profile
	// SystemInstruction is lm-eval's --system_instruction (nil: none); it
	// goes before the description, as a system turn in chat mode.
	SystemInstruction *string
	// Chat formats prompts as chats; nil builds plain prompts.
	Chat *ChatOptions
	// MaxGenToks is the generation length of tasks that set no max_gen_toks
	// (lm-eval's backend max_gen_toks); 0 means DefaultMaxGenToks.
	MaxGenToks int
	// GenKwargs update every generate_until task's generation_kwargs, as
	// lm-eval's --gen_kwargs does (keys until, do_sample, temperature,
	// max_gen_toks).
	GenKwargs map[string]any
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
	profile       Profile
	gen           GenerationKwargs // generation_kwargs after --gen_kwargs
	maxGenToks    int              // used when gen has no max_gen_toks
}

// Build loads a task's eval docs and few-shot pool and checks the first doc
// renders, so template and column problems surface before any request is sent.
func Build(ctx context.Context, cfg *Config, src DocSource, opts BuildOptions) (*Task, error) {
	t := &Task{cfg: cfg, opts: opts, seed: DefaultFewshotSeed, maxGenToks: DefaultMaxGenToks}
	if opts.FewshotSeed != nil {
		t.seed = *opts.FewshotSeed
	}
	var err error
	if t.profile, err = ParseProfile(string(opts.Profile)); err != nil {
		return nil, fmt.Errorf("task %q: %w", cfg.Name, err)
	}
	if opts.MaxGenToks < 0 {
		return nil, fmt.Errorf("task %q: max_gen_toks must be > 0, got %d", cfg.Name, opts.MaxGenToks)
	} else if opts.MaxGenToks > 0 {
		t.maxGenToks = opts.MaxGenToks
	}
	t.gen = cfg.Generation
	if cfg.OutputType == GenerateUntil && len(opts.GenKwargs) > 0 {
		if t.gen, err = applyGenKwargs(cfg.Generation, opts.GenKwargs); err != nil {
			return nil, fmt.Errorf("task %q: --gen_kwargs: %w", cfg.Name, err)
		}
	}
	if c := opts.Chat; c != nil && c.Template == nil {
		if cfg.OutputType != GenerateUntil || !c.SendMessages {
			return nil, fmt.Errorf("task %q: %s requests in chat mode need a chat template to render the prompt client side (--chat-template); without one only generation requests can be sent, as messages to the chat endpoint (--chat)", cfg.Name, cfg.OutputType)
		}
	}
	if c := opts.Chat; c != nil && c.SendMessages && cfg.GenPrefix != nil && cfg.OutputType == GenerateUntil {
		return nil, fmt.Errorf("task %q: its gen_prefix is an assistant prefill, which parity cannot send to a chat endpoint; render the chat client side instead (--apply-chat-template --chat-template FILE, without --chat)", cfg.Name)
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
	if n := limitDocs(len(evalDocs), opts); n < len(limited) {
		limited = limited[:n]
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

// limitDocs is lm-eval's --limit: a count, or a fraction of the docs rounded
// up.
func limitDocs(n int, o BuildOptions) int {
	switch {
	case o.Limit > 0:
		return min(o.Limit, n)
	case o.LimitFraction > 0 && o.LimitFraction < 1:
		return min(int(math.Ceil(float64(n)*o.LimitFraction)), n)
	}
	return n
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
	// Messages is the chat the context was rendered from (chat mode only;
	// a multiple-input task's contexts have none).
	Messages []chat.Message
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

	var p promptParts
	description := ""
	if cfg.Description != nil {
		s, err := cfg.Description.render(d, t.opts.DropTrailingNewline)
		if err != nil {
			return inst, t.docError(id, "description", err)
		}
		description = s
	}
	p.system = t.systemPrompt(description)
	if t.numFewshot > 0 {
		shots, idx, err := fs.shots(d)
		if err != nil {
			return inst, fmt.Errorf("task %q: few-shot context for doc %d: %w", cfg.Name, id, err)
		}
		p.shots = shots
		inst.Fewshot = idx
	}
	if cfg.GenPrefix != nil {
		s, err := t.res.render(cfg.GenPrefix, d)
		if err != nil {
			return inst, t.docError(id, "gen_prefix", err)
		}
		p.prefix = s
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

	// The question(s): doc_to_text's string, the choice an int names, or
	// one prompt per element of a list.
	var queries []string
	switch x := text.(type) {
	case string:
		queries = []string{x}
	case int:
		switch {
		case t.multipleInput:
			// Winogrande style: each choice completes the context.
		case cfg.DocToChoice != nil:
			s, err := indexChoice(inst.Choices, x)
			if err != nil {
				return inst, t.docError(id, "doc_to_text", err)
			}
			queries = []string{s}
		default:
			queries = []string{fmt.Sprint(x)}
		}
	default:
		list, ok := asList(text)
		if !ok {
			return inst, t.docError(id, "doc_to_text", fmt.Errorf("unexpected value %s", abbreviate(pyRepr(text))))
		}
		for _, e := range list {
			queries = append(queries, pyStr(e))
		}
	}
	if !t.multipleInput && len(queries) != 1 {
		return inst, t.docError(id, "doc_to_text", fmt.Errorf("a list of contexts is not supported for %s", cfg.OutputType))
	}

	switch cfg.OutputType {
	case MultipleChoice:
		delim := t.mcDelimiter(p.prefix)
		if t.multipleInput {
			cont := delim + pyStr(target)
			ctxs, err := t.multipleInputContexts(p, inst.Choices)
			if err != nil {
				return inst, t.docError(id, "chat template", err)
			}
			for _, c := range ctxs {
				inst.Loglikelihood = append(inst.Loglikelihood, runner.LoglikelihoodRequest{Context: c, Continuation: cont})
			}
			inst.Gold, inst.Golds = goldIndex(text, inst.Choices)
			break
		}
		p.query = queries[0]
		ctx, msgs, err := t.prompt(p)
		if err != nil {
			return inst, t.docError(id, "chat template", err)
		}
		inst.Messages = msgs
		for _, c := range inst.Choices {
			inst.Loglikelihood = append(inst.Loglikelihood, runner.LoglikelihoodRequest{Context: ctx, Continuation: delim + c})
		}
		inst.Gold, inst.Golds = goldIndex(target, inst.Choices)
	case Loglikelihood:
		s, ok := target.(string)
		if !ok {
			return inst, t.docError(id, "doc_to_target", fmt.Errorf("loglikelihood needs a string target, got %s", pyRepr(target)))
		}
		p.query = queries[0]
		ctx, msgs, err := t.prompt(p)
		if err != nil {
			return inst, t.docError(id, "chat template", err)
		}
		inst.Messages = msgs
		inst.Loglikelihood = []runner.LoglikelihoodRequest{{Context: ctx, Continuation: s}}
	case GenerateUntil:
		if t.multipleInput {
			return inst, t.docError(id, "doc_to_text", fmt.Errorf("an int doc_to_text (multiple inputs) is not supported for generate_until"))
		}
		p.query = queries[0]
		ctx, msgs, err := t.prompt(p)
		if err != nil {
			return inst, t.docError(id, "chat template", err)
		}
		inst.Messages = msgs
		inst.Generate = t.generateRequest(ctx, msgs)
	}
	return inst, nil
}

// prompt builds one prompt: plain text, or the chat and, when there is a
// template, its rendering. Without a template the context is the chat as
// JSON (it is sent as messages).
func (t *Task) prompt(p promptParts) (string, []chat.Message, error) {
	if t.opts.Chat == nil {
		return t.plainPrompt(p), nil, nil
	}
	msgs := t.messages(p)
	if t.opts.Chat.Template == nil {
		return chatJSON(msgs), msgs, nil
	}
	ctx, err := t.renderChat(msgs, p.prefix != "")
	return ctx, msgs, err
}

// mcDelimiter is what goes between the context and a multiple-choice
// continuation: the target delimiter in plain mode; in chat mode nothing
// (the HF leaderboard fork and lm-eval >= v0.4.6), unless the options keep
// v0.4.5's delimiter or a gen_prefix without trailing whitespace precedes
// the answer (lm-eval HEAD).
func (t *Task) mcDelimiter(prefix string) string {
	c := t.opts.Chat
	switch {
	case c == nil, c.KeepTargetDelimiter:
		return t.cfg.TargetDelimiter
	case t.profile == ProfileUpstream && prefix != "" && !endsWithSpace(prefix):
		return t.cfg.TargetDelimiter
	}
	return ""
}

// multipleInputContexts is one context per choice of a multiple-input task
// (tasks.md §2.4): the shots' text followed by the choice in plain mode; in
// chat mode, under the paper profile, the chat without a question rendered
// with the generation prompt and the choice appended to that (lm-eval
// v0.4.5), and under the upstream profile each choice as the question of its
// own chat.
func (t *Task) multipleInputContexts(p promptParts, choices []string) ([]string, error) {
	out := make([]string, len(choices))
	if t.opts.Chat == nil || t.profile == ProfilePaper {
		p.noQuery = true
		base := ""
		if t.opts.Chat == nil {
			base = t.plainPrompt(p)
		} else if msgs := t.messages(p); len(msgs) > 0 {
			// lm-eval >= v0.4.8 returns "" for an empty chat, where v0.4.5
			// rendered the template on no messages at all.
			var err error
			if base, err = t.renderChat(msgs, false); err != nil {
				return nil, err
			}
		}
		for i, c := range choices {
			out[i] = base + c
		}
		return out, nil
	}
	for i, c := range choices {
		p.query = c
		ctx, _, err := t.prompt(p)
		if err != nil {
			return nil, err
		}
		out[i] = ctx
	}
	return out, nil
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

func (t *Task) generateRequest(context string, msgs []chat.Message) *runner.GenerateRequest {
	g := t.gen
	req := &runner.GenerateRequest{
		Context:   context,
		Until:     append([]string(nil), g.Until...),
		MaxTokens: t.maxGenToks,
	}
	if t.opts.Chat != nil && t.opts.Chat.SendMessages {
		for _, m := range msgs {
			req.Messages = append(req.Messages, runner.Message{Role: m.Role, Content: m.Content})
		}
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
