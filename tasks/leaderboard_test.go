package tasks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/datasets"
)

// TestLeaderboardGoldenPrompts pins the first docs' requests of the V2 tasks
// (tasks.md §4), plain and in the paper's chat multiturn mode. The plain
// files were checked by hand against the worked examples of §4.1, §4.2,
// §4.4 and §4.5; TestLeaderboardWorkedExamples checks the exact strings.
func TestLeaderboardGoldenPrompts(t *testing.T) {
	reg := registry(t)
	tmpl := llamaTemplate(t)
	tests := []struct {
		file, request, task string
		chat                bool
	}{
		{"leaderboard_mmlu_pro_5shot.txt", "leaderboard-v2", "leaderboard_mmlu_pro", false},
		{"leaderboard_bbh_boolean_expressions_3shot.txt", "leaderboard-v2", "leaderboard_bbh_boolean_expressions", false},
		{"leaderboard_bbh_object_counting_3shot.txt", "leaderboard-v2", "leaderboard_bbh_object_counting", false},
		{"leaderboard_musr_murder_mysteries_0shot.txt", "leaderboard-v2", "leaderboard_musr_murder_mysteries", false},
		{"chat_paper_leaderboard_mmlu_pro_5shot_multiturn.txt", "leaderboard-v2", "leaderboard_mmlu_pro", true},
		{"chat_paper_leaderboard_bbh_boolean_expressions_3shot_multiturn.txt", "leaderboard-v2", "leaderboard_bbh_boolean_expressions", true},
		{"chat_paper_leaderboard_musr_team_allocation_0shot.txt", "leaderboard-v2", "leaderboard_musr_team_allocation", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cfg := resolveOne(t, reg, tt.request, tt.task)
			opts := BuildOptions{Limit: 2, Profile: ProfilePaper}
			if tt.chat {
				opts.Chat = &ChatOptions{Template: tmpl, FewshotAsMultiturn: true}
			}
			task, err := Build(context.Background(), cfg, hub(t), opts)
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

// TestLeaderboardWorkedExamples checks the exact strings of tasks.md §4's
// worked examples on real docs.
func TestLeaderboardWorkedExamples(t *testing.T) {
	reg := registry(t)
	tmpl := llamaTemplate(t)
	build := func(task string, o BuildOptions) []Instance {
		t.Helper()
		b, err := Build(context.Background(), resolveOne(t, reg, "leaderboard-v2", task), hub(t), o)
		if err != nil {
			t.Fatal(err)
		}
		insts, err := b.Instances()
		if err != nil {
			t.Fatal(err)
		}
		return insts
	}

	// §4.1 plain: the description glued to the first Q, three shots.
	bbh := build("leaderboard_bbh_boolean_expressions", BuildOptions{Limit: 1})[0]
	want := "Evaluate the result of a random Boolean expression.Q: not ( ( not not True ) ) is\nA: False\n\nQ: True and False and not True and True is\nA: False\n\nQ: not not ( not ( False ) ) is\nA: True\n\nQ: not ( True ) and ( True ) is\nA:"
	if got := bbh.Loglikelihood[0].Context; got != want {
		t.Errorf("§4.1 plain context:\n%q\nwant\n%q", got, want)
	}
	if c := []string{bbh.Loglikelihood[0].Continuation, bbh.Loglikelihood[1].Continuation}; !cmp.Equal(c, []string{" False", " True"}) {
		t.Errorf("§4.1 continuations %q", c)
	}

	// §4.1 chat multiturn: byte-identical to the NM dump's doc 0.
	bbhChat := build("leaderboard_bbh_boolean_expressions", BuildOptions{Limit: 1, Profile: ProfilePaper, Chat: &ChatOptions{Template: tmpl, FewshotAsMultiturn: true}})[0]
	wantChat := "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nEvaluate the result of a random Boolean expression.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ: not ( ( not not True ) ) is\nA:<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nFalse<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ: True and False and not True and True is\nA:<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nFalse<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ: not not ( not ( False ) ) is\nA:<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nTrue<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ: not ( True ) and ( True ) is\nA:<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
	full := bbhChat.Loglikelihood[0].Context + bbhChat.Loglikelihood[0].Continuation
	if !strings.HasPrefix(full, wantChat) || !strings.HasSuffix(full, "False") {
		t.Errorf("§4.1 chat:\n%q\nwant prefix\n%q", full, wantChat)
	}

	// §4.5: question, lettered options, "Answer:"; one letter per option.
	mp := build("leaderboard_mmlu_pro", BuildOptions{Limit: 1})[0]
	opts, _ := asList(mp.Doc["options"])
	if len(mp.Choices) != len(opts) || mp.Choices[0] != "A" || !strings.HasSuffix(mp.Loglikelihood[0].Context, "\nAnswer:") || strings.Count(mp.Loglikelihood[0].Context, "\nAnswer: ") != 5 {
		t.Errorf("§4.5: choices %q, context:\n%s", mp.Choices, mp.Loglikelihood[0].Context)
	}

	// §4.2: "Answer: " with a trailing space; the correct answer is at
	// the position named by the target.
	for _, g := range build("leaderboard_gpqa_diamond", BuildOptions{Limit: 20}) {
		ctx := g.Loglikelihood[0].Context
		if !strings.HasPrefix(ctx, "What is the correct answer to this question:") || !strings.HasSuffix(ctx, "\nAnswer: ") {
			t.Fatalf("§4.2 doc %d:\n%q", g.DocID, ctx)
		}
		correct, _ := gpqaPreprocess(g.Doc["Correct Answer"])
		letter := g.Doc["answer"].(string)
		if !strings.Contains(ctx, "\n"+letter+" "+correct+"\n") {
			t.Errorf("§4.2 doc %d: answer %s is not %q:\n%s", g.DocID, letter, correct, ctx)
		}
	}

	// §4.2 chat: the template trims the trailing space; no delimiter.
	gc := build("leaderboard_gpqa_main", BuildOptions{Limit: 1, Profile: ProfilePaper, Chat: &ChatOptions{Template: tmpl}})[0]
	if ctx := gc.Loglikelihood[0].Context; !strings.HasSuffix(ctx, "\nAnswer:<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n") || gc.Loglikelihood[0].Continuation != "(A)" {
		t.Errorf("§4.2 chat: ends %q, continuation %q", ctx[len(ctx)-80:], gc.Loglikelihood[0].Continuation)
	}
	if ctx := gc.Loglikelihood[0].Context; !strings.HasPrefix(ctx, "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>") {
		t.Errorf("§4.2 chat: no empty system block: %q", ctx[:120])
	}

	// §4.4: numbered choices, blank line, "Answer:"; choice texts scored.
	mu := build("leaderboard_musr_murder_mysteries", BuildOptions{Limit: 1})[0]
	if !regexp.MustCompile(`\n\n1 - [^\n]+\n2 - [^\n]+\n\nAnswer:$`).MatchString(mu.Loglikelihood[0].Context) || mu.Loglikelihood[0].Continuation != " "+mu.Choices[0] {
		t.Errorf("§4.4:\n%q %q", mu.Loglikelihood[0].Context[len(mu.Loglikelihood[0].Context)-200:], mu.Loglikelihood[0].Continuation)
	}
}

// TestBBHMatchesCotPrompts checks tasks.yaml's BBH descriptions and shots
// against the original BBH chain-of-thought prompt files (tasks.md §4.1).
func TestBBHMatchesCotPrompts(t *testing.T) {
	reg := registry(t)
	g, ok := reg.Group("leaderboard_bbh")
	if !ok {
		t.Fatal("no group leaderboard_bbh")
	}
	leaves := g.Leaves()
	if len(leaves) != 24 {
		t.Fatalf("leaderboard_bbh has %d subtasks, want 24", len(leaves))
	}
	dir := filepath.Join(sharedData(t), "bbh", "cot-prompts")
	answer := regexp.MustCompile(`So the answer is (.*?)\.\s*$`)
	for _, cfg := range leaves {
		name := strings.TrimPrefix(cfg.Name, "leaderboard_bbh_")
		raw, err := os.ReadFile(filepath.Join(dir, name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ := strings.Cut(string(raw), "-----\n")
		desc, rest, _ := strings.Cut(body, "\n\nQ: ")
		if cfg.Description == nil || cfg.Description.Source != desc {
			t.Errorf("%s: description differs from %s.txt", cfg.Name, name)
		}
		var want []datasets.Doc
		for _, block := range strings.Split("Q: "+rest, "\n\nQ: ") {
			block = "Q: " + strings.TrimPrefix(block, "Q: ")
			in, _, _ := strings.Cut(strings.TrimPrefix(block, "Q: "), "\nA: ")
			m := answer.FindStringSubmatch(strings.TrimRight(block, " \n"))
			if m == nil {
				t.Fatalf("%s.txt: a block without \"So the answer is\"", name)
			}
			want = append(want, datasets.Doc{"input": in, "target": m[1]})
		}
		if diff := cmp.Diff(want, cfg.Fewshot.Samples); diff != "" {
			t.Errorf("%s: shots differ from %s.txt (-cot +tasks.yaml):\n%s", cfg.Name, name, diff)
		}
	}
}

// TestGPQAShuffle pins the choice permutation rule: one CPython
// random.Random(0) through diamond, extended, main, four items per row.
func TestGPQAShuffle(t *testing.T) {
	row := func(c string) datasets.Doc {
		return datasets.Doc{"Correct Answer": c, "Incorrect Answer 1": " w [x] ", "Incorrect Answer 2": "y [title]z", "Incorrect Answer 3": nil}
	}
	docs := []datasets.Doc{row("c1"), row("c2"), row("c3")}
	got := map[string][]string{}
	for _, cfg := range []string{"diamond", "extended", "main"} {
		out, err := gpqaProcessDocs(cfg)(docs)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out {
			got[cfg] = append(got[cfg], d["answer"].(string)+" "+d["choice1"].(string)+"|"+d["choice2"].(string)+"|"+d["choice3"].(string)+"|"+d["choice4"].(string))
		}
	}
	// Expected values: testdata/leaderboard/gpqa_shuffle.py (CPython).
	want := readGPQAShuffle(t)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-CPython +parity):\n%s", diff)
	}
	if _, err := gpqaProcessDocs("experts")(docs); err == nil {
		t.Error("unknown config: no error")
	}
}

func readGPQAShuffle(t *testing.T) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "leaderboard", "gpqa_shuffle.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		cfg, rest, _ := strings.Cut(line, "\t")
		out[cfg] = append(out[cfg], rest)
	}
	return out
}

// FuzzLeaderboardDocFuncs: the doc functions never panic on odd docs.
func FuzzLeaderboardDocFuncs(f *testing.F) {
	f.Add("q", "['a', 'b']", "x")
	f.Add("", "[", "")
	f.Fuzz(func(t *testing.T, q, choices, ans string) {
		d := datasets.Doc{"question": q, "narrative": ans, "choices": choices, "options": []any{q, ans, choices}}
		_, _ = mmluProText(d)
		_, _ = mmluProChoice(d)
		_, _ = musrText(d)
		_, _ = gpqaProcessDocs("main")([]datasets.Doc{{"Correct Answer": q, "Incorrect Answer 1": ans, "Incorrect Answer 2": choices}})
	})
}

// TestLeaderboardFullData builds every V2 multiple-choice task on all its
// docs: the counts of tasks.md §4 (BBH 5 761, GPQA 1 192, MuSR 756,
// MMLU-Pro 12 032), and exactly the three known BBH rows whose target is
// not among the choices (hub README), which score 0 as lm-eval's gold -100.
func TestLeaderboardFullData(t *testing.T) {
	reg := registry(t)
	counts := map[string]int{}
	var badGold []string
	for _, group := range []string{"leaderboard_bbh", "leaderboard_gpqa", "leaderboard_musr", "leaderboard_mmlu_pro"} {
		cfgs, err := reg.Resolve([]string{group})
		if err != nil {
			t.Fatal(err)
		}
		for _, cfg := range cfgs {
			task, err := Build(context.Background(), cfg, hub(t), BuildOptions{})
			if err != nil {
				t.Fatal(err)
			}
			insts, err := task.Instances()
			if err != nil {
				t.Fatal(err)
			}
			counts[group] += len(insts)
			for _, in := range insts {
				if in.Gold < 0 {
					badGold = append(badGold, fmt.Sprintf("%s/%d", cfg.Name, in.DocID))
				}
			}
		}
	}
	want := map[string]int{"leaderboard_bbh": 5761, "leaderboard_gpqa": 1192, "leaderboard_musr": 756, "leaderboard_mmlu_pro": 12032}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("docs (-tasks.md +parity):\n%s", diff)
	}
	wantBad := []string{"leaderboard_bbh_movie_recommendation/163", "leaderboard_bbh_ruin_names/99", "leaderboard_bbh_ruin_names/144"}
	if diff := cmp.Diff(wantBad, badGold); diff != "" {
		t.Errorf("docs whose target is not a choice (-hub README +parity):\n%s", diff)
	}
}
