package ifeval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/ifeval/internal/shared"
	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/tasks"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func hub(t testing.TB) *datasets.Loader {
	t.Helper()
	return datasets.NewLoader(datasets.Options{DataDir: shared.Path(t, "hub"), Offline: true, CacheDir: t.TempDir()})
}

func build(t testing.TB, name string, opts tasks.BuildOptions) *Task {
	t.Helper()
	task, err := Build(context.Background(), name, hub(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestBuild(t *testing.T) {
	for _, c := range []struct {
		name, version string
		docs          int
	}{
		{"leaderboard_ifeval", "3.0", 541},
		{"ifeval", "4.0", 541},
	} {
		task := build(t, c.name, tasks.BuildOptions{})
		insts, err := task.Instances()
		if err != nil {
			t.Fatal(err)
		}
		if task.Name() != c.name || task.Version() != c.version || task.NumFewshot() != 0 || len(insts) != c.docs || task.TotalDocs() != c.docs {
			t.Errorf("%s: name %s version %s, %d-shot, %d docs of %d", c.name, task.Name(), task.Version(), task.NumFewshot(), len(insts), task.TotalDocs())
		}
		g := insts[0].Generate
		if g == nil || g.Context != insts[0].Doc["prompt"] || g.MaxTokens != 1280 || g.Temperature != 0 || len(g.Until) != 0 {
			t.Errorf("%s: first request %+v", c.name, g)
		}
	}
	if !IsTask("leaderboard_ifeval") || IsTask("gsm8k") {
		t.Error("IsTask")
	}
	// A run's --num-fewshot leaves the config's explicit 0 alone (lm-eval).
	two := 2
	if task := build(t, "leaderboard_ifeval", tasks.BuildOptions{NumFewshot: &two, Limit: 2}); task.NumFewshot() != 0 {
		t.Errorf("--num-fewshot 2 made the task %d-shot", task.NumFewshot())
	}
	if _, err := Build(context.Background(), "ifevalx", hub(t), tasks.BuildOptions{}); err == nil {
		t.Error("unknown task built")
	}
}

// TestGoldenPrompts pins the requests of the first docs: the prompt verbatim
// (tasks.md §4.6), as text and as the chat messages sent to a chat endpoint.
func TestGoldenPrompts(t *testing.T) {
	sys := "You are a helpful assistant."
	for _, c := range []struct {
		file string
		opts tasks.BuildOptions
	}{
		{"leaderboard_ifeval_plain.txt", tasks.BuildOptions{Limit: 3}},
		{"leaderboard_ifeval_chat_messages.txt", tasks.BuildOptions{Limit: 3, Chat: &tasks.ChatOptions{SendMessages: true}}},
		{"leaderboard_ifeval_chat_messages_system.txt", tasks.BuildOptions{Limit: 2, Chat: &tasks.ChatOptions{SendMessages: true}, SystemInstruction: &sys}},
	} {
		t.Run(c.file, func(t *testing.T) {
			task := build(t, "leaderboard_ifeval", c.opts)
			insts, err := task.Instances()
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "# task %s, version %s, %d-shot, %d of %d docs\n", task.Name(), task.Version(), task.NumFewshot(), len(insts), task.TotalDocs())
			for _, in := range insts {
				g := in.Generate
				fmt.Fprintf(&b, "\n=== doc %d (key %v)\nuntil %q, max_tokens %d, temperature %v\n", in.DocID, in.Doc["key"], g.Until, g.MaxTokens, g.Temperature)
				fmt.Fprintf(&b, "context:\n<<<\n%s\n>>>\n", g.Context)
				for _, m := range g.Messages {
					fmt.Fprintf(&b, "message %s:\n<<<\n%s\n>>>\n", m.Role, m.Content)
				}
			}
			writeOrCompare(t, filepath.Join("testdata", "golden", c.file), b.String())
		})
	}
}

func writeOrCompare(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-golden +got):\n%s", path, diff)
	}
}

