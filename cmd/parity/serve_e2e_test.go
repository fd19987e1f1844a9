package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests run parity against its own model server (package serve) on
// a real model file, stories260K (../shared/data/models), trained on a
// context of 512 tokens: ARC Challenge 0-shot is scored by log-likelihood,
// GSM8K 0-shot is generated.

func storiesModel(t *testing.T) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(hubDir(t)), "models", "stories260K.gguf")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("model missing: %v", err)
	}
	return p
}

func storiesRunArgs(t *testing.T, url, dir string) []string {
	return []string{"run", "--model-url", url, "--tasks", "arc_challenge,gsm8k",
		"--num-fewshot", "0", "--limit", "3", "--data-dir", hubDir(t),
		"--cache", filepath.Join(dir, "cache.db"), "--output", filepath.Join(dir, "out"), "--progress", "none"}
}

// TestRunInProcessAndAgainstServe evaluates stories260K in process
// (--model-url gguf:) and through `parity serve` over HTTP: both must
// succeed, score both tasks, and write the same results and samples.
func TestRunInProcessAndAgainstServe(t *testing.T) {
	model := storiesModel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	inDir := t.TempDir()
	r := runParity(t, ctx, nil, storiesRunArgs(t, "gguf:"+model+"?ctx=512", inDir)...)
	if r.code != 0 {
		t.Fatalf("in-process run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"arc_challenge", "acc_norm", "gsm8k", "exact_match"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("results table lacks %q:\n%s", want, r.stdout)
		}
	}
	inScores := readScores(t, filepath.Join(inDir, "out"))

	srv := exec.CommandContext(ctx, parityBin, "serve", "--model", model, "--ctx", "512", "--addr", "127.0.0.1:0")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var serr strings.Builder
	srv.Stderr = &serr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("parity serve said nothing: %v\n%s", err, serr.String())
	}
	m := regexp.MustCompile(`http://\S+/v1`).FindString(line)
	if m == "" {
		t.Fatalf("no URL in %q", line)
	}
	if resp, err := http.Get(strings.TrimSuffix(m, "/v1") + "/health"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("health: %v %v", resp, err)
	}

	httpDir := t.TempDir()
	r = runParity(t, ctx, nil, storiesRunArgs(t, m, httpDir)...)
	if r.code != 0 {
		t.Fatalf("run against parity serve: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	httpScores := readScores(t, filepath.Join(httpDir, "out"))
	if d := cmp.Diff(inScores.Results, httpScores.Results); d != "" {
		t.Errorf("results differ (-in-process +http):\n%s", d)
	}
	// The samples hold each request's raw answer: the same numbers and
	// texts either way.
	for task := range inScores.Samples {
		if d := cmp.Diff(strings.Split(inScores.Samples[task], "\n"), strings.Split(httpScores.Samples[task], "\n")); d != "" {
			t.Errorf("samples of %s differ (-in-process +http):\n%s", task, d)
		}
	}

	if err := srv.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("parity serve did not stop cleanly on SIGINT: %v\n%s", err, serr.String())
	}
}

// TestRunGGUFContextErrorsArePerDocument: GSM8K 5-shot does not fit
// stories260K's 512 tokens; each such document fails with a clear message,
// the run exits 1, and nothing crashes.
func TestRunGGUFContextErrorsArePerDocument(t *testing.T) {
	model := storiesModel(t)
	dir := t.TempDir()
	args := storiesRunArgs(t, "gguf:"+model+"?ctx=512", dir)
	args[4] = "gsm8k"
	for i, a := range args {
		if a == "--num-fewshot" {
			args[i+1] = "5"
		}
	}
	r := runParity(t, context.Background(), nil, args...)
	if r.code != 1 || !strings.Contains(r.stderr, "3 request(s) failed") || !strings.Contains(r.stderr, "do not fit the model's context of 512") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

func TestDemoWithModelFile(t *testing.T) {
	model := storiesModel(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := runParity(t, ctx, nil, "demo", "--model", model, "--ctx", "512", "--limit", "3",
		"--data-dir", hubDir(t), "--output", filepath.Join(dir, "demo"))
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"arc_challenge", "gsm8k", "Results: " + filepath.Join(dir, "demo", "results.json")} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "serving \"stories260K\" at http://127.0.0.1:") {
		t.Errorf("demo did not say where it served:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "demo", "samples_gsm8k.jsonl")); err != nil {
		t.Error(err)
	}
}

// TestDemoBuiltIn is the README's first command: `parity demo` with the
// model built into the binary, and nothing else.
func TestDemoBuiltIn(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r := runParity(t, ctx, nil, "demo", "--limit", "4", "--data-dir", hubDir(t), "--output", filepath.Join(dir, "demo"))
	if r.code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"arc_challenge", "acc_norm", "gsm8k", "exact_match", "Results: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, `loaded built-in demo model: "parity-demo"`) {
		t.Errorf("demo did not say which model it served:\n%s", r.stderr)
	}
}
