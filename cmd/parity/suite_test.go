package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parity-eval/parity/runner/openai/openaitest"
	"github.com/parity-eval/parity/tasks/taskstest"
)

// suiteHub is the shared Hub mirror plus the HellaSwag fixture (the mirror
// has no HellaSwag), linked into a temporary folder.
func suiteHub(t testing.TB, hub string) string {
	t.Helper()
	dir, err := taskstest.MirrorWithHellaswag(hub, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// chatTemplate is the Llama-3.1-layout fixture of the chat package.
func chatTemplate(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "chat", "testdata", "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type suiteResults struct {
	Results  map[string]map[string]any `json:"results"`
	Groups   map[string]map[string]any `json:"groups"`
	NSamples map[string]struct {
		Effective int `json:"effective"`
	} `json:"n-samples"`
	Parity struct {
		Switches map[string]any `json:"switches"`
	} `json:"parity"`
}

// TestSuiteLeaderboardV1 runs the paper's V1 suite on 20 docs per task
// against the loopback server, plain and in the chat modes, as a user
// would; it must finish in seconds.
func TestSuiteLeaderboardV1(t *testing.T) {
	hub := suiteHub(t, hubDir(t))
	tmpl := chatTemplate(t)
	paper := []string{"mmlu_llama_3.1_instruct", "mmlu_cot_0shot_llama_3.1_instruct"}
	upstream := []string{"mmlu_llama", "mmlu_cot_llama"}
	for _, tc := range []struct {
		name         string
		args         []string
		groups       []string
		tasks        []string
		chatPrompts  bool // generation prompts rendered with the template
		chatRequests bool // generation requests sent as messages
	}{
		{"plain", nil, paper, []string{"arc_challenge_llama_3.1_instruct", "gsm8k_cot_llama_3.1_instruct"}, false, false},
		{"chat template", []string{"--apply-chat-template", "--chat-template", tmpl, "--fewshot-as-multiturn"}, paper, []string{"arc_challenge_llama_3.1_instruct", "gsm8k_cot_llama_3.1_instruct"}, true, false},
		{"chat endpoint", []string{"--chat", "--chat-template", tmpl, "--fewshot-as-multiturn"}, paper, []string{"arc_challenge_llama_3.1_instruct", "gsm8k_cot_llama_3.1_instruct"}, false, true},
		{"upstream chat template", []string{"--profile", "upstream", "--apply_chat_template", "--chat_template", tmpl, "--fewshot_as_multiturn"}, upstream, []string{"arc_challenge_llama", "gsm8k_cot_llama"}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The fake tokenizer spends more tokens than Llama 3.1's on the long
			// multi-turn MMLU prompts; a long context keeps them all.
			srv := newServer(t, openaitest.Options{RecordPrompts: true, MaxModelLen: 32768})
			dir := t.TempDir()
			args := append([]string{"run", "--model-url", srv.URL(), "--model", "test-model", "--suite", "leaderboard-v1", "--limit", "20",
				"--data-dir", hub, "--cache", filepath.Join(dir, "cache.db"), "--output", filepath.Join(dir, "out"), "--progress", "none"}, tc.args...)
			start := time.Now()
			r := runParity(t, context.Background(), []string{"HF_HOME=" + t.TempDir()}, args...)
			took := time.Since(start)
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.stderr)
			}
			if took > time.Minute {
				t.Errorf("the suite took %v on the loopback server", took)
			}
			var res suiteResults
			b, err := os.ReadFile(filepath.Join(dir, "out", "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &res); err != nil {
				t.Fatal(err)
			}
			for _, g := range tc.groups {
				if _, ok := res.Groups[g]["exact_match_stderr,"+filterOf(g)]; !ok {
					t.Errorf("groups.%s: %v", g, res.Groups[g])
				}
			}
			for _, task := range append(tc.tasks, "hellaswag", "winogrande", "truthfulqa_mc2") {
				if _, ok := res.Results[task]; !ok {
					t.Errorf("results lack %s", task)
				}
				want := 20
				if task == "hellaswag" {
					want = 12 // the fixture's validation split
				}
				if n := res.NSamples[task].Effective; n != want {
					t.Errorf("%s: %d docs, want %d", task, n, want)
				}
			}
			if v, _ := res.Results["hellaswag"]["acc_norm,none"].(float64); v < 0 || v > 1 {
				t.Errorf("hellaswag acc_norm %v", res.Results["hellaswag"]["acc_norm,none"])
			}
			sw := res.Parity.Switches
			if sw["apply_chat_template"] != (tc.chatPrompts || tc.chatRequests) || sw["suites"] == nil {
				t.Errorf("switches: %v", sw)
			}
			got := srv.Requests()
			if tc.chatRequests != (got.ChatCompletions > 0) {
				t.Errorf("chat requests: %+v", got)
			}
			chatPrompts := 0
			for _, p := range got.Prompts {
				if strings.Contains(p, "<|start_header_id|>user<|end_header_id|>") {
					chatPrompts++
				}
			}
			if wantChat := tc.chatPrompts || tc.chatRequests; wantChat != (chatPrompts > 0) {
				t.Errorf("%d of %d prompts are Llama-3.1 chats", chatPrompts, len(got.Prompts))
			}
			t.Logf("%s: %v, %d completions and %d chat requests (%d prompts), %d tokenize calls; %s", tc.name, took.Round(time.Millisecond),
				got.Completions, got.ChatCompletions, got.PromptCount, got.Tokenize, lastLine(r.stderr))
		})
	}
}

