package compare

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// pairing is one candidate's per-document match with the baseline within a
// table.
type pairing struct {
	cols       []colPair
	model      *bootModel // nil when no column is paired
	notes      []string
	mismatches []Mismatch
	// paired documents whose doc_hash differs while their targets agree
	hashDocs  int
	hashTasks []string
	hashSeen  map[string]bool
}

type colPair struct {
	paired  bool
	docs    int
	flips   bool // every part is binary on both sides
	rw, wr  int  // right→wrong, wrong→right
	mcnemar bool // one binary component: the column score is its mean
	model   int  // column index in pairing.model
}

type partKey struct{ task, key string }

const noSamples = "neither run has per-document samples"

// alignedPart is one (leaf, metric) with the documents both sides scored.
type alignedPart struct {
	partKey
	ids        []int
	base, cand [][2]float64
	// reduced is set when documents of one side were left out.
	reduced bool
}

type stagedComp struct {
	parts []partKey
	comp  Component
	macro bool
}

// buildPairing matches the candidate's documents with the baseline's for
// every column both have samples for. Documents are matched by task and
// doc_id; documents present on one side only, or whose target_hash differs,
// are mismatches.
func buildPairing(base, cand *Run, sp *tableSpec) (*pairing, error) {
	p := &pairing{cols: make([]colPair, len(sp.cols)), hashSeen: map[string]bool{}}
	strata := map[string][]int{} // leaf → paired doc ids
	parts := map[partKey]*alignedPart{}
	var columns [][]stagedComp
	// Reasons for unpaired columns are worth a note unless neither run kept
	// samples at all (the table's legend says so).
	var unpaired []string
	noisy := false
	for ci, col := range sp.cols {
		vi := sp.variants[ci]
		if variantOf(cand, col, vi) != vi {
			continue // reported as a mismatch by checkTasks
		}
		var comps []stagedComp
		var pending []*alignedPart
		ok := true
		for _, c := range col.Variants[vi].Components {
			bl, cl := base.leaves(c.Task, c.Leaves), cand.leaves(c.Task, c.Leaves)
			if fmt.Sprint(bl) != fmt.Sprint(cl) {
				ok = false
				break
			}
			sc := stagedComp{comp: c}
			for _, leaf := range bl {
				ap, why, err := alignPart(base, cand, leaf, c.Metric, p)
				if err != nil {
					return nil, err
				}
				if ap == nil {
					if why != "" {
						unpaired = append(unpaired, fmt.Sprintf("%s vs %s: %s: no paired analysis: %s", cand.Label, base.Label, col.Title, why))
						noisy = noisy || why != noSamples
					}
					ok = false
					break
				}
				if ids, seen := strata[leaf]; seen && fmt.Sprint(ids) != fmt.Sprint(ap.ids) {
					p.notes = append(p.notes, fmt.Sprintf("%s: %s: metrics cover different documents; no paired analysis", col.Title, leaf))
					ok = false
					break
				}
				for _, q := range pending {
					if q.task == leaf && fmt.Sprint(q.ids) != fmt.Sprint(ap.ids) {
						ok = false
					}
				}
				pending = append(pending, ap)
				sc.parts = append(sc.parts, ap.partKey)
			}
			if !ok {
				break
			}
			comps = append(comps, sc)
		}
		if !ok {
			continue
		}
		cp := colPair{paired: true, flips: true, model: len(columns)}
		counted := map[string]bool{}
		for _, ap := range pending {
			strata[ap.task] = ap.ids
			parts[ap.partKey] = ap
			if !counted[ap.task] {
				counted[ap.task] = true
				cp.docs += len(ap.ids)
			}
			rw, wr, bin := flips(ap)
			cp.flips = cp.flips && bin
			cp.rw += rw
			cp.wr += wr
		}
		if !cp.flips {
			cp.rw, cp.wr = 0, 0
		}
		cp.mcnemar = cp.flips && len(comps) == 1
		reduced := false
		for _, ap := range pending {
			reduced = reduced || ap.reduced
		}
		for i := range comps {
			if reduced {
				break // the files' scores cover documents the pairing left out
			}
			macro, note := chooseAggregation(base, cand, comps[i], pending)
			comps[i].macro = macro
			if note != "" {
				p.notes = append(p.notes, note)
			}
		}
		p.cols[ci] = cp
		columns = append(columns, comps)
	}
	if noisy || len(columns) > 0 {
		p.notes = append(p.notes, unpaired...)
	}
	if p.hashDocs > 0 {
		p.notes = append(p.notes, fmt.Sprintf("%s: doc_hash differs from the baseline's on %d paired documents (of %s) whose targets agree: the same rows serialised with another key order, as parity and lm-eval do", cand.Label, p.hashDocs, strings.Join(p.hashTasks, ", ")))
	}
	if len(columns) == 0 {
		return p, nil
	}
	// The model lists strata in task order and metrics in key order, so
	// that the bootstrap's stream of draws depends only on the data.
	m := &bootModel{}
	index := map[partKey][2]int{}
	tasks := make([]string, 0, len(strata))
	for t := range strata {
		tasks = append(tasks, t)
	}
	sort.Strings(tasks)
	for si, t := range tasks {
		var keys []string
		for pk := range parts {
			if pk.task == t {
				keys = append(keys, pk.key)
			}
		}
		sort.Strings(keys)
		st := bootStratum{Task: t}
		for mi, k := range keys {
			ap := parts[partKey{t, k}]
			st.Metrics = append(st.Metrics, bootMetric{Key: k, Base: ap.base, Cand: ap.cand})
			index[ap.partKey] = [2]int{si, mi}
		}
		m.Strata = append(m.Strata, st)
	}
	for _, comps := range columns {
		var bc bootColumn
		for _, sc := range comps {
			comp := bootComp{Lower: sc.comp.Lower, Macro: sc.macro}
			for _, pk := range sc.parts {
				ix := index[pk]
				comp.Parts = append(comp.Parts, [2]int{ix[0], ix[1]})
			}
			bc.Comps = append(bc.Comps, comp)
		}
		m.Columns = append(m.Columns, bc)
	}
	p.model = m
	return p, nil
}

