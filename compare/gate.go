package compare

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Thresholds are what a candidate must keep of its baseline.
type Thresholds struct {
	// MinRecovery is the least recovery (percent) of each suite's average.
	MinRecovery float64 `json:"min_recovery"`
	// MinTaskRecovery is the least recovery (percent) of each column.
	MinTaskRecovery float64 `json:"min_task_recovery"`
	// MaxDrop caps the drop, in table points, of a column named by ID or
	// title (case-insensitive), of a suite's average named "average" or by
	// the suite's name, or of every column ("*").
	MaxDrop map[string]float64 `json:"max_drop,omitempty"`
}

// ParseMaxDrop adds "NAME=POINTS[,NAME=POINTS…]" to into.
func ParseMaxDrop(s string, into map[string]float64) error {
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, pts, ok := strings.Cut(part, "=")
		v, err := strconv.ParseFloat(strings.TrimSpace(pts), 64)
		if !ok || strings.TrimSpace(name) == "" || err != nil || v < 0 {
			return fmt.Errorf("--max-drop %q: want TASK=POINTS with POINTS ≥ 0, e.g. gsm8k=2", part)
		}
		into[strings.ToLower(strings.TrimSpace(name))] = v
	}
	return nil
}

// Verdict is the gate's decision on one candidate.
type Verdict struct {
	Baseline   string     `json:"baseline"`
	Candidate  string     `json:"candidate"`
	Thresholds Thresholds `json:"thresholds"`
	Alpha      float64    `json:"alpha"`
	Resamples  int        `json:"resamples"`
	Seed       int64      `json:"seed"`
	Checks     []Check    `json:"checks"`
	Regressed  bool       `json:"regressed"`
	// Mismatches are differences the gate was told to allow.
	Mismatches []Mismatch `json:"mismatches,omitempty"`
}

// Check is one test of the gate: a suite's average or one column.
type Check struct {
	Suite string `json:"suite"`
	// Kind is "suite" for the average and "task" for a column.
	Kind string `json:"kind"`
	Diff Diff   `json:"diff"`
	// Rules are the thresholds that apply, Broken those the candidate
	// breaks.
	Rules  []string `json:"rules"`
	Broken []string `json:"broken,omitempty"`
	// Regressed is a broken rule with a significant drop, or a broken rule
	// without paired data to test.
	Regressed bool `json:"regressed"`
	// Status is "pass", "within noise" (broken, but the drop is not
	// significant), "regressed" or "missing" (no score in the candidate).
	Status string `json:"status"`
}

// Gate checks the report's one candidate against thresholds.
func Gate(rep *Report, th Thresholds) (*Verdict, error) {
	if len(rep.Inputs) != 2 {
		return nil, errors.New("compare: the gate takes one baseline and one candidate")
	}
	v := &Verdict{Baseline: rep.Baseline, Candidate: rep.Inputs[1].Label, Thresholds: th,
		Alpha: rep.Alpha, Resamples: rep.Resamples, Seed: rep.Seed, Mismatches: rep.Mismatches}
	drop := map[string]float64{}
	for k, x := range th.MaxDrop {
		drop[strings.ToLower(k)] = x
	}
	for _, t := range rep.Tables {
		cmp := t.Comparisons[0]
		limit, ok := dropLimit(drop, "average", t.Suite)
		v.Checks = append(v.Checks, judge(t.Suite, "suite", cmp.Average, th.MinRecovery, limit, ok))
		for _, d := range cmp.Columns {
			limit, ok := dropLimit(drop, d.ID, d.Title)
			if !ok {
				limit, ok = dropLimit(drop, "*")
			}
			v.Checks = append(v.Checks, judge(t.Suite, "task", d, th.MinTaskRecovery, limit, ok))
		}
	}
	for _, c := range v.Checks {
		v.Regressed = v.Regressed || c.Regressed
	}
	return v, nil
}

func dropLimit(drop map[string]float64, names ...string) (float64, bool) {
	for _, n := range names {
		if x, ok := drop[strings.ToLower(n)]; ok {
			return x, true
		}
	}
	return 0, false
}

