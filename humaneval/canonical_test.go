package humaneval

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func canonicalPredictions(problems []*Problem) []Prediction {
	out := make([]Prediction, len(problems))
	for i, p := range problems {
		c := p.CanonicalSolution
		out[i] = Prediction{TaskID: p.TaskID, Completion: &c}
	}
	return out
}

// TestCanonicalSolutionsPassEvalPlus: every canonical solution passes its
// base and plus tests (expected outputs computed, then every base and plus
// input checked). The time is logged; BenchmarkCanonicalHumanEvalPlus
// measures it cold and with the expected outputs cached.
func TestCanonicalSolutionsPassEvalPlus(t *testing.T) {
	ctx := context.Background()
	ex := testExecutor(t)
	// Generous time limits: this test is about outputs, and go test runs
	// packages side by side on a shared machine, where a canonical run
	// timed while the machine was quiet can exceed 4× that time later (as
	// under EvalPlus). BenchmarkCanonicalHumanEvalPlus uses the defaults.
	ex.MinTimeLimit, ex.TimeLimitFactor = 20, 50
	task, err := Build(ctx, HumanEvalPlus, Options{Profile: EvalPlus, EvalPlusFile: evalPlusFile(t), Executor: ex})
	if err != nil {
		t.Fatal(err)
	}
	if len(task.Problems()) != 164 {
		t.Fatalf("%d problems, want 164", len(task.Problems()))
	}
	start := time.Now()
	rep, err := task.ScorePredictions(ctx, canonicalPredictions(task.Problems()), ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	py312 := pythonAtLeast(testSandbox(t).Isolation().PythonVersion, 3, 12)
	for _, ps := range rep.Problems {
		oc := ps.Outcomes[0]
		if oc.Passed() {
			continue
		}
		// Python 3.12 made sum() of floats compensated (exact-er); the
		// find_zero oracle and HumanEval/32's canonical bisection both sum
		// floats, and on plus input 119 the canonical root then misses
		// atol. A property of the reference under 3.12+, recorded by the
		// Python version in results.json.
		if py312 && ps.Problem.TaskID == "HumanEval/32" && oc.Base.Passed() && strings.Contains(oc.Plus.Error, "|poly(xs,") {
			t.Logf("HumanEval/32 under Python >= 3.12: %s", oc.Plus.Error)
			continue
		}
		t.Errorf("%s: base %+v plus %+v", ps.Problem.TaskID, *oc.Base, *oc.Plus)
	}
	t.Logf("164 canonical solutions, %d base + %d plus inputs: %.1f s", sumInputs(task, false), sumInputs(task, true), elapsed.Seconds())
	// A generous bound: the machine is shared, and the figure that matters
	// comes from the benchmark.
	if elapsed > 10*time.Minute {
		t.Errorf("took %v", elapsed)
	}
}

func sumInputs(t *Task, plus bool) int {
	n := 0
	for _, p := range t.Problems() {
		if plus {
			n += p.NPlus
		} else {
			n += p.NBase
		}
	}
	return n
}

// pythonAtLeast compares a "3.11.7" version with major.minor.
func pythonAtLeast(v string, major, minor int) bool {
	var a, b int
	fmt.Sscanf(v, "%d.%d", &a, &b)
	return a > major || (a == major && b >= minor)
}
