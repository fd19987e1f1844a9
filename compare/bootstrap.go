package compare

import (
	"math"
	"runtime"
	"sync"

	"github.com/parity-eval/parity/pyrandom"
)

// bootModel is the paired data of one table for one candidate, in a form
// independent of result files (testdata/bootstrap_*.json holds the same
// shape for the Python reference).
type bootModel struct {
	// Strata are the leaf tasks, each resampled on its own (a stratified
	// bootstrap: every replicate keeps each task's document count, as the
	// scores being compared do).
	Strata  []bootStratum `json:"strata"`
	Columns []bootColumn  `json:"columns"`
	// Average lists the columns whose plain mean is the table's average;
	// empty when the average cannot be resampled.
	Average []int `json:"average"`
}

type bootStratum struct {
	Task    string       `json:"task"`
	Metrics []bootMetric `json:"metrics"`
}

// bootMetric holds one metric's [num, den] per document, aligned between
// baseline and candidate.
type bootMetric struct {
	Key  string       `json:"key"`
	Base [][2]float64 `json:"base"`
	Cand [][2]float64 `json:"cand"`
}

type bootColumn struct {
	Comps []bootComp `json:"comps"`
}

// bootComp is one component: the (stratum, metric) parts it pools, micro
// (Σnum/Σden over all parts) or macro (the plain mean of the parts' means),
// and its normalisation.
type bootComp struct {
	Parts [][2]int `json:"parts"`
	Lower float64  `json:"lower"`
	Macro bool     `json:"macro"`
}

// sums4 are a metric's summed num and den for baseline and candidate.
type sums4 struct{ bn, bd, cn, cd float64 }

func (m *bootModel) fullSums() [][]sums4 {
	out := make([][]sums4, len(m.Strata))
	for si, st := range m.Strata {
		out[si] = make([]sums4, len(st.Metrics))
		for mi, me := range st.Metrics {
			var s sums4
			for i := range me.Base {
				s.bn += me.Base[i][0]
				s.bd += me.Base[i][1]
				s.cn += me.Cand[i][0]
				s.cd += me.Cand[i][1]
			}
			out[si][mi] = s
		}
	}
	return out
}

// eval turns summed parts into each column's normalised baseline and
// candidate scores, and the average's.
func (m *bootModel) eval(sums [][]sums4) (base, cand []float64, avgB, avgC float64) {
	base = make([]float64, len(m.Columns))
	cand = make([]float64, len(m.Columns))
	for ci, col := range m.Columns {
		var b, c float64
		for _, comp := range col.Comps {
			var vb, vc float64
			if comp.Macro {
				for _, p := range comp.Parts {
					s := sums[p[0]][p[1]]
					vb += s.bn / s.bd
					vc += s.cn / s.cd
				}
				vb /= float64(len(comp.Parts))
				vc /= float64(len(comp.Parts))
			} else {
				var t sums4
				for _, p := range comp.Parts {
					s := sums[p[0]][p[1]]
					t.bn += s.bn
					t.bd += s.bd
					t.cn += s.cn
					t.cd += s.cd
				}
				vb, vc = t.bn/t.bd, t.cn/t.cd
			}
			nc := Component{Lower: comp.Lower}
			b += nc.Normalise(vb)
			c += nc.Normalise(vc)
		}
		base[ci] = b / float64(len(col.Comps))
		cand[ci] = c / float64(len(col.Comps))
	}
	avgB, avgC = math.NaN(), math.NaN()
	if len(m.Average) > 0 {
		avgB, avgC = 0, 0
		for _, ci := range m.Average {
			avgB += base[ci]
			avgC += cand[ci]
		}
		avgB /= float64(len(m.Average))
		avgC /= float64(len(m.Average))
	}
	return base, cand, avgB, avgC
}

// bootInterval is the bootstrap's answer for one column or the average.
type bootInterval struct {
	DeltaCI    [2]float64
	RecoveryCI [2]float64
	P          float64
}

type bootResult struct {
	Columns []bootInterval
	Average *bootInterval
}

