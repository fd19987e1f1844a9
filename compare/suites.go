package compare

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/parity-eval/parity/scoring"
)

// A Suite is one of the paper's tables: the columns it shows and whether
// they are Open LLM Leaderboard V2-normalised. Its average is the plain mean
// of the column scores, as the paper and both leaderboards compute it.
type Suite struct {
	Name  string
	Title string
	// Normalised is true for the V2 table, whose columns are rescaled so
	// that random guessing scores 0 (tasks.md §4.7).
	Normalised bool
	Columns    []Column
}

// A Column is one task column of a suite. Variants are alternative task sets
// that fill it (the paper's Neural Magic task, or its upstream lm-eval
// successor); the first one a baseline has is used, and every other input
// must use the same one.
type Column struct {
	ID       string
	Title    string
	Variants []Variant
}

// A Variant is the components whose normalised scores, averaged with equal
// weight, make the column: IFEval averages two metrics of one task, BBH its
// 24 subtasks.
type Variant struct {
	Components []Component
}

// A Component is one metric of one task or group, rescaled as
// max(v−Lower, 0)/(1−Lower)·100 (Lower 0 is plain ×100).
type Component struct {
	Task   string
	Metric string // "metric,filter" as in results.json
	Lower  float64
	// Leaves are the subtasks a group averages (micro, over documents),
	// for files that have the subtasks but no group row or no
	// group_subtasks entry.
	Leaves []string
}

// Normalise rescales a raw score in [0, 1] to the table's 0–100 scale.
func (c Component) Normalise(v float64) float64 {
	return scoring.NormalizeWithinRange(v, c.Lower)
}

func one(task, metric string) []Variant {
	return []Variant{{Components: []Component{{Task: task, Metric: metric}}}}
}

// bbhChoices and musrChoices are the Open LLM Leaderboard's numbers of
// choices per subtask (tasks.md §4.7), kept in package scoring with the
// normalisation itself; 1/n is the random baseline it subtracts.
var (
	bbhChoices  = scoring.BBHNumChoices()
	musrChoices = scoring.MuSRNumChoices()
)

var mathHardLeaves = []string{
	"leaderboard_math_algebra_hard", "leaderboard_math_counting_and_prob_hard",
	"leaderboard_math_geometry_hard", "leaderboard_math_intermediate_algebra_hard",
	"leaderboard_math_num_theory_hard", "leaderboard_math_prealgebra_hard",
	"leaderboard_math_precalculus_hard",
}

var gpqaLeaves = []string{"leaderboard_gpqa_diamond", "leaderboard_gpqa_extended", "leaderboard_gpqa_main"}

func perSubtask(prefix string, choices map[string]int, metric string) []Variant {
	names := make([]string, 0, len(choices))
	for n := range choices {
		names = append(names, n)
	}
	sort.Strings(names)
	var cs []Component
	for _, n := range names {
		cs = append(cs, Component{Task: prefix + n, Metric: metric, Lower: 1 / float64(choices[n])})
	}
	return []Variant{{Components: cs}}
}

