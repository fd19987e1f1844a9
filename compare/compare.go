package compare

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Options control a comparison.
type Options struct {
	// Suites names the tables to print ("leaderboard", "leaderboard-v1",
	// "openllm", "tasks"); empty or "auto" prints every suite the baseline
	// has all the columns of, then a "tasks" table of whatever else it has.
	Suites []string
	// Metrics overrides the metric ("metric,filter") of a task.
	Metrics map[string]string
	// AllowMismatch compares runs whose settings differ, listing how.
	AllowMismatch bool
	// Alpha is the significance level (default 0.05); intervals are
	// (1−Alpha) intervals.
	Alpha float64
	// Resamples is the number of bootstrap replicates: 0 means 10,000,
	// negative turns the bootstrap off.
	Resamples int
	// Seed seeds the bootstrap: replicate b draws from CPython's
	// random.Random(Seed·2³² + b). It must be in [0, 2³¹).
	Seed int64
}

// DefaultResamples is the bootstrap's default number of replicates.
const DefaultResamples = 10000

func (o Options) withDefaults() Options {
	if o.Alpha <= 0 || o.Alpha >= 1 {
		o.Alpha = 0.05
	}
	if o.Resamples == 0 {
		o.Resamples = DefaultResamples
	}
	if o.Resamples < 0 {
		o.Resamples = 0
	}
	return o
}

// tableSpec is a table chosen from the baseline: the suite's columns it has
// and the variant of each it uses.
type tableSpec struct {
	suite    Suite
	cols     []Column
	variants []int // baseline's variant per column
	missing  []string
	notes    []string
}

// Compare compares runs[1:] with the baseline runs[0]. It returns a
// *MismatchError when the runs differ in task versions, few-shot counts,
// documents, profile or chat settings, unless o.AllowMismatch. Runs with
// the same label are told apart by adding their folder to Run.Label.
func Compare(runs []*Run, o Options) (*Report, error) {
	if len(runs) < 2 {
		return nil, errors.New("compare: need a baseline and at least one candidate")
	}
	o = o.withDefaults()
	if o.Seed < 0 || o.Seed >= 1<<31 {
		return nil, fmt.Errorf("compare: bootstrap seed %d: want 0 ≤ seed < 2³¹", o.Seed)
	}
	labelRuns(runs)
	base := runs[0]
	rep := &Report{Baseline: base.Label, Alpha: o.Alpha, Resamples: o.Resamples, Seed: o.Seed}
	for _, r := range runs {
		rep.Inputs = append(rep.Inputs, Input{Label: r.Label, Path: r.Path, Kind: r.Kind})
		rep.Notes = append(rep.Notes, r.Notes...)
	}
	specs, err := selectTables(base, o)
	if err != nil {
		return nil, err
	}

	var mismatches []Mismatch
	for _, c := range runs[1:] {
		mismatches = append(mismatches, checkSettings(base, c)...)
		for _, sp := range specs {
			mismatches = append(mismatches, checkTasks(base, c, sp)...)
		}
	}
	// Pairing reads the samples and finds documents that differ.
	pairs := make([][]*pairing, len(specs))
	for ti, sp := range specs {
		for _, c := range runs[1:] {
			p, err := buildPairing(base, c, sp)
			if err != nil {
				return nil, err
			}
			pairs[ti] = append(pairs[ti], p)
			mismatches = append(mismatches, p.mismatches...)
		}
	}
	mismatches = dedupMismatches(mismatches)
	if len(mismatches) > 0 && !o.AllowMismatch {
		return nil, &MismatchError{Mismatches: mismatches}
	}
	rep.Mismatches = mismatches

	for ti, sp := range specs {
		rep.Tables = append(rep.Tables, buildTable(runs, sp, pairs[ti], o))
	}
	return rep, nil
}

// labelRuns makes labels unique: a model evaluated twice (tonight's run
// against last night's) is told apart by its results folder, or failing
// that by its results file.
func labelRuns(runs []*Run) {
	for _, name := range []func(*Run) string{
		func(r *Run) string { return filepath.Base(filepath.Dir(r.Path)) },
		func(r *Run) string { return r.Path },
	} {
		count := map[string]int{}
		for _, r := range runs {
			count[r.Label]++
		}
		for _, r := range runs {
			if count[r.Label] > 1 {
				r.Label = fmt.Sprintf("%s (%s)", r.Label, name(r))
			}
		}
	}
}

func suiteNames() []string {
	var names []string
	for _, s := range Suites() {
		names = append(names, s.Name)
	}
	return append(names, TasksSuite)
}