// TestConformance: for the documents and responses of
// testdata/conformance/leaderboard_ifeval.jsonl, Score and Aggregate give
// the metrics lm-eval's own leaderboard_ifeval code gives
// (make_conformance.py).
func TestConformance(t *testing.T) {
	type line struct {
		DocID      *int           `json:"doc_id"`
		Generation string         `json:"generation"`
		Metrics    map[string]any `json:"metrics"`
		Aggregate  map[string]any `json:"aggregate"`
		Task       string         `json:"task"`
	}
	lines := readJSONL[line](t, filepath.Join("testdata", "conformance", "leaderboard_ifeval.jsonl"))
	limit := *lines[len(lines)-2].DocID + 1
	task := build(t, lines[0].Task, tasks.BuildOptions{Limit: limit})
	insts, err := task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	var records []tasks.SampleRecord
	for _, l := range lines[1 : len(lines)-1] {
		inst := insts[*l.DocID]
		recs, err := task.Score(inst, nil, []runner.GenerateResult{{Text: l.Generation}})
		if err != nil {
			t.Fatal(err)
		}
		rec := recs[0]
		records = append(records, rec)
		got := map[string]any{
			"prompt_level_strict_acc,none": rec.Metrics[PromptLevelStrict] == 1,
			"inst_level_strict_acc,none":   rec.Extra["follow_instruction_list_strict"],
			"prompt_level_loose_acc,none":  rec.Metrics[PromptLevelLoose] == 1,
			"inst_level_loose_acc,none":    rec.Extra["follow_instruction_list_loose"],
		}
		if diff := cmp.Diff(l.Metrics, got); diff != "" {
			t.Errorf("doc %d (-lm-eval +parity):\n%s", *l.DocID, diff)
		}
		for _, m := range []string{"strict", "loose"} {
			list := rec.Extra["follow_instruction_list_"+m].([]any)
			n := 0
			for _, v := range list {
				if v.(bool) {
					n++
				}
			}
			if want := float64(n) / float64(len(list)); rec.Metrics["inst_level_"+m+"_acc"] != want {
				t.Errorf("doc %d: inst_level_%s_acc %v, want the share %v", *l.DocID, m, rec.Metrics["inst_level_"+m+"_acc"], want)
			}
		}
	}
	scores, err := task.Aggregate(records)
	if err != nil {
		t.Fatal(err)
	}
	got := scores.Map()
	if diff := cmp.Diff(lines[len(lines)-1].Aggregate, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("aggregate (-lm-eval +parity):\n%s", diff)
	}
	// Records read back (no verdicts kept by Score) aggregate the same.
	fresh := build(t, lines[0].Task, tasks.BuildOptions{Limit: limit})
	again, err := fresh.Aggregate(records)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, again.Map(), cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("aggregate from records (-from Score +from records):\n%s", diff)
	}
	// The samples line is lm-eval's layout.
	var sample map[string]any
	if err := json.Unmarshal([]byte(records[0].LMEvalJSON()), &sample); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics", "doc_hash", "prompt_hash", "target_hash", PromptLevelStrict, InstLevelLoose, "follow_instruction_list_strict"} {
		if _, ok := sample[k]; !ok {
			t.Errorf("samples line lacks %q", k)
		}
	}
	if sample["target"] != "0" {
		t.Errorf("target %v, want \"0\"", sample["target"])
	}
}

