package tasks

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/chat"
	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/runner"
)

// The expected values of these tables are CPython 3.11's.
func TestHellaswagPreprocess(t *testing.T) {
	for in, want := range map[string]string{
		"Making a cake: A woman cracks eggs into a bowl. She": "Making a cake: A woman cracks eggs into a bowl. She",
		"  whisks them [title] Bake it.  ":                    "whisks them. Bake it.",
		"[header] How to x [title] Do y. [step] Then z.":      " How to x. Do y. Then z.", // strip comes first
		"a [b] c [d\ne] f":                                    "a c [d\ne] f",             // "." does not cross a newline
		"one  two   three    four":                            "one two  three  four",
		"[title]":                                             "",
		"\u00a0nbsp\u3000":                                    "nbsp",
	} {
		if got := hellaswagPreprocess(in); got != want {
			t.Errorf("preprocess(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"she": "She", "The MAN": "The man", "ÉLODIE": "Élodie", "": "", "ßig": "Ssig", "ǆemal": "ǅemal", "1ST": "1st",
	} {
		if got := pyCapitalize(in); got != want {
			t.Errorf("capitalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPyIntString(t *testing.T) {
	for in, want := range map[string]int{"0": 0, " 3 ": 3, "-2": -2, "+7": 7, "1_000": 1000, "٣": 3} {
		if got, err := pyIntString(in); err != nil || got != want {
			t.Errorf("int(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1.0", "_1", "1__0", "x", "-"} {
		if _, err := pyIntString(in); err == nil {
			t.Errorf("int(%q) did not fail", in)
		}
	}
}

func TestHellaswagProcessDocsKeepsColumns(t *testing.T) {
	docs, err := hellaswagProcessDocs([]datasets.Doc{{
		"activity_label": "Kite flying", "ctx_a": "A girl runs.", "ctx_b": "", "endings": []any{" x [y] z", "w"}, "label": "1", "ind": int32(3),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := datasets.Doc{"activity_label": "Kite flying", "ctx_a": "A girl runs.", "ctx_b": "", "endings": []any{" x [y] z", "w"}, "label": "1", "ind": int32(3),
		"query": "Kite flying: A girl runs.", "choices": []any{"x z", "w"}, "gold": 1}
	if diff := cmp.Diff(want, docs[0]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := hellaswagProcessDocs([]datasets.Doc{{"activity_label": "a", "ctx_a": "b", "ctx_b": "c", "endings": []any{}, "label": ""}}); err == nil {
		t.Error("an unlabeled row must fail as int('') does")
	}
}

func TestWinograndeFunctions(t *testing.T) {
	d := datasets.Doc{"sentence": "The trophy doesn't fit in the suitcase because the _ is too big.", "option1": "trophy", "option2": "suitcase", "answer": "1"}
	text, _ := winograndeText(d)
	target, _ := winograndeTarget(d)
	choices, _ := winograndeChoice(d)
	if text != 0 || target != "is too big." || !cmp.Equal(choices, []any{"The trophy doesn't fit in the suitcase because the trophy", "The trophy doesn't fit in the suitcase because the suitcase"}) {
		t.Errorf("got %v %q %q", text, target, choices)
	}
	if _, err := winograndeText(datasets.Doc{"answer": ""}); err == nil {
		t.Error("an unlabeled row must fail")
	}
	if _, err := winograndeTarget(datasets.Doc{"sentence": "no blank"}); err == nil {
		t.Error("a sentence without a blank must fail")
	}
}

func TestArcLlamaProcessDocs(t *testing.T) {
	docs := []datasets.Doc{
		{"id": "a", "question": "q", "answerKey": "2", "choices": map[string]any{"text": []any{"w", "x", "y", "z"}, "label": []any{"1", "2", "3", "4"}}},
		{"id": "b", "question": "q", "answerKey": "C", "choices": map[string]any{"text": []any{"w", "x", "y"}, "label": []any{"A", "B", "C"}}},
		{"id": "c", "question": "q", "answerKey": "D", "choices": map[string]any{"text": []any{"w", "x", "y", "z"}, "label": []any{"A", "B", "C", "D"}}},
	}
	out, err := arcLlamaProcessDocs(docs)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0]["answerKey"] != "B" || out[1]["answerKey"] != "D" || out[0]["id"] != "a" {
		t.Errorf("got %v", out)
	}
	if docs[0]["answerKey"] != "2" {
		t.Error("the input doc was changed")
	}
}

func TestTruthfulQAMC2(t *testing.T) {
	doc := datasets.Doc{"mc2_targets": map[string]any{"choices": []any{"a", "b", "c", "d"}, "labels": []any{int32(1), int32(1), int32(0), int32(1)}}}
	res := func(lls ...float64) []runner.LoglikelihoodResult {
		out := make([]runner.LoglikelihoodResult, len(lls))
		for i, l := range lls {
			out[i].LogProb = l
		}
		return out
	}
	// Everything after the first 0 counts as false, the last 1 included.
	ms, err := truthfulqaMC2(doc, res(math.Log(0.1), math.Log(0.2), math.Log(0.3), math.Log(0.4)))
	if err != nil || math.Abs(ms["acc"]-0.3) > 1e-15 {
		t.Errorf("mc2 = %v, %v; want 0.3", ms, err)
	}
	// Far below exp's range NumPy gives 0/0; the normalised mass is still defined.
	ms, _ = truthfulqaMC2(doc, res(-1000, -1000, -1000, -1000))
	if math.Abs(ms["acc"]-0.5) > 1e-15 {
		t.Errorf("underflowing mc2 = %v, want 0.5", ms["acc"])
	}
	if _, err := truthfulqaMC2(datasets.Doc{"mc2_targets": map[string]any{"labels": []any{1, 1}}}, res(-1, -2)); err == nil {
		t.Error("labels without a 0 must fail as list.index(0) does")
	}
}

func TestMultiChoiceRegexOptions(t *testing.T) {
	f, err := newMultiChoiceRegex(map[string]any{"regex_pattern": `answer is \(([A-D])\)`, "group_select": -1, "ignore_case": true,
		"ignore_punctuation": true, "regexes_to_ignore": []any{"\\s+$"}, "fallback": "?"})
	if err != nil {
		t.Fatal(err)
	}
	doc := datasets.Doc{"choices": []any{"Paris", "Lyon!", " Nice ", "Metz"}}
	got, err := f.apply([]string{
		"answer is (A) ... answer is (C)", // the last match
		"I'd say LYON",                    // choice text, case and punctuation ignored
		"nice, probably",                  // stripped choice text
		"Option: D",                       // a letter after a colon
		"no idea",                         // fallback
	}, doc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"C", "(B)", "(C)", "(D)", "?"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := f.apply([]string{"x"}, datasets.Doc{}); err == nil {
		t.Error("a doc without choices must fail")
	}
	if _, err := newMultiChoiceRegex(map[string]any{"regex": "x"}); err == nil {
		t.Error("an unknown parameter must fail")
	}
	dict, _ := newMultiChoiceRegex(map[string]any{"regex_pattern": "([ABCD])"})
	got, _ = dict.apply([]string{"the label", "text"}, datasets.Doc{"choices": map[string]any{"label": []any{"A"}, "text": []any{"x"}}})
	if diff := cmp.Diff([]string{"(B)", "(A)"}, got); diff != "" {
		t.Errorf("a dict's keys are the choices, text first (-want +got):\n%s", diff)
	}
}

func TestGenKwargs(t *testing.T) {
	kw, err := ParseGenKwargs("temperature=0,do_sample=False,max_gen_toks=512,until=\\n\\n,top_p=0.9")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"temperature": 0, "do_sample": false, "max_gen_toks": 512, "until": "\\n\\n", "top_p": 0.9}
	if diff := cmp.Diff(want, kw); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ParseGenKwargs("a=b=c"); err == nil {
		t.Error("a=b=c must fail")
	}
	f := false
	base := GenerationKwargs{Until: []string{"Q:"}, DoSample: &f, order: []string{"until", "do_sample"}}
	g, err := applyGenKwargs(base, map[string]any{"max_gen_toks": 64, "until": "###", "temperature": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(g.Until, []string{"###"}) || *g.MaxGenToks != 64 || *g.Temperature != 0.5 || !cmp.Equal(g.order, []string{"until", "do_sample", "max_gen_toks", "temperature"}) {
		t.Errorf("got %+v", g)
	}
	if !cmp.Equal(base.Until, []string{"Q:"}) || base.MaxGenToks != nil {
		t.Error("the task's kwargs were changed")
	}
	if _, err := applyGenKwargs(base, map[string]any{"top_p": 0.9}); err == nil || !strings.Contains(err.Error(), "top_p") {
		t.Errorf("top_p: %v", err)
	}
}

func TestLimitDocs(t *testing.T) {
	for _, tc := range []struct {
		o       BuildOptions
		n, want int
	}{
		{BuildOptions{}, 1319, 1319},
		{BuildOptions{Limit: 20}, 1319, 20},
		{BuildOptions{Limit: 2000}, 1319, 1319},
		{BuildOptions{LimitFraction: 0.1}, 1319, 132}, // ceil(131.9)
		{BuildOptions{LimitFraction: 0.5}, 3, 2},
		{BuildOptions{Limit: 5, LimitFraction: 0.5}, 100, 5},
	} {
		if got := limitDocs(tc.n, tc.o); got != tc.want {
			t.Errorf("%+v of %d: %d, want %d", tc.o, tc.n, got, tc.want)
		}
	}
}

func TestDelimitRules(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"The best answer is", "A.", "The best answer is A."},
		{"The best answer is ", "A.", "The best answer is A."},
		{"x", " y", "x y"},
		{"", "y", "y"},
		{"x", "", "x"},
	} {
		if got := maybeDelimit(tc.a, tc.b, " "); got != tc.want {
			t.Errorf("maybeDelimit(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
	si := "Be brief."
	for _, tc := range []struct {
		profile     Profile
		si          *string
		description string
		want        string
	}{
		{ProfilePaper, &si, "About algebra.\n\n", "Be brief.\n\nAbout algebra.\n\n"},
		{ProfilePaper, nil, "About algebra.\n\n", "About algebra.\n\n"},
		{ProfilePaper, &si, "", "Be brief."},
		{ProfileUpstream, &si, "About algebra.", "Be brief.\n\nAbout algebra."},
		{ProfileUpstream, &si, " About", "Be brief. About"},
	} {
		task := &Task{cfg: &Config{FewshotDelimiter: "\n\n"}, opts: BuildOptions{SystemInstruction: tc.si}, profile: tc.profile}
		if got := task.systemPrompt(tc.description); got != tc.want {
			t.Errorf("%s %v %q: %q, want %q", tc.profile, tc.si, tc.description, got, tc.want)
		}
	}
}

// TestChatModeRules covers the chat switches on a small task: the
// multiple-choice delimiter, v0.4.5's kept delimiter, the system turn, a
// template error naming the doc, and the build errors without a template.
func TestChatModeRules(t *testing.T) {
	const src = `
tasks:
  - task: mc
    version: "1"
    output_type: multiple_choice
    dataset_path: x
    test_split: test
    description: "Pick one.\n\n"
    doc_to_text: "{{q}}?"
    doc_to_target: 0
    doc_to_choice: ["yes", "no"]
  - task: gen
    version: "1"
    dataset_path: x
    test_split: test
    doc_to_text: "{{q}}?"
    doc_to_target: "{{q}}"
    gen_prefix: "Answer:"
`
	reg, err := Parse("t.yaml", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	docs := memDocs{"test": {{"q": "a"}}}
	tmpl, err := chat.New("{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}{% if add_generation_prompt %}>{% endif %}")
	if err != nil {
		t.Fatal(err)
	}
	mc, _ := reg.Task("mc")
	build := func(cfg *Config, o BuildOptions) (Instance, error) {
		task, err := Build(context.Background(), cfg, docs, o)
		if err != nil {
			return Instance{}, err
		}
		insts, err := task.Instances()
		if err != nil {
			return Instance{}, err
		}
		return insts[0], nil
	}
	in, err := build(mc, BuildOptions{Chat: &ChatOptions{Template: tmpl}})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Loglikelihood) != 2 {
		t.Fatalf("instance %+v", in)
	}
	if in.Loglikelihood[0].Context != "[system:Pick one.\n\n][user:a?]>" || in.Loglikelihood[0].Continuation != "yes" {
		t.Errorf("chat: %+v", in.Loglikelihood[0])
	}
	in, _ = build(mc, BuildOptions{Chat: &ChatOptions{Template: tmpl, KeepTargetDelimiter: true}})
	if in.Loglikelihood[1].Continuation != " no" {
		t.Errorf("v0.4.5 delimiter: %+v", in.Loglikelihood[1])
	}
	in, _ = build(mc, BuildOptions{})
	if in.Loglikelihood[0].Context != "Pick one.\n\na?" || in.Loglikelihood[0].Continuation != " yes" {
		t.Errorf("plain: %+v", in.Loglikelihood[0])
	}
	if _, err := build(mc, BuildOptions{Chat: &ChatOptions{SendMessages: true}}); err == nil || !strings.Contains(err.Error(), "--chat-template") {
		t.Errorf("multiple choice without a template: %v", err)
	}
	gen, _ := reg.Task("gen")
	if _, err := build(gen, BuildOptions{Chat: &ChatOptions{SendMessages: true}}); err == nil || !strings.Contains(err.Error(), "gen_prefix") {
		t.Errorf("a prefill sent as messages: %v", err)
	}
	in, err = build(gen, BuildOptions{Chat: &ChatOptions{Template: tmpl}})
	if err != nil {
		t.Fatal(err)
	}
	if in.Generate.Context != "[user:a?][assistant:Answer:" {
		t.Errorf("prefill: %q", in.Generate.Context)
	}
	in, _ = build(gen, BuildOptions{})
	if in.Generate.Context != "a? Answer:" {
		t.Errorf("plain prefill: %q", in.Generate.Context)
	}
	bad, _ := chat.New(`{{ raise_exception("no system role") }}`)
	if _, err := build(mc, BuildOptions{Chat: &ChatOptions{Template: bad}}); err == nil || !strings.Contains(err.Error(), "no system role") || !strings.Contains(err.Error(), "doc 0") {
		t.Errorf("a template error must name the doc: %v", err)
	}
}

// TestNewDocCounts asserts tasks.md §10's split sizes for the V1 tasks.
func TestNewDocCounts(t *testing.T) {
	reg := registry(t)
	count := func(request, name string, nshot int) (int, int) {
		t.Helper()
		cfg := resolveOne(t, reg, request, name)
		task, err := Build(context.Background(), cfg, hub(t), BuildOptions{NumFewshot: intp(nshot)})
		if err != nil {
			t.Fatal(err)
		}
		return task.TotalDocs(), len(task.pool)
	}
	total, pool := 0, 0
	for _, c := range mustGroup(t, reg, "mmlu").Leaves() {
		n, p := count("mmlu", c.Name, 5)
		total += n
		pool += p
	}
	if total != 14042 || pool != 285 {
		t.Errorf("mmlu: %d test docs, %d dev shots; want 14042 and 285", total, pool)
	}
	for _, tc := range []struct {
		request, task string
		nshot         int
		docs, pool    int
	}{
		{"winogrande", "winogrande", 5, 1267, 40398},
		{"truthfulqa_mc2", "truthfulqa_mc2", 0, 817, 0},
		{"truthfulqa_mc1", "truthfulqa_mc1", 0, 817, 0},
		{"arc_challenge_llama_3.1_instruct", "arc_challenge_llama_3.1_instruct", 0, 1172, 0},
		{"arc_challenge_llama", "arc_challenge_llama", 0, 1165, 0},
		{"gsm8k_cot_llama_3.1_instruct", "gsm8k_cot_llama_3.1_instruct", 8, 1319, 8},
		{"hellaswag", "hellaswag", 10, 12, 14}, // the fixture
	} {
		if n, p := count(tc.request, tc.task, tc.nshot); n != tc.docs || p != tc.pool {
			t.Errorf("%s: %d docs, pool %d; want %d and %d", tc.task, n, p, tc.docs, tc.pool)
		}
	}
}

func mustGroup(t *testing.T, reg *Registry, name string) *Group {
	t.Helper()
	g, ok := reg.Group(name)
	if !ok {
		t.Fatalf("no group %s", name)
	}
	return g
}

func TestChatJSON(t *testing.T) {
	got := chatJSON([]chat.Message{{Role: "user", Content: "é \"q\"\n𝔸"}})
	want := `[{"role": "user", "content": "\u00e9 \"q\"\n\ud835\udd38"}]`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