func selectTables(base *Run, o Options) ([]*tableSpec, error) {
	want := map[string]bool{}
	auto := len(o.Suites) == 0
	for _, s := range o.Suites {
		if s == "auto" {
			auto = true
			continue
		}
		if !slices.Contains(suiteNames(), s) {
			return nil, fmt.Errorf("compare: unknown suite %q (known: auto, %s)", s, strings.Join(suiteNames(), ", "))
		}
		want[s] = true
	}
	var specs []*tableSpec
	for _, s := range Suites() {
		sp := specFor(base, s.withOverrides(o.Metrics))
		switch {
		case auto && len(sp.missing) == 0:
			specs = append(specs, sp)
		case want[s.Name]:
			if len(sp.cols) == 0 {
				return nil, fmt.Errorf("compare: suite %q: the baseline %s has none of its tasks", s.Name, base.Path)
			}
			specs = append(specs, sp)
		}
	}
	if auto || want[TasksSuite] {
		if sp := tasksSpec(base, specs, o.Metrics); len(sp.cols) > 0 {
			specs = append(specs, sp)
		}
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("compare: the baseline %s has no scores to compare", base.Path)
	}
	return specs, nil
}

// variantOf is the first variant of col that r has every score of,
// preferring prefer; -1 when none.
func variantOf(r *Run, col Column, prefer int) int {
	has := func(v Variant) bool {
		for _, c := range v.Components {
			if _, ok := r.value(c); !ok {
				return false
			}
		}
		return true
	}
	if prefer >= 0 && prefer < len(col.Variants) && has(col.Variants[prefer]) {
		return prefer
	}
	for i, v := range col.Variants {
		if has(v) {
			return i
		}
	}
	return -1
}

func specFor(base *Run, s Suite) *tableSpec {
	sp := &tableSpec{suite: s}
	for _, col := range s.Columns {
		v := variantOf(base, col, 0)
		if v < 0 {
			sp.missing = append(sp.missing, col.Title)
			continue
		}
		sp.cols = append(sp.cols, col)
		sp.variants = append(sp.variants, v)
	}
	return sp
}

// tasksSpec is the table of the baseline's tasks that no chosen suite
// covers: top-level tasks and groups, each by its headline metric.
func tasksSpec(base *Run, chosen []*tableSpec, over map[string]string) *tableSpec {
	covered := map[string]bool{}
	for _, sp := range chosen {
		for i, col := range sp.cols {
			for _, c := range col.Variants[sp.variants[i]].Components {
				covered[c.Task] = true
				for _, l := range base.leaves(c.Task, c.Leaves) {
					covered[l] = true
				}
			}
		}
	}
	s := base.Summary
	names := map[string]bool{}
	for n := range s.Results {
		names[n] = true
	}
	for n := range s.Groups {
		names[n] = true
	}
	// A group whose every leaf is covered is covered.
	for n := range names {
		if base.isGroup(n) && !covered[n] {
			all := true
			for _, l := range base.leaves(n, nil) {
				all = all && covered[l]
			}
			covered[n] = all
		}
	}
	headline := func(n string) (string, bool, bool) {
		m, guessed := Headline(n, over, base.metricsOf(n))
		_, ok := base.value(Component{Task: n, Metric: m})
		return m, guessed, ok
	}
	// Groups with a score of their own stand for their subtasks.
	hidden := map[string]bool{}
	for n := range names {
		if covered[n] || !base.isGroup(n) {
			continue
		}
		if _, _, ok := headline(n); !ok {
			continue
		}
		for _, l := range base.leaves(n, nil) {
			hidden[l] = true
		}
		var hide func(string)
		hide = func(g string) {
			for _, sub := range s.GroupSubtasks[g] {
				if !hidden[sub] {
					hidden[sub] = true
					hide(sub)
				}
			}
		}
		hide(n)
	}
	sp := &tableSpec{suite: Suite{Name: TasksSuite, Title: "Tasks (headline metric of each, raw scores ×100)"}}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		if covered[n] || hidden[n] {
			continue
		}
		m, guessed, ok := headline(n)
		if !ok {
			continue
		}
		if guessed && len(base.metricsOf(n)) > 1 {
			sp.notes = append(sp.notes, fmt.Sprintf("%s: no known headline metric; using %s (set another with --metric %s=METRIC,FILTER)", n, m, n))
		}
		sp.cols = append(sp.cols, Column{ID: n, Title: n, Variants: one(n, m)})
		sp.variants = append(sp.variants, 0)
	}
	sp.suite.Columns = sp.cols
	return sp
}

// tasksOf lists a variant's tasks and their leaves.
func tasksOf(r *Run, v Variant) []string {
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, c := range v.Components {
		add(c.Task)
		for _, l := range r.leaves(c.Task, c.Leaves) {
			add(l)
		}
	}
	return out
}

