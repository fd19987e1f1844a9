package scoring

import (
	"math"
	"slices"
	"unicode/utf8"
)

// Argmax is numpy.argmax: the first index of the largest value, where a NaN
// counts as larger than everything (so the first NaN wins). It returns -1 for
// an empty slice.
func Argmax(xs []float64) int {
	best := -1
	for i, x := range xs {
		switch {
		case math.IsNaN(x):
			return i
		case best < 0 || x > xs[best]:
			best = i
		}
	}
	return best
}

// Acc is lm-eval's multiple-choice acc: 1 if the most likely choice is gold.
func Acc(loglikelihoods []float64, gold int) float64 {
	return boolScore(Argmax(loglikelihoods) == gold)
}

// AccAny is acc for documents with several correct choices (lm-eval's
// multiple_target): 1 if the most likely choice is any of golds.
func AccAny(loglikelihoods []float64, golds []int) float64 {
	return boolScore(slices.Contains(golds, Argmax(loglikelihoods)))
}

// AccNorm is lm-eval's acc_norm: the argmax of loglikelihood divided by the
// choice's length in Unicode code points (Python len), without the target
// delimiter. An empty choice divides by zero as NumPy does (-Inf, +Inf or
// NaN). choices must be as long as loglikelihoods.
func AccNorm(loglikelihoods []float64, choices []string, gold int) float64 {
	return boolScore(Argmax(normalizeByLength(loglikelihoods, choices)) == gold)
}

// AccNormAny is AccNorm with several correct choices.
func AccNormAny(loglikelihoods []float64, choices []string, golds []int) float64 {
	return boolScore(slices.Contains(golds, Argmax(normalizeByLength(loglikelihoods, choices))))
}

func normalizeByLength(lls []float64, choices []string) []float64 {
	if len(lls) != len(choices) {
		panic("scoring: AccNorm: loglikelihoods and choices differ in length")
	}
	out := make([]float64, len(lls))
	for i, ll := range lls {
		out[i] = ll / float64(utf8.RuneCountInString(choices[i]))
	}
	return out
}

func boolScore(ok bool) float64 {
	if ok {
		return 1
	}
	return 0
}
