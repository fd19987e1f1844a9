package tasks

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSetMathScoring(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "tasks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := Parse("tasks.yaml", data, ParseOptions{BaseDir: repoRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	cfgs, err := reg.Resolve([]string{"leaderboard_math_algebra_hard", "gsm8k"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v1", "v3", "v2"} {
		changed, err := cfgs[0].SetMathScoring(v)
		if err != nil || !changed {
			t.Fatalf("SetMathScoring(%s) = %v, %v", v, changed, err)
		}
		want := map[string]string{"v1": "leaderboard_math.process_results_v1", "v2": "leaderboard_math.process_results", "v3": "leaderboard_math.process_results_v3"}[v]
		if cfgs[0].ProcessResults != want {
			t.Errorf("%s: ProcessResults = %q; want %q", v, cfgs[0].ProcessResults, want)
		}
	}
	if changed, err := cfgs[1].SetMathScoring("v1"); changed || err != nil {
		t.Errorf("gsm8k changed by SetMathScoring: %v, %v", changed, err)
	}
	if _, err := cfgs[0].SetMathScoring("v9"); err == nil {
		t.Error("an unknown version was accepted")
	}
}