func checkSettings(base, cand *Run) []Mismatch {
	var out []Mismatch
	b, c := base.settings(), cand.settings()
	add := func(what, bv, cv string) {
		out = append(out, Mismatch{Input: cand.Label, What: what, Baseline: bv, Candidate: cv})
	}
	incomplete := func(r *Run) string {
		if r.Summary.Parity != nil && r.Summary.Parity.Incomplete {
			return "incomplete"
		}
		return "complete"
	}
	if x, y := incomplete(base), incomplete(cand); x != "complete" || y != "complete" {
		add("completeness", x, y)
	}
	if b.profile != "" && c.profile != "" && b.profile != c.profile {
		add("profile", b.profile, c.profile)
	}
	boolStr := func(p *bool, yes, no string) string {
		if *p {
			return yes
		}
		return no
	}
	if b.chat != nil && c.chat != nil && *b.chat != *c.chat {
		add("chat template", boolStr(b.chat, "applied", "not applied"), boolStr(c.chat, "applied", "not applied"))
	}
	if b.multiturn != nil && c.multiturn != nil && *b.multiturn != *c.multiturn {
		add("fewshot_as_multiturn", boolStr(b.multiturn, "true", "false"), boolStr(c.multiturn, "true", "false"))
	}
	if b.system != nil && c.system != nil && *b.system != *c.system {
		add("system instruction", fmt.Sprintf("%q", *b.system), fmt.Sprintf("%q", *c.system))
	}
	return out
}

func checkTasks(base, cand *Run, sp *tableSpec) []Mismatch {
	var out []Mismatch
	add := func(task, what, bv, cv string) {
		out = append(out, Mismatch{Input: cand.Label, Task: task, What: what, Baseline: bv, Candidate: cv})
	}
	bs, cs := base.Summary, cand.Summary
	for i, col := range sp.cols {
		bv := col.Variants[sp.variants[i]]
		cv := variantOf(cand, col, sp.variants[i])
		switch {
		case cv < 0:
			add(col.ID, "scores", "present", "missing")
			continue
		case cv != sp.variants[i]:
			add(col.ID, "task", strings.Join(tasksOf(base, bv), ","), strings.Join(tasksOf(cand, col.Variants[cv]), ","))
			continue
		}
		bl, cl := tasksOf(base, bv), tasksOf(cand, bv)
		if !slices.Equal(bl, cl) {
			add(col.ID, "subtasks", strings.Join(bl, ","), strings.Join(cl, ","))
		}
		for _, t := range bl {
			if x, y := versionString(bs.Versions[t]), versionString(cs.Versions[t]); x != "" && y != "" && x != y {
				add(t, "version", x, y)
			}
			leaf := !base.isGroup(t) && !cand.isGroup(t)
			if x, y := nshotString(bs.NShot[t]), nshotString(cs.NShot[t]); leaf && x != "" && y != "" && x != y {
				add(t, "n-shot", x, y)
			}
			bn, okB := bs.NSamples[t]
			cn, okC := cs.NSamples[t]
			if okB && okC && bn.Effective != cn.Effective {
				add(t, "documents", fmt.Sprint(bn.Effective), fmt.Sprint(cn.Effective))
			}
			for _, k := range []string{"fewshot_split", "output_type"} {
				x, okX := bs.Configs[t][k].(string)
				y, okY := cs.Configs[t][k].(string)
				if okX && okY && x != y {
					add(t, k, x, y)
				}
			}
		}
	}
	return out
}

