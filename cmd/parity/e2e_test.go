package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/parity-eval/parity/internal/shareddata"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/runner/cache"
	"github.com/parity-eval/parity/runner/openai/openaitest"
)

// These tests build the parity binary and run it, as a user would, against a
// loopback server that speaks vLLM's OpenAI protocol, on the real datasets of
// ../shared/data/hub.

var parityBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parity-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	parityBin = filepath.Join(dir, "parity")
	build := exec.Command("go", "build", "-o", parityBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building parity:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hubDir is the Hub-layout mirror of the real datasets; its absence is a
// failure, never a skip.
func hubDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(shareddata.Dir(t, "hub", "allenai", "ai2_arc"), "hub")
}

type result struct {
	code           int
	stdout, stderr string
}

func runParity(t *testing.T, ctx context.Context, env []string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(ctx, parityBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running parity: %v", err)
	}
	return result{code, out.String(), errb.String()}
}

// runArgs is a standard run of both foundation tasks.
func runArgs(t *testing.T, url, dir string, extra ...string) []string {
	return append([]string{"run", "--model-url", url, "--model", "test-model",
		"--tasks", "arc_challenge,gsm8k", "--num-fewshot", "3", "--limit", "12",
		"--data-dir", hubDir(t), "--cache", filepath.Join(dir, "cache.db"),
		"--output", filepath.Join(dir, "out"), "--progress", "plain"}, extra...)
}

