package tasks

import (
	"fmt"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/mathans"
)

// GenResultsFunc is a named Go replacement for a generate_until task's
// process_results: it turns one doc's filtered response into metrics.
type GenResultsFunc func(doc datasets.Doc, response string) (map[string]float64, error)

// mathHardProcessDocs is the leaderboard MATH tasks' process_docs: each row
// gains "answer", the normalised last \boxed expression of its solution
// (the row's own columns stay, as under dataset.map).
func mathHardProcessDocs(docs []datasets.Doc) ([]datasets.Doc, error) {
	out := make([]datasets.Doc, len(docs))
	for i, d := range docs {
		sol, ok := d["solution"].(string)
		if !ok {
			return nil, fmt.Errorf("row %d: column \"solution\" is %T, want a string", i, d["solution"])
		}
		nd := make(datasets.Doc, len(d)+1)
		for k, v := range d {
			nd[k] = v
		}
		nd["answer"] = mathans.GoldAnswer(sol)
		out[i] = nd
	}
	return out, nil
}

// mathHardResults is the leaderboard MATH process_results under scoring
// version v (mathans.Version documents each). v3 also reports v2 as
// exact_match_original, as lm-eval does since it adopted math_verify.
func mathHardResults(v mathans.Version) GenResultsFunc {
	return func(doc datasets.Doc, response string) (map[string]float64, error) {
		gold, ok := doc["answer"].(string)
		if !ok {
			return nil, fmt.Errorf("doc has no string \"answer\" (process_docs: leaderboard_math.process_docs missing?)")
		}
		sol, _ := doc["solution"].(string)
		ms := map[string]float64{"exact_match": mathans.Score(v, response, gold, sol)}
		if v == mathans.V3 {
			ms["exact_match_original"] = mathans.Score(mathans.V2, response, gold, sol)
		}
		return ms, nil
	}
}

// processResultsOrder is the order a process_results function's metrics
// are reported in: the metric_list's first, then the rest by name.
func processResultsOrder(cfg *Config, ms map[string]float64) []string {
	var order []string
	for _, m := range cfg.Metrics {
		if _, ok := ms[m.Metric]; ok {
			order = append(order, m.Metric)
		}
	}
	for _, k := range sortedKeys(ms) {
		if !containsStr(order, k) {
			order = append(order, k)
		}
	}
	return order
}
