package tasks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/scoring"
)

// SampleRecord is one (doc, filter pipeline) result, holding what lm-eval
// writes per line of samples_<task>.jsonl (see LMEvalJSON).
type SampleRecord struct {
	DocID  int          `json:"doc_id"`
	Doc    datasets.Doc `json:"doc"`
	Target any          `json:"target"`
	// Arguments has one [context, continuation] pair per loglikelihood
	// request, or one [context, generation kwargs] pair for generate_until.
	Arguments [][2]any `json:"arguments"`
	// Resps has, per request, the responses of the repeats: [logprob,
	// is_greedy] pairs for loglikelihood, strings for generation.
	Resps [][]any `json:"resps"`
	// FilteredResps has, per request, the filtered response: a [logprob,
	// is_greedy] pair, a string, or a list of strings when the pipeline did
	// not reduce the repeats to one.
	FilteredResps []any              `json:"filtered_resps"`
	Filter        string             `json:"filter"`
	Metrics       map[string]float64 `json:"metrics"`
	// Extra holds task-specific fields written after the metrics (sorted by
	// key), e.g. code-execution verdicts; lm-eval's own tasks have none.
	Extra map[string]any `json:"extra,omitempty"`
	// metricOrder is the order lm-eval's process_results emits the metrics.
	metricOrder []string
}

// Score turns one instance's responses into records, one per filter
// pipeline: ll has one result per Loglikelihood request (in order), gen one
// per Generate request.
func (t *Task) Score(inst Instance, ll []runner.LoglikelihoodResult, gen []runner.GenerateResult) ([]SampleRecord, error) {
	cfg := t.cfg
	base := SampleRecord{DocID: inst.DocID, Doc: inst.Doc, Target: inst.Target}
	switch cfg.OutputType {
	case MultipleChoice, Loglikelihood:
		if len(ll) != len(inst.Loglikelihood) {
			return nil, fmt.Errorf("task %q doc %d: %d loglikelihood results for %d requests", cfg.Name, inst.DocID, len(ll), len(inst.Loglikelihood))
		}
		lls := make([]float64, len(ll))
		for i, r := range ll {
			lls[i] = r.LogProb
			base.Arguments = append(base.Arguments, [2]any{inst.Loglikelihood[i].Context, inst.Loglikelihood[i].Continuation})
			pair := []any{r.LogProb, r.IsGreedy}
			base.Resps = append(base.Resps, []any{pair})
			base.FilteredResps = append(base.FilteredResps, pair)
		}
		base.Filter = "none"
		base.Metrics = map[string]float64{}
		if cfg.processResults != nil {
			ms, err := cfg.processResults(inst.Doc, ll)
			if err != nil {
				return nil, fmt.Errorf("task %q doc %d: process_results %s: %w", cfg.Name, inst.DocID, cfg.ProcessResults, err)
			}
			base.Metrics = ms
			for _, m := range cfg.Metrics {
				if _, ok := ms[m.Metric]; ok {
					base.metricOrder = append(base.metricOrder, m.Metric)
				}
			}
			for _, k := range sortedKeys(ms) {
				if !containsStr(base.metricOrder, k) {
					base.metricOrder = append(base.metricOrder, k)
				}
			}
			return []SampleRecord{base}, nil
		}
		for _, name := range mcMetricOrder {
			if !t.hasMetric(name) {
				continue
			}
			var v float64
			switch {
			case cfg.OutputType == Loglikelihood: // only acc: is_greedy
				v = boolFloat(ll[0].IsGreedy)
			case name == "acc":
				v = t.mcAcc(lls, inst, false)
			case name == "acc_norm":
				v = t.mcAcc(lls, inst, true)
			case name == "exact_match":
				v = mcExactMatch(ll, inst)
			}
			base.Metrics[name] = v
			base.metricOrder = append(base.metricOrder, name)
		}
		return []SampleRecord{base}, nil
	case GenerateUntil:
		if len(gen) != 1 || inst.Generate == nil {
			return nil, fmt.Errorf("task %q doc %d: %d generation results for 1 request", cfg.Name, inst.DocID, len(gen))
		}
		base.Arguments = [][2]any{{inst.Generate.Context, t.generationKwargsValue()}}
		base.Resps = [][]any{{gen[0].Text}}
		gold, err := t.generationGold(inst)
		if err != nil {
			return nil, err
		}
		var out []SampleRecord
		for i := range cfg.Filters {
			fc := &cfg.Filters[i]
			filtered, err := fc.apply([]string{gen[0].Text}, inst.Doc)
			if err != nil {
				return nil, fmt.Errorf("task %q doc %d: %w", cfg.Name, inst.DocID, err)
			}
			if len(filtered) == 0 {
				return nil, fmt.Errorf("task %q doc %d: filter %q returned nothing", cfg.Name, inst.DocID, fc.Name)
			}
			rec := base
			rec.Filter = fc.Name
			if fc.collapses {
				rec.FilteredResps = []any{filtered[0]}
			} else {
				list := make([]any, len(filtered))
				for i, f := range filtered {
					list[i] = f
				}
				rec.FilteredResps = []any{list}
			}
			rec.Metrics = map[string]float64{}
			if cfg.processGenResults != nil {
				ms, err := cfg.processGenResults(inst.Doc, filtered[0])
				if err != nil {
					return nil, fmt.Errorf("task %q doc %d: process_results %s: %w", cfg.Name, inst.DocID, cfg.ProcessResults, err)
				}
				rec.Metrics = ms
				rec.metricOrder = processResultsOrder(cfg, ms)
				out = append(out, rec)
				continue
			}
			for _, m := range cfg.Metrics {
				// Only exact_match exists for generation; lm-eval scores the
				// first response when a pipeline keeps several (no take_first).
				v, err := exactMatchAny(m.matcher, filtered[0], gold)
				if err != nil {
					return nil, fmt.Errorf("task %q doc %d filter %q: %w", cfg.Name, inst.DocID, fc.Name, err)
				}
				rec.Metrics[m.Metric] = v
				rec.metricOrder = append(rec.metricOrder, m.Metric)
			}
			out = append(out, rec)
		}
		return out, nil
	}
	return nil, fmt.Errorf("task %q: output_type %s cannot be scored", cfg.Name, cfg.OutputType)
}

