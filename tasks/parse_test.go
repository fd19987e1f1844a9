package tasks

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity/datasets"
)

// TestBadFiles parses every testdata/bad/*.yaml and compares the errors with
// testdata/bad/errors.golden (one section per file).
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad files: %v", err)
	}
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		_, err = Parse(name, data, ParseOptions{BaseDir: "/data"})
		if err == nil {
			t.Errorf("%s: parsed without error", name)
			continue
		}
		perrs, ok := err.(ParseErrors)
		if !ok {
			t.Errorf("%s: error is %T, want ParseErrors", name, err)
		}
		for _, pe := range perrs {
			if pe.File != name {
				t.Errorf("%s: error names file %q", name, pe.File)
			}
		}
		b.WriteString("== " + name + "\n" + err.Error() + "\n\n")
	}
	writeOrCompare(t, filepath.Join("testdata", "bad", "errors.golden"), []byte(b.String()))
}

func TestTasksYAML(t *testing.T) {
	reg := registry(t)
	perFamily := map[string]int{}
	v1Tasks := 0 // the V2 leaderboard's tasks are counted by their own tests
	for _, c := range reg.Tasks() {
		if !strings.HasPrefix(c.Name, "leaderboard_") {
			v1Tasks++
		}
		if c.Summary == "" {
			t.Errorf("task %s has no summary", c.Name)
		}
		if strings.HasPrefix(c.Name, "_") {
			t.Errorf("template %s is registered as a task", c.Name)
		}
		for _, fam := range []string{"mmlu_cot_0shot_llama_3.1_instruct_", "mmlu_llama_3.1_instruct_", "mmlu_cot_llama_", "mmlu_llama_", "mmlu_"} {
			if strings.HasPrefix(c.Name, fam) {
				perFamily[fam]++
				break
			}
		}
	}
	for fam, n := range perFamily {
		if n != 57 {
			t.Errorf("%s*: %d subject tasks, want 57", fam, n)
		}
	}
	if len(perFamily) != 5 || v1Tasks != 2+4+5*57+5 {
		t.Errorf("%d tasks in %d MMLU families", v1Tasks, len(perFamily))
	}
	versions := map[string]string{
		"arc_challenge": "1.0", "gsm8k": "3.0", "hellaswag": "1.0", "winogrande": "1.0", "truthfulqa_mc1": "2.0", "truthfulqa_mc2": "2.0",
		"mmlu_abstract_algebra": "1.0", "mmlu_llama_3.1_instruct_anatomy": "0.0", "mmlu_cot_0shot_llama_3.1_instruct_virology": "2.0",
		"mmlu_llama_marketing": "1.0", "mmlu_cot_llama_sociology": "1.0", "arc_challenge_llama_3.1_instruct": "1.0",
		"arc_challenge_llama": "1.0", "gsm8k_cot_llama_3.1_instruct": "3.0", "gsm8k_cot_llama": "4.0", "gsm8k_llama": "3.0",
	}
	for name, v := range versions {
		c, ok := reg.Task(name)
		if !ok || c.Version != v {
			t.Errorf("task %s: found %v, version %q; want %q", name, ok, c.Version, v)
		}
	}
	g, ok := reg.Group("openllm")
	if !ok || !g.Suite || g.Summary == "" {
		t.Fatalf("openllm group: %+v", g)
	}
	arc, _ := reg.Task("arc_challenge")
	if arc.NumFewshot != nil || arc.FewshotSplit != "" || arc.TrainingSplit != "train" || arc.TestSplit != "test" {
		t.Errorf("arc_challenge standalone: num_fewshot %v fewshot_split %q training %q test %q", arc.NumFewshot, arc.FewshotSplit, arc.TrainingSplit, arc.TestSplit)
	}
	gsm, _ := reg.Task("gsm8k")
	if diff := cmp.Diff([]string{"Question:", "</s>", "<|im_end|>"}, gsm.Generation.Until); diff != "" {
		t.Errorf("gsm8k until (-want +got):\n%s", diff)
	}
	var filters []string
	for _, f := range gsm.Filters {
		filters = append(filters, f.Name)
	}
	if diff := cmp.Diff([]string{"strict-match", "flexible-extract"}, filters); diff != "" {
		t.Errorf("gsm8k filters (-want +got):\n%s", diff)
	}
	// openllm (§2.7): per-task shots and few-shot splits; truthfulqa is a tag
	// (mc1, mc2), mmlu a group of 57 subjects.
	type leaf struct {
		split string
		shots int
	}
	got := map[string]leaf{}
	for _, l := range g.Leaves() {
		got[l.Name] = leaf{l.FewshotSplit, *l.NumFewshot}
	}
	want := map[string]leaf{
		"arc_challenge": {"validation", 25}, "hellaswag": {"train", 10}, "truthfulqa_mc1": {"", 0}, "truthfulqa_mc2": {"", 0},
		"winogrande": {"train", 5}, "gsm8k": {"train", 5}, "mmlu_abstract_algebra": {"dev", 5}, "mmlu_world_religions": {"dev", 5},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("openllm %s: %+v, want %+v", name, got[name], w)
		}
	}
	if len(got) != 6+57 {
		t.Errorf("openllm has %d leaves, want 63", len(got))
	}
	up, err := reg.Suite("openllm", ProfileUpstream)
	if err != nil || up.Name != "openllm-upstream" {
		t.Fatalf("openllm under upstream: %v, %v", up, err)
	}
	for _, l := range up.Leaves() {
		if l.Name == "arc_challenge" && l.FewshotSplit != "train" {
			t.Errorf("openllm-upstream arc_challenge fewshot_split %q", l.FewshotSplit)
		}
	}
	mmlu, _ := reg.Group("mmlu")
	if diff := cmp.Diff([]string{"mmlu_stem", "mmlu_other", "mmlu_social_sciences", "mmlu_humanities"}, mmlu.Subtasks()); diff != "" {
		t.Errorf("mmlu subtasks:\n%s", diff)
	}
	if len(mmlu.Leaves()) != 57 || len(mmlu.AggregateMetrics) != 1 || !mmlu.AggregateMetrics[0].WeightBySize {
		t.Errorf("mmlu: %d leaves, aggregate %+v", len(mmlu.Leaves()), mmlu.AggregateMetrics)
	}
	stem, _ := reg.Group("mmlu_stem")
	if len(stem.Subtasks()) != 19 {
		t.Errorf("mmlu_stem has %d subjects, want 19", len(stem.Subtasks()))
	}
	var groups []string
	for _, g := range reg.GroupsFor([]string{"openllm"}) {
		groups = append(groups, g.Name)
	}
	if diff := cmp.Diff([]string{"openllm", "mmlu", "mmlu_stem", "mmlu_other", "mmlu_social_sciences", "mmlu_humanities"}, groups); diff != "" {
		t.Errorf("groups reported for openllm (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		profile Profile
		want    []string
	}{
		{ProfilePaper, []string{"mmlu_llama_3.1_instruct", "mmlu_cot_0shot_llama_3.1_instruct", "arc_challenge_llama_3.1_instruct", "gsm8k_cot_llama_3.1_instruct", "hellaswag", "winogrande", "truthfulqa_mc2"}},
		{ProfileUpstream, []string{"mmlu_llama", "mmlu_cot_llama", "arc_challenge_llama", "gsm8k_cot_llama", "hellaswag", "winogrande", "truthfulqa_mc2"}},
	} {
		s, err := reg.Suite("leaderboard-v1", tc.profile)
		if err != nil {
			t.Fatal(err)
		}
		var entries []string
		for _, e := range s.Entries {
			entries = append(entries, e.Name)
		}
		if diff := cmp.Diff(tc.want, entries); diff != "" {
			t.Errorf("leaderboard-v1 under %s (-want +got):\n%s", tc.profile, diff)
		}
	}
	if _, err := reg.Suite("mmlu", ProfilePaper); err == nil || !strings.Contains(err.Error(), "not a suite") {
		t.Errorf("mmlu as a suite: %v", err)
	}
	if _, err := reg.Suite("leaderbord-v1", ProfilePaper); err == nil || !strings.Contains(err.Error(), "leaderboard-v1") {
		t.Errorf("misspelt suite: %v", err)
	}
}