// alignPart pairs one leaf's metric between the runs. It returns nil and a
// reason when there is nothing to pair (no samples on a side), and records
// mismatches in p.
func alignPart(base, cand *Run, leaf, metric string, p *pairing) (*alignedPart, string, error) {
	bs, err := base.samplesOf(leaf)
	if err != nil {
		return nil, "", err
	}
	cs, err := cand.samplesOf(leaf)
	if err != nil {
		return nil, "", err
	}
	switch {
	case bs == nil && cs == nil:
		return nil, noSamples, nil
	case bs == nil:
		return nil, fmt.Sprintf("the baseline has no samples file for %s", leaf), nil
	case cs == nil:
		return nil, fmt.Sprintf("the candidate has no samples file for %s", leaf), nil
	}
	bd, cd := bs.metrics[metric], cs.metrics[metric]
	if bd == nil || cd == nil {
		where := bs.path
		if bd != nil {
			where = cs.path
		}
		return nil, fmt.Sprintf("%s has no per-document %s", where, metric), nil
	}
	ap := &alignedPart{partKey: partKey{leaf, metric}}
	onlyB, onlyC, targets, docs := 0, 0, 0, 0
	i, j := 0, 0
	for i < len(bd.ids) || j < len(cd.ids) {
		switch {
		case j >= len(cd.ids) || (i < len(bd.ids) && bd.ids[i] < cd.ids[j]):
			onlyB++
			i++
		case i >= len(bd.ids) || cd.ids[j] < bd.ids[i]:
			onlyC++
			j++
		default:
			if bd.targetHash[i] != "" && cd.targetHash[j] != "" && bd.targetHash[i] != cd.targetHash[j] {
				targets++
			} else {
				if bd.docHash[i] != cd.docHash[j] {
					docs++
				}
				ap.ids = append(ap.ids, bd.ids[i])
				ap.base = append(ap.base, [2]float64{bd.vals[i].num, bd.vals[i].den})
				ap.cand = append(ap.cand, [2]float64{cd.vals[j].num, cd.vals[j].den})
			}
			i++
			j++
		}
	}
	if onlyB > 0 || onlyC > 0 {
		p.mismatches = append(p.mismatches, Mismatch{Input: cand.Label, Task: leaf, What: "sampled documents",
			Baseline:  fmt.Sprintf("%d docs (%d not in the candidate)", len(bd.ids), onlyB),
			Candidate: fmt.Sprintf("%d docs (%d not in the baseline)", len(cd.ids), onlyC)})
	}
	if targets > 0 {
		p.mismatches = append(p.mismatches, Mismatch{Input: cand.Label, Task: leaf, What: "document targets",
			Baseline: "target_hash", Candidate: fmt.Sprintf("differs on %d documents with the same doc_id", targets)})
	}
	if docs > 0 && !p.hashSeen[leaf] {
		// parity writes a doc's keys sorted, lm-eval in the dataset's column
		// order, so doc_hash differs between the tools for the same row; the
		// targets agree, so the documents are paired.
		p.hashDocs += docs
		p.hashTasks = append(p.hashTasks, leaf)
	}
	p.hashSeen[leaf] = true
	ap.reduced = onlyB > 0 || onlyC > 0 || targets > 0
	if len(ap.ids) == 0 {
		return nil, fmt.Sprintf("no document of %s is in both samples files", leaf), nil
	}
	return ap, "", nil
}