func filterOf(group string) string {
	switch {
	case strings.HasPrefix(group, "mmlu_cot_0shot"):
		return "strict-match"
	case strings.HasPrefix(group, "mmlu_llama_3.1"):
		return "multi_choice"
	}
	return "strict_match"
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// TestPromptFlagErrors: bad combinations of the prompt flags are usage
// errors (exit 2) that say what to do.
func TestPromptFlagErrors(t *testing.T) {
	srv := newServer(t, openaitest.Options{})
	base := []string{"run", "--model-url", srv.URL(), "--model", "test-model", "--tasks", "gsm8k", "--limit", "2", "--no-cache", "--output", t.TempDir()}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"template missing", []string{"--apply-chat-template"}, "--chat-template"},
		{"multiturn without chat", []string{"--fewshot-as-multiturn"}, "chat mode"},
		{"unknown suite", []string{"--suite", "leaderbord-v1"}, "leaderboard-v1"},
		{"group is not a suite", []string{"--suite", "mmlu"}, "not a suite"},
		{"unknown profile", []string{"--profile", "v0.4.5"}, "paper or upstream"},
		{"fractional limit above one", []string{"--limit", "1.5"}, "number of documents"},
		{"two seeds", []string{"--seed", "1,2"}, "four"},
		{"bad gen kwargs", []string{"--gen_kwargs", "temperature"}, "key=value"},
		{"missing template file", []string{"--apply-chat-template", "--chat-template", filepath.Join(t.TempDir(), "nope.json")}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runParity(t, context.Background(), nil, append(append([]string{}, base...), tc.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", r.code, r.stderr, exitUsage, tc.want)
			}
		})
	}
}

// TestLMEvalSpellings: lm-eval's flag names, a fractional limit and
// --gen_kwargs behave as in lm-eval.
func TestLMEvalSpellings(t *testing.T) {
	srv := newServer(t, openaitest.Options{})
	dir := t.TempDir()
	r := runParity(t, context.Background(), nil, "run", "--model_url", srv.URL(), "--model", "test-model", "--tasks", "gsm8k",
		"--num_fewshot=2", "--limit", "0.005", "--gen_kwargs", "max_gen_toks=17,until=Q:", "--seed", "0,1234,1234,7",
		"--system_instruction", "Be brief.", "--data-dir", hubDir(t), "--no-cache", "--output_path", filepath.Join(dir, "out"), "--progress", "none")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out", "samples_gsm8k.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2*7 { // ceil(1319 * 0.005) docs, two filters each
		t.Errorf("%d sample lines, want 14", len(lines))
	}
	var first struct {
		Arguments map[string]struct {
			Arg0 string         `json:"arg_0"`
			Arg1 map[string]any `json:"arg_1"`
		} `json:"arguments"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	a := first.Arguments["gen_args_0"]
	if !strings.HasPrefix(a.Arg0, "Be brief.") || strings.Count(a.Arg0, "Question:") != 3 {
		t.Errorf("prompt does not start with the system instruction and hold 2 shots:\n%s", a.Arg0)
	}
	if a.Arg1["max_gen_toks"] != float64(17) || a.Arg1["until"].([]any)[0] != "Q:" {
		t.Errorf("generation kwargs %v", a.Arg1)
	}
	var res suiteResults
	b, _ = os.ReadFile(filepath.Join(dir, "out", "results.json"))
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Parity.Switches["fewshot_seed"] != float64(7) || res.Parity.Switches["limit"] != 0.005 {
		t.Errorf("switches %v", res.Parity.Switches)
	}
}

// BenchmarkSuiteLeaderboardV1 times the harness itself on the V1 suite
// (20 docs per task, plain): every run loads the data, builds and scores
// all prompts and writes the results, while the loopback server answers
// from memory (Options.Memo) after the first run, so the model costs
// nothing.
func BenchmarkSuiteLeaderboardV1(b *testing.B) {
	hub := suiteHub(b, hubDir(&testing.T{}))
	srv := openaitest.NewServer(openaitest.Options{Model: "test-model", Memo: true, MaxModelLen: 32768})
	defer srv.Close()
	b.Setenv("HF_HOME", b.TempDir())
	out := b.TempDir()
	args := []string{"run", "--model-url", srv.URL(), "--model", "test-model", "--suite", "leaderboard-v1", "--limit", "20",
		"--data-dir", hub, "--no-cache", "--output", out, "--progress", "none", "--skip-check"}
	if code := realMain(context.Background(), args, io.Discard, io.Discard); code != 0 {
		b.Fatalf("warm-up run exited %d", code)
	}
	srv.ResetRequests()
	b.ResetTimer()
	for range b.N {
		if code := realMain(context.Background(), args, io.Discard, io.Discard); code != 0 {
			b.Fatalf("run exited %d", code)
		}
	}
	b.StopTimer()
	c := srv.Requests()
	b.ReportMetric(float64(c.Completions+c.ChatCompletions)/float64(b.N), "http-requests/op")
	b.ReportMetric(float64(c.PromptCount)/float64(b.N), "prompts/op")
	b.ReportMetric(float64(c.Tokenize)/float64(b.N), "tokenize-calls/op")
}