// bootstrap runs the paired, stratified percentile bootstrap. Replicate b
// draws from CPython's random.Random(seed·2³² + b): for every stratum in
// order, as many document indexes as the stratum has, uniformly with
// replacement (randrange(n)); it sums each drawn document's values times the
// number of times it was drawn, in document order, and recomputes every
// column and the average on both sides from the same documents. A few
// lines of Python reproduce every replicate (testdata/reference.py), and
// because each replicate has its own stream the replicates run in parallel
// with the same result. Differences are candidate − baseline in table
// points; recovery is candidate / baseline × 100. seed must be in
// [0, 2³¹).
func (m *bootModel) bootstrap(resamples int, seed int64, alpha float64) bootResult {
	nc := len(m.Columns)
	diffs := make([][]float64, nc)
	recs := make([][]float64, nc)
	for i := range diffs {
		diffs[i] = make([]float64, resamples)
		recs[i] = make([]float64, resamples)
	}
	var avgDiffs, avgRecs []float64
	if len(m.Average) > 0 {
		avgDiffs = make([]float64, resamples)
		avgRecs = make([]float64, resamples)
	}
	// Each stratum's values, document-major, four per metric (base num,
	// base den, candidate num, candidate den), so that a document's values
	// share a cache line.
	type flat struct {
		n, metrics int
		vals       []float64
	}
	strata := make([]flat, len(m.Strata))
	for si, st := range m.Strata {
		n := len(st.Metrics[0].Base)
		f := flat{n: n, metrics: len(st.Metrics), vals: make([]float64, 0, 4*n*len(st.Metrics))}
		for j := range n {
			for _, me := range st.Metrics {
				f.vals = append(f.vals, me.Base[j][0], me.Base[j][1], me.Cand[j][0], me.Cand[j][1])
			}
		}
		strata[si] = f
	}
	workers := min(runtime.GOMAXPROCS(0), max(resamples, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := pyrandom.New(0)
			sums := make([][]sums4, len(strata))
			counts := make([][]int32, len(strata))
			for si, f := range strata {
				sums[si] = make([]sums4, f.metrics)
				counts[si] = make([]int32, f.n)
			}
			for b := w; b < resamples; b += workers {
				rng.Seed(seed<<32 | int64(b))
				for si := range strata {
					f := &strata[si]
					cs := counts[si]
					clear(cs)
					for range f.n {
						cs[rng.RandBelow(f.n)]++
					}
					// Sums accumulate in locals, not in memory another
					// worker's sums may share a cache line with.
					stride := 4 * f.metrics
					for mi := range sums[si] {
						var t sums4
						for j, c := range cs {
							if c == 0 {
								continue
							}
							wt := float64(c)
							v := f.vals[stride*j+4*mi : stride*j+4*mi+4]
							// float64() keeps the products from fusing into
							// FMAs, which would round differently from Python.
							t.bn += float64(wt * v[0])
							t.bd += float64(wt * v[1])
							t.cn += float64(wt * v[2])
							t.cd += float64(wt * v[3])
						}
						sums[si][mi] = t
					}
				}
				base, cand, ab, ac := m.eval(sums)
				for ci := range nc {
					diffs[ci][b] = cand[ci] - base[ci]
					recs[ci][b] = cand[ci] / base[ci] * 100
				}
				if avgDiffs != nil {
					avgDiffs[b] = ac - ab
					avgRecs[b] = ac / ab * 100
				}
			}
		}()
	}
	wg.Wait()
	var res bootResult
	for ci := range nc {
		res.Columns = append(res.Columns, bootInterval{
			DeltaCI:    percentileInterval(diffs[ci], alpha),
			RecoveryCI: percentileInterval(recs[ci], alpha),
			P:          bootstrapP(diffs[ci]),
		})
	}
	if avgDiffs != nil {
		res.Average = &bootInterval{
			DeltaCI:    percentileInterval(avgDiffs, alpha),
			RecoveryCI: percentileInterval(avgRecs, alpha),
			P:          bootstrapP(avgDiffs),
		}
	}
	return res
}
