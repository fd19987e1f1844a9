package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLeaderboardV2RoundTrip: the V2 view is stored in results.json's
// parity block and printed after the summary table.
func TestLeaderboardV2RoundTrip(t *testing.T) {
	f := &File{
		Results: map[string]map[string]any{
			"leaderboard_mmlu_pro": {"acc,none": 0.46, "alias": "leaderboard_mmlu_pro"},
			"gsm8k":                {"exact_match,strict-match": 0.5},
		},
		NSamples: map[string]NSamples{"leaderboard_mmlu_pro": {Original: 12032, Effective: 12032}},
	}
	f.Parity.LeaderboardV2 = f.LeaderboardV2()
	if f.Parity.LeaderboardV2 == nil {
		t.Fatal("no V2 view")
	}
	dir := t.TempDir()
	if err := Write(dir, f); err != nil {
		t.Fatal(err)
	}
	back, err := Read(dir + "/results.json")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.Parity.LeaderboardV2, back.Parity.LeaderboardV2); diff != "" {
		t.Errorf("round trip (-written +read):\n%s", diff)
	}
	var out bytes.Buffer
	if err := WriteTable(&out, back); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"|MMLU-Pro  |0.4600|     40.00|", "no average: missing IFEval, BBH, MATH Lvl 5, GPQA, MuSR"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	f.Results = map[string]map[string]any{"gsm8k": {"exact_match,strict-match": 0.5}}
	f.Parity.LeaderboardV2 = nil
	out.Reset()
	WriteTable(&out, f)
	if strings.Contains(out.String(), "Leaderboard V2") {
		t.Errorf("a V1 run prints a V2 table:\n%s", out.String())
	}
}
