package compare

import (
	"math"
	"sort"
)

// McNemar is the exact two-sided McNemar test of paired binary outcomes: with
// b documents right under the baseline and wrong under the candidate and c
// the other way round, under the null hypothesis each of the b+c discordant
// documents flips either way with probability ½, so
//
//	p = min(1, 2·P(X ≤ min(b, c))),  X ~ Binomial(b+c, ½)
//
// (statsmodels' mcnemar(exact=True), and scipy's binomtest(min(b,c), b+c)
// two-sided, which for p = ½ is the same doubled tail).
func McNemar(b, c int) float64 {
	n := b + c
	if n == 0 {
		return 1
	}
	k := min(b, c)
	// P(X = k), then the smaller terms by the recurrence
	// P(X = j−1) = P(X = j)·j/(n−j+1): the terms fall away from the centre,
	// so the sum is accurate without cancellation.
	term := binomHalf(k, n)
	sum := term
	for j := k; j > 0; j-- {
		term *= float64(j) / float64(n-j+1)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return min(1, 2*sum)
}

// binomHalf is P(X = k) for X ~ Binomial(n, ½), by Loader's saddle-point
// expansion ("Fast and accurate computation of binomial probabilities",
// 2000; R's dbinom_raw), accurate to a few ulps where exp(lgamma(…)) loses
// digits to the size of log n!.
func binomHalf(k, n int) float64 {
	if k == 0 || k == n {
		return math.Exp(float64(n) * -math.Ln2)
	}
	x, nf := float64(k), float64(n)
	lc := stirlerr(nf) - stirlerr(x) - stirlerr(nf-x) - bd0(x, nf/2) - bd0(nf-x, nf/2)
	lf := math.Log(2*math.Pi) + math.Log(x) + math.Log1p(-x/nf)
	return math.Exp(lc - 0.5*lf)
}

// stirlerr is log(n!) − log(√(2πn)·(n/e)^n).
func stirlerr(n float64) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	if n <= 15 {
		// log n! is at most 28 here: lgamma's absolute error stays ~1e-15.
		lg, _ := math.Lgamma(n + 1)
		return lg - (n+0.5)*math.Log(n) + n - 0.5*math.Log(2*math.Pi)
	}
	nn := n * n
	switch {
	case n > 500:
		return (s0 - s1/nn) / n
	case n > 80:
		return (s0 - (s1-s2/nn)/nn) / n
	case n > 35:
		return (s0 - (s1-(s2-s3/nn)/nn)/nn) / n
	}
	return (s0 - (s1-(s2-(s3-s4/nn)/nn)/nn)/nn) / n
}

// bd0 is x·log(x/np) + np − x, computed without cancellation when x ≈ np.
func bd0(x, np float64) float64 {
	if math.Abs(x-np) < 0.1*(x+np) {
		v := (x - np) / (x + np)
		s := (x - np) * v
		ej := 2 * x * v
		v *= v
		for j := 1; j < 1000; j++ {
			ej *= v
			s1 := s + ej/float64(2*j+1)
			if s1 == s {
				return s1
			}
			s = s1
		}
		return s
	}
	return x*math.Log(x/np) + np - x
}

// quantile is the linear-interpolation sample quantile of sorted xs (type 7
// of Hyndman and Fan; numpy's default "linear" method).
func quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := float64(len(sorted)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// percentileInterval is the (1−alpha) percentile interval of the replicates;
// NaN when any replicate is not finite (a recovery over a zero baseline).
func percentileInterval(reps []float64, alpha float64) [2]float64 {
	s := make([]float64, len(reps))
	for i, x := range reps {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return [2]float64{math.NaN(), math.NaN()}
		}
		s[i] = x
	}
	sort.Float64s(s)
	return [2]float64{quantile(s, alpha/2), quantile(s, 1-alpha/2)}
}

// bootstrapP is the two-sided bootstrap p-value of "no difference": twice
// the share of replicate differences on the far side of zero, at most 1.
func bootstrapP(diffs []float64) float64 {
	if len(diffs) == 0 {
		return math.NaN()
	}
	le, ge := 0, 0
	for _, d := range diffs {
		if d <= 0 {
			le++
		}
		if d >= 0 {
			ge++
		}
	}
	return min(1, 2*float64(min(le, ge))/float64(len(diffs)))
}
