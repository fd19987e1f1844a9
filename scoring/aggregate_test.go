package scoring

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type aggregateGolden struct {
	Samples []struct {
		Xs     []float64 `json:"xs"`
		Mean   *float64  `json:"mean"` // nil: NaN
		Stderr *float64  `json:"stderr"`
	} `json:"samples"`
	Groups []struct {
		Stderrs  []float64 `json:"stderrs"`
		Sizes    []int     `json:"sizes"`
		Pooled   *float64  `json:"pooled"`
		Weighted *float64  `json:"weighted"`
	} `json:"groups"`
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// The sums run in Python's order, so the results must be bit-identical.
var exactFloat = cmp.Comparer(func(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
})

func TestAggregatesMatchCPython(t *testing.T) {
	var g aggregateGolden
	readGolden(t, "aggregate_cases.json", &g)
	for _, s := range g.Samples {
		got := []float64{Mean(s.Xs), MeanStderr(s.Xs)}
		want := []float64{orNaN(s.Mean), orNaN(s.Stderr)}
		if d := cmp.Diff(want, got, exactFloat); d != "" {
			t.Errorf("mean, stderr of %d items (-python +go):\n%s", len(s.Xs), d)
		}
	}
	for _, gr := range g.Groups {
		got := []float64{PooledStderr(gr.Stderrs, gr.Sizes), WeightedMean(gr.Stderrs, gr.Sizes)}
		want := []float64{orNaN(gr.Pooled), orNaN(gr.Weighted)}
		if d := cmp.Diff(want, got, exactFloat); d != "" {
			t.Errorf("pooled, weighted of %d tasks (-python +go):\n%s", len(gr.Sizes), d)
		}
	}
}

func TestPooledStderrNA(t *testing.T) {
	if got := PooledStderr([]float64{0.01, math.NaN()}, []int{10, 20}); !math.IsNaN(got) {
		t.Errorf("an N/A subtask stderr gave %v, want NaN", got)
	}
}

// Pooling the per-task stderrs of equal-mean tasks must reproduce the stderr of
// the concatenated samples up to the pooled formula's ddof bookkeeping; this
// checks the formula's shape independently of the golden values.
func TestPooledStderrEqualMeans(t *testing.T) {
	a := []float64{0, 1, 0, 1}
	b := []float64{1, 0, 1, 0, 0, 1}
	got := PooledStderr([]float64{MeanStderr(a), MeanStderr(b)}, []int{len(a), len(b)})
	// Both tasks have mean 0.5 and per-item variance 1/3 resp. 0.3 (ddof=1).
	// pooled_var = (3·(1/3)/4·4 + 5·0.3/6·6) / (10−2) = (1 + 1.5)/8.
	want := math.Sqrt((1.0 + 1.5) / 8 / 10)
	if d := cmp.Diff(want, got, cmpApprox); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
