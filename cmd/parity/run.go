package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"time"

	"golang.org/x/term"

	"github.com/parity-eval/parity"
	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/evaluator"
	"github.com/parity-eval/parity/results"
	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/runner/cache"
	"github.com/parity-eval/parity/runner/openai"
	"github.com/parity-eval/parity/tasks"
)

const runUsage = `
Usage: parity run --model-url URL [--model NAME] --tasks LIST [flags]

Evaluates a model served over an OpenAI-compatible API on the named tasks or
groups (see "parity tasks"), with lm-evaluation-harness's prompts, few-shot
examples and metrics. Writes DIR/results.json (lm-eval's layout) and
DIR/samples_<task>.jsonl, and prints a summary table.

Every response is cached in SQLite the moment it arrives: a run that was
interrupted (Ctrl-C, kill -9, a dead server) resumes when the same command is
run again, sending only what is missing, and a repeated run sends nothing.

The API key is read from $OPENAI_API_KEY (or the variable named by
--api-key-env) and is never written to the cache, results or logs.

Datasets come from --data-dir (a folder laid out like the Hugging Face Hub's
parquet conversion), then the local Hub cache, then the Hub itself
(HF_ENDPOINT, HF_TOKEN; HF_HUB_OFFLINE=1 or --offline for cache only).`

