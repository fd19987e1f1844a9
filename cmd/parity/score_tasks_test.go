package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScoreGenerativeRegistryTask(t *testing.T) {
	dir := t.TempDir()
	preds := filepath.Join(dir, "preds.jsonl")
	// Doc 0's gold is 18 (Janet's ducks), doc 1's is 3.
	os.WriteFile(preds, []byte(`{"doc_id": 0, "completion": " 16-3-4=9, 9*2=18\n#### 18"}
{"doc_id": 1, "response": "#### 4"}
`), 0o644)
	r := runParity(t, context.Background(), nil, "score", "--task", "gsm8k", "--predictions", preds, "--limit", "2",
		"--data-dir", hubDir(t), "--output", filepath.Join(dir, "out"))
	if r.code != 0 {
		t.Fatalf("parity score exited %d:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "strict-match    |      |exact_match|0.5000") {
		t.Errorf("want strict-match 0.5000 in:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "samples_gsm8k.jsonl")); err != nil {
		t.Error(err)
	}
	r = runParity(t, context.Background(), nil, "score", "--task", "arc_challenge", "--predictions", preds, "--data-dir", hubDir(t))
	if r.code != exitUsage || !strings.Contains(r.stderr, "only generative tasks") {
		t.Errorf("scoring a multiple-choice task: exit %d, %s", r.code, r.stderr)
	}
}
