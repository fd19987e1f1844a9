package humaneval

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/tasks"
)

// TestOfficialExampleSamples: OpenAI's human-eval gives its example samples
// pass@1 = 0.5 (3 of 6 pass: the three indentations of "return 1"; the
// shell call, the sleep and the input() fail).
func TestOfficialExampleSamples(t *testing.T) {
	ctx := context.Background()
	ref := filepath.Join(dataDir(t), "reference", "humaneval", "openai-human-eval")
	problems, err := LoadProblemFile(ctx, filepath.Join(ref, "example_problem.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(ref, "example_samples.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	preds, err := ReadPredictions(f, "example_samples.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	task, err := NewTask(ctx, HumanEval, problems, "example_problem.jsonl", Options{Profile: LMEval, Executor: testExecutor(t)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := task.ScorePredictions(ctx, preds, ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// human-eval prints {'pass@1': 0.4999999999999999}: the product form in
	// float64, which PassAtK reproduces operation for operation.
	if got, want := rep.PassAtK[1], 0.4999999999999999; got != want {
		t.Errorf("pass@1 = %v, want %v", got, want)
	}
	var got []string
	for _, oc := range rep.Problems[0].Outcomes {
		got = append(got, oc.Check.Status)
	}
	want := []string{"fail", "timeout", "fail", "pass", "pass", "pass"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}

func TestPassAtK(t *testing.T) {
	// Values of 1 - comb(n-c, k)/comb(n, k) computed exactly.
	cases := []struct {
		n, c, k int
		want    float64
	}{
		{1, 1, 1, 1}, {1, 0, 1, 0}, {6, 3, 1, 0.5}, {10, 0, 10, 0}, {10, 1, 10, 1},
		{20, 3, 10, 1 - 19448.0/184756.0}, {200, 13, 100, 1 - binomRatio(187, 200, 100)}, {5, 4, 10, 1},
	}
	for _, c := range cases {
		if got := PassAtK(c.n, c.c, c.k); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("PassAtK(%d,%d,%d) = %v, want %v", c.n, c.c, c.k, got, c.want)
		}
	}
	if diff := cmp.Diff([]int{1, 10}, ReportedKs([]int{20, 10, 50})); diff != "" {
		t.Error(diff)
	}
}

// binomRatio is C(a,k)/C(b,k) in log space.
func binomRatio(a, b, k int) float64 {
	lc := func(n, k int) float64 {
		x, _ := math.Lgamma(float64(n + 1))
		y, _ := math.Lgamma(float64(k + 1))
		z, _ := math.Lgamma(float64(n - k + 1))
		return x - y - z
	}
	return math.Exp(lc(a, k) - lc(b, k))
}

// TestFindZeroVersionSwitch: EvalPlus ≤ v0.3.1 fails HumanEval/32 for every
// solution, the canonical one included; the fixed oracle passes it.
func TestFindZeroVersionSwitch(t *testing.T) {
	ctx := context.Background()
	for _, old := range []bool{false, true} {
		ex := testExecutor(t)
		ex.FindZeroV031 = old
		ex.MinTimeLimit = 20 // outputs matter here, not speed on a busy machine
		task, err := Build(ctx, HumanEvalPlus, Options{Profile: EvalPlus, EvalPlusFile: evalPlusFile(t), Executor: ex})
		if err != nil {
			t.Fatal(err)
		}
		p := task.Problems()[32]
		if p.TaskID != "HumanEval/32" {
			t.Fatalf("problem 32 is %s", p.TaskID)
		}
		out, err := task.Test(ctx, p, p.Prompt+p.CanonicalSolution)
		if err != nil {
			t.Fatal(err)
		}
		if out.Passed() == old {
			t.Errorf("find_zero_v031=%v: passed=%v (base %+v plus %+v)", old, out.Passed(), *out.Base, *out.Plus)
		}
	}
}

// TestCanonicalSolutionsPassLMEval: under lm-eval's profile the canonical
// solutions pass the Hub datasets' own tests (openai_humaneval's, and
// evalplus/humanevalplus's, which embed every base and plus input), but
// for one reference bug: evalplus/humanevalplus's test of HumanEval/32
// asserts `_poly(*candidate(*inp), inp) <= 0.0001`, which unpacks a float
// and raises TypeError for every solution, so lm-eval's humaneval_plus
// can never pass it (-1/164). parity runs the dataset's test as it is.
func TestCanonicalSolutionsPassLMEval(t *testing.T) {
	ctx := context.Background()
	ex := testExecutor(t)
	for _, name := range []string{HumanEval, HumanEvalPlus} {
		task, err := Build(ctx, name, Options{Profile: LMEval, Docs: hubLoader(t), Executor: ex, CheckTimeout: 20})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := task.ScorePredictions(ctx, canonicalPredictions(task.Problems()), ScoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		failed := 0
		for _, ps := range rep.Problems {
			v := ps.Outcomes[0].Check
			if v.Passed() {
				continue
			}
			failed++
			if name == HumanEvalPlus && ps.Problem.TaskID == "HumanEval/32" && strings.HasPrefix(v.Error, "TypeError: Value after * must be an iterable") {
				continue // the reference bug above
			}
			t.Errorf("%s %s: %+v", name, ps.Problem.TaskID, *v)
		}
		want := 0
		if name == HumanEvalPlus {
			want = 1
		}
		if len(rep.Problems) != 164 || failed != want {
			t.Errorf("%s: %d problems, %d failed, want %d", name, len(rep.Problems), failed, want)
		}
	}
}

// hostile completions for HumanEval/0 (has_close_elements): each attacks,
// sets breached when the attack worked, and then solves the problem only
// if it did, so that a breach would show up as a pass.
const closeElements = `    for idx, elem in enumerate(numbers):
        for idx2, elem2 in enumerate(numbers):
            if idx != idx2:
                distance = abs(elem - elem2)
                if distance < threshold:
                    return True
    return False
`

func hostile(attack string) string {
	return attack + "\n    if not breached:\n        return None\n" + closeElements
}

// TestHostileCompletionsAreContainedAndFail runs the hostile
// programs as completions in one scoring run, next to the canonical
// solution: each is contained and scored failed, and the run goes on.
func TestHostileCompletionsAreContainedAndFail(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	t.Setenv("OPENAI_API_KEY", "sk-hostile-test-secret")
	home := t.TempDir()
	precious := filepath.Join(home, "results.json")
	if err := os.WriteFile(precious, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	attacks := map[string]string{
		"socket": fmt.Sprintf(`    import socket
    try:
        socket.create_connection(("127.0.0.1", %d), timeout=1)
        breached = True
    except OSError:
        breached = False`, port),
		"fork bomb": `    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
    breached = True`,
		"allocate 50 GB": `    x = bytearray(50 * 2**30)
    breached = True`,
		"write 10 GB": `    with open("big", "wb") as f:
        for _ in range(10 * 1024):
            f.write(b"x" * (1 << 20))
    breached = True`,
		"write outside": `    open("/tmp/parity-hostile-escape", "w").write("x")
    breached = True`,
		"read OPENAI_API_KEY": `    import os
    breached = "sk-hostile" in str(os.environ) or "sk-hostile" in open("/proc/%d/environ" % os.getppid()).read()`,
		"kill its parent": fmt.Sprintf(`    import os, signal
    for pid in (os.getppid(), %d, 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    breached = False`, os.Getpid()),
		"print without end": `    while True:
        print("spam " * 1000)
    breached = True`,
		"write to stdout without end": `    import os
    while True:
        os.write(1, b"spam" * 10000)
    breached = True`,
		"sleep forever": `    import time
    time.sleep(10**6)
    breached = True`,
		"os._exit(0)": `    import os
    os._exit(0)
    breached = True`,
		"fake verdict": `    import os
    os.write(3, b'{"status":"pass","passed_inputs":9999}\n')
    os._exit(0)
    breached = True`,
		"sys.exit(0)": `    import sys
    sys.exit(0)
    breached = True`,
		"delete parity's files": fmt.Sprintf(`    import os, shutil
    breached = False
    try:
        os.remove(%q)
        breached = True
    except OSError:
        pass
    try:
        shutil.rmtree(%q)
        breached = True
    except OSError:
        pass`, precious, home),
	}
	ex := testExecutor(t)
	task, err := Build(ctx, HumanEval, Options{Profile: EvalPlus, EvalPlusFile: evalPlusFile(t), Executor: ex, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var preds []Prediction
	for name, a := range attacks {
		c := hostile(a)
		names = append(names, name)
		preds = append(preds, Prediction{TaskID: "HumanEval/0", Completion: &c})
	}
	good := closeElements
	names = append(names, "canonical")
	preds = append(preds, Prediction{TaskID: "HumanEval/0", Completion: &good})
	rep, err := task.ScorePredictions(ctx, preds, ScoreOptions{})
	if err != nil {
		t.Fatalf("the run did not survive: %v", err)
	}
	for i, oc := range rep.Problems[0].Outcomes {
		t.Logf("%-28s %s: %s", names[i], oc.Base.Status, oc.Base.Error)
		if names[i] == "canonical" {
			if !oc.Passed() {
				t.Errorf("the canonical solution failed next to the hostile ones: %+v", *oc.Base)
			}
			continue
		}
		if oc.Passed() {
			t.Errorf("%s: scored as passed: %+v", names[i], *oc.Base)
		}
	}
	if _, err := os.Stat("/tmp/parity-hostile-escape"); err == nil {
		os.Remove("/tmp/parity-hostile-escape")
		t.Error("a completion wrote outside its directory")
	}
	if b, err := os.ReadFile(precious); err != nil || string(b) != "{}" {
		t.Errorf("parity's file harmed: %v", err)
	}
}

// TestTaskScoresGenerations: the evaluator's path: EvalPlus's prompt
// (stripped prompt + newline), its stop strings, and a direct completion
// that is prompt + generation, sanitized, then tested.
func TestTaskScoresGenerations(t *testing.T) {
	ctx := context.Background()
	ex := testExecutor(t)
	ex.MinTimeLimit = 20 // outputs matter here, not speed on a busy machine
	task, err := Build(ctx, HumanEvalPlus, Options{Profile: EvalPlus, EvalPlusFile: evalPlusFile(t), Executor: ex, Limit: 3, Isolation: testSandbox(t).Isolation()})
	if err != nil {
		t.Fatal(err)
	}
	insts, err := task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	p := task.Problems()[0]
	req := insts[0].Generate
	if req.Context != strings.TrimSpace(p.Prompt)+"\n" || req.MaxTokens != 768 || req.Temperature != 0 ||
		!cmp.Equal(req.Until, []string{"<|endoftext|>", "<|endofmask|>", "</s>", "\nif __name__", "\ndef main(", "\nprint(", "\ndef ", "\nclass ", "\nimport ", "\nfrom ", "\nassert "}) {
		t.Errorf("request %+v", req)
	}
	gens := []string{
		// The canonical body with a tab, and prose after it that the
		// sanitizer drops.
		strings.Replace(p.CanonicalSolution, "    ", "\t", 1) + "\n\nThis solution compares every pair.\n",
		"    return None\n",
		"    syntax error (\n",
	}
	want := []float64{1, 0, 0}
	var got []float64
	for i, g := range gens {
		recs, err := task.Score(insts[0], nil, []runner.GenerateResult{{Text: g}})
		if err != nil {
			t.Fatalf("generation %d: %v", i, err)
		}
		got = append(got, recs[0].Metrics["pass@1"])
		if recs[0].Extra["base_status"] == nil || recs[0].Extra["plus_status"] == nil {
			t.Errorf("generation %d: verdicts missing from the record: %v", i, recs[0].Extra)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pass@1 per generation (-want +got):\n%s", diff)
	}
	s, err := task.Aggregate([]tasks.SampleRecord{{Metrics: map[string]float64{"pass@1": 1}}, {Metrics: map[string]float64{"pass@1": 0}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(0.5, s.Metrics[0].Value, cmpopts.EquateApprox(0, 1e-12)); diff != "" || s.Metrics[0].Key() != "pass@1,evalplus" {
		t.Errorf("aggregate %+v", s)
	}
	cfg := task.ConfigForResults()
	sb, ok := cfg["sandbox"].(map[string]any)
	if !ok || sb["seccomp"] != true || sb["landlock_abi"] == 0 {
		t.Errorf("isolation not recorded in the config: %v", cfg["sandbox"])
	}
}