// mcMetricOrder is the key order of lm-eval's multiple_choice process_results.
var mcMetricOrder = []string{"acc", "acc_norm", "exact_match"}

func (t *Task) hasMetric(name string) bool {
	for _, m := range t.cfg.Metrics {
		if m.Metric == name {
			return true
		}
	}
	return false
}

func (t *Task) mcAcc(lls []float64, inst Instance, norm bool) float64 {
	if t.multiTarget || inst.Golds != nil {
		if norm {
			return scoring.AccNormAny(lls, inst.Choices, inst.Golds)
		}
		return scoring.AccAny(lls, inst.Golds)
	}
	gold := inst.Gold
	if gold < 0 {
		gold = -100 // lm-eval's marker: never equal to an argmax
	}
	if norm {
		return scoring.AccNorm(lls, inst.Choices, gold)
	}
	return scoring.Acc(lls, gold)
}

// mcExactMatch is multiple_choice exact_match: is_greedy of the gold choice.
func mcExactMatch(ll []runner.LoglikelihoodResult, inst Instance) float64 {
	if inst.Golds != nil {
		for _, g := range inst.Golds {
			if g >= 0 && g < len(ll) && ll[g].IsGreedy {
				return 1
			}
		}
		return 0
	}
	if inst.Gold < 0 || inst.Gold >= len(ll) {
		return 0
	}
	return boolFloat(ll[inst.Gold].IsGreedy)
}

// generationGold is the reference of a generate_until doc as a string (or
// strings, for a list target): choices[target] when the task has choices,
// else str(target).
func (t *Task) generationGold(inst Instance) ([]string, error) {
	if t.cfg.DocToChoice != nil {
		i, ok := pyInt(inst.Target)
		if !ok {
			return nil, fmt.Errorf("task %q doc %d: target %s does not index the choices", t.cfg.Name, inst.DocID, pyRepr(inst.Target))
		}
		s, err := indexChoice(inst.Choices, i)
		if err != nil {
			return nil, fmt.Errorf("task %q doc %d: %w", t.cfg.Name, inst.DocID, err)
		}
		return []string{s}, nil
	}
	if list, ok := asList(inst.Target); ok && t.multiTarget {
		out := make([]string, len(list))
		for i, x := range list {
			out[i] = pyStr(x)
		}
		return out, nil
	}
	return []string{pyStr(inst.Target)}, nil
}

