package humaneval

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/parity-eval/parity/sandbox"
)

//go:embed harness.py
var harnessSource string

// EvalPlus's time-limit constants (evalplus/config.py, eval/__init__.py).
const (
	minTimeLimit        = 1.0 // DEFAULT_MIN_TIME_LIMIT
	gtTimeLimitFactor   = 4.0 // DEFAULT_GT_TIME_LIMIT_FACTOR
	timeoutPerTask      = 60  // EVALPLUS_TIMEOUT_PER_TASK
	groundTruthWall     = 10 * time.Minute
	sanitizeWall        = 60 * time.Second
	DefaultCheckTimeout = 3.0 // human-eval's and HF code_eval's timeout
)

// Runner is what the executor needs of a sandbox.
type Runner interface {
	Run(ctx context.Context, p sandbox.Program) (*sandbox.Result, error)
}

// Executor runs HumanEval programs in a sandbox, at most Workers at once,
// and remembers expected outputs and verdicts so that humaneval and
// humaneval_plus scoring the same completion run each test once.
type Executor struct {
	run Runner
	sem chan struct{}
	// gtDir holds expected outputs (pickles), as EvalPlus's cache does.
	gtDir  string
	tempGT bool
	// python names the interpreter in cache keys: expected outputs are
	// only reused by the same interpreter.
	python string
	// MinTimeLimit and TimeLimitFactor are EvalPlus's --min-time-limit and
	// --gt-time-limit-factor: each input may take max(MinTimeLimit,
	// TimeLimitFactor × the canonical solution's time) seconds (0: EvalPlus's
	// defaults, 1 s and 4).
	MinTimeLimit, TimeLimitFactor float64
	// FindZeroV031 reproduces EvalPlus ≤ v0.3.1, whose find_zero oracle
	// never records HumanEval/32's inputs as passed (fixed by evalplus
	// PR #241, 2024-11-01).
	FindZeroV031 bool

	mu      sync.Mutex
	gt      map[string]*gtEntry
	verdict map[string]*verdictEntry
}

// NewExecutor runs programs with r, workers at a time. gtDir caches the
// expected outputs of the canonical solutions ("" keeps them in a fresh
// temporary directory that Close removes); python identifies the
// interpreter in its keys.
func NewExecutor(r Runner, workers int, gtDir, python string) (*Executor, error) {
	if workers < 1 {
		workers = 1
	}
	temp := gtDir == ""
	if temp {
		d, err := os.MkdirTemp("", "parity-humaneval-gt-")
		if err != nil {
			return nil, err
		}
		gtDir = d
	} else if err := os.MkdirAll(gtDir, 0o755); err != nil {
		return nil, fmt.Errorf("humaneval: expected-output cache: %w", err)
	}
	return &Executor{run: r, sem: make(chan struct{}, workers), gtDir: gtDir, tempGT: temp, python: python,
		gt: map[string]*gtEntry{}, verdict: map[string]*verdictEntry{}}, nil
}

// Verdict is the outcome of testing one program.
type Verdict struct {
	// Status is "pass", "fail" or "timeout".
	Status string `json:"status"`
	// Error is the assertion or exception, or why the process ended.
	Error string `json:"error,omitempty"`
	// FailIndex is the first failing input (-1: not tied to an input).
	FailIndex int `json:"fail_index"`
	// PassedInputs counts inputs that passed before testing stopped.
	PassedInputs int `json:"passed_inputs"`
	// Wall is how long the sandboxed run took.
	Wall time.Duration `json:"-"`
}

// Passed reports a pass.
func (v Verdict) Passed() bool { return v.Status == "pass" }

// RunError is a failure of the machinery (sandbox or harness), not of the
// program under test: it fails the run rather than scoring a sample.
type RunError struct {
	What string
	Err  error
}

func (e *RunError) Error() string { return fmt.Sprintf("humaneval: %s: %v", e.What, e.Err) }
func (e *RunError) Unwrap() error { return e.Err }

