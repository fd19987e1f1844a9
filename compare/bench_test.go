package compare

import (
	"testing"

	"github.com/parity-eval/parity/pyrandom"
)

// v2Model is a bootstrap model shaped like a full Open LLM Leaderboard V2
// comparison: 45 leaf tasks, 21,606 documents, IFEval's two metrics on one
// stratum.
func v2Model() *bootModel {
	g := pyrandom.New(3)
	metric := func(n int, p float64) bootMetric {
		m := bootMetric{Key: "acc_norm,none"}
		for range n {
			b := 0.0
			if g.Random() < p {
				b = 1
			}
			c := b
			if g.Random() < 0.05 {
				c = 1 - b
			}
			m.Base = append(m.Base, [2]float64{b, 1})
			m.Cand = append(m.Cand, [2]float64{c, 1})
		}
		return m
	}
	m := &bootModel{}
	add := func(task string, n int, ms ...bootMetric) int {
		if len(ms) == 0 {
			ms = []bootMetric{metric(n, 0.5)}
		}
		m.Strata = append(m.Strata, bootStratum{Task: task, Metrics: ms})
		return len(m.Strata) - 1
	}
	ifeval := add("leaderboard_ifeval", 541, metric(541, 0.8), metric(541, 0.75))
	m.Columns = append(m.Columns, bootColumn{Comps: []bootComp{{Parts: [][2]int{{ifeval, 0}}}, {Parts: [][2]int{{ifeval, 1}}}}})
	var bbh bootColumn
	for i := range 24 {
		s := add("bbh", 240)
		bbh.Comps = append(bbh.Comps, bootComp{Parts: [][2]int{{s, 0}}, Lower: 1 / float64(2+i%5)})
	}
	m.Columns = append(m.Columns, bbh)
	group := func(n, size int, lower float64) bootColumn {
		var c bootComp
		c.Lower = lower
		for range n {
			c.Parts = append(c.Parts, [2]int{add("leaf", size), 0})
		}
		return bootColumn{Comps: []bootComp{c}}
	}
	m.Columns = append(m.Columns, group(7, 189, 0), group(3, 397, 0.25))
	var musr bootColumn
	for _, n := range []int{250, 256, 250} {
		musr.Comps = append(musr.Comps, bootComp{Parts: [][2]int{{add("musr", n), 0}}, Lower: 0.3})
	}
	m.Columns = append(m.Columns, musr, group(1, 12032, 0.1))
	m.Average = []int{0, 1, 2, 3, 4, 5}
	return m
}

// BenchmarkBootstrapV2 is one 10,000-resample bootstrap of a full V2
// comparison (about 2.2·10⁸ documents drawn).
func BenchmarkBootstrapV2(b *testing.B) {
	m := v2Model()
	for b.Loop() {
		m.bootstrap(DefaultResamples, 1234, 0.05)
	}
}
