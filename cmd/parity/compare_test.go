package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parity-eval/parity/runner/openai/openaitest"
)

// These tests run parity compare and parity gate as a user would: on real
// parity runs against the loopback server, on copies of them with scores
// changed per document, and on the lm-eval fixture of the compare package.

// evalArgs is a run of arc_challenge (0-shot) and gsm8k on 80 documents each.
func evalArgs(t *testing.T, url, cacheDir, out string, extra ...string) []string {
	return append([]string{"run", "--model-url", url, "--model", "test-model",
		"--tasks", "arc_challenge,gsm8k", "--num-fewshot", "0", "--limit", "80",
		"--data-dir", hubDir(t), "--cache", filepath.Join(cacheDir, "cache.db"),
		"--output", out, "--progress", "none"}, extra...)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// setScores rewrites up to n documents of a task whose metric is from to
// to in dir's samples file, and the task's score in results.json to match:
// a stand-in for a model that answers those documents differently. It
// returns how many documents it changed.
func setScores(t *testing.T, dir, task, metric string, from, to float64, n int) int {
	t.Helper()
	path := filepath.Join(dir, "samples_"+task+".jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	changed, total, sum := 0, 0, 0.0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if m["filter"] == "none" || m["filter"] == nil {
			if v, ok := m[metric].(float64); ok && v == from && changed < n {
				m[metric] = to
				changed++
			}
			total++
			sum += m[metric].(float64)
		}
		b, _ := json.Marshal(m)
		out.Write(append(b, '\n'))
	}
	f.Close()
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rpath := filepath.Join(dir, "results.json")
	b, err := os.ReadFile(rpath)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	res["results"].(map[string]any)[task].(map[string]any)[metric+",none"] = sum / float64(total)
	b, _ = json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(rpath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return changed
}

type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return d
}

