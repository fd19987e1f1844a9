package compare

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// golden compares got with testdata/golden/name; -update rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./compare -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-golden +got; go test ./compare -update rewrites it):\n%s", path, diff)
	}
}

func fixtureReport(t *testing.T) *Report {
	t.Helper()
	rep, err := Compare(loadFixturePair(t), Options{Resamples: 2000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := fixtureReport(t).Write(&b, "markdown"); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.md", b.Bytes())

	// The paper's V2 table for the 8B model, from its per-task scores.
	dir := t.TempDir()
	var runs []*Run
	for _, r := range paperV2[:4] {
		d := filepath.Join(dir, r.format)
		os.MkdirAll(d, 0o755)
		if err := os.WriteFile(filepath.Join(d, "results_"+paperDate+".json"), marshalFixture(t, paperFixture("leaderboard", r)), 0o644); err != nil {
			t.Fatal(err)
		}
		run, err := Load(d)
		if err != nil {
			t.Fatal(err)
		}
		run.Label = "8B " + r.format
		runs = append(runs, run)
	}
	rep, err := Compare(runs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep.Inputs = nil // temporary paths
	b.Reset()
	if err := rep.Write(&b, "markdown"); err != nil {
		t.Fatal(err)
	}
	golden(t, "paper_v2_8b.md", b.Bytes())
}

func fixtureVerdict(t *testing.T) *Verdict {
	t.Helper()
	v, err := Gate(fixtureReport(t), Thresholds{MinRecovery: 99, MinTaskRecovery: 97, MaxDrop: map[string]float64{"gsm8k": 1, "Average": 10}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGateGolden(t *testing.T) {
	v := fixtureVerdict(t)
	var md, x bytes.Buffer
	if err := v.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	golden(t, "gate.md", md.Bytes())
	if err := v.WriteJUnit(&x); err != nil {
		t.Fatal(err)
	}
	golden(t, "gate.junit.xml", x.Bytes())

	// The XML reads back as JUnit: one suite, a case per task and one for
	// the average, the regressions as failures.
	var doc junitSuites
	if err := xml.Unmarshal(x.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 4 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 4 || doc.Failures != 2 {
		t.Errorf("junit: %d tests, %d failures, suites %+v", doc.Tests, doc.Failures, doc.Suites)
	}
	var failed []string
	for _, c := range doc.Suites[0].Cases {
		if c.Failure != nil {
			failed = append(failed, c.Name)
		}
	}
	if diff := cmp.Diff([]string{"Average (suite)", "arc_challenge"}, failed); diff != "" {
		t.Errorf("failed cases (-want +got):\n%s", diff)
	}
}

func TestCSVAndJSON(t *testing.T) {
	rep := fixtureReport(t)
	var b bytes.Buffer
	if err := rep.Write(&b, "csv"); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// header, baseline's 3 columns and average, candidate's 3 and average
	if len(rows) != 9 {
		t.Fatalf("%d csv rows:\n%v", len(rows), rows)
	}
	head := map[string]int{}
	for i, h := range rows[0] {
		head[h] = i
	}
	arc := rows[5]
	if arc[head["column"]] != "arc_challenge" || arc[head["role"]] != "candidate" || arc[head["test"]] != "mcnemar" || arc[head["right_to_wrong"]] != "9" {
		t.Errorf("arc_challenge row %v", arc)
	}
	if arc[head["within_noise"]] != "false" || rows[6][head["within_noise"]] != "true" {
		t.Errorf("within_noise: arc %s gsm8k %s", arc[head["within_noise"]], rows[6][head["within_noise"]])
	}

	b.Reset()
	if err := rep.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, &back, cmpopts.EquateNaNs()); diff != "" {
		t.Errorf("JSON round trip (-report +read back):\n%s", diff)
	}
	if !strings.Contains(b.String(), `"right_to_wrong": 9`) {
		t.Errorf("json lacks the flips:\n%s", b.String())
	}
	if err := rep.Write(&b, "yaml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestGateDecisions(t *testing.T) {
	nan := Score(math.NaN())
	diff := func(base, cand float64, test string, p float64) Diff {
		d := newDiff("gsm8k", "GSM8K", base, cand)
		if test != "" {
			d.Test, d.P = test, Score(p)
		}
		d.judge(0.05)
		return d
	}
	tests := []struct {
		name      string
		d         Diff
		minRec    float64
		drop      float64
		hasDrop   bool
		status    string
		regressed bool
	}{
		{"above every threshold", diff(80, 79.5, "", 0), 97, 0, false, "pass", false},
		{"below recovery, untested", diff(80, 70, "", 0), 97, 0, false, "regressed", true},
		{"below recovery, significant", diff(80, 70, "mcnemar", 0.001), 97, 0, false, "regressed", true},
		{"below recovery, within noise", diff(80, 70, "mcnemar", 0.2), 97, 0, false, "within noise", false},
		{"significant but above thresholds", diff(80, 79, "mcnemar", 0.001), 97, 0, false, "pass", false},
		{"drop limit broken", diff(80, 78.5, "bootstrap", 0.01), 97, 1, true, "regressed", true},
		{"drop limit kept", diff(80, 79.5, "bootstrap", 0.01), 97, 1, true, "pass", false},
		{"improvement", diff(80, 90, "mcnemar", 0.001), 97, 0, false, "pass", false},
		{"recovery check off", diff(80, 10, "", 0), 0, 0, false, "pass", false},
		{"zero baseline: no recovery, drop decides", diff(0, 0, "", 0), 97, 1, true, "pass", false},
		{"missing in the candidate", Diff{Title: "GSM8K", Baseline: 80, Candidate: nan, Recovery: nan, Delta: nan, P: nan}, 97, 0, false, "missing", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := judge("openllm", "task", tt.d, tt.minRec, tt.drop, tt.hasDrop)
			if c.Status != tt.status || c.Regressed != tt.regressed {
				t.Errorf("status %q regressed %v (broken %q), want %q %v", c.Status, c.Regressed, c.Broken, tt.status, tt.regressed)
			}
		})
	}
}

func TestParseMaxDrop(t *testing.T) {
	got := map[string]float64{}
	if err := ParseMaxDrop("gsm8k=2, MMLU 5-shot=1.5", got); err != nil {
		t.Fatal(err)
	}
	if err := ParseMaxDrop("*=3", got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]float64{"gsm8k": 2, "mmlu 5-shot": 1.5, "*": 3}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"gsm8k", "gsm8k=x", "=2", "gsm8k=-1"} {
		if err := ParseMaxDrop(bad, map[string]float64{}); err == nil {
			t.Errorf("ParseMaxDrop(%q) accepted", bad)
		}
	}
	for _, tt := range []struct{ in, task, metric string }{
		{"gsm8k=exact_match,flexible-extract", "gsm8k", "exact_match,flexible-extract"},
		{"arc_challenge=acc", "arc_challenge", "acc,none"},
	} {
		task, metric, err := ParseMetricOverride(tt.in)
		if err != nil || task != tt.task || metric != tt.metric {
			t.Errorf("ParseMetricOverride(%q) = %q, %q, %v", tt.in, task, metric, err)
		}
	}
	if _, _, err := ParseMetricOverride("gsm8k"); err == nil {
		t.Error("ParseMetricOverride without = accepted")
	}
}
