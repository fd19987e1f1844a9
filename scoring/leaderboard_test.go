package scoring

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestNormalizeWithinRange(t *testing.T) {
	tests := []struct{ v, lower, want float64 }{
		{0.7, 0.5, 40},
		{0.4, 0.2, 25},
		{0.6, 1.0 / 3, 40}, // the docs' table rounds 1/3 to .333 and shows 40.03
		{0.2, 0.25, 0},     // below the baseline: clipped
		{0.5, 0, 50},
		{1, 0.1, 100},
	}
	for _, tt := range tests {
		if got := NormalizeWithinRange(tt.v, tt.lower); !cmp.Equal(got, tt.want, cmpopts.EquateApprox(0, 1e-12)) {
			t.Errorf("NormalizeWithinRange(%v, %v) = %v, want %v", tt.v, tt.lower, got, tt.want)
		}
	}
}

// TestNormalizeLeaderboardV2 works a whole run by hand (tasks.md §4.7):
// every BBH subtask at 0.5, MuSR the docs' worked example, GPQA from its
// three configs' rows (the group row absent), IFEval, MATH, MMLU-Pro.
func TestNormalizeLeaderboardV2(t *testing.T) {
	res := map[string]map[string]any{
		"leaderboard_ifeval":                 {"inst_level_strict_acc,none": 0.8, "prompt_level_strict_acc,none": 0.7},
		"leaderboard_math_hard":              {"exact_match,none": 0.25},
		"leaderboard_gpqa_diamond":           {"acc_norm,none": 54.0 / 198},
		"leaderboard_gpqa_extended":          {"acc_norm,none": 144.0 / 546},
		"leaderboard_gpqa_main":              {"acc_norm,none": 114.0 / 448},
		"leaderboard_musr_murder_mysteries":  {"acc_norm,none": 0.7},
		"leaderboard_musr_object_placements": {"acc_norm,none": 0.4},
		"leaderboard_musr_team_allocation":   {"acc_norm,none": 0.6},
		"leaderboard_mmlu_pro":               {"acc,none": 0.46},
	}
	// BBH: 0.5 everywhere. Two-choice subtasks normalise to 0, n-choice ones
	// to (0.5-1/n)/(1-1/n)*100.
	var bbhSum float64
	for name, n := range BBHNumChoices() {
		res["leaderboard_bbh_"+name] = map[string]any{"acc_norm,none": 0.5}
		l := 1 / float64(n)
		bbhSum += (0.5 - l) / (1 - l) * 100
	}
	docs := map[string]int{"leaderboard_gpqa_diamond": 198, "leaderboard_gpqa_extended": 546, "leaderboard_gpqa_main": 448}
	got := NormalizeLeaderboardV2(res, docs)
	if got == nil || got.Average == nil {
		t.Fatalf("got %+v, want all six benchmarks", got)
	}
	gpqaRaw := 312.0 / 1192 // the published micro average, .26174
	want := map[string][2]float64{
		"IFEval":     {0.75, 75},
		"BBH":        {0.5, bbhSum / 24},
		"MATH Lvl 5": {0.25, 25},
		"GPQA":       {gpqaRaw, (gpqaRaw - 0.25) / 0.75 * 100},
		"MuSR":       {(0.7 + 0.4 + 0.6) / 3, 35},
		"MMLU-Pro":   {0.46, 40},
	}
	gotBench := map[string][2]float64{}
	var sum float64
	for _, b := range got.Benchmarks {
		gotBench[b.Name] = [2]float64{b.Raw, b.Normalized}
		sum += want[b.Name][1]
	}
	if diff := cmp.Diff(want, gotBench, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !cmp.Equal(*got.Average, sum/6, cmpopts.EquateApprox(0, 1e-9)) {
		t.Errorf("average %v, want %v", *got.Average, sum/6)
	}

	// A run without MATH: no average, MATH named as missing.
	delete(res, "leaderboard_math_hard")
	part := NormalizeLeaderboardV2(res, docs)
	if part.Average != nil || !cmp.Equal(part.Missing, []string{"MATH Lvl 5"}) {
		t.Errorf("partial run: average %v, missing %q", part.Average, part.Missing)
	}
	if NormalizeLeaderboardV2(map[string]map[string]any{"gsm8k": {"exact_match,strict-match": 0.5}}, nil) != nil {
		t.Error("a run with no V2 task has a V2 view")
	}
}
