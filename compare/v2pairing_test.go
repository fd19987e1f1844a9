package compare

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parity-eval/parity/pyrandom"
)

// v2Docs writes an lm-eval-layout run of a slice of the V2 leaderboard with
// samples: leaderboard_ifeval (a boolean prompt-level metric and a list of
// per-instruction verdicts per document), the three MuSR subtasks and the
// GPQA group over its three subsets. gpqaMacro makes the GPQA group row the
// plain mean of its subsets instead of lm-eval's document-weighted one.
func v2Docs(t *testing.T, dir, model string, seed int64, worse float64, gpqaMacro bool) (ifeval [2]float64, musr map[string]float64) {
	t.Helper()
	g := pyrandom.New(seed)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var tasks []lmTask
	write := func(task string, lines []string) {
		if err := os.WriteFile(filepath.Join(dir, "samples_"+task+"_"+fixtureDate+".jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The documents are the same for both runs (same targets); the scores
	// come from the seeded generator, the candidate's a little worse.
	right := func(p float64) bool { return g.Random() < p-worse }
	var lines []string
	var prompt, inst, instN float64
	for i := range 60 {
		k := 1 + i%3
		var verdicts []any
		all := true
		for range k {
			ok := right(0.8)
			verdicts = append(verdicts, ok)
			all = all && ok
			if ok {
				inst++
			}
			instN++
		}
		if all {
			prompt++
		}
		m := map[string]any{"doc_id": i, "doc": map[string]any{"key": i, "prompt": fmt.Sprintf("Write %d words.", i)}, "target": 0,
			"doc_hash": sha(fmt.Sprint(i)), "prompt_hash": sha(fmt.Sprint(i)), "target_hash": sha("0"),
			"prompt_level_strict_acc": all, "inst_level_strict_acc": verdicts, "prompt_level_loose_acc": all, "inst_level_loose_acc": verdicts}
		lines = append(lines, orderedJSON([]string{"doc_id", "doc", "target", "doc_hash", "prompt_hash", "target_hash",
			"prompt_level_strict_acc", "inst_level_strict_acc", "prompt_level_loose_acc", "inst_level_loose_acc"}, m))
	}
	write("leaderboard_ifeval", lines)
	ifeval = [2]float64{inst / instN, prompt / 60}
	tasks = append(tasks, lmTask{name: "leaderboard_ifeval", docs: 60, version: 3.0, outputType: "generate_until",
		metrics: map[string]float64{"inst_level_strict_acc,none": ifeval[0], "prompt_level_strict_acc,none": ifeval[1]}})
	binaryTask := func(name string, n int, p float64) float64 {
		var lines []string
		var sum float64
		for i := range n {
			v := 0.0
			if right(p) {
				v = 1
			}
			sum += v
			m := map[string]any{"doc_id": i, "target": i % 2, "doc_hash": sha(name + fmt.Sprint(i)), "target_hash": sha(fmt.Sprint(i % 2)), "acc_norm": v}
			lines = append(lines, orderedJSON([]string{"doc_id", "target", "doc_hash", "target_hash", "acc_norm"}, m))
		}
		write(name, lines)
		tasks = append(tasks, lmTask{name: name, docs: n, version: 1.0, outputType: "multiple_choice", metrics: map[string]float64{"acc_norm,none": sum / float64(n)}})
		return sum / float64(n)
	}
	musr = map[string]float64{}
	for _, sub := range []string{"murder_mysteries", "object_placements", "team_allocation"} {
		musr[sub] = binaryTask("leaderboard_musr_"+sub, 50, 0.6)
	}
	var gpqa []float64
	sizes := []int{20, 50, 40}
	for i, leaf := range gpqaLeaves {
		gpqa = append(gpqa, binaryTask(leaf, sizes[i], 0.35))
	}
	var groupValue float64
	if gpqaMacro {
		groupValue = (gpqa[0] + gpqa[1] + gpqa[2]) / 3
	} else {
		groupValue = (gpqa[0]*20 + gpqa[1]*50 + gpqa[2]*40) / 110
	}
	groups := []lmGroup{
		{name: "leaderboard_gpqa", subtasks: gpqaLeaves, metrics: map[string]float64{"acc_norm,none": groupValue}},
		{name: "leaderboard_musr", subtasks: []string{"leaderboard_musr_murder_mysteries", "leaderboard_musr_object_placements", "leaderboard_musr_team_allocation"}},
	}
	b := marshalFixture(t, lmevalResults(lmRun{model: model, date: 1}, tasks, groups))
	if err := os.WriteFile(filepath.Join(dir, "results_"+fixtureDate+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return ifeval, musr
}

// TestPairedV2Columns pairs columns made of several components: IFEval's
// two metrics (one a per-instruction list), MuSR's three normalised
// subtasks and the GPQA group, through samples files.
func TestPairedV2Columns(t *testing.T) {
	for _, macro := range []bool{false, true} {
		dir := t.TempDir()
		bIF, bMuSR := v2Docs(t, filepath.Join(dir, "base"), "bf16", 11, 0, macro)
		v2Docs(t, filepath.Join(dir, "cand"), "int4", 11, 0.1, macro)
		var runs []*Run
		for _, side := range []string{"base", "cand"} {
			r, err := Load(filepath.Join(dir, side))
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, r)
		}
		rep, err := Compare(runs, Options{Suites: []string{"leaderboard"}, Resamples: 1000, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		tb := rep.Tables[0]
		if len(tb.Columns) != 3 || tb.Columns[0].ID != "leaderboard_ifeval" || tb.Columns[1].ID != "leaderboard_gpqa" || tb.Columns[2].ID != "leaderboard_musr" {
			t.Fatalf("columns %+v", tb.Columns)
		}
		// The table's scores: IFEval the mean of its two metrics, MuSR the
		// mean of its subtasks each rescaled above 1/choices.
		wantIF := (bIF[0]*100 + bIF[1]*100) / 2
		wantMuSR := (max(bMuSR["murder_mysteries"]-0.5, 0)/0.5*100 + max(bMuSR["object_placements"]-0.2, 0)/0.8*100 +
			max(bMuSR["team_allocation"]-1.0/3, 0)/(2.0/3)*100) / 3
		if got := float64(tb.Rows[0].Scores[0]); math.Abs(got-wantIF) > 1e-9 {
			t.Errorf("IFEval %v, want %v", got, wantIF)
		}
		if got := float64(tb.Rows[0].Scores[2]); math.Abs(got-wantMuSR) > 1e-9 {
			t.Errorf("MuSR %v, want %v", got, wantMuSR)
		}
		cmpd := tb.Comparisons[0]
		ifd, gpqa, musr := cmpd.Columns[0], cmpd.Columns[1], cmpd.Columns[2]
		// IFEval's instruction lists are not binary: no flips, no McNemar.
		if !ifd.Paired || ifd.Docs != 60 || ifd.RightToWrong != nil || ifd.Test != "bootstrap" {
			t.Errorf("IFEval: %+v", ifd)
		}
		// GPQA is one binary component: McNemar on its 110 documents.
		if !gpqa.Paired || gpqa.Docs != 110 || gpqa.RightToWrong == nil || gpqa.Test != "mcnemar" {
			t.Errorf("GPQA: %+v", gpqa)
		}
		// MuSR is binary but three components: flips, and the bootstrap.
		if !musr.Paired || musr.Docs != 150 || musr.RightToWrong == nil || musr.Test != "bootstrap" {
			t.Errorf("MuSR: %+v", musr)
		}
		if !cmpd.Average.Paired || cmpd.Average.Docs != 320 {
			t.Errorf("average: %+v", cmpd.Average)
		}
		// The samples agree with the results files under the aggregation
		// the file used (micro, or macro for the changed GPQA group).
		for _, n := range tb.Notes {
			if strings.Contains(n, "the samples of") {
				t.Errorf("macro=%v: %s", macro, n)
			}
		}
		p, err := buildPairing(runs[0], runs[1], specFor(runs[0], Suites()[0]))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.model.Columns[p.cols[1].model].Comps[0].Macro; got != macro {
			t.Errorf("GPQA aggregated as macro=%v, want %v", got, macro)
		}
	}
}

// TestGroupScoreFromSubtasks: a group without a row of its own (the HF
// fork's math and GPQA when run alone) is the document-weighted mean of its
// subtasks, as the leaderboard computes it.
func TestGroupScoreFromSubtasks(t *testing.T) {
	dir := t.TempDir()
	var runs []*Run
	for i, r := range paperV2[4:6] {
		res := paperFixture("leaderboard", r)
		for _, g := range []string{"leaderboard_math_hard", "leaderboard_gpqa"} {
			delete(res["results"].(map[string]any), g)
			delete(res["groups"].(map[string]any), g)
			if i == 1 {
				delete(res["group_subtasks"].(map[string]any), g)
			}
		}
		d := filepath.Join(dir, r.format)
		os.MkdirAll(d, 0o755)
		if err := os.WriteFile(filepath.Join(d, "results_"+paperDate+".json"), marshalFixture(t, res), 0o644); err != nil {
			t.Fatal(err)
		}
		run, err := Load(d)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run)
	}
	rep, err := Compare(runs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tables) != 1 || rep.Tables[0].Suite != "leaderboard" {
		t.Fatalf("tables %+v", rep.Tables)
	}
	for ri, row := range rep.Tables[0].Rows {
		for ci, s := range row.Scores {
			if math.Abs(float64(s)-paperV2[4+ri].scores[ci]) > 1e-9 {
				t.Errorf("%s %s: %v, want %v", row.Label, rep.Tables[0].Columns[ci].Title, s, paperV2[4+ri].scores[ci])
			}
		}
	}
}