type job struct {
	Nonce        string            `json:"nonce"`
	Mode         string            `json:"mode"`
	Code         string            `json:"code"`
	EntryPoint   string            `json:"entry_point,omitempty"`
	Inputs       json.RawMessage   `json:"inputs,omitempty"`
	InputSets    []json.RawMessage `json:"input_sets,omitempty"`
	Atol         json.RawMessage   `json:"atol,omitempty"`
	TimeLimits   []float64         `json:"time_limits,omitempty"`
	FastCheck    bool              `json:"fast_check"`
	FindZeroV031 bool              `json:"find_zero_v031"`
	Dataset      string            `json:"dataset,omitempty"`
	Timeout      float64           `json:"timeout,omitempty"`
}

type report struct {
	Nonce        string `json:"nonce"`
	Ready        bool   `json:"ready"`
	Status       string `json:"status"`
	PassedInputs int    `json:"passed_inputs"`
	Fail         *struct {
		Index int    `json:"index"`
		Error string `json:"error"`
	} `json:"fail"`
	Times    [][]float64 `json:"times"`
	Sizes    []int       `json:"sizes"`
	Solution *string     `json:"solution"`
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// exec runs one job; extra follows the job's JSON line on stdin.
func (e *Executor) exec(ctx context.Context, j job, extra io.Reader, lim sandbox.Limits) (*sandbox.Result, []report, error) {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-e.sem }()
	j.Nonce = newNonce()
	head, err := json.Marshal(j)
	if err != nil {
		return nil, nil, err
	}
	stdin := io.Reader(bytes.NewReader(append(head, '\n')))
	if extra != nil {
		stdin = io.MultiReader(stdin, extra)
	}
	res, err := e.run.Run(ctx, sandbox.Program{Source: harnessSource, Stdin: stdin, Limits: lim})
	if err != nil {
		return nil, nil, &RunError{What: "sandbox", Err: err}
	}
	return res, parseReports(res.Channel, j.Nonce), nil
}

// parseReports reads the harness's JSON lines that carry the nonce; what
// else the program wrote on the channel is ignored.
func parseReports(ch []byte, nonce string) []report {
	var out []report
	for len(ch) > 0 {
		line := ch
		if i := bytes.IndexByte(ch, '\n'); i >= 0 {
			line, ch = ch[:i], ch[i+1:]
		} else {
			ch = nil
		}
		var r report
		if json.Unmarshal(line, &r) == nil && r.Nonce == nonce {
			out = append(out, r)
			if r.Times != nil {
				break // pickled outputs follow
			}
		}
	}
	return out
}

func verdictOf(res *sandbox.Result, reps []report) (Verdict, bool) {
	v := Verdict{FailIndex: -1, Wall: res.Wall}
	var ready bool
	for _, r := range reps {
		if r.Ready {
			ready = true
			continue
		}
		if r.Status != "" {
			v.Status, v.PassedInputs = r.Status, r.PassedInputs
			if r.Fail != nil {
				v.FailIndex, v.Error = r.Fail.Index, r.Fail.Error
			}
			return v, true
		}
	}
	switch res.Status {
	case sandbox.TimedOut:
		v.Status, v.Error = "timeout", "killed at the time limit"
	case sandbox.OutputLimit:
		v.Status, v.Error = "fail", "killed for writing too much output"
	default:
		v.Status = "fail"
		v.Error = "ended (" + res.Describe() + ") without a verdict"
		if msg := lastLine(res.Stderr); msg != "" {
			v.Error += ": " + msg
		}
	}
	return v, ready
}

func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// groundTruth is the canonical solution's outputs and run times on one
// input set.
type groundTruth struct {
	path  string // pickled outputs
	times []float64
}

type gtEntry struct {
	once       sync.Once
	base, plus *groundTruth
	err        error
}

// groundTruth runs the canonical solution once per problem on both input
// sets (EvalPlus's get_groundtruth), or reads the result of an earlier run
// from the cache directory.
func (e *Executor) groundTruth(ctx context.Context, p *Problem, set string) (*groundTruth, error) {
	code := p.Prompt + p.CanonicalSolution
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s", e.python, code, p.EntryPoint, p.BaseInput, p.PlusInput)
	key := fmt.Sprintf("%s-%x", safeName(p.TaskID), h.Sum(nil)[:12])
	e.mu.Lock()
	ent, ok := e.gt[key]
	if !ok {
		ent = &gtEntry{}
		e.gt[key] = ent
	}
	e.mu.Unlock()
	ent.once.Do(func() {
		ent.base, ent.plus, ent.err = e.computeGroundTruth(ctx, p, code, key)
	})
	if ent.err != nil {
		return nil, ent.err
	}
	if set == "plus" {
		return ent.plus, nil
	}
	return ent.base, nil
}