func TestResolve(t *testing.T) {
	const src = `
tasks:
  - &base
    task: a
    version: "1"
    tag: [letters]
    dataset_path: x
    test_split: test
    doc_to_text: "{{q}}"
    doc_to_target: "{{a}}"
  - <<: *base
    task: b
  - task: c
    include: a
    num_fewshot: 3
groups:
  - group: g
    task:
      - a
      - task: b
        num_fewshot: 2
  - group: outer
    task:
      - task: g
        num_fewshot: 7
      - letters
`
	reg, err := Parse("r.yaml", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type leaf struct {
		Name, Group string
		Fewshot     int
	}
	flat := func(cs []*Config) []leaf {
		var out []leaf
		for _, c := range cs {
			k := -1
			if c.NumFewshot != nil {
				k = *c.NumFewshot
			}
			out = append(out, leaf{c.Name, c.Group, k})
		}
		return out
	}
	tests := []struct {
		names   []string
		want    []leaf
		wantErr string
	}{
		{names: []string{"c"}, want: []leaf{{"c", "", 3}}},
		{names: []string{"g"}, want: []leaf{{"a", "g", -1}, {"b", "g", 2}}},
		{names: []string{"a", "g", "a"}, want: []leaf{{"a", "", -1}, {"b", "g", 2}}},
		// c includes a and so inherits its tag, as lm-eval's include does.
		{names: []string{"letters"}, want: []leaf{{"a", "", -1}, {"b", "", -1}, {"c", "", 3}}},
		// The outer group's num_fewshot wins over the inner one's.
		{names: []string{"outer"}, wantErr: `task "a" is requested twice with different settings`},
		{names: []string{"b", "g"}, wantErr: `task "b" is requested twice with different settings (on its own and through group "g" with num_fewshot=2)`},
		{names: []string{"gg"}, wantErr: `r.yaml: unknown task or group "gg"; did you mean "g"?`},
	}
	for _, tt := range tests {
		got, err := reg.Resolve(tt.names)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Resolve(%v) = %v, %v; want error %q", tt.names, flat(got), err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%v): %v", tt.names, err)
			continue
		}
		if diff := cmp.Diff(tt.want, flat(got)); diff != "" {
			t.Errorf("Resolve(%v) (-want +got):\n%s", tt.names, diff)
		}
	}
	outer, _ := reg.Group("outer")
	if diff := cmp.Diff([]leaf{{"a", "outer", 7}, {"b", "outer", 7}, {"a", "outer", -1}, {"b", "outer", -1}, {"c", "outer", 3}}, flat(outer.Leaves())); diff != "" {
		t.Errorf("outer leaves (-want +got):\n%s", diff)
	}
}

