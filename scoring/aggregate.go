package scoring

import "math"

// The sums below run left to right in plain float64, as Python 3.11's sum()
// does; Python 3.12 switched sum() of floats to compensated summation, so
// lm-eval's last digits depend on the interpreter version.

// Mean is lm-eval's mean aggregation, sum(xs)/len(xs); NaN when empty.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// MeanStderr is lm-eval's mean_stderr: the sample standard deviation
// (ddof=1) divided by sqrt(n). lm-eval reports "N/A" instead of calling it
// when there are fewer than two items; that is NaN here.
func MeanStderr(xs []float64) float64 {
	n := len(xs)
	if n < 2 {
		return math.NaN()
	}
	mu := Mean(xs)
	var ss float64
	for _, x := range xs {
		d := x - mu
		ss += d * d
	}
	return math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
}

// PooledStderr is lm-eval's pooled_sample_stderr for a group's subtasks:
//
//	sqrt( Σ (n_t−1)·se_t²·n_t / (Σ n_t − #tasks) / Σ n_t )
//
// It ignores differences between the task means. A NaN ("N/A") stderr makes
// the result NaN, as lm-eval makes the group's stderr "N/A". With every n_t = 1
// the denominator is zero, where lm-eval raises; the result is then NaN or Inf.
func PooledStderr(stderrs []float64, sizes []int) float64 {
	if len(stderrs) != len(sizes) {
		panic("scoring: PooledStderr: stderrs and sizes differ in length")
	}
	var num float64
	total := 0
	for i, se := range stderrs {
		num += float64(sizes[i]-1) * (se * se) * float64(sizes[i])
		total += sizes[i]
	}
	pooled := num / float64(total-len(sizes))
	return math.Sqrt(pooled / float64(total))
}

// WeightedMean is lm-eval's aggregate_subtask_metrics with weight_by_size:
// Σ score_t·n_t / Σ n_t. For the unweighted group score use Mean (lm-eval's
// sizes of 1 give the same floating-point result).
func WeightedMean(scores []float64, sizes []int) float64 {
	if len(scores) != len(sizes) {
		panic("scoring: WeightedMean: scores and sizes differ in length")
	}
	var s float64
	total := 0
	for i, x := range scores {
		s += x * float64(sizes[i])
		total += sizes[i]
	}
	return s / float64(total)
}