// TestScorePredictionsGPT4 scores GPT-4's reference responses file as it
// is (prompt and response fields) and prints the four headline figures.
func TestScorePredictionsGPT4(t *testing.T) {
	task := build(t, "leaderboard_ifeval", tasks.BuildOptions{})
	f, err := os.Open(shared.Path(t, "reference/ifeval/input_response_data_gpt4_20231107_145030.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ScorePredictions(context.Background(), f, task)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("leaderboard_ifeval, GPT-4 reference responses: %v", got.Summary)
	want := Summary{Prompts: 541, Instructions: 834, PromptStrict: 417, PromptLoose: 431, InstStrict: 698, InstLoose: 714}
	if got.Summary != want || len(got.Records) != 541 || got.Docs != 541 {
		t.Errorf("summary %+v, %d records, %d docs; want %+v", got.Summary, len(got.Records), got.Docs, want)
	}
	for i, r := range got.Records {
		if r.DocID != i {
			t.Fatalf("record %d is doc %d: want doc order", i, r.DocID)
		}
	}
	m := got.Scores.Map()
	if m["prompt_level_strict_acc,none"] != 417.0/541 || m["inst_level_loose_acc,none"] != 714.0/834 || m["inst_level_strict_acc_stderr,none"] != "N/A" {
		t.Errorf("scores %v", m)
	}
	// lm-eval's mean_stderr: the sample standard deviation over sqrt(n).
	p := 417.0 / 541
	wantSE := math.Sqrt(p*(1-p)*541/540) / math.Sqrt(541)
	if se, _ := m["prompt_level_strict_acc_stderr,none"].(float64); math.Abs(se-wantSE) > 1e-12 {
		t.Errorf("prompt_level_strict_acc stderr %v, want %v", se, wantSE)
	}
}

func TestScorePredictionsErrors(t *testing.T) {
	task := build(t, "leaderboard_ifeval", tasks.BuildOptions{Limit: 5})
	for _, c := range []struct {
		name, in string
		line     int
		msg      string
	}{
		{"bad json", "{\"key\": 1000, \"response\": \"x\"}\n{oops}\n", 2, "invalid JSON"},
		{"trailing data", "{\"key\": 1000, \"response\": \"x\"} 5\n", 1, "invalid JSON"},
		{"not an object", "[1, 2]\n", 1, "invalid JSON"},
		{"no id", "{\"response\": \"x\"}\n", 1, "no doc named"},
		{"unknown key", "{\"key\": 999999, \"response\": \"x\"}\n", 1, "no doc with key 999999"},
		{"beyond limit", "{\"doc_id\": 7, \"response\": \"x\"}\n", 1, "no doc with doc_id 7"},
		{"unknown prompt", "{\"prompt\": \"nope\", \"response\": \"x\"}\n", 1, "no doc with prompt"},
		{"ids disagree", "{\"key\": 1000, \"doc_id\": 1, \"response\": \"x\"}\n", 1, "names a different doc"},
		{"key not int", "{\"key\": \"1000\", \"response\": \"x\"}\n", 1, "not an integer"},
		{"duplicate", "{\"key\": 1000, \"response\": \"x\"}\n\n{\"doc_id\": 0, \"completion\": \"y\"}\n", 3, "already given on line 1"},
		{"no text", "{\"key\": 1000}\n", 1, "no text"},
		{"two texts", "{\"key\": 1000, \"response\": \"x\", \"output\": \"y\"}\n", 1, "give the text once"},
		{"null text", "{\"key\": 1000, \"completion\": null}\n", 1, "not a string"},
	} {
		_, err := ScorePredictions(context.Background(), strings.NewReader(c.in), task)
		var pe *PredictionError
		if !errors.As(err, &pe) || pe.Line != c.line || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: %v; want line %d, %q", c.name, err, c.line, c.msg)
		}
	}
	if _, err := ScorePredictions(context.Background(), strings.NewReader("\n\n"), task); err == nil {
		t.Error("empty file accepted")
	}
	got, err := ScorePredictions(context.Background(), strings.NewReader(`{"doc_id": 2, "output": "x"}`+"\n"+`{"key": 1000, "completion": "y"}`), task)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 2 || got.Records[0].DocID != 0 || got.Records[1].DocID != 2 || got.Docs != 5 {
		t.Errorf("partial file: %d records (%d, %d), %d docs", len(got.Records), got.Records[0].DocID, got.Records[1].DocID, got.Docs)
	}
	var buf bytes.Buffer
	buf.WriteString(got.Records[0].LMEvalJSON())
	if !strings.Contains(buf.String(), `"resps": [["y"]]`) {
		t.Errorf("samples line %s", buf.String())
	}
}
