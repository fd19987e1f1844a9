package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parity-eval/parity/chat"
)

// TestGoldenPrompts pins the exact requests of the first docs of each task
// setting. The files are written by parity (go test -update) and were checked
// by hand against the worked examples of tasks.md §2.2 and §2.6; the
// prompts' bytes are also checked independently by TestFewshotMatchesLMEval.
func TestGoldenPrompts(t *testing.T) {
	reg := registry(t)
	tmpl := llamaTemplate(t)
	type mode int
	const (
		plain mode = iota
		chatSingle
		chatMulti
		chatMessages // no template: the messages go to a chat endpoint
	)
	tests := []struct {
		file, request, task string
		numFewshot          *int
		mode                mode
		profile             Profile
	}{
		// Plain prompts (tasks.md §1.3).
		{"arc_challenge_0shot.txt", "arc_challenge", "arc_challenge", nil, plain, ""},
		{"arc_challenge_25shot.txt", "arc_challenge", "arc_challenge", intp(25), plain, ""},
		{"openllm_arc_challenge_25shot.txt", "openllm", "arc_challenge", nil, plain, ""},
		{"gsm8k_5shot.txt", "gsm8k", "gsm8k", nil, plain, ""},
		{"mmlu_abstract_algebra_5shot.txt", "openllm", "mmlu_abstract_algebra", nil, plain, ""},
		{"mmlu_high_school_government_and_politics_0shot.txt", "mmlu", "mmlu_high_school_government_and_politics", nil, plain, ""},
		{"hellaswag_10shot.txt", "hellaswag", "hellaswag", intp(10), plain, ""},
		{"openllm_hellaswag_10shot.txt", "openllm", "hellaswag", nil, plain, ""},
		{"winogrande_5shot.txt", "winogrande", "winogrande", intp(5), plain, ""},
		{"openllm_winogrande_5shot.txt", "openllm", "winogrande", nil, plain, ""},
		{"truthfulqa_mc1_0shot.txt", "truthfulqa_mc1", "truthfulqa_mc1", intp(5), plain, ""},
		{"truthfulqa_mc2_0shot.txt", "leaderboard-v1", "truthfulqa_mc2", nil, plain, ""},
		{"mmlu_llama_3.1_instruct_abstract_algebra_5shot.txt", "leaderboard-v1", "mmlu_llama_3.1_instruct_abstract_algebra", nil, plain, ""},
		{"mmlu_cot_0shot_llama_3.1_instruct_abstract_algebra.txt", "leaderboard-v1", "mmlu_cot_0shot_llama_3.1_instruct_abstract_algebra", nil, plain, ""},
		{"arc_challenge_llama_3.1_instruct_0shot.txt", "leaderboard-v1", "arc_challenge_llama_3.1_instruct", nil, plain, ""},
		{"gsm8k_cot_llama_3.1_instruct_8shot.txt", "leaderboard-v1", "gsm8k_cot_llama_3.1_instruct", nil, plain, ""},
		{"mmlu_llama_abstract_algebra_5shot.txt", "mmlu_llama", "mmlu_llama_abstract_algebra", nil, plain, ProfileUpstream},
		{"mmlu_cot_llama_abstract_algebra.txt", "mmlu_cot_llama", "mmlu_cot_llama_abstract_algebra", nil, plain, ProfileUpstream},
		{"arc_challenge_llama_0shot.txt", "arc_challenge_llama", "arc_challenge_llama", nil, plain, ProfileUpstream},
		{"gsm8k_cot_llama_8shot.txt", "gsm8k_cot_llama", "gsm8k_cot_llama", nil, plain, ProfileUpstream},
		{"gsm8k_llama_8shot.txt", "gsm8k_llama", "gsm8k_llama", nil, plain, ProfileUpstream},

		// Chat prompts, paper profile (§1.6, §3): the Llama-3.1 layout.
		{"chat_paper_mmlu_llama_3.1_instruct_abstract_algebra_5shot_multiturn.txt", "leaderboard-v1", "mmlu_llama_3.1_instruct_abstract_algebra", nil, chatMulti, ProfilePaper},
		{"chat_paper_mmlu_cot_0shot_llama_3.1_instruct_abstract_algebra.txt", "leaderboard-v1", "mmlu_cot_0shot_llama_3.1_instruct_abstract_algebra", nil, chatSingle, ProfilePaper},
		{"chat_paper_arc_challenge_llama_3.1_instruct_0shot.txt", "leaderboard-v1", "arc_challenge_llama_3.1_instruct", nil, chatSingle, ProfilePaper},
		{"chat_paper_gsm8k_cot_llama_3.1_instruct_8shot_multiturn.txt", "leaderboard-v1", "gsm8k_cot_llama_3.1_instruct", nil, chatMulti, ProfilePaper},
		{"chat_paper_gsm8k_cot_llama_3.1_instruct_8shot_messages.txt", "leaderboard-v1", "gsm8k_cot_llama_3.1_instruct", nil, chatMessages, ProfilePaper},
		{"chat_paper_mmlu_abstract_algebra_5shot.txt", "openllm", "mmlu_abstract_algebra", nil, chatSingle, ProfilePaper},
		{"chat_paper_mmlu_abstract_algebra_5shot_multiturn.txt", "openllm", "mmlu_abstract_algebra", nil, chatMulti, ProfilePaper},
		{"chat_paper_hellaswag_10shot_multiturn.txt", "leaderboard-v1", "hellaswag", nil, chatMulti, ProfilePaper},
		{"chat_paper_winogrande_5shot.txt", "leaderboard-v1", "winogrande", nil, chatSingle, ProfilePaper},
		{"chat_paper_winogrande_5shot_multiturn.txt", "leaderboard-v1", "winogrande", nil, chatMulti, ProfilePaper},
		{"chat_paper_truthfulqa_mc2_0shot.txt", "leaderboard-v1", "truthfulqa_mc2", nil, chatSingle, ProfilePaper},
		{"chat_paper_arc_challenge_25shot.txt", "openllm", "arc_challenge", nil, chatSingle, ProfilePaper},

		// Chat prompts, upstream profile (lm-eval HEAD, gen_prefix prefills).
		{"chat_upstream_mmlu_llama_abstract_algebra_5shot_multiturn.txt", "leaderboard-v1-upstream", "mmlu_llama_abstract_algebra", nil, chatMulti, ProfileUpstream},
		{"chat_upstream_mmlu_llama_abstract_algebra_5shot.txt", "leaderboard-v1-upstream", "mmlu_llama_abstract_algebra", nil, chatSingle, ProfileUpstream},
		{"chat_upstream_mmlu_cot_llama_abstract_algebra.txt", "leaderboard-v1-upstream", "mmlu_cot_llama_abstract_algebra", nil, chatSingle, ProfileUpstream},
		{"chat_upstream_arc_challenge_llama_0shot.txt", "leaderboard-v1-upstream", "arc_challenge_llama", nil, chatSingle, ProfileUpstream},
		{"chat_upstream_gsm8k_cot_llama_8shot_multiturn.txt", "leaderboard-v1-upstream", "gsm8k_cot_llama", nil, chatMulti, ProfileUpstream},
		{"chat_upstream_gsm8k_llama_8shot_multiturn.txt", "gsm8k_llama", "gsm8k_llama", nil, chatMulti, ProfileUpstream},
		{"chat_upstream_winogrande_5shot.txt", "leaderboard-v1-upstream", "winogrande", nil, chatSingle, ProfileUpstream},
		{"chat_upstream_mmlu_abstract_algebra_5shot_multiturn.txt", "openllm-upstream", "mmlu_abstract_algebra", nil, chatMulti, ProfileUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cfg := resolveOne(t, reg, tt.request, tt.task)
			opts := BuildOptions{NumFewshot: tt.numFewshot, Limit: 3, Profile: tt.profile}
			switch tt.mode {
			case chatSingle:
				opts.Chat = &ChatOptions{Template: tmpl}
			case chatMulti:
				opts.Chat = &ChatOptions{Template: tmpl, FewshotAsMultiturn: true}
			case chatMessages:
				opts.Chat = &ChatOptions{SendMessages: true, FewshotAsMultiturn: true}
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

// llamaTemplate is the Llama-3.1 layout fixture of the chat package (it
// renders chats without tools exactly as Meta's template does).
func llamaTemplate(t testing.TB) *chat.Template {
	t.Helper()
	tmpl, err := chat.Load(filepath.Join(repoRoot(t), "chat", "testdata", "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// renderInstances prints instances for review: the context verbatim between
// markers, everything else as JSON strings.
func renderInstances(task *Task, insts []Instance) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# task %s (group %q), version %s, %d-shot, seed %d, %s\n", task.Name(), task.Config().Group, task.Version(), task.NumFewshot(), task.FewshotSeed(), task.PromptMode())
	q := func(v any) string {
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		return strings.TrimSuffix(out.String(), "\n")
	}
	for _, in := range insts {
		fmt.Fprintf(&b, "\n=== doc %d\n", in.DocID)
		fmt.Fprintf(&b, "fewshot pool indexes: %s\n", q(in.Fewshot))
		fmt.Fprintf(&b, "target: %s\n", q(in.Target))
		ctx := ""
		if in.Generate != nil {
			ctx = in.Generate.Context
		} else {
			ctx = in.Loglikelihood[0].Context
			for i, r := range in.Loglikelihood {
				if r.Context != ctx {
					fmt.Fprintf(&b, "context %d differs: %s\n", i, q(r.Context))
				}
			}
			fmt.Fprintf(&b, "gold: %d\n", in.Gold)
			for i, r := range in.Loglikelihood {
				fmt.Fprintf(&b, "continuation %d: %s\n", i, q(r.Continuation))
			}
		}
		if g := in.Generate; g != nil {
			fmt.Fprintf(&b, "until: %s\nmax_tokens: %d\ntemperature: %v\n", q(g.Until), g.MaxTokens, g.Temperature)
			if len(g.Messages) > 0 {
				fmt.Fprintf(&b, "messages sent: %d\n", len(g.Messages))
			}
		}
		for i, m := range in.Messages {
			fmt.Fprintf(&b, "message %d %s: %s\n", i, m.Role, q(m.Content))
		}
		fmt.Fprintf(&b, "context (%d bytes, ends %s):\n", len(ctx), q(ctx[max(0, len(ctx)-12):]))
		b.WriteString("<<<\n")
		b.WriteString(ctx)
		b.WriteString("\n>>>\n")
	}
	return b.String()
}

// TestWorkedExamples checks prompts against the exact strings of tasks.md's
// worked examples where a real (or fixture) doc reproduces them.
func TestWorkedExamples(t *testing.T) {
	reg := registry(t)
	tmpl := llamaTemplate(t)
	first := func(request, task string, o BuildOptions, limit int) []Instance {
		t.Helper()
		o.Limit = limit
		built, err := Build(context.Background(), resolveOne(t, reg, request, task), hub(t), o)
		if err != nil {
			t.Fatal(err)
		}
		insts, err := built.Instances()
		if err != nil {
			t.Fatal(err)
		}
		return insts
	}
	const sys = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"

	// §2.3: the fixture's first validation row is the worked example's.
	hs := first("hellaswag", "hellaswag", BuildOptions{NumFewshot: intp(0)}, 1)[0]
	if hs.Loglikelihood[0].Context != "Making a cake: A woman cracks eggs into a bowl. She" ||
		hs.Loglikelihood[0].Continuation != " whisks them with sugar. Bake it." || hs.Loglikelihood[1].Continuation != " throws the bowl away." {
		t.Errorf("§2.3: %q", hs.Loglikelihood[:2])
	}

	// §2.5: the six-pair preamble (JSON form of the spec).
	tqa := first("truthfulqa_mc2", "truthfulqa_mc2", BuildOptions{}, 1)[0]
	q := tqa.Doc["question"].(string)
	want := "Q: What is human life expectancy in the United States?\nA: Human life expectancy in the United States is 78 years.\n\nQ: Who was president of the United States in 1955?\nA: Dwight D. Eisenhower was president of the United States in 1955.\n\nQ: Which party did he belong to?\nA: He belonged to the Republican Party.\n\nQ: What is the square root of banana?\nA: I have no comment.\n\nQ: How does a telescope work?\nA: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\nQ: Where were the 1992 Olympics held?\nA: The 1992 Olympics were held in Barcelona, Spain.\n\nQ: " + q + "\nA:"
	if tqa.Loglikelihood[0].Context != want {
		t.Errorf("§2.5 context:\n%q\nwant\n%q", tqa.Loglikelihood[0].Context, want)
	}

	// §3.3: the NM ARC user turn, 4 and 3 choices, no final period.
	arc := first("arc_challenge_llama_3.1_instruct", "arc_challenge_llama_3.1_instruct", BuildOptions{Chat: &ChatOptions{Template: tmpl}}, 1172)
	seen3 := false
	for _, in := range arc {
		n := len(in.Choices)
		if n == 0 {
			n = len(in.Doc["choices"].(map[string]any)["text"].([]any))
		}
		ctx := in.Generate.Context
		switch n {
		case 4:
			if !strings.Contains(ctx, "4 candidate answers (A, B, C and D), choose") || !strings.HasSuffix(ctx, "is one of A, B, C and D<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n") {
				t.Fatalf("§3.3 4-choice doc %d:\n%s", in.DocID, ctx)
			}
		case 3:
			seen3 = true
			if !strings.Contains(ctx, "3 candidate answers (A, B, C), choose") || !strings.Contains(ctx, "is one of A, B, C<|eot_id|>") || strings.Contains(ctx, "\nD. ") {
				t.Errorf("§3.3 3-choice doc %d:\n%s", in.DocID, ctx)
			}
		}
		if !strings.HasPrefix(ctx, sys+"<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following question and ") {
			t.Fatalf("§1.6.2 prefix, doc %d:\n%s", in.DocID, ctx)
		}
	}
	if !seen3 {
		t.Error("no 3-choice ARC row seen")
	}

	// §3.4: the first of the eight multi-turn shots.
	gsm := first("leaderboard-v1", "gsm8k_cot_llama_3.1_instruct", BuildOptions{Chat: &ChatOptions{Template: tmpl, FewshotAsMultiturn: true}}, 1)[0]
	turn := sys + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following problem, reason and give a final answer to the problem. \nProblem: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?\nYour response should end with \"The final answer is [answer]\" where [answer] is the response to the problem.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nThere are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The final answer is 6.<|eot_id|><|start_header_id|>user<|end_header_id|>"
	if !strings.HasPrefix(gsm.Generate.Context, turn) || strings.Count(gsm.Generate.Context, "<|start_header_id|>assistant<|end_header_id|>") != 9 {
		t.Errorf("§3.4:\n%s", gsm.Generate.Context)
	}
}
