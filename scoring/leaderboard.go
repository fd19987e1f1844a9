package scoring

import (
	"math"
	"sort"
)

// The Open LLM Leaderboard V2 normalisation (tasks.md §4.7): lm-eval never
// normalises; the leaderboard rescales each subtask so that random guessing
// scores 0 and a perfect score 100, clips at 0, and averages.

// NormalizeWithinRange is the leaderboard's normalize_within_range(value,
// lower, 1.0): max(value−lower, 0)/(1−lower)·100.
func NormalizeWithinRange(value, lower float64) float64 {
	if lower == 0 {
		return value * 100
	}
	return max(value-lower, 0) / (1 - lower) * 100
}

// BBHNumChoices is the leaderboard's number of choices per BBH subtask
// (its constants, verbatim); 1/n is the subtask's random baseline.
func BBHNumChoices() map[string]int {
	return map[string]int{
		"sports_understanding": 2, "tracking_shuffled_objects_three_objects": 3, "navigate": 2,
		"snarks": 2, "date_understanding": 6, "reasoning_about_colored_objects": 18,
		"object_counting": 19, "logical_deduction_seven_objects": 7, "geometric_shapes": 11,
		"web_of_lies": 2, "movie_recommendation": 6, "logical_deduction_five_objects": 5,
		"salient_translation_error_detection": 6, "disambiguation_qa": 3, "temporal_sequences": 4,
		"hyperbaton": 2, "logical_deduction_three_objects": 3, "causal_judgement": 2,
		"formal_fallacies": 2, "tracking_shuffled_objects_seven_objects": 7, "ruin_names": 6,
		"penguins_in_a_table": 5, "boolean_expressions": 2, "tracking_shuffled_objects_five_objects": 5,
	}
}

// MuSRNumChoices is the same for the three MuSR subtasks.
func MuSRNumChoices() map[string]int {
	return map[string]int{"murder_mysteries": 2, "object_placements": 5, "team_allocation": 3}
}

// V2Part is one normalised input of a benchmark: a metric of one task or
// group ("metric,filter" as in results.json).
type V2Part struct {
	Task       string  `json:"task"`
	Metric     string  `json:"metric"`
	Raw        float64 `json:"raw"`
	Lower      float64 `json:"lower_bound"`
	Normalized float64 `json:"normalized"`
}

// V2Benchmark is one of the leaderboard's six columns. Normalized is the
// mean of its parts' normalised scores (0–100); Raw is the mean of their
// raw scores (0–1), the figure lm-eval-style tables would show for it.
type V2Benchmark struct {
	Name       string   `json:"name"`
	Raw        float64  `json:"raw"`
	Normalized float64  `json:"normalized"`
	Parts      []V2Part `json:"parts"`
}

// LeaderboardV2 is the normalised view of one run. Average is the plain
// mean of the six benchmarks' normalised scores, present only when all six
// are; Missing names the benchmarks the run lacks (or lacks a part of).
type LeaderboardV2 struct {
	Benchmarks []V2Benchmark `json:"benchmarks"`
	Average    *float64      `json:"average"`
	Missing    []string      `json:"missing,omitempty"`
}

// v2Part names one input: a task (or group) metric with its random
// baseline; leaves, when set, are the subtasks a group averages by size, for
// runs that have them but not the group's row.
type v2Part struct {
	task, metric string
	lower        float64
	leaves       []string
}

type v2Bench struct {
	name  string
	parts []v2Part
}