// flips counts right→wrong and wrong→right documents; binary is false when
// either side has a score other than a single 0 or 1.
func flips(ap *alignedPart) (rw, wr int, binary bool) {
	for i := range ap.base {
		b, c := ap.base[i], ap.cand[i]
		if b[1] != 1 || c[1] != 1 || (b[0] != 0 && b[0] != 1) || (c[0] != 0 && c[0] != 1) {
			return 0, 0, false
		}
		switch {
		case b[0] == 1 && c[0] == 0:
			rw++
		case b[0] == 0 && c[0] == 1:
			wr++
		}
	}
	return rw, wr, true
}

// chooseAggregation checks the samples against the results files: a
// component over several subtasks is their micro average (lm-eval's
// weight_by_size, the leaderboard's) unless the files' scores are the macro
// average. The note says when the samples match neither.
func chooseAggregation(base, cand *Run, sc stagedComp, aligned []*alignedPart) (macro bool, note string) {
	byKey := map[partKey]*alignedPart{}
	for _, ap := range aligned {
		byKey[ap.partKey] = ap
	}
	eval := func(side int, macro bool) float64 {
		var num, den, sumMeans float64
		for _, pk := range sc.parts {
			ap := byKey[pk]
			vals := ap.base
			if side == 1 {
				vals = ap.cand
			}
			var n, d float64
			for _, v := range vals {
				n += v[0]
				d += v[1]
			}
			num += n
			den += d
			sumMeans += n / d
		}
		if macro {
			return sumMeans / float64(len(sc.parts))
		}
		return num / den
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	matches := func(macro bool) (bool, string) {
		for side, r := range []*Run{base, cand} {
			want, ok := r.value(sc.comp)
			if !ok {
				continue
			}
			if got := eval(side, macro); !close(got, want) {
				return false, fmt.Sprintf("%s: the samples of %s give %s %.6f but its results file says %.6f; the interval and test use the samples", r.Label, sc.comp.Task, sc.comp.Metric, got, want)
			}
		}
		return true, ""
	}
	ok, note := matches(false)
	if ok {
		return false, ""
	}
	if len(sc.parts) > 1 {
		if ok, _ := matches(true); ok {
			return true, ""
		}
	}
	return false, note
}
