package humaneval

import (
	"context"
	"runtime"
	"testing"
)

// BenchmarkCanonicalHumanEvalPlus scores all 164 canonical solutions on
// their base and plus inputs (1,570 + 122,683) with NumCPU workers: "cold"
// first computes the expected outputs (one canonical run per problem),
// "warm" reads them from the cache as a second run does (EvalPlus caches
// them too).
func BenchmarkCanonicalHumanEvalPlus(b *testing.B) {
	ctx := context.Background()
	sb := testSandbox(b)
	run := func(b *testing.B, gtDir string) {
		ex, err := NewExecutor(sb, runtime.NumCPU(), gtDir, sb.Python())
		if err != nil {
			b.Fatal(err)
		}
		defer ex.Close()
		task, err := Build(ctx, HumanEvalPlus, Options{Profile: EvalPlus, EvalPlusFile: evalPlusFile(b), Executor: ex})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := task.ScorePredictions(ctx, canonicalPredictions(task.Problems()), ScoreOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if rep.PassAtK[1] != 1 {
			b.Errorf("pass@1 = %v", rep.PassAtK[1])
		}
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			run(b, b.TempDir())
		}
	})
	b.Run("warm", func(b *testing.B) {
		dir := b.TempDir()
		run(b, dir)
		b.ResetTimer()
		for b.Loop() {
			run(b, dir)
		}
	})
}
