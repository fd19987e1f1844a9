package humaneval

import (
	"context"
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
	for _, ps := range rep.Problems {
		oc := ps.Outcomes[0]
		if !oc.Passed() {
			t.Errorf("%s: base %+v plus %+v", ps.Problem.TaskID, *oc.Base, *oc.Plus)
		}
	}
	if got := rep.PassAtK[1]; got != 1 {
		t.Errorf("pass@1 = %v, want 1", got)
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