type runFlags struct {
	modelURL, model, taskList, tasksFile, output string
	numFewshot, limit, batchSize, concurrency    int
	seed                                         int64
	cachePath, apiKeyEnv, dataDir, tokenize      string
	noCache, offline, chat, skipCheck, addBOS    bool
	revision, mathScoring                        string
	timeout                                      time.Duration
	maxRetries                                   int
	progress                                     string
	gateBaseline                                 string
	gpqaZip                                      string
	gate                                         gateFlags
	prompt                                       promptFlags
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f runFlags
	fs := newFlagSet("run", runUsage, stderr)
	fs.StringVar(&f.modelURL, "model-url", "", "base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1, or gguf:FILE.gguf[?ctx=N] to run a model file in process (required)")
	fs.StringVar(&f.model, "model", "", "model name as the server knows it (default: the server's first model)")
	fs.StringVar(&f.taskList, "tasks", "", "comma-separated task or group names (required; see parity tasks)")
	fs.StringVar(&f.tasksFile, "tasks-file", "", "task registry to use instead of the built-in tasks.yaml")
	fs.IntVar(&f.numFewshot, "num-fewshot", -1, "few-shot examples per prompt (default: each task's own)")
	fs.Var(limitValue{&f.limit, &f.prompt.limitFraction}, "limit", "evaluate only the first N documents of each task, or a fraction of them when below 1 (0 = all)")
	f.seed = tasks.DefaultFewshotSeed
	fs.Var(seedValue{&f.seed}, "seed", "few-shot sampler seed (lm-eval's default is 1234; lm-eval's four comma-separated seeds are accepted and the fourth used)")
	fs.StringVar(&f.output, "output", "", "results folder (default parity-results/<model>)")
	fs.IntVar(&f.batchSize, "batch-size", 32, "loglikelihood prompts per request")
	fs.IntVar(&f.concurrency, "concurrency", 8, "requests in flight at once")
	fs.StringVar(&f.cachePath, "cache", defaultCachePath(), "response cache (SQLite)")
	fs.BoolVar(&f.noCache, "no-cache", false, "neither read nor write the response cache")
	fs.StringVar(&f.apiKeyEnv, "api-key-env", "OPENAI_API_KEY", "environment variable that holds the API key")
	fs.StringVar(&f.dataDir, "data-dir", os.Getenv("PARITY_DATA_DIR"), "local dataset mirror in the Hub's parquet layout (default $PARITY_DATA_DIR)")
	fs.StringVar(&f.gpqaZip, "gpqa-zip", "", "read GPQA (Idavidrein/gpqa, gated on the Hub) from the authors' password-protected dataset.zip at this path")
	fs.BoolVar(&f.offline, "offline", false, "never contact the Hugging Face Hub (also HF_HUB_OFFLINE=1)")
	fs.BoolVar(&f.chat, "chat", false, "format prompts as chats and send generation requests as messages to /v1/chat/completions, for the server's own chat template")
	fs.StringVar(&f.tokenize, "tokenize", "auto", "how continuation tokens are found: auto, server (/tokenize), text-offset")
	fs.BoolVar(&f.addBOS, "add-bos", false, "tokenize loglikelihood prompts with the tokenizer's special tokens (BOS), as lm-eval's add_bos_token=True (default: true under --profile paper, as the paper's runs, else false)")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "per-request timeout")
	fs.IntVar(&f.maxRetries, "max-retries", 5, "retries on 429, 5xx, timeouts and dropped connections")
	fs.StringVar(&f.mathScoring, "math-scoring", "", "MATH Lvl 5 scoring version (tasks.md §4.3.4): v1 (SymPy-only equivalence, lm-eval v0.4.5), v2 (string or equivalence; the default), v3 (math_verify, approximated)")
	fs.StringVar(&f.revision, "revision", "", "checkpoint identity (a commit, a path hash) added to cache keys, so a new checkpoint served under the same name and URL never reuses old responses")
	fs.BoolVar(&f.skipCheck, "skip-check", false, "skip the start-up check that the server returns prompt log-probabilities")
	fs.StringVar(&f.progress, "progress", "auto", "progress on stderr: auto, bar, plain, none")
	fs.StringVar(&f.gateBaseline, "gate-baseline", "", "after the run, gate its results against these baseline results (parity gate's flags apply; exit 1 when regressed)")
	f.gate.register(fs, "gate-")
	f.prompt.register(fs)
	execf := addExecFlags(fs)
	if err := fs.Parse(lmevalSpellings(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if f.modelURL == "" {
		return usagef("--model-url is required (e.g. http://127.0.0.1:8000/v1)")
	}
	names := splitList(f.taskList)
	if len(names) == 0 && f.prompt.suites == "" {
		return usagef("--tasks or --suite is required (see parity tasks)")
	}
	if err := f.prompt.prepare(explicitFlags(fs), f.chat); err != nil {
		return err
	}
	f.addBOS = f.prompt.addBOS(f.addBOS)
	if f.gateBaseline != "" {
		if _, err := os.Stat(f.gateBaseline); err != nil {
			return usagef("--gate-baseline: %v", err)
		}
	}
	mode, err := tokenizeMode(f.tokenize)
	if err != nil {
		return err
	}

	reg, regName, err := loadRegistry(f.tasksFile)
	if err != nil {
		return err
	}
	if names, err = f.prompt.expandSuites(reg, names); err != nil {
		return err
	}
	heNames, names := splitHumanEval(names)
	ifNames, names := splitIFEval(names)
	var configs []*tasks.Config
	if len(names) > 0 {
		if configs, err = reg.Resolve(names); err != nil {
			return usagef("%v", err)
		}
	}
	if f.mathScoring != "" {
		for _, cfg := range configs {
			if _, err := cfg.SetMathScoring(f.mathScoring); err != nil {
				return usagef("--math-scoring: %v", err)
			}
		}
	}

	ocfg := openai.Config{
		BaseURL:          f.modelURL,
		Model:            f.model,
		APIKey:           os.Getenv(f.apiKeyEnv),
		Chat:             f.chat,
		Tokenize:         mode,
		Timeout:          f.timeout,
		MaxRetries:       f.maxRetries,
		AddSpecialTokens: f.addBOS,
		Logf:             func(format string, a ...any) { fmt.Fprintf(stderr, "parity: "+format+"\n", a...) },
	}
	// --model-url gguf:FILE.gguf runs the model in this process (serve.go).
	inProc, inProcName, err := inProcessBackend(f.modelURL, f.addBOS, stderr)
	if err != nil {
		return err
	}
	if inProc != nil {
		ocfg.Model, f.model = inProcName, inProcName
	}
	if ocfg.Model == "" {
		models, err := openai.Models(ctx, ocfg)
		if err != nil {
			return err
		}
		if len(models) != 1 {
			return usagef("--model is required: the server serves %d models %q", len(models), models)
		}
		ocfg.Model = models[0]
		f.model = models[0]
	}
	backend := inProc
	var client *openai.Client
	if inProc == nil {
		if client, err = openai.New(ocfg); err != nil {
			return usagef("%v", err)
		}
		backend = client
	}
	// The server check runs only when something must be sent, so a run
	// answered wholly from the cache needs no server at all.
	var prepare func(context.Context) error
	if !f.skipCheck && client != nil {
		prepare = func(ctx context.Context) error {
			_, err := client.Check(ctx)
			return err
		}
	}

	dopts := datasets.OptionsFromEnv()
	dopts.DataDir = f.dataDir
	dopts.Offline = dopts.Offline || f.offline
	loader := datasets.NewLoader(dopts)
	bopts := tasks.BuildOptions{Limit: f.limit, FewshotSeed: &f.seed}
	f.prompt.apply(&bopts, f.chat)
	if f.numFewshot >= 0 {
		n := f.numFewshot
		bopts.NumFewshot = &n
	}
	var built []evaluator.Task
	var src tasks.DocSource = loader
	if f.gpqaZip != "" {
		src = datasets.GPQAZip(loader, f.gpqaZip)
	}
	for _, cfg := range configs {
		t, err := tasks.Build(ctx, cfg, src, bopts)
		if err != nil {
			return err
		}
		built = append(built, t)
	}
	if len(heNames) > 0 {
		het, closeSandbox, err := buildHumanEvalTasks(ctx, heNames, execf, loader, f.dataDir, f.limit, f.chat, stderr)
		if err != nil {
			return err
		}
		defer closeSandbox()
		built = append(built, het...)
		names = append(names, heNames...)
	}
	if len(ifNames) > 0 {
		ift, err := buildIFEvalTasks(ctx, ifNames, loader, bopts)
		if err != nil {
			return err
		}
		built = append(built, ift...)
		names = append(names, ifNames...)
	}

	var store runner.Store
	cachePath := ""
	if !f.noCache {
		c, err := cache.Open(ctx, f.cachePath)
		if err != nil {
			return err
		}
		defer c.Close()
		store, cachePath = c, c.Path()
	}
	out := f.output
	if out == "" {
		out = filepath.Join("parity-results", sanitize(f.model))
	}

	pp := progressPrinter(f.progress, stderr)
	r := runner.New(runner.WithRevision(backend, f.revision), runner.Options{BatchSize: f.batchSize, Concurrency: f.concurrency, Store: store, Progress: pp, Prepare: prepare})

	version, commit := buildVersion()
	var limit, nshot *int
	if f.limit > 0 {
		limit = &f.limit
	}
	if f.numFewshot >= 0 {
		nshot = &f.numFewshot
	}
	rep, err := evaluator.Run(ctx, r, built, evaluator.Options{
		OutputDir: out,
		RunConfig: results.RunConfig{Model: "openai-completions", ModelArgs: "model=" + f.model + ",base_url=" + f.modelURL, BatchSize: f.batchSize, Limit: limit, NumFewshot: nshot, Tasks: names},
		Groups:    reg.GroupsFor(names),
		Parity: results.Parity{
			Version: version, Commit: commit, Model: f.model, Server: f.modelURL,
			Switches: f.prompt.switches(map[string]any{
				// tasks.md §11: the behaviours that differ between lm-eval
				// versions, as this run applied them.
				"profile": "paper", "engine_semantics": "lm-eval v0.4.5",
				"jinja_keep_trailing_newline": true, "fewshot_sampler_rule": "v0.4.5: draw k+1 when fewshot_split == test_split (None == None)",
				"default_max_gen_toks": 256, "chat_mc_target_delimiter": "", "gen_prefix": false,
				"eos_in_until": "server stops at EOS (the tokenizer's EOS string is not known over HTTP)",
				"fewshot_seed": f.seed, "num_fewshot": nshot, "limit": f.limit,
				"chat": f.chat, "apply_chat_template": false, "fewshot_as_multiturn": false,
				"add_bos_token": f.addBOS, "tokenize": f.tokenize, "tasks_file": regName,
				"cache": cachePath, "revision": f.revision, "math_scoring": mathScoringRecord(f.mathScoring),
			}, f.chat, f.addBOS),
		},
	})
	if err != nil {
		var fe *runner.FailedError
		if errors.As(err, &fe) {
			return fmt.Errorf("%w\nthe %d responses that arrived are cached; samples of completed documents are in %s; run the same command again to retry what failed", err, rep.Stats.Sent-rep.Stats.Failed, out)
		}
		return err
	}
	if err := results.WriteTable(stdout, rep.File); err != nil {
		return err
	}
	st := rep.Stats
	fmt.Fprintf(stderr, "parity: %d requests (%d unique): %d from cache, %d sent in %d calls; results in %s\n",
		st.LoglikelihoodRequests+st.GenerateRequests, st.Unique, st.Cached, st.Sent, st.BackendCalls, out)
	if f.gateBaseline != "" {
		return runGate(&f.gate, f.gateBaseline, out, stdout, stderr)
	}
	return nil
}

func tokenizeMode(s string) (openai.TokenizeMode, error) {
	switch s {
	case "auto":
		return openai.TokenizeAuto, nil
	case "server":
		return openai.TokenizeServer, nil
	case "text-offset", "text_offset":
		return openai.TokenizeTextOffset, nil
	}
	return 0, usagef("--tokenize %q: want auto, server or text-offset", s)
}

func loadRegistry(path string) (*tasks.Registry, string, error) {
	if path == "" {
		reg, err := tasks.Parse("tasks.yaml", parity.TasksYAML, tasks.ParseOptions{})
		return reg, "built-in", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	reg, err := tasks.Parse(path, b, tasks.ParseOptions{})
	return reg, path, err
}

func defaultCachePath() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "parity", "responses.db")
	}
	return filepath.Join(".parity-cache", "responses.db")
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func sanitize(s string) string { return unsafeChars.ReplaceAllString(s, "__") }

func buildVersion() (version, commit string) {
	version = parity.Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				commit = s.Value
			}
		}
	}
	return version, commit
}

func progressPrinter(mode string, w io.Writer) func(runner.Progress) {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	switch mode {
	case "none":
		return nil
	case "bar":
		tty = true
	case "plain":
		tty = false
	}
	p := &runner.ProgressPrinter{W: w, Terminal: tty}
	return p.Print
}

func mathScoringRecord(v string) string {
	if v == "" {
		return "v2"
	}
	return v
}