func newServer(t *testing.T, opts openaitest.Options) *openaitest.Server {
	t.Helper()
	if opts.Model == "" {
		opts.Model = "test-model"
	}
	s := openaitest.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// scores is what must not change between runs: the metric values and every
// sample line but the timing-free fields are compared.
type scores struct {
	Results map[string]map[string]any
	Samples map[string]string
}

func readScores(t *testing.T, out string) scores {
	t.Helper()
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
	s := scores{Results: f.Results, Samples: map[string]string{}}
	for _, task := range []string{"arc_challenge", "gsm8k"} {
		b, err := os.ReadFile(filepath.Join(out, "samples_"+task+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		s.Samples[task] = string(b)
	}
	return s
}

func TestRunWritesResultsAndSecondRunIsCached(t *testing.T) {
	srv := newServer(t, openaitest.Options{})
	dir := t.TempDir()
	ctx := context.Background()
	r := runParity(t, ctx, nil, runArgs(t, srv.URL(), dir)...)
	if r.code != 0 {
		t.Fatalf("parity run exited %d:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"arc_challenge", "acc_norm", "gsm8k", "strict-match", "flexible-extract"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary table lacks %q:\n%s", want, r.stdout)
		}
	}
	first := readScores(t, filepath.Join(dir, "out"))
	for _, key := range []string{"acc,none", "acc_stderr,none", "acc_norm,none", "acc_norm_stderr,none"} {
		if _, ok := first.Results["arc_challenge"][key]; !ok {
			t.Errorf("results.arc_challenge lacks %q", key)
		}
	}
	for _, key := range []string{"exact_match,strict-match", "exact_match,flexible-extract"} {
		if _, ok := first.Results["gsm8k"][key]; !ok {
			t.Errorf("results.gsm8k lacks %q", key)
		}
	}
	if n := strings.Count(first.Samples["arc_challenge"], "\n"); n != 12 {
		t.Errorf("samples_arc_challenge.jsonl has %d lines; want 12", n)
	}
	if n := strings.Count(first.Samples["gsm8k"], "\n"); n != 24 {
		t.Errorf("samples_gsm8k.jsonl has %d lines; want 24 (two filters per doc)", n)
	}
	sent := srv.Requests()
	if sent.Completions == 0 {
		t.Fatal("the first run sent no completions")
	}

	srv.ResetRequests()
	r = runParity(t, ctx, nil, runArgs(t, srv.URL(), dir)...)
	if r.code != 0 {
		t.Fatalf("second parity run exited %d:\n%s", r.code, r.stderr)
	}
	if got := srv.Requests(); got.Completions+got.ChatCompletions+got.Tokenize+got.Models+got.Other != 0 {
		t.Errorf("the repeated run reached the server: %+v", got)
	}
	if d := cmp.Diff(first, readScores(t, filepath.Join(dir, "out"))); d != "" {
		t.Errorf("cached run differs (-first +second):\n%s", d)
	}
}

func TestRunSurvivesServerFaults(t *testing.T) {
	ctx := context.Background()
	clean := newServer(t, openaitest.Options{})
	cleanDir := t.TempDir()
	if r := runParity(t, ctx, nil, runArgs(t, clean.URL(), cleanDir)...); r.code != 0 {
		t.Fatalf("clean run exited %d:\n%s", r.code, r.stderr)
	}
	want := readScores(t, filepath.Join(cleanDir, "out"))

	for _, tc := range []struct {
		name   string
		faults openaitest.Faults
	}{
		{"500s", openaitest.Faults{Path: "/v1/completions", Status: 500, Count: 3}},
		{"429 with Retry-After", openaitest.Faults{Path: "/v1/completions", Status: 429, Count: 2, RetryAfter: "1"}},
		{"dropped connections", openaitest.Faults{Path: "/v1/completions", Drop: 2}},
		{"truncated JSON", openaitest.Faults{Path: "/v1/completions", Truncate: 2}},
		{"slow answers", openaitest.Faults{Delay: 30 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, openaitest.Options{})
			srv.InjectFaults(tc.faults)
			dir := t.TempDir()
			start := time.Now()
			r := runParity(t, ctx, nil, runArgs(t, srv.URL(), dir, "--concurrency", "2")...)
			if r.code != 0 {
				t.Fatalf("parity run exited %d:\n%s", r.code, r.stderr)
			}
			if tc.faults.RetryAfter != "" && time.Since(start) < time.Second {
				t.Errorf("run took %s; Retry-After: 1 was not honoured", time.Since(start))
			}
			if d := cmp.Diff(want, readScores(t, filepath.Join(dir, "out"))); d != "" {
				t.Errorf("results under faults differ from a clean run (-clean +faulty):\n%s", d)
			}
		})
	}
}

func TestKilledRunResumesWithOnlyWhatIsMissing(t *testing.T) {
	ctx := context.Background()
	clean := newServer(t, openaitest.Options{})
	cleanDir := t.TempDir()
	if r := runParity(t, ctx, nil, runArgs(t, clean.URL(), cleanDir)...); r.code != 0 {
		t.Fatalf("clean run exited %d:\n%s", r.code, r.stderr)
	}
	want := readScores(t, filepath.Join(cleanDir, "out"))
	cleanCache, err := cache.Open(ctx, filepath.Join(cleanDir, "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	total, err := cleanCache.Len(ctx)
	cleanCache.Close()
	if err != nil {
		t.Fatal(err)
	}

	srv := newServer(t, openaitest.Options{RecordPrompts: true})
	srv.InjectFaults(openaitest.Faults{Delay: 40 * time.Millisecond})
	dir := t.TempDir()
	cmd := exec.Command(parityBin, runArgs(t, srv.URL(), dir, "--concurrency", "2", "--batch-size", "4")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for srv.Requests().Completions < 6 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the run made no progress:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	c, err := cache.Open(ctx, filepath.Join(dir, "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	kept, err := c.Len(ctx)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	if kept == 0 || kept >= total {
		t.Fatalf("after kill -9 the cache holds %d of %d responses; want some but not all", kept, total)
	}

	srv.InjectFaults(openaitest.Faults{})
	srv.ResetRequests()
	r := runParity(t, ctx, nil, runArgs(t, srv.URL(), dir)...)
	if r.code != 0 {
		t.Fatalf("resumed run exited %d:\n%s", r.code, r.stderr)
	}
	// Apart from the start-up check's probes, exactly what was missing is sent.
	got := 0
	for _, p := range srv.Requests().Prompts {
		if !strings.Contains(p, "The quick brown fox") {
			got++
		}
	}
	if wantSent := total - kept; got != wantSent {
		t.Errorf("resumed run sent %d prompts; want %d (the %d of %d not cached)", got, wantSent, total-kept, total)
	}
	if d := cmp.Diff(want, readScores(t, filepath.Join(dir, "out"))); d != "" {
		t.Errorf("resumed results differ from an uninterrupted run (-uninterrupted +resumed):\n%s", d)
	}
	t.Logf("killed with %d of %d responses cached; the resumed run sent the other %d", kept, total, total-kept)
}

func TestInterruptKeepsWorkAndExits130(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, openaitest.Options{})
	srv.InjectFaults(openaitest.Faults{Delay: 40 * time.Millisecond})
	dir := t.TempDir()
	cmd := exec.Command(parityBin, runArgs(t, srv.URL(), dir, "--concurrency", "1", "--batch-size", "4")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for srv.Requests().Completions < 4 {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitCanceled {
		t.Fatalf("exit = %v; want %d\n%s", err, exitCanceled, stderr.String())
	}
	if !strings.Contains(stderr.String(), "run the same command again to resume") {
		t.Errorf("stderr does not say how to resume:\n%s", stderr.String())
	}
	c, err := cache.Open(ctx, filepath.Join(dir, "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, _ := c.Len(ctx); n == 0 {
		t.Error("nothing was cached before the interrupt")
	}
}

func TestAPIKeyIsNeverWritten(t *testing.T) {
	const key = "sk-parity-secret-4f1c2e"
	srv := newServer(t, openaitest.Options{APIKey: key})
	dir := t.TempDir()
	r := runParity(t, context.Background(), []string{"PARITY_TEST_KEY=" + key},
		runArgs(t, srv.URL(), dir, "--api-key-env", "PARITY_TEST_KEY")...)
	if r.code != 0 {
		t.Fatalf("parity run exited %d:\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, key) {
		t.Error("the API key appears in parity's output")
	}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("the API key is written in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// And without the key the server refuses, with a clear message.
	r = runParity(t, context.Background(), []string{"PARITY_TEST_KEY="}, runArgs(t, srv.URL(), t.TempDir(), "--api-key-env", "PARITY_TEST_KEY")...)
	if r.code != exitFailed || !strings.Contains(r.stderr, "401") {
		t.Errorf("run without the key: exit %d, stderr:\n%s\nwant exit 1 naming the 401", r.code, r.stderr)
	}
}

func TestClearErrors(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, openaitest.Options{})
	badYAML := filepath.Join(t.TempDir(), "tasks.yaml")
	os.WriteFile(badYAML, []byte("tasks:\n  - task: x\n    version: \"1\"\n    output_type: multiple_choise\n"), 0o644)

	dead := openaitest.NewServer(openaitest.Options{Model: "test-model"})
	deadURL := dead.URL()
	dead.Close()

	noLogprobs := newServer(t, openaitest.Options{NoPromptLogprobs: true})

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"no model url", []string{"run", "--tasks", "gsm8k"}, exitUsage, []string{"--model-url is required"}},
		{"unknown task", []string{"run", "--model-url", srv.URL(), "--tasks", "arc_chalenge"}, exitUsage, []string{"arc_chalenge", "arc_challenge"}},
		{"bad tasks file", []string{"run", "--model-url", srv.URL(), "--tasks", "x", "--tasks-file", badYAML}, exitFailed, []string{badYAML + ":4", `task "x"`, "multiple_choise"}},
		{"dead server", runArgs(t, deadURL, t.TempDir(), "--max-retries", "1"), exitFailed, []string{"127.0.0.1"}},
		{"no prompt logprobs", runArgs(t, noLogprobs.URL(), t.TempDir(), "--tasks", "arc_challenge"), exitFailed, []string{"prompt logprobs"}},
		{"missing dataset split", runArgs(t, srv.URL(), t.TempDir(), "--offline", "--data-dir", t.TempDir()), exitFailed, []string{"allenai/ai2_arc", "ARC-Challenge"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runParity(t, ctx, []string{"HF_HOME=" + t.TempDir()}, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d; want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
			}
			for _, s := range tc.contains {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

func TestTasksListsRegistry(t *testing.T) {
	r := runParity(t, context.Background(), nil, "tasks")
	if r.code != 0 {
		t.Fatalf("parity tasks exited %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"arc_challenge", "gsm8k", "openllm", "suite"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("parity tasks output lacks %q:\n%s", want, r.stdout)
		}
	}
}