func judge(suite, kind string, d Diff, minRecovery, maxDrop float64, hasDrop bool) Check {
	c := Check{Suite: suite, Kind: kind, Diff: d, Status: "pass"}
	if minRecovery > 0 {
		c.Rules = append(c.Rules, fmt.Sprintf("recovery ≥ %g%%", minRecovery))
	}
	if hasDrop {
		c.Rules = append(c.Rules, fmt.Sprintf("drop ≤ %g", maxDrop))
	}
	if !d.Candidate.Valid() {
		c.Broken = append(c.Broken, "no score in the candidate")
		c.Regressed, c.Status = true, "missing"
		return c
	}
	if minRecovery > 0 && d.Recovery.Valid() && float64(d.Recovery) < minRecovery {
		c.Broken = append(c.Broken, fmt.Sprintf("recovery %.2f%% < %g%%", float64(d.Recovery), minRecovery))
	}
	if hasDrop && -float64(d.Delta) > maxDrop {
		c.Broken = append(c.Broken, fmt.Sprintf("drop %.2f points > %g", -float64(d.Delta), maxDrop))
	}
	if len(c.Broken) == 0 {
		return c
	}
	tested := d.Test != "" && d.P.Valid()
	if tested && !(d.Significant && d.Delta < 0) {
		c.Status = "within noise"
		return c
	}
	c.Regressed, c.Status = true, "regressed"
	return c
}

// why is a check's outcome in one sentence.
func (c Check) why(alpha float64) string {
	d := c.Diff
	test := ""
	if d.Test != "" {
		test = fmt.Sprintf("%s p = %s", testName(d.Test), fmtP(d.P))
	}
	switch c.Status {
	case "missing":
		return "no score in the candidate"
	case "regressed":
		s := strings.Join(c.Broken, "; ")
		switch {
		case test != "":
			return s + "; the drop is significant (" + test + ")"
		case d.Paired:
			return s + " (the bootstrap is off, so the drop was not tested)"
		}
		return s + " (no per-document samples on both sides to test the drop)"
	case "within noise":
		return strings.Join(c.Broken, "; ") + fmt.Sprintf(", but the drop is within noise (%s ≥ %g)", test, alpha)
	}
	if len(c.Rules) == 0 {
		return "no threshold applies"
	}
	return "passes " + strings.Join(c.Rules, " and ")
}

func testName(t string) string {
	if t == "mcnemar" {
		return "McNemar"
	}
	return t
}

func (c Check) figures() string {
	d := c.Diff
	s := fmt.Sprintf("baseline %s, candidate %s, Δ %s, recovery %s%%", fmtScore(d.Baseline), fmtScore(d.Candidate), fmtDelta(d.Delta), fmtScore(d.Recovery))
	if d.Paired {
		s += fmt.Sprintf("; paired on %d documents", d.Docs)
		if d.DeltaCI[0].Valid() {
			s += fmt.Sprintf(", Δ interval %s, recovery interval %s", fmtInterval(d.DeltaCI, fmtDelta), fmtInterval(d.RecoveryCI, fmtScore))
		}
		if d.RightToWrong != nil {
			s += fmt.Sprintf(", %d right→wrong, %d wrong→right", *d.RightToWrong, *d.WrongToRight)
		}
		if d.Test != "" {
			s += fmt.Sprintf(", %s p = %s", testName(d.Test), fmtP(d.P))
		}
	}
	return s
}

func (v *Verdict) result() string {
	if v.Regressed {
		return "REGRESSED"
	}
	return "PASS"
}

func (v *Verdict) regressions() []Check {
	var out []Check
	for _, c := range v.Checks {
		if c.Regressed {
			out = append(out, c)
		}
	}
	return out
}

// Summary is the verdict in one line.
func (v *Verdict) Summary() string {
	r := v.regressions()
	if len(r) == 0 {
		return fmt.Sprintf("PASS: %s kept %s's accuracy (%d checks)", v.Candidate, v.Baseline, len(v.Checks))
	}
	var names []string
	for _, c := range r {
		names = append(names, c.Suite+"/"+c.Diff.Title)
	}
	return fmt.Sprintf("REGRESSED: %s against %s: %d of %d checks failed: %s", v.Candidate, v.Baseline, len(r), len(v.Checks), strings.Join(names, ", "))
}