func TestEffectiveFewshot(t *testing.T) {
	tests := []struct {
		cfg, run *int
		want     int
	}{
		{nil, nil, 0},
		{nil, intp(25), 25},
		{intp(5), nil, 5},
		{intp(5), intp(8), 8},
		{intp(0), intp(8), 0}, // lm-eval never overrides a configured 0
	}
	for _, tt := range tests {
		if got := effectiveFewshot(tt.cfg, tt.run); got != tt.want {
			t.Errorf("effectiveFewshot(%v, %v) = %d, want %d", tt.cfg, tt.run, got, tt.want)
		}
	}
}

func TestFunctionsAndDataFiles(t *testing.T) {
	const src = `
tasks:
  - task: t
    version: "1"
    dataset_path: json
    dataset_kwargs:
      data_files:
        test: [a.jsonl, /abs/b.jsonl]
        train: c.jsonl
    test_split: test
    training_split: train
    process_docs: !function utils.process_docs
    doc_to_text: !function utils.doc_to_text
    doc_to_target: "{{a}}"
`
	opts := ParseOptions{BaseDir: "/tasks", Functions: Functions{
		ProcessDocs: map[string]ProcessDocsFunc{"utils.process_docs": func(d []datasets.Doc) ([]datasets.Doc, error) { return d[:1], nil }},
		Doc:         map[string]DocFunc{"utils.doc_to_text": func(d datasets.Doc) (any, error) { return "Q: " + d["q"].(string), nil }},
	}}
	reg, err := Parse("f.yaml", []byte(src), opts)
	if err != nil {
		t.Fatal(err)
	}
	c := reg.Tasks()[0]
	if diff := cmp.Diff(map[string][]string{"test": {"/tasks/a.jsonl", "/abs/b.jsonl"}, "train": {"/tasks/c.jsonl"}}, c.DataFiles); diff != "" {
		t.Errorf("data files (-want +got):\n%s", diff)
	}
	task, err := Build(t.Context(), c, memDocs{"test": {{"q": "1", "a": "x"}, {"q": "2", "a": "y"}}}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	insts, err := task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	if len(insts) != 1 || insts[0].Generate.Context != "Q: 1" {
		t.Errorf("instances: %+v", insts)
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	seeds = append(seeds, filepath.Join("..", "tasks.yaml"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("tasks:\n  - &a {task: x, include: x}\n  - *a\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("tasks: [{task: t, version: 1, dataset_path: d, test_split: t, doc_to_text: '{{ x.y(z)[0] | e }}', doc_to_target: '{% for %}'}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := Parse("fuzz.yaml", data, ParseOptions{})
		if err == nil {
			// Whatever parses must resolve.
			for _, c := range reg.Tasks() {
				if _, err := reg.Resolve([]string{c.Name}); err != nil {
					t.Fatalf("task %q parsed but does not resolve: %v", c.Name, err)
				}
			}
			for _, g := range reg.Groups() {
				_, _ = reg.Resolve([]string{g.Name})
			}
			return
		}
		if _, ok := err.(ParseErrors); !ok {
			t.Fatalf("error of type %T: %v", err, err)
		}
	})
}

func TestGroupAggregate(t *testing.T) {
	const src = `
tasks:
  - &t
    task: a
    version: "1"
    dataset_path: x
    test_split: test
    output_type: multiple_choice
    doc_to_text: "{{q}}"
    doc_to_target: 0
    doc_to_choice: ["y", "n"]
  - <<: *t
    task: b
groups:
  - group: micro
    task: [a, b]
    aggregate_metric_list:
      - metric: acc
        weight_by_size: true
  - group: macro
    task: [a, b]
    aggregate_metric_list:
      - metric: acc
  - group: none
    task: [a, b]
`
	reg, err := Parse("g.yaml", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	leaves := map[string]Scores{
		"a": {N: 100, Metrics: []MetricScore{{Metric: "acc", Filter: "none", Value: 0.5, Stderr: 0.05}}},
		"b": {N: 300, Metrics: []MetricScore{{Metric: "acc", Filter: "none", Value: 0.9, Stderr: 0.02}}},
	}
	// Pooled: sqrt((99*.05²*100 + 299*.02²*300) / (400-2) / 400).
	pooled := math.Sqrt((99*0.05*0.05*100 + 299*0.02*0.02*300) / 398 / 400)
	for _, tt := range []struct {
		group string
		want  float64
	}{{"micro", 0.8}, {"macro", 0.7}} {
		g, _ := reg.Group(tt.group)
		s, ok, err := g.Aggregate(leaves)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", tt.group, ok, err)
		}
		want := Scores{N: 400, Metrics: []MetricScore{{Metric: "acc", Filter: "none", Value: tt.want, Stderr: pooled, HigherIsBetter: true}}}
		if diff := cmp.Diff(want, s, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.group, diff)
		}
	}
	g, _ := reg.Group("none")
	if _, ok, err := g.Aggregate(leaves); ok || err != nil {
		t.Errorf("group without aggregate_metric_list: ok=%v err=%v", ok, err)
	}
	g, _ = reg.Group("micro")
	if _, _, err := g.Aggregate(map[string]Scores{"a": leaves["a"]}); err == nil {
		t.Error("missing leaf scores: no error")
	}
}

// TestExpansionBombs: small files whose aliases or nested groups expand
// exponentially must fail fast, not hang.
func TestExpansionBombs(t *testing.T) {
	var alias strings.Builder
	alias.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&alias, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	alias.WriteString("tasks:\n  - task: t\n    metadata: {x: *a8}\n")

	var groups strings.Builder
	groups.WriteString("tasks:\n  - {task: t, version: '1', dataset_path: d, test_split: s, doc_to_text: x, doc_to_target: y}\ngroups:\n")
	groups.WriteString("  - {group: g0, task: [t, t, t, t, t, t, t, t, t, t]}\n")
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&groups, "  - {group: g%d, task: [%s]}\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("g%d, ", i-1), 10), ", "))
	}
	for name, src := range map[string]string{"aliases": alias.String(), "groups": groups.String()} {
		start := time.Now()
		_, err := Parse("bomb.yaml", []byte(src), ParseOptions{})
		if err == nil || !strings.Contains(err.Error(), "more than") {
			t.Errorf("%s: got %v, want an expansion limit error", name, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
}
