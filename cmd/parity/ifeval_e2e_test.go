package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parity-eval/parity/results"
	"github.com/parity-eval/parity/runner/openai/openaitest"
)

// TestIFEvalRun runs leaderboard_ifeval against the loopback server: the
// run completes, writes the four metrics and a samples line per doc, and a
// second run is answered from the cache with the same scores.
func TestIFEvalRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := newServer(t, openaitest.Options{})
	dir := t.TempDir()
	args := []string{"run", "--model-url", srv.URL(), "--model", "test-model", "--tasks", "leaderboard_ifeval", "--limit", "8",
		"--data-dir", hubDir(t), "--cache", filepath.Join(dir, "cache.db"), "--output", filepath.Join(dir, "out"), "--progress", "none", "--skip-check"}
	first := runParity(t, ctx, nil, args...)
	if first.code != 0 {
		t.Fatalf("exit %d\n%s", first.code, first.stderr)
	}
	for _, m := range []string{"prompt_level_strict_acc", "inst_level_strict_acc", "prompt_level_loose_acc", "inst_level_loose_acc"} {
		if !strings.Contains(first.stdout, m) {
			t.Errorf("table lacks %s:\n%s", m, first.stdout)
		}
	}
	f, err := results.Read(filepath.Join(dir, "out", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	row := f.Results["leaderboard_ifeval"]
	if _, ok := row["inst_level_loose_acc,none"].(float64); !ok || row["inst_level_loose_acc_stderr,none"] != "N/A" || f.NSamples["leaderboard_ifeval"].Effective != 8 {
		t.Errorf("results %v, n-samples %v", row, f.NSamples)
	}
	samples, err := results.ReadSamples(results.SamplesPath(filepath.Join(dir, "out"), "leaderboard_ifeval"))
	if err != nil || len(samples) != 8 {
		t.Fatalf("%d samples, %v", len(samples), err)
	}
	second := runParity(t, ctx, nil, args...)
	if second.code != 0 || second.stdout != first.stdout {
		t.Errorf("second run: exit %d, table\n%s\nfirst\n%s", second.code, second.stdout, first.stdout)
	}
	if !strings.Contains(second.stderr, "8 from cache") {
		t.Errorf("second run was not answered from the cache:\n%s", second.stderr)
	}
}

// TestIFEvalScore scores GPT-4's reference responses file with parity score
// and checks the four headline figures in the table and results.json.
func TestIFEvalScore(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ref := filepath.Join(hubDir(t), "..", "reference", "ifeval", "input_response_data_gpt4_20231107_145030.jsonl")
	out := filepath.Join(t.TempDir(), "out")
	res := runParity(t, ctx, nil, "score", "--task", "leaderboard_ifeval", "--predictions", ref, "--data-dir", hubDir(t), "--offline", "--output", out)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, want := range []string{"prompt_level_strict_acc|0.7708", "inst_level_strict_acc  |0.8369", "prompt_level_loose_acc |0.7967", "inst_level_loose_acc   |0.8561"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, res.stdout)
		}
	}
	if !strings.Contains(res.stderr, "(417/541)") || !strings.Contains(res.stderr, "(714/834)") {
		t.Errorf("stderr lacks the counts:\n%s", res.stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Results map[string]map[string]any `json:"results"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if got := f.Results["leaderboard_ifeval"]["prompt_level_strict_acc,none"]; got != 417.0/541 {
		t.Errorf("prompt_level_strict_acc %v", got)
	}

	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"key\": 1000, \"response\": \"x\"}\n{\"key\": 1000, \"response\": \"y\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runParity(t, ctx, nil, "score", "--task", "leaderboard_ifeval", "--predictions", bad, "--data-dir", hubDir(t), "--offline")
	if res.code != 1 || !strings.Contains(res.stderr, "predictions line 2") {
		t.Errorf("duplicate doc: exit %d, stderr %s", res.code, res.stderr)
	}
}