func dedupMismatches(ms []Mismatch) []Mismatch {
	seen := map[Mismatch]bool{}
	var out []Mismatch
	for _, m := range ms {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// columnScore is a column's score for r with the given variant; NaN when r
// lacks it.
func columnScore(r *Run, col Column, variant int) float64 {
	if variant < 0 {
		return math.NaN()
	}
	comps := col.Variants[variant].Components
	var s float64
	for _, c := range comps {
		v, ok := r.value(c)
		if !ok {
			return math.NaN()
		}
		s += c.Normalise(v)
	}
	return s / float64(len(comps))
}

func ratio(c, b float64) float64 {
	if b == 0 || math.IsNaN(b) || math.IsNaN(c) {
		return math.NaN()
	}
	return c / b * 100
}

func buildTable(runs []*Run, sp *tableSpec, pairs []*pairing, o Options) Table {
	t := Table{Suite: sp.suite.Name, Title: sp.suite.Title, Normalised: sp.suite.Normalised, Missing: sp.missing}
	t.Notes = append(t.Notes, sp.notes...)
	for i, col := range sp.cols {
		var src []string
		for _, c := range col.Variants[sp.variants[i]].Components {
			src = append(src, c.Task+": "+c.Metric)
		}
		t.Columns = append(t.Columns, TableColumn{ID: col.ID, Title: col.Title, Sources: src})
	}
	scores := make([][]float64, len(runs))
	for ri, r := range runs {
		scores[ri] = make([]float64, len(sp.cols))
		for ci, col := range sp.cols {
			v := sp.variants[ci]
			if ri > 0 {
				v = variantOf(r, col, v)
			}
			scores[ri][ci] = columnScore(r, col, v)
		}
	}
	var averaged []int
	for ci, col := range sp.cols {
		all := true
		for ri := range runs {
			all = all && !math.IsNaN(scores[ri][ci])
		}
		if all {
			averaged = append(averaged, ci)
			t.Averaged = append(t.Averaged, col.ID)
		}
	}
	if len(averaged) < len(sp.cols) {
		t.Notes = append(t.Notes, fmt.Sprintf("average and recovery over %d of %d columns: the others are missing in some input", len(averaged), len(sp.cols)))
	}
	if len(sp.missing) > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("partial suite: the baseline has no scores for %s, so the average is not the paper's", strings.Join(sp.missing, ", ")))
	}
	avg := func(ri int) float64 {
		if len(averaged) == 0 {
			return math.NaN()
		}
		var s float64
		for _, ci := range averaged {
			s += scores[ri][ci]
		}
		return s / float64(len(averaged))
	}
	baseAvg := avg(0)
	for ri, r := range runs {
		row := Row{Label: r.Label, Baseline: ri == 0, Average: Score(avg(ri))}
		row.Recovery = Score(ratio(avg(ri), baseAvg))
		for ci := range sp.cols {
			row.Scores = append(row.Scores, Score(scores[ri][ci]))
			row.TaskRecovery = append(row.TaskRecovery, Score(ratio(scores[ri][ci], scores[0][ci])))
		}
		t.Rows = append(t.Rows, row)
	}
	for pi, p := range pairs {
		ri := pi + 1
		cmp := Comparison{Candidate: runs[ri].Label}
		var bres bootResult
		if p.model != nil && o.Resamples > 0 {
			p.model.Average = nil
			if len(averaged) > 0 {
				allPaired := true
				for _, ci := range averaged {
					allPaired = allPaired && p.cols[ci].paired
				}
				if allPaired {
					for _, ci := range averaged {
						p.model.Average = append(p.model.Average, p.cols[ci].model)
					}
				}
			}
			bres = p.model.bootstrap(o.Resamples, o.Seed, o.Alpha)
		}
		for ci, col := range sp.cols {
			d := newDiff(col.ID, col.Title, scores[0][ci], scores[ri][ci])
			pc := p.cols[ci]
			if pc.paired {
				d.Paired, d.Docs = true, pc.docs
				if pc.flips {
					rw, wr := pc.rw, pc.wr
					d.RightToWrong, d.WrongToRight = &rw, &wr
				}
				if o.Resamples > 0 {
					bi := bres.Columns[pc.model]
					d.DeltaCI = [2]Score{Score(bi.DeltaCI[0]), Score(bi.DeltaCI[1])}
					d.RecoveryCI = [2]Score{Score(bi.RecoveryCI[0]), Score(bi.RecoveryCI[1])}
					d.Test, d.P = "bootstrap", Score(bi.P)
				}
				if pc.mcnemar {
					d.Test, d.P = "mcnemar", Score(McNemar(pc.rw, pc.wr))
				}
			}
			d.judge(o.Alpha)
			cmp.Columns = append(cmp.Columns, d)
		}
		ad := newDiff("average", "Average", avg(0), avg(ri))
		if bres.Average != nil {
			ad.Paired = true
			for _, ci := range averaged {
				ad.Docs += p.cols[ci].docs
			}
			ad.DeltaCI = [2]Score{Score(bres.Average.DeltaCI[0]), Score(bres.Average.DeltaCI[1])}
			ad.RecoveryCI = [2]Score{Score(bres.Average.RecoveryCI[0]), Score(bres.Average.RecoveryCI[1])}
			ad.Test, ad.P = "bootstrap", Score(bres.Average.P)
		}
		ad.judge(o.Alpha)
		cmp.Average = ad
		t.Comparisons = append(t.Comparisons, cmp)
		t.Notes = append(t.Notes, p.notes...)
	}
	return t
}

func newDiff(id, title string, b, c float64) Diff {
	nan := Score(math.NaN())
	return Diff{
		ID: id, Title: title, Baseline: Score(b), Candidate: Score(c),
		Delta: Score(c - b), Recovery: Score(ratio(c, b)),
		P: nan, DeltaCI: [2]Score{nan, nan}, RecoveryCI: [2]Score{nan, nan},
	}
}

func (d *Diff) judge(alpha float64) {
	if d.Test == "" || !d.P.Valid() {
		return
	}
	d.Significant = float64(d.P) < alpha
	d.WithinNoise = !d.Significant
}