func (v *Verdict) thresholdLine() string {
	var parts []string
	if v.Thresholds.MinRecovery > 0 {
		parts = append(parts, fmt.Sprintf("suite average recovery ≥ %g%%", v.Thresholds.MinRecovery))
	}
	if v.Thresholds.MinTaskRecovery > 0 {
		parts = append(parts, fmt.Sprintf("task recovery ≥ %g%%", v.Thresholds.MinTaskRecovery))
	}
	if len(v.Thresholds.MaxDrop) > 0 {
		keys := make([]string, 0, len(v.Thresholds.MaxDrop))
		for k := range v.Thresholds.MaxDrop {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var ds []string
		for _, k := range keys {
			ds = append(ds, fmt.Sprintf("%s %g", k, v.Thresholds.MaxDrop[k]))
		}
		parts = append(parts, "largest drop in points: "+strings.Join(ds, ", "))
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	return strings.Join(parts, "; ")
}

// WriteMarkdown writes the verdict as Markdown fit for a pull request or a
// chat message.
func (v *Verdict) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## parity gate: %s\n\n", v.result())
	fmt.Fprintf(&b, "Candidate **%s** against baseline **%s**: %d checks, %d regressed.\n\n", v.Candidate, v.Baseline, len(v.Checks), len(v.regressions()))
	g := &grid{
		header: []string{"Suite", "Check", "Baseline", "Candidate", "Δ", "Recovery %", "p", "Rule", "Result"},
		right:  []bool{false, false, true, true, true, true, true, false, false},
	}
	for _, c := range v.Checks {
		d := c.Diff
		delta := fmtDelta(d.Delta)
		if d.WithinNoise {
			delta += " ~"
		}
		result := c.Status
		if c.Regressed {
			result = "**" + strings.ToUpper(result) + "**"
		}
		rules := strings.Join(c.Rules, ", ")
		if rules == "" {
			rules = dash
		}
		g.rows = append(g.rows, []string{c.Suite, d.Title, fmtScore(d.Baseline), fmtScore(d.Candidate), delta, fmtScore(d.Recovery), fmtP(d.P), rules, result})
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	b.Reset()
	if err := g.write(w, true); err != nil {
		return err
	}
	b.WriteString("\n")
	if r := v.regressions(); len(r) > 0 {
		b.WriteString("Regressions:\n\n")
		for _, c := range r {
			fmt.Fprintf(&b, "- %s / %s: %s\n", c.Suite, c.Diff.Title, c.why(v.Alpha))
		}
		b.WriteString("\n")
	}
	var noise []Check
	for _, c := range v.Checks {
		if c.Status == "within noise" {
			noise = append(noise, c)
		}
	}
	if len(noise) > 0 {
		b.WriteString("Below a threshold but within noise:\n\n")
		for _, c := range noise {
			fmt.Fprintf(&b, "- %s / %s: %s\n", c.Suite, c.Diff.Title, c.why(v.Alpha))
		}
		b.WriteString("\n")
	}
	if len(v.Mismatches) > 0 {
		b.WriteString("Compared despite these differences (--allow-mismatch):\n\n")
		for _, m := range v.Mismatches {
			b.WriteString("- " + m.String() + "\n")
		}
		b.WriteString("\n")
	}
	boot := fmt.Sprintf("a paired bootstrap with %d resamples, seed %d", v.Resamples, v.Seed)
	if v.Resamples <= 0 {
		boot = "no test (the bootstrap is off)"
	}
	fmt.Fprintf(&b, "Thresholds: %s. A broken threshold fails the gate only if the drop is significant at α = %g where both runs have per-document samples (exact McNemar test for a single binary metric, else %s); ~ marks a difference within noise.\n",
		v.thresholdLine(), v.Alpha, boot)
	_, err := io.WriteString(w, b.String())
	return err
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the verdict as JUnit XML: a test suite per parity suite,
// with one test case for its average and one per task column.
func (v *Verdict) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: "parity gate"}
	bySuite := map[string]int{}
	for _, c := range v.Checks {
		i, ok := bySuite[c.Suite]
		if !ok {
			i = len(out.Suites)
			bySuite[c.Suite] = i
			out.Suites = append(out.Suites, junitSuite{Name: c.Suite, Time: "0", Properties: []junitProperty{
				{"baseline", v.Baseline}, {"candidate", v.Candidate},
				{"thresholds", v.thresholdLine()}, {"alpha", strconv.FormatFloat(v.Alpha, 'g', -1, 64)},
			}})
		}
		s := &out.Suites[i]
		name := c.Diff.Title
		if c.Kind == "suite" {
			name = "Average (suite)"
		}
		tc := junitCase{Name: name, Classname: "parity.gate." + c.Suite, Time: "0", SystemOut: c.figures() + "\n" + c.why(v.Alpha)}
		if c.Regressed {
			tc.Failure = &junitFailure{Message: c.why(v.Alpha), Type: "regression", Text: c.figures()}
			s.Failures++
			out.Failures++
		}
		s.Cases = append(s.Cases, tc)
		s.Tests++
		out.Tests++
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("compare: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
