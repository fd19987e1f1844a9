package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parity-eval/parity/runner/openai/openaitest"
	"github.com/parity-eval/parity/scoring"
)

// TestSuiteLeaderboardV2 runs the V2 suite on 3 docs per task against the
// loopback server, in the paper's chat multiturn mode: every V2 task in
// tasks.yaml plus IFEval (metadata.also_run) runs, and results.json and the
// summary carry the raw and normalised leaderboard scores of all six.
func TestSuiteLeaderboardV2(t *testing.T) {
	srv := newServer(t, openaitest.Options{MaxModelLen: 32768})
	dir := t.TempDir()
	r := runParity(t, context.Background(), []string{"HF_HOME=" + t.TempDir()}, "run", "--model-url", srv.URL(), "--model", "test-model",
		"--suite", "leaderboard-v2", "--limit", "3", "--data-dir", hubDir(t), "--cache", filepath.Join(dir, "cache.db"),
		"--output", filepath.Join(dir, "out"), "--progress", "none",
		"--apply-chat-template", "--chat-template", chatTemplate(t), "--fewshot-as-multiturn")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Results map[string]map[string]any `json:"results"`
		Groups  map[string]map[string]any `json:"groups"`
		Parity  struct {
			LeaderboardV2 *scoring.LeaderboardV2 `json:"leaderboard_v2"`
		} `json:"parity"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	n := 0
	for task := range res.Results {
		if strings.HasPrefix(task, "leaderboard_") {
			n++
		}
	}
	// 24 BBH + 3 GPQA + 7 MATH + 3 MuSR + MMLU-Pro + IFEval tasks, 4 group rows.
	if n != 39+4 {
		t.Errorf("%d leaderboard_ rows in results, want 43", n)
	}
	if _, ok := res.Groups["leaderboard_math_hard"]["exact_match,none"]; !ok {
		t.Errorf("groups.leaderboard_math_hard: %v", res.Groups["leaderboard_math_hard"])
	}
	for _, g := range []string{"leaderboard_bbh", "leaderboard_gpqa", "leaderboard_musr"} {
		if _, ok := res.Groups[g]["acc_norm,none"]; !ok {
			t.Errorf("groups.%s: %v", g, res.Groups[g])
		}
	}
	v2 := res.Parity.LeaderboardV2
	if v2 == nil {
		t.Fatal("results.json has no parity.leaderboard_v2")
	}
	var names []string
	for _, bm := range v2.Benchmarks {
		names = append(names, bm.Name)
		if bm.Normalized < 0 || bm.Normalized > 100 || bm.Raw < 0 || bm.Raw > 1 {
			t.Errorf("%s: raw %v, normalised %v", bm.Name, bm.Raw, bm.Normalized)
		}
	}
	want := []string{"IFEval", "BBH", "MATH Lvl 5", "GPQA", "MuSR", "MMLU-Pro"}
	if !slices.Equal(names, want) || len(v2.Missing) > 0 || v2.Average == nil {
		t.Errorf("benchmarks %q (want %q), missing %q, average %v", names, want, v2.Missing, v2.Average)
	}
	if !strings.Contains(r.stdout, "Open LLM Leaderboard V2") || !strings.Contains(r.stdout, "|MMLU-Pro  |") {
		t.Errorf("summary lacks the V2 table:\n%s", r.stdout)
	}
}

// TestGPQAZip: with --gpqa-zip, GPQA is read from the authors' encrypted
// dataset.zip, so a mirror without the gated dataset still runs it.
func TestGPQAZip(t *testing.T) {
	hub := hubDir(t)
	mirror := t.TempDir()
	ents, err := os.ReadDir(hub)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() && e.Name() != "Idavidrein" {
			if err := os.Symlink(filepath.Join(hub, e.Name()), filepath.Join(mirror, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	zipPath := filepath.Join(filepath.Dir(hub), "gpqa", "dataset.zip")
	srv := newServer(t, openaitest.Options{})
	args := func(extra ...string) []string {
		return append([]string{"run", "--model-url", srv.URL(), "--model", "test-model", "--tasks", "leaderboard_gpqa", "--limit", "2",
			"--data-dir", mirror, "--offline", "--no-cache", "--output", filepath.Join(t.TempDir(), "out"), "--progress", "none"}, extra...)
	}
	env := []string{"HF_HOME=" + t.TempDir()}
	if r := runParity(t, context.Background(), env, args()...); r.code == 0 {
		t.Fatalf("GPQA ran without the mirror or the zip:\n%s", r.stdout)
	}
	r := runParity(t, context.Background(), env, args("--gpqa-zip", zipPath)...)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "leaderboard_gpqa_main") || !strings.Contains(r.stdout, "|GPQA") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
}
