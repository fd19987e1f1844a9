package ifeval

import (
	"testing"
)

// BenchmarkEvaluateGPT4 scores GPT-4's 541 reference responses (834
// instructions, strict and loose) per iteration, on one goroutine.
func BenchmarkEvaluateGPT4(b *testing.B) {
	cases := referenceCases(b)
	checkers := make([]*Checker, len(cases))
	for i, c := range cases {
		var err error
		if checkers[i], err = NewChecker(c.prompt); err != nil {
			b.Fatal(err)
		}
	}
	// Load the embedded models outside the timing.
	if _, err := checkers[0].Evaluate(cases[0].response); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for i, c := range checkers {
			if _, err := c.Evaluate(cases[i].response); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "responses/s")
}