func v2Benchmarks() []v2Bench {
	perSubtask := func(prefix string, choices map[string]int, metric string) []v2Part {
		names := make([]string, 0, len(choices))
		for n := range choices {
			names = append(names, n)
		}
		sort.Strings(names)
		out := make([]v2Part, len(names))
		for i, n := range names {
			out[i] = v2Part{task: prefix + n, metric: metric, lower: 1 / float64(choices[n])}
		}
		return out
	}
	return []v2Bench{
		{"IFEval", []v2Part{
			{task: "leaderboard_ifeval", metric: "inst_level_strict_acc,none"},
			{task: "leaderboard_ifeval", metric: "prompt_level_strict_acc,none"},
		}},
		{"BBH", perSubtask("leaderboard_bbh_", BBHNumChoices(), "acc_norm,none")},
		{"MATH Lvl 5", []v2Part{{task: "leaderboard_math_hard", metric: "exact_match,none", leaves: []string{
			"leaderboard_math_algebra_hard", "leaderboard_math_counting_and_prob_hard",
			"leaderboard_math_geometry_hard", "leaderboard_math_intermediate_algebra_hard",
			"leaderboard_math_num_theory_hard", "leaderboard_math_prealgebra_hard",
			"leaderboard_math_precalculus_hard",
		}}}},
		{"GPQA", []v2Part{{task: "leaderboard_gpqa", metric: "acc_norm,none", lower: 0.25, leaves: []string{
			"leaderboard_gpqa_diamond", "leaderboard_gpqa_extended", "leaderboard_gpqa_main",
		}}}},
		{"MuSR", perSubtask("leaderboard_musr_", MuSRNumChoices(), "acc_norm,none")},
		{"MMLU-Pro", []v2Part{{task: "leaderboard_mmlu_pro", metric: "acc,none", lower: 0.1}}},
	}
}

// NormalizeLeaderboardV2 computes the leaderboard's normalised scores from
// a run's results ("task" → "metric,filter" → value, as results.json's
// results and groups) and its documents per task (for a group whose row is
// missing but whose subtasks are there: their size-weighted mean, as the
// leaderboard's group scores are). It returns nil when the run has none of
// the six benchmarks.
func NormalizeLeaderboardV2(results map[string]map[string]any, docs map[string]int) *LeaderboardV2 {
	value := func(task, metric string) (float64, bool) {
		v, ok := results[task][metric].(float64)
		return v, ok && !math.IsNaN(v)
	}
	out := &LeaderboardV2{}
	complete := 0
	for _, b := range v2Benchmarks() {
		bench := V2Benchmark{Name: b.name}
		ok := true
		for _, p := range b.parts {
			raw, found := value(p.task, p.metric)
			if !found && p.leaves != nil {
				raw, found = micro(p.leaves, p.metric, value, docs)
			}
			if !found {
				ok = false
				continue
			}
			bench.Parts = append(bench.Parts, V2Part{Task: p.task, Metric: p.metric, Raw: raw, Lower: p.lower, Normalized: NormalizeWithinRange(raw, p.lower)})
		}
		if len(bench.Parts) == 0 {
			out.Missing = append(out.Missing, b.name)
			continue
		}
		if !ok {
			// A partial BBH or MuSR is not the leaderboard's figure.
			out.Missing = append(out.Missing, b.name)
			continue
		}
		var raw, norm float64
		for _, p := range bench.Parts {
			raw += p.Raw
			norm += p.Normalized
		}
		bench.Raw = raw / float64(len(bench.Parts))
		bench.Normalized = norm / float64(len(bench.Parts))
		out.Benchmarks = append(out.Benchmarks, bench)
		complete++
	}
	if complete == 0 {
		return nil
	}
	if len(out.Missing) == 0 {
		var s float64
		for _, b := range out.Benchmarks {
			s += b.Normalized
		}
		avg := s / float64(len(out.Benchmarks))
		out.Average = &avg
	}
	return out
}

// micro is the size-weighted mean of the leaves' metric; false unless every
// leaf has it and a document count.
func micro(leaves []string, metric string, value func(string, string) (float64, bool), docs map[string]int) (float64, bool) {
	var s float64
	n := 0
	for _, l := range leaves {
		v, ok := value(l, metric)
		d := docs[l]
		if !ok || d <= 0 {
			return 0, false
		}
		s += v * float64(d)
		n += d
	}
	return s / float64(n), true
}