func TestCompareAndGateRealRuns(t *testing.T) {
	srv := newServer(t, openaitest.Options{})
	dir := t.TempDir()
	ctx := context.Background()
	base, same := filepath.Join(dir, "base"), filepath.Join(dir, "same")
	for _, out := range []string{base, same} {
		if r := runParity(t, ctx, nil, evalArgs(t, srv.URL(), dir, out)...); r.code != 0 {
			t.Fatalf("parity run exited %d:\n%s", r.code, r.stderr)
		}
	}

	// The same answers twice: full recovery, nothing flipped, no evidence.
	r := runParity(t, ctx, nil, "compare", base, same, "--format", "json")
	if r.code != 0 {
		t.Fatalf("compare exited %d:\n%s", r.code, r.stderr)
	}
	var rep struct {
		Tables []struct {
			Suite       string
			Rows        []struct{ Recovery float64 }
			Comparisons []struct {
				Columns []struct {
					ID           string
					Paired       bool
					Docs         int
					RightToWrong *int `json:"right_to_wrong"`
					WrongToRight *int `json:"wrong_to_right"`
					Test         string
					P            float64
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(rep.Tables) != 1 || rep.Tables[0].Suite != "tasks" || rep.Tables[0].Rows[1].Recovery != 100 {
		t.Fatalf("comparison of identical runs: %s", r.stdout)
	}
	for _, c := range rep.Tables[0].Comparisons[0].Columns {
		if !c.Paired || c.Docs != 80 || c.RightToWrong == nil || *c.RightToWrong != 0 || *c.WrongToRight != 0 || c.Test != "mcnemar" || c.P != 1 {
			t.Errorf("%s: %+v", c.ID, c)
		}
	}

	junit, summary := filepath.Join(dir, "gate.xml"), filepath.Join(dir, "gate.md")
	r = runParity(t, ctx, nil, "gate", "--baseline", base, "--candidate", same, "--junit", junit, "--summary", summary)
	if r.code != 0 || !strings.Contains(r.stdout, "## parity gate: PASS") || !strings.Contains(r.stderr, "PASS") {
		t.Fatalf("gate of identical runs exited %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(summary); string(b) != r.stdout {
		t.Errorf("--summary file differs from stdout:\n%s", b)
	}
	if d := readJUnit(t, junit); d.Tests != 3 || d.Failures != 0 {
		t.Errorf("junit of a pass: %+v", d)
	}

	// A candidate that got documents wrong the baseline got right.
	worse := filepath.Join(dir, "worse")
	copyDir(t, same, worse)
	if n := setScores(t, worse, "arc_challenge", "acc_norm", 1, 0, 12); n < 8 {
		t.Fatalf("the test model gets only %d of 80 arc_challenge documents right; the test needs 8", n)
	}
	r = runParity(t, ctx, nil, "gate", "--baseline", base, "--candidate", worse, "--junit", junit)
	if r.code != 1 || !strings.Contains(r.stdout, "## parity gate: REGRESSED") || !strings.Contains(r.stderr, "REGRESSED") {
		t.Fatalf("gate of a regressed run exited %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	d := readJUnit(t, junit)
	var failed []string
	for _, c := range d.Suites[0].Cases {
		if c.Failure != nil {
			failed = append(failed, c.Name)
		}
	}
	if strings.Join(failed, ",") != "Average (suite),arc_challenge" {
		t.Errorf("failed test cases %v", failed)
	}
	// The same drop on few documents is within noise: the gate passes.
	few := filepath.Join(dir, "few")
	copyDir(t, same, few)
	setScores(t, few, "arc_challenge", "acc_norm", 1, 0, 2)
	r = runParity(t, ctx, nil, "gate", "--baseline", base, "--candidate", few)
	if r.code != 0 || !strings.Contains(r.stdout, "within noise") {
		t.Errorf("gate of a drop within noise exited %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// --max-drop cannot make noise a regression either…
	r = runParity(t, ctx, nil, "gate", "--baseline", base, "--candidate", few, "--min-recovery", "0", "--bootstrap", "0", "--max-drop", "arc_challenge=0.5")
	if r.code != 0 {
		t.Errorf("gate with --max-drop on noise exited %d:\n%s", r.code, r.stdout)
	}
	// …but without samples to test it, the threshold alone decides.
	for _, task := range []string{"arc_challenge", "gsm8k"} {
		os.Remove(filepath.Join(few, "samples_"+task+".jsonl"))
	}
	r = runParity(t, ctx, nil, "gate", "--baseline", base, "--candidate", few, "--min-recovery", "0", "--max-drop", "arc_challenge=0.5")
	if r.code != 1 || !strings.Contains(r.stdout, "no per-document samples on both sides") {
		t.Errorf("gate of an untestable drop exited %d:\n%s", r.code, r.stdout)
	}

	// Different few-shot counts are not comparable: exit 2, saying why.
	shots := filepath.Join(dir, "shots")
	if r := runParity(t, ctx, nil, evalArgs(t, srv.URL(), dir, shots, "--num-fewshot", "1")...); r.code != 0 {
		t.Fatalf("parity run exited %d:\n%s", r.code, r.stderr)
	}
	r = runParity(t, ctx, nil, "gate", "--baseline", base, "--candidate", shots)
	if r.code != 2 || !strings.Contains(r.stderr, "n-shot: baseline 0, candidate 1") || !strings.Contains(r.stderr, "--allow-mismatch") {
		t.Errorf("gate of incomparable runs exited %d:\n%s", r.code, r.stderr)
	}
	r = runParity(t, ctx, nil, "compare", base, shots, "--allow-mismatch", "--format", "markdown")
	if r.code != 0 || !strings.Contains(r.stdout, "Compared despite these differences") {
		t.Errorf("compare --allow-mismatch exited %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// run --gate-baseline: evaluate (from the cache) and gate in one go.
	better := filepath.Join(dir, "better")
	copyDir(t, base, better)
	setScores(t, better, "arc_challenge", "acc_norm", 0, 1, 15)
	nightly := filepath.Join(dir, "nightly")
	r = runParity(t, ctx, nil, evalArgs(t, srv.URL(), dir, nightly, "--gate-baseline", better, "--junit", junit)...)
	if r.code != 1 || !strings.Contains(r.stdout, "REGRESSED") || !strings.Contains(r.stdout, "|Tasks") {
		t.Errorf("run --gate-baseline against a better baseline exited %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(nightly, "results.json")); err != nil {
		t.Errorf("the gated run kept no results: %v", err)
	}
	r = runParity(t, ctx, nil, evalArgs(t, srv.URL(), dir, nightly, "--gate-baseline", base)...)
	if r.code != 0 || !strings.Contains(r.stdout, "PASS") {
		t.Errorf("run --gate-baseline against itself exited %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runParity(t, ctx, nil, evalArgs(t, srv.URL(), dir, nightly, "--gate-baseline", filepath.Join(dir, "nowhere"))...)
	if r.code != 2 || !strings.Contains(r.stderr, "--gate-baseline") || strings.Contains(r.stderr, "requests") {
		t.Errorf("run with a missing gate baseline exited %d (it must refuse before running):\n%s", r.code, r.stderr)
	}
}

// TestCompareLMEvalFiles reads the compare package's lm-eval fixture: an
// lm-eval v0.4.5 output folder as the baseline, a parity folder as the
// candidate.
func TestCompareLMEvalFiles(t *testing.T) {
	ctx := context.Background()
	fixture := filepath.Join("..", "..", "compare", "testdata", "lmeval")
	base, cand := filepath.Join(fixture, "base"), filepath.Join(fixture, "cand-parity")
	r := runParity(t, ctx, nil, "compare", "--format", "csv", "--bootstrap", "500", base, cand)
	if r.code != 0 {
		t.Fatalf("compare exited %d:\n%s", r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, row := range rows[1:] {
		if row[2] == "candidate" {
			cols = append(cols, row[3])
		}
	}
	if strings.Join(cols, ",") != "arc_challenge,gsm8k,mmlu,average" {
		t.Errorf("candidate rows %v", cols)
	}
	r = runParity(t, ctx, nil, "compare", base, cand, "--labels", "BF16,W4A16", "--metric", "gsm8k=exact_match,flexible-extract", "--suite", "openllm")
	if r.code != 0 || !strings.Contains(r.stdout, "W4A16 vs BF16") || !strings.Contains(r.stdout, "partial suite") {
		t.Errorf("compare with labels, metric and suite exited %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestCompareAndGateUsage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", dir}, "need a baseline and at least one candidate"},
		{[]string{"compare", filepath.Join(dir, "missing"), dir}, "no such file"},
		{[]string{"compare", dir, dir}, "no results.json"},
		{[]string{"compare", "--format", "xml", dir, dir}, "--format"},
		{[]string{"compare", "--metric", "gsm8k", dir, dir}, "TASK=METRIC,FILTER"},
		{[]string{"gate", "--baseline", dir}, "--candidate are required"},
		{[]string{"gate", "--baseline", dir, "--candidate", dir, "--max-drop", "gsm8k"}, "TASK=POINTS"},
		{[]string{"gate", "--baseline", dir, "--candidate", dir, "--alpha", "2"}, "--alpha"},
	} {
		r := runParity(t, ctx, nil, tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("parity %q exited %d, want 2 with %q:\n%s", tt.args, r.code, tt.want, r.stderr)
		}
	}
}