func safeName(s string) string { return strings.NewReplacer("/", "_", "\\", "_", "..", "_").Replace(s) }

func (e *Executor) computeGroundTruth(ctx context.Context, p *Problem, code, key string) (base, plus *groundTruth, err error) {
	paths := [2]string{filepath.Join(e.gtDir, key+".base.pkl"), filepath.Join(e.gtDir, key+".plus.pkl")}
	meta := filepath.Join(e.gtDir, key+".json")
	if b, err := os.ReadFile(meta); err == nil {
		var times [][]float64
		if json.Unmarshal(b, &times) == nil && len(times) == 2 {
			_, e1 := os.Stat(paths[0])
			_, e2 := os.Stat(paths[1])
			if e1 == nil && e2 == nil {
				return &groundTruth{paths[0], times[0]}, &groundTruth{paths[1], times[1]}, nil
			}
		}
	}
	sets := []json.RawMessage{p.BaseInput, p.PlusInput}
	for i := range sets {
		if len(sets[i]) == 0 {
			sets[i] = json.RawMessage("[]")
		}
	}
	res, reps, err := e.exec(ctx, job{Mode: "groundtruth", Code: code, EntryPoint: p.EntryPoint, InputSets: sets},
		nil, sandbox.Limits{Wall: groundTruthWall})
	if err != nil {
		return nil, nil, err
	}
	var rep *report
	for i := range reps {
		if reps[i].Times != nil {
			rep = &reps[i]
		}
	}
	if rep == nil || len(rep.Times) != 2 || len(rep.Sizes) != 2 {
		return nil, nil, &RunError{What: p.TaskID + " expected outputs", Err: fmt.Errorf("the canonical solution %s: %s", res.Describe(), lastLine(res.Stderr))}
	}
	// The pickled outputs follow the report line (the reference solution
	// is trusted code: nothing else writes on its channel).
	_, blob, _ := bytes.Cut(res.Channel, []byte("\n"))
	if len(blob) != rep.Sizes[0]+rep.Sizes[1] {
		return nil, nil, &RunError{What: p.TaskID + " expected outputs", Err: fmt.Errorf("%d bytes of outputs, want %d", len(blob), rep.Sizes[0]+rep.Sizes[1])}
	}
	if err := writeFileAtomic(paths[0], blob[:rep.Sizes[0]]); err != nil {
		return nil, nil, err
	}
	if err := writeFileAtomic(paths[1], blob[rep.Sizes[0]:]); err != nil {
		return nil, nil, err
	}
	tb, _ := json.Marshal(rep.Times)
	if err := writeFileAtomic(meta, tb); err != nil {
		return nil, nil, err
	}
	return &groundTruth{paths[0], rep.Times[0]}, &groundTruth{paths[1], rep.Times[1]}, nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("humaneval: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("humaneval: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

type verdictEntry struct {
	once sync.Once
	v    Verdict
	err  error
}

func (e *Executor) memo(key string, f func() (Verdict, error)) (Verdict, error) {
	e.mu.Lock()
	ent, ok := e.verdict[key]
	if !ok {
		ent = &verdictEntry{}
		e.verdict[key] = ent
	}
	e.mu.Unlock()
	ent.once.Do(func() { ent.v, ent.err = f() })
	if ent.err != nil {
		// A failed run is not remembered: the next caller tries again.
		e.mu.Lock()
		delete(e.verdict, key)
		e.mu.Unlock()
	}
	return ent.v, ent.err
}

// EvalPlus tests code (a whole program defining p.EntryPoint) on the base
// or plus inputs of p against the canonical solution's outputs, as EvalPlus's
// untrusted_check with fast_check (its default).
func (e *Executor) EvalPlus(ctx context.Context, p *Problem, code, set string) (Verdict, error) {
	h := sha256.Sum256([]byte(code))
	minLimit, factor := e.timeLimits()
	key := fmt.Sprintf("evalplus\x00%s\x00%s\x00%x\x00%v\x00%g\x00%g", p.TaskID, set, h, e.FindZeroV031, minLimit, factor)
	return e.memo(key, func() (Verdict, error) { return e.evalPlus(ctx, p, code, set) })
}

func (e *Executor) evalPlus(ctx context.Context, p *Problem, code, set string) (Verdict, error) {
	gt, err := e.groundTruth(ctx, p, set)
	if err != nil {
		return Verdict{}, err
	}
	inputs := p.BaseInput
	if set == "plus" {
		inputs = p.PlusInput
	}
	minLimit, factor := e.timeLimits()
	limits := make([]float64, len(gt.times))
	sum := 0.0
	for i, t := range gt.times {
		limits[i] = math.Max(minLimit, factor*t)
		sum += limits[i]
	}
	// untrusted_check: timeout = min(60, Σ limits) + 1, and the parent
	// joins for timeout + 1.
	wall := math.Min(timeoutPerTask, sum) + 2
	f, err := os.Open(gt.path)
	if err != nil {
		return Verdict{}, &RunError{What: p.TaskID + " expected outputs", Err: err}
	}
	defer f.Close()
	j := job{Mode: "evalplus", Code: code, EntryPoint: p.EntryPoint, Inputs: inputs, Atol: p.Atol,
		TimeLimits: limits, FastCheck: true, FindZeroV031: e.FindZeroV031, Dataset: "humaneval"}
	res, reps, err := e.exec(ctx, j, f, sandbox.Limits{Wall: time.Duration(wall * float64(time.Second))})
	if err != nil {
		return Verdict{}, err
	}
	v, ready := verdictOf(res, reps)
	if !ready {
		return Verdict{}, harnessError(p.TaskID, res)
	}
	return v, nil
}

func (e *Executor) timeLimits() (minLimit, factor float64) {
	minLimit, factor = e.MinTimeLimit, e.TimeLimitFactor
	if minLimit <= 0 {
		minLimit = minTimeLimit
	}
	if factor <= 0 {
		factor = gtTimeLimitFactor
	}
	return minLimit, factor
}

// Check runs a self-checking program (its asserts are the test) with
// human-eval's semantics: passed if it finishes within timeout seconds
// without an exception.
func (e *Executor) Check(ctx context.Context, program string, timeout float64) (Verdict, error) {
	h := sha256.Sum256([]byte(program))
	key := fmt.Sprintf("check\x00%x\x00%g", h, timeout)
	return e.memo(key, func() (Verdict, error) {
		// check_correctness joins the worker for timeout + 1 s.
		wall := time.Duration((timeout + 1) * float64(time.Second))
		res, reps, err := e.exec(ctx, job{Mode: "check", Code: program, Timeout: timeout}, nil, sandbox.Limits{Wall: wall})
		if err != nil {
			return Verdict{}, err
		}
		v, ready := verdictOf(res, reps)
		if !ready {
			return Verdict{}, harnessError("check", res)
		}
		return v, nil
	})
}

// Sanitize applies EvalPlus's sanitizer to model output (in the sandbox:
// it parses untrusted text). It fails only when the machinery does; when
// the sanitizer itself gives up, the text is returned as it is with the
// reason.
func (e *Executor) Sanitize(ctx context.Context, code, entryPoint string) (string, string, error) {
	res, reps, err := e.exec(ctx, job{Mode: "sanitize", Code: code, EntryPoint: entryPoint}, nil, sandbox.Limits{Wall: sanitizeWall})
	if err != nil {
		return "", "", err
	}
	for _, r := range reps {
		if r.Solution != nil {
			return *r.Solution, "", nil
		}
	}
	return code, "sanitizer " + res.Describe() + ": " + lastLine(res.Stderr), nil
}

// harnessError: the harness never reached the program under test, which
// is parity's failure, not the program's.
func harnessError(what string, res *sandbox.Result) error {
	return &RunError{What: what, Err: fmt.Errorf("the test harness failed before running the program (%s): %s", res.Describe(), lastLine(res.Stderr))}
}

// Close removes the expected-output directory if it was a temporary one.
func (e *Executor) Close() error {
	if e.tempGT {
		return os.RemoveAll(e.gtDir)
	}
	return nil
}