// Suites returns the built-in suites, in the order they are printed.
func Suites() []Suite {
	return []Suite{
		{
			Name:       "leaderboard",
			Title:      "Open LLM Leaderboard V2 (normalised scores)",
			Normalised: true,
			Columns: []Column{
				{ID: "leaderboard_ifeval", Title: "IFEval", Variants: []Variant{{Components: []Component{
					{Task: "leaderboard_ifeval", Metric: "inst_level_strict_acc,none"},
					{Task: "leaderboard_ifeval", Metric: "prompt_level_strict_acc,none"},
				}}}},
				{ID: "leaderboard_bbh", Title: "BBH", Variants: perSubtask("leaderboard_bbh_", bbhChoices, "acc_norm,none")},
				{ID: "leaderboard_math_hard", Title: "MATH Lvl 5", Variants: []Variant{{Components: []Component{
					{Task: "leaderboard_math_hard", Metric: "exact_match,none", Leaves: mathHardLeaves},
				}}}},
				{ID: "leaderboard_gpqa", Title: "GPQA", Variants: []Variant{{Components: []Component{
					{Task: "leaderboard_gpqa", Metric: "acc_norm,none", Lower: 0.25, Leaves: gpqaLeaves},
				}}}},
				{ID: "leaderboard_musr", Title: "MuSR", Variants: perSubtask("leaderboard_musr_", musrChoices, "acc_norm,none")},
				{ID: "leaderboard_mmlu_pro", Title: "MMLU-Pro", Variants: []Variant{{Components: []Component{
					{Task: "leaderboard_mmlu_pro", Metric: "acc,none", Lower: 0.1},
				}}}},
			},
		},
		{
			Name:  "leaderboard-v1",
			Title: "Open LLM Leaderboard V1 as the paper ran it (Llama 3.1 evals)",
			Columns: []Column{
				{ID: "mmlu_llama_3.1_instruct", Title: "MMLU 5-shot", Variants: append(
					one("mmlu_llama_3.1_instruct", "exact_match,multi_choice"),
					one("mmlu_llama", "exact_match,strict_match")...)},
				{ID: "mmlu_cot_0shot_llama_3.1_instruct", Title: "MMLU CoT 0-shot", Variants: append(
					one("mmlu_cot_0shot_llama_3.1_instruct", "exact_match,strict-match"),
					one("mmlu_cot_llama", "exact_match,strict_match")...)},
				{ID: "arc_challenge_llama_3.1_instruct", Title: "ARC-C 0-shot", Variants: append(
					one("arc_challenge_llama_3.1_instruct", "exact_match,multi_choice"),
					one("arc_challenge_llama", "exact_match,strict_match")...)},
				{ID: "gsm8k_cot_llama_3.1_instruct", Title: "GSM8K CoT 8-shot", Variants: append(append(
					one("gsm8k_cot_llama_3.1_instruct", "exact_match,strict-match"),
					one("gsm8k_cot_llama", "exact_match,strict-match")...),
					one("gsm8k_llama", "exact_match,strict_match")...)},
				{ID: "hellaswag", Title: "HellaSwag 10-shot", Variants: one("hellaswag", "acc_norm,none")},
				{ID: "winogrande", Title: "Winogrande 5-shot", Variants: one("winogrande", "acc,none")},
				{ID: "truthfulqa_mc2", Title: "TruthfulQA 0-shot", Variants: one("truthfulqa_mc2", "acc,none")},
			},
		},
		{
			Name:  "openllm",
			Title: "Open LLM Leaderboard V1",
			Columns: []Column{
				{ID: "arc_challenge", Title: "ARC-C 25-shot", Variants: one("arc_challenge", "acc_norm,none")},
				{ID: "hellaswag", Title: "HellaSwag 10-shot", Variants: one("hellaswag", "acc_norm,none")},
				{ID: "mmlu", Title: "MMLU 5-shot", Variants: one("mmlu", "acc,none")},
				{ID: "truthfulqa_mc2", Title: "TruthfulQA 0-shot", Variants: one("truthfulqa_mc2", "acc,none")},
				{ID: "winogrande", Title: "Winogrande 5-shot", Variants: one("winogrande", "acc,none")},
				{ID: "gsm8k", Title: "GSM8K 5-shot", Variants: one("gsm8k", "exact_match,strict-match")},
			},
		},
	}
}

// TasksSuite is the name of the table of tasks no other shown suite covers,
// each scored by its headline metric.
const TasksSuite = "tasks"

