package tasks

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/mathans"
)

// TestMathHardGoldenPrompts pins the first docs' requests of
// leaderboard_math_*_hard, plain and in the paper's chat multiturn mode;
// TestMathHardPromptMatchesSpec checks the plain bytes independently.
func TestMathHardGoldenPrompts(t *testing.T) {
	reg := registry(t)
	tmpl := llamaTemplate(t)
	tests := []struct {
		file, task string
		chat       bool
	}{
		{"leaderboard_math_algebra_hard_4shot.txt", "leaderboard_math_algebra_hard", false},
		{"leaderboard_math_precalculus_hard_4shot.txt", "leaderboard_math_precalculus_hard", false},
		{"chat_paper_leaderboard_math_num_theory_hard_4shot_multiturn.txt", "leaderboard_math_num_theory_hard", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			opts := BuildOptions{Limit: 2, Profile: ProfilePaper}
			if tt.chat {
				opts.Chat = &ChatOptions{Template: tmpl, FewshotAsMultiturn: true}
			}
			task, err := Build(context.Background(), resolveOne(t, reg, "leaderboard_math_hard", tt.task), hub(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			insts, err := task.Instances()
			if err != nil {
				t.Fatal(err)
			}
			writeOrCompare(t, filepath.Join("testdata", "golden", tt.file), []byte(renderInstances(task, insts)))
		})
	}
}

// specExemplar reads the four exemplars from tasks.md §4.3 (JSON strings).
var specExemplar = regexp.MustCompile(`(?m)^\d: (".*")\n\s+(".*")$`)

// TestMathHardPromptMatchesSpec rebuilds doc 0's prompt of every subject
// from tasks.md §4.3 (the exemplars as the spec gives them, the delimiters
// and doc_to_text) and checks the task's request, generation settings,
// target and doc count.
func TestMathHardPromptMatchesSpec(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join(repoRoot(t), "..", "shared", "docs", "tasks.md"))
	if err != nil {
		t.Fatalf("tasks.md is needed: %v", err)
	}
	sec := string(spec)
	sec = sec[strings.Index(sec, "### 4.3 "):strings.Index(sec, "### 4.4 ")]
	var shots strings.Builder
	ms := specExemplar.FindAllStringSubmatch(sec, -1)
	if len(ms) != 4 {
		t.Fatalf("found %d exemplars in tasks.md §4.3, want 4", len(ms))
	}
	for _, m := range ms {
		var p, s string
		if err := json.Unmarshal([]byte(m[1]), &p); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(m[2]), &s); err != nil {
			t.Fatal(err)
		}
		shots.WriteString("Problem:\n" + p + "\n\nSolution: " + s + "\n\n")
	}
	reg := registry(t)
	want := map[string]int{"algebra": 307, "counting_and_prob": 123, "geometry": 132, "intermediate_algebra": 280, "num_theory": 154, "prealgebra": 193, "precalculus": 135}
	total := 0
	for subj, n := range want {
		name := "leaderboard_math_" + subj + "_hard"
		task, err := Build(context.Background(), resolveOne(t, reg, "leaderboard_math_hard", name), hub(t), BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		insts, err := task.Instances()
		if err != nil {
			t.Fatal(err)
		}
		if len(insts) != n {
			t.Errorf("%s: %d docs, want %d", name, len(insts), n)
		}
		total += len(insts)
		d := insts[0]
		prob := d.Doc["problem"].(string)
		if got, w := d.Generate.Context, shots.String()+"Problem:\n"+prob+"\n\nSolution:"; got != w {
			t.Errorf("%s doc 0 prompt:\n%s", name, cmp.Diff(w, got))
		}
		if d.Generate.Until[0] != "Problem:" || d.Generate.MaxTokens != 1024 {
			t.Errorf("%s: until %q, max_gen_toks %d", name, d.Generate.Until, d.Generate.MaxTokens)
		}
		if gold := mathans.GoldAnswer(d.Doc["solution"].(string)); d.Target != gold {
			t.Errorf("%s doc 0: target %v, want %q", name, d.Target, gold)
		}
	}
	if total != 1324 {
		t.Errorf("%d docs in all, want 1324", total)
	}
}

// TestMathHardScoringSwitch checks that a tasks file switches the scoring
// version by naming another process_results, and that v3 reports v2 as
// exact_match_original.
func TestMathHardScoringSwitch(t *testing.T) {
	reg := registry(t)
	base := resolveOne(t, reg, "leaderboard_math_hard", "leaderboard_math_algebra_hard")
	if base.ProcessResults != "leaderboard_math.process_results" {
		t.Fatalf("default process_results %q", base.ProcessResults)
	}
	// The switch as a user writes it: a task that includes the built-in one
	// and names another process_results.
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "tasks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	extra := "\n  - {task: my_math_v3, include: leaderboard_math_algebra_hard, process_results: !function leaderboard_math.process_results_v3}\n"
	src := strings.Replace(string(data), "\ngroups:\n", extra+"\ngroups:\n", 1)
	reg3, err := Parse("tasks.yaml", []byte(src), ParseOptions{BaseDir: repoRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	v3 := resolveOne(t, reg3, "my_math_v3", "my_math_v3")
	if v3.ProcessResults != "leaderboard_math.process_results_v3" || v3.DatasetName != "algebra" {
		t.Errorf("included task: process_results %q, dataset_name %q", v3.ProcessResults, v3.DatasetName)
	}
	doc := map[string]any{"problem": "p", "solution": `so $\boxed{[2,5)}$`, "answer": mathans.GoldAnswer(`so $\boxed{[2,5)}$`)}
	resp := "The domain is $\\boxed{[2,5)}$."
	for name, want := range map[string]map[string]float64{
		"leaderboard_math.process_results":    {"exact_match": 0},
		"leaderboard_math.process_results_v1": {"exact_match": 0},
		"leaderboard_math.process_results_v3": {"exact_match": 1, "exact_match_original": 0},
	} {
		got, err := goFuncs.genResults[name](doc, resp)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: %s", name, d)
		}
	}
}
