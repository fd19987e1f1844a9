package tasks

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/datasets"
)

// TestFewshotMatchesLMEval checks parity's few-shot picks and whole prompts
// for the first 20 docs against what lm-eval v0.4.5 builds, as computed by
// testdata/fewshot/lmeval_fewshot.py with CPython's random module.
func TestFewshotMatchesLMEval(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "fewshot", "lmeval_fewshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]struct {
		Fewshot      [][]int  `json:"fewshot"`
		PromptSHA256 []string `json:"prompt_sha256"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	reg := registry(t)
	tmpl := llamaTemplate(t)
	chatSingle := &ChatOptions{Template: tmpl}
	chatMulti := &ChatOptions{Template: tmpl, FewshotAsMultiturn: true}
	tests := []struct {
		key        string
		request    string
		task       string
		numFewshot *int
		chat       *ChatOptions
	}{
		{"arc_challenge/0", "arc_challenge", "arc_challenge", nil, nil},
		{"arc_challenge/25", "arc_challenge", "arc_challenge", intp(25), nil},
		{"openllm/arc_challenge/25", "openllm", "arc_challenge", nil, nil},
		{"gsm8k/5", "gsm8k", "gsm8k", nil, nil},
		{"gsm8k/5", "openllm", "gsm8k", nil, nil},
		{"mmlu_abstract_algebra/5", "openllm", "mmlu_abstract_algebra", nil, nil},
		{"mmlu_high_school_government_and_politics/5", "mmlu", "mmlu_high_school_government_and_politics", intp(5), nil},
		{"chat/mmlu_abstract_algebra/5", "openllm", "mmlu_abstract_algebra", nil, chatSingle},
		{"chat/multiturn/mmlu_high_school_government_and_politics/5", "openllm", "mmlu_high_school_government_and_politics", nil, chatMulti},
		{"mmlu_llama_3.1_instruct_abstract_algebra/5", "leaderboard-v1", "mmlu_llama_3.1_instruct_abstract_algebra", nil, nil},
		{"chat/multiturn/mmlu_llama_3.1_instruct_abstract_algebra/5", "leaderboard-v1", "mmlu_llama_3.1_instruct_abstract_algebra", nil, chatMulti},
		{"chat/multiturn/mmlu_llama_3.1_instruct_high_school_government_and_politics/5", "mmlu_llama_3.1_instruct", "mmlu_llama_3.1_instruct_high_school_government_and_politics", intp(5), chatMulti},
		{"chat/arc_challenge_llama_3.1_instruct/0", "leaderboard-v1", "arc_challenge_llama_3.1_instruct", nil, chatSingle},
		{"gsm8k_cot_llama_3.1_instruct/8", "gsm8k_cot_llama_3.1_instruct", "gsm8k_cot_llama_3.1_instruct", intp(8), nil},
		{"chat/multiturn/gsm8k_cot_llama_3.1_instruct/8", "leaderboard-v1", "gsm8k_cot_llama_3.1_instruct", nil, chatMulti},
		{"hellaswag/10", "hellaswag", "hellaswag", intp(10), nil},
		{"openllm/hellaswag/10", "openllm", "hellaswag", nil, nil},
		{"chat/multiturn/hellaswag/10", "leaderboard-v1", "hellaswag", nil, chatMulti},
		{"winogrande/5", "leaderboard-v1", "winogrande", nil, nil},
		{"openllm/winogrande/5", "openllm", "winogrande", nil, nil},
		{"chat/winogrande/5", "winogrande", "winogrande", intp(5), chatSingle},
		{"truthfulqa_mc2/0", "truthfulqa_mc2", "truthfulqa_mc2", intp(3), nil},
		{"chat/truthfulqa_mc2/0", "leaderboard-v1", "truthfulqa_mc2", nil, chatMulti},
	}
	for _, tt := range tests {
		t.Run(tt.key+"@"+tt.request, func(t *testing.T) {
			w, ok := want[tt.key]
			if !ok {
				t.Fatalf("no expectation %q", tt.key)
			}
			cfg := resolveOne(t, reg, tt.request, tt.task)
			task, err := Build(context.Background(), cfg, hub(t), BuildOptions{NumFewshot: tt.numFewshot, Limit: len(w.Fewshot), Chat: tt.chat})
			if err != nil {
				t.Fatal(err)
			}
			insts, err := task.Instances()
			if err != nil {
				t.Fatal(err)
			}
			var gotShots [][]int
			var gotHashes []string
			for _, in := range insts {
				shots := in.Fewshot
				if shots == nil {
					shots = []int{}
				}
				gotShots = append(gotShots, shots)
				gotHashes = append(gotHashes, contextsHash(in))
			}
			if diff := cmp.Diff(w.Fewshot, gotShots); diff != "" {
				t.Errorf("few-shot indexes differ from lm-eval (-lm-eval +parity):\n%s", diff)
			}
			if diff := cmp.Diff(w.PromptSHA256, gotHashes); diff != "" {
				t.Errorf("prompt hashes differ from lm-eval (-lm-eval +parity):\n%s", diff)
			}
		})
	}
}

// contextsHash is lmeval_fewshot.py's ctx_hash: SHA-256 of the doc's
// distinct request contexts, in order, joined by NUL.
func contextsHash(in Instance) string {
	var seen []string
	add := func(c string) {
		for _, s := range seen {
			if s == c {
				return
			}
		}
		seen = append(seen, c)
	}
	if in.Generate != nil {
		add(in.Generate.Context)
	}
	for _, r := range in.Loglikelihood {
		add(r.Context)
	}
	return sha256Hex(strings.Join(seen, "\x00"))
}

// memDocs is an in-memory DocSource for unit tests.
type memDocs map[string][]datasets.Doc

func (m memDocs) Load(_ context.Context, ref datasets.Ref) ([]datasets.Doc, error) {
	docs, ok := m[ref.Split]
	if !ok {
		return nil, &datasets.Error{Dataset: ref.Path, Split: ref.Split, Err: datasets.ErrNotFound}
	}
	return docs, nil
}

func numberedDocs(n int) []datasets.Doc {
	docs := make([]datasets.Doc, n)
	for i := range docs {
		docs[i] = datasets.Doc{"q": string(rune('a' + i)), "a": string(rune('A' + i))}
	}
	return docs
}

func parseOne(t *testing.T, yamlText string) *Config {
	t.Helper()
	reg, err := Parse("test.yaml", []byte(yamlText), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return reg.Tasks()[0]
}

// TestSamplers covers first_n and the k+1 rule (fewshot_split == test_split,
// None == None included) on small pools where the eval doc is in the pool.
func TestSamplers(t *testing.T) {
	const head = `
tasks:
  - task: t
    version: "1"
    dataset_path: x
    doc_to_text: "{{q}}"
    doc_to_target: "{{a}}"
    fewshot_delimiter: "|"
    target_delimiter: "="
`
	docs := numberedDocs(6)
	tests := []struct {
		name  string
		extra string
		k     int
		want  []string // contexts of the 6 docs
	}{
		{
			name:  "first_n skips the eval doc when pool is the test split",
			extra: "    test_split: test\n    fewshot_split: test\n    fewshot_config: {sampler: first_n}\n",
			k:     2,
			want:  []string{"b=B|c=C|a", "a=A|c=C|b", "a=A|b=B|c", "a=A|b=B|d", "a=A|b=B|e", "a=A|b=B|f"},
		},
		{
			// v0.4.5 drops a drawn doc equal to the eval doc even from another
			// split, without drawing a replacement: docs a and b get one shot.
			name:  "first_n on another split draws k and still drops an equal doc",
			extra: "    test_split: test\n    fewshot_split: train\n    fewshot_config: {sampler: first_n}\n",
			k:     2,
			want:  []string{"b=B|a", "a=A|b", "a=A|b=B|c", "a=A|b=B|d", "a=A|b=B|e", "a=A|b=B|f"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parseOne(t, head+tt.extra)
			task, err := Build(context.Background(), cfg, memDocs{"test": docs, "train": docs}, BuildOptions{NumFewshot: intp(tt.k)})
			if err != nil {
				t.Fatal(err)
			}
			insts, err := task.Instances()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range insts {
				got = append(got, in.Generate.Context)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("contexts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDrawCount pins the number of docs drawn per eval doc, which decides
// the whole random stream.
func TestDrawCount(t *testing.T) {
	tests := []struct {
		fewshot, test string
		want          int
	}{
		{"", "", 6},      // hellaswag/winogrande on their own: None == None
		{"train", "", 5}, // under openllm
		{"", "test", 5},  // arc_challenge on its own
		{"validation", "test", 5},
		{"test", "test", 6},
	}
	for _, tt := range tests {
		task := &Task{cfg: &Config{FewshotSplit: tt.fewshot, TestSplit: tt.test}, numFewshot: 5}
		if got := task.drawCount(); got != tt.want {
			t.Errorf("fewshot_split %q, test_split %q: draws %d, want %d", tt.fewshot, tt.test, got, tt.want)
		}
	}
}

// TestKPlusOneDropsEvalDoc checks, against CPython, that with the eval doc in
// the pool the sampler draws k+1 and drops the doc itself. The expected
// picks come from:
//
//	r = random.Random(1234)
//	for i in range(6): print([j for j in r.sample(range(6), 3) if j != i][:2])
func TestKPlusOneDropsEvalDoc(t *testing.T) {
	cfg := parseOne(t, `
tasks:
  - task: t
    version: "1"
    dataset_path: x
    test_split: test
    fewshot_split: test
    doc_to_text: "{{q}}"
    doc_to_target: "{{a}}"
`)
	task, err := Build(context.Background(), cfg, memDocs{"test": numberedDocs(6)}, BuildOptions{NumFewshot: intp(2)})
	if err != nil {
		t.Fatal(err)
	}
	insts, err := task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	var got [][]int
	for _, in := range insts {
		got = append(got, in.Fewshot)
	}
	want := [][]int{{3, 4}, {0, 4}, {5, 0}, {2, 1}, {0, 5}, {4, 3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("picks (-CPython +parity):\n%s", diff)
	}
}

// TestDocCounts asserts the split sizes of tasks.md §10 for the tasks here.
func TestDocCounts(t *testing.T) {
	reg := registry(t)
	tests := []struct {
		request, task string
		docs, pool    int
	}{
		{"arc_challenge", "arc_challenge", 1172, 1119},
		{"openllm", "arc_challenge", 1172, 299},
		{"gsm8k", "gsm8k", 1319, 7473},
	}
	for _, tt := range tests {
		cfg := resolveOne(t, reg, tt.request, tt.task)
		task, err := Build(context.Background(), cfg, hub(t), BuildOptions{NumFewshot: intp(1)})
		if err != nil {
			t.Fatal(err)
		}
		if task.TotalDocs() != tt.docs || len(task.pool) != tt.pool {
			t.Errorf("%s via %s: %d docs, pool %d; want %d and %d", tt.task, tt.request, task.TotalDocs(), len(task.pool), tt.docs, tt.pool)
		}
	}
}

// TestInstancesDeterministic: every call starts a fresh random stream, so
// calls (also concurrent ones) give identical requests.
func TestInstancesDeterministic(t *testing.T) {
	cfg := resolveOne(t, registry(t), "openllm", "arc_challenge")
	task, err := Build(context.Background(), cfg, hub(t), BuildOptions{Limit: 30})
	if err != nil {
		t.Fatal(err)
	}
	results := make([][]Instance, 4)
	done := make(chan error, len(results))
	for i := range results {
		go func() {
			var err error
			results[i], err = task.Instances()
			done <- err
		}()
	}
	for range results {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < len(results); i++ {
		if diff := cmp.Diff(results[0], results[i]); diff != "" {
			t.Fatalf("call %d differs:\n%s", i, diff)
		}
	}
}