// exactMatchAny is 1 when the prediction matches any gold (lm-eval's
// multiple_target rule; a single gold is the common case).
func exactMatchAny(m *scoring.ExactMatcher, pred string, golds []string) (float64, error) {
	for _, g := range golds {
		v, err := m.Score(pred, g)
		if err != nil {
			return 0, err
		}
		if v > 0 {
			return 1, nil
		}
	}
	return 0, nil
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// generationKwargsValue is the task's generation_kwargs as lm-eval logs them
// in arguments (after TaskConfig.__post_init__: until filled in, temperature
// a float).
func (t *Task) generationKwargsValue() *orderedMap {
	g := t.gen
	m := &orderedMap{}
	for _, k := range g.order {
		switch k {
		case "until":
			until := make([]any, len(g.Until))
			for i, s := range g.Until {
				until[i] = s
			}
			m.set(k, until)
		case "do_sample":
			if g.DoSample != nil {
				m.set(k, *g.DoSample)
			}
		case "temperature":
			if g.Temperature != nil {
				m.set(k, *g.Temperature)
			}
		case "max_gen_toks":
			if g.MaxGenToks != nil {
				m.set(k, *g.MaxGenToks)
			}
		}
	}
	return m
}

// Scores are a task's aggregated metrics.
type Scores struct {
	// N is the number of docs scored.
	N int
	// Metrics in report order: per filter, per metric.
	Metrics []MetricScore
}

// MetricScore is one aggregated metric of one filter pipeline.
type MetricScore struct {
	Metric, Filter string
	Value          float64
	// Stderr is NaN when lm-eval reports "N/A" (one sample).
	Stderr         float64
	HigherIsBetter bool
}

// Key is lm-eval's results key, "acc,none".
func (m MetricScore) Key() string { return m.Metric + "," + m.Filter }

// StderrKey is lm-eval's stderr key, "acc_stderr,none".
func (m MetricScore) StderrKey() string { return m.Metric + "_stderr," + m.Filter }

// Map is the scores as lm-eval writes them under results.<task>: "acc,none"
// → value, "acc_stderr,none" → stderr or "N/A".
func (s Scores) Map() map[string]any {
	out := map[string]any{}
	for _, m := range s.Metrics {
		out[m.Key()] = m.Value
		if math.IsNaN(m.Stderr) {
			out[m.StderrKey()] = "N/A"
		} else {
			out[m.StderrKey()] = m.Stderr
		}
	}
	return out
}

// Get returns the value for an lm-eval key such as "acc,none" or
// "acc_stderr,none".
func (s Scores) Get(key string) (float64, bool) {
	for _, m := range s.Metrics {
		switch key {
		case m.Key():
			return m.Value, true
		case m.StderrKey():
			return m.Stderr, !math.IsNaN(m.Stderr)
		}
	}
	return 0, false
}

// Aggregate averages the records' metrics per filter (mean, with the sample
// standard error lm-eval reports).
func (t *Task) Aggregate(records []SampleRecord) (Scores, error) {
	type key struct{ metric, filter string }
	values := map[key][]float64{}
	var order []key
	docs := map[int]bool{}
	for _, r := range records {
		docs[r.DocID] = true
		names := r.metricOrder
		if names == nil {
			names = sortedKeys(r.Metrics)
		}
		for _, name := range names {
			k := key{name, r.Filter}
			if _, ok := values[k]; !ok {
				order = append(order, k)
			}
			values[k] = append(values[k], r.Metrics[name])
		}
	}
	s := Scores{N: len(docs)}
	for _, k := range order {
		xs := values[k]
		if len(xs) != s.N {
			return Scores{}, fmt.Errorf("task %q: metric %s,%s has %d values for %d docs", t.cfg.Name, k.metric, k.filter, len(xs), s.N)
		}
		ms := MetricScore{Metric: k.metric, Filter: k.filter, Value: scoring.Mean(xs), Stderr: math.NaN(), HigherIsBetter: true}
		if len(xs) > 1 {
			ms.Stderr = scoring.MeanStderr(xs)
		}
		for _, m := range t.cfg.Metrics {
			if m.Metric == k.metric {
				ms.HigherIsBetter = m.HigherIsBetter
			}
		}
		s.Metrics = append(s.Metrics, ms)
	}
	return s, nil
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