// headlines is the metric each known task is reported by: the Open LLM
// Leaderboard's choice for V1 (tasks.md §2) and V2 (§4), and the reported
// filter of the Llama 3.1 variants (§3).
var headlines = map[string]string{
	"arc_challenge":                     "acc_norm,none",
	"arc_easy":                          "acc_norm,none",
	"hellaswag":                         "acc_norm,none",
	"mmlu":                              "acc,none",
	"winogrande":                        "acc,none",
	"truthfulqa_mc1":                    "acc,none",
	"truthfulqa_mc2":                    "acc,none",
	"gsm8k":                             "exact_match,strict-match",
	"mmlu_llama_3.1_instruct":           "exact_match,multi_choice",
	"mmlu_cot_0shot_llama_3.1_instruct": "exact_match,strict-match",
	"arc_challenge_llama_3.1_instruct":  "exact_match,multi_choice",
	"gsm8k_cot_llama_3.1_instruct":      "exact_match,strict-match",
	"mmlu_llama":                        "exact_match,strict_match",
	"mmlu_cot_llama":                    "exact_match,strict_match",
	"arc_challenge_llama":               "exact_match,strict_match",
	"gsm8k_llama":                       "exact_match,strict_match",
	"gsm8k_cot_llama":                   "exact_match,strict-match",
	"gsm8k_cot":                         "exact_match,strict-match",
	"ifeval":                            "prompt_level_strict_acc,none",
	"leaderboard_ifeval":                "prompt_level_strict_acc,none",
	"leaderboard_mmlu_pro":              "acc,none",
}

// headlinePrefixes covers task families by name prefix (subtasks and groups).
var headlinePrefixes = []struct{ prefix, metric string }{
	{"leaderboard_bbh", "acc_norm,none"},
	{"leaderboard_gpqa", "acc_norm,none"},
	{"leaderboard_musr", "acc_norm,none"},
	{"leaderboard_math", "exact_match,none"},
	{"mmlu_llama_3.1_instruct", "exact_match,multi_choice"},
	{"mmlu_cot_0shot_llama_3.1_instruct", "exact_match,strict-match"},
	{"mmlu_", "acc,none"},
}

// Headline is the metric a task is reported by: the override if there is
// one, else the table above where the task has that metric (available nil
// means "assume it does"), else the first of its available metrics in sorted
// order, so that every task gets one; guessed says it was the last.
func Headline(task string, overrides map[string]string, available []string) (metric string, guessed bool) {
	if m, ok := overrides[task]; ok {
		return m, false
	}
	has := func(m string) bool { return available == nil || slices.Contains(available, m) }
	if m, ok := headlines[task]; ok && has(m) {
		return m, false
	}
	for _, p := range headlinePrefixes {
		if strings.HasPrefix(task, p.prefix) && has(p.metric) {
			return p.metric, false
		}
	}
	sorted := append([]string(nil), available...)
	sort.Strings(sorted)
	if len(sorted) > 0 {
		return sorted[0], true
	}
	return "", true
}

// ParseMetricOverride reads one --metric flag value, TASK=METRIC,FILTER.
func ParseMetricOverride(s string) (task, metric string, err error) {
	task, metric, ok := strings.Cut(s, "=")
	task, metric = strings.TrimSpace(task), strings.TrimSpace(metric)
	if !ok || task == "" || metric == "" {
		return "", "", fmt.Errorf("--metric %q: want TASK=METRIC,FILTER, e.g. gsm8k=exact_match,flexible-extract", s)
	}
	if !strings.Contains(metric, ",") {
		metric += ",none"
	}
	return task, metric, nil
}

// withOverrides returns s with every component's metric replaced where the
// user named its task.
func (s Suite) withOverrides(over map[string]string) Suite {
	if len(over) == 0 {
		return s
	}
	out := s
	out.Columns = make([]Column, len(s.Columns))
	for i, c := range s.Columns {
		nc := c
		nc.Variants = make([]Variant, len(c.Variants))
		for j, v := range c.Variants {
			comps := make([]Component, len(v.Components))
			for k, comp := range v.Components {
				if m, ok := over[comp.Task]; ok {
					comp.Metric = m
				}
				comps[k] = comp
			}
			nc.Variants[j] = Variant{Components: comps}
		}
		out.Columns[i] = nc
	}
	return out
}
