package datasets

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// TestHubMirrorRowCounts loads real Hub-layout splits through Load and
// checks the row counts the Hub publishes (see shared/data/hub/README.md).
func TestHubMirrorRowCounts(t *testing.T) {
	l := NewLoader(Options{DataDir: filepath.Join(sharedData(t), "hub"), CacheDir: t.TempDir(), Offline: true})
	tests := []struct {
		ref  Ref
		rows int
	}{
		{Ref{Path: "allenai/ai2_arc", Config: "ARC-Challenge", Split: "test"}, 1172},
		{Ref{Path: "allenai/ai2_arc", Config: "ARC-Challenge", Split: "train"}, 1119},
		{Ref{Path: "allenai/ai2_arc", Config: "ARC-Challenge", Split: "validation"}, 299},
		{Ref{Path: "openai/gsm8k", Config: "main", Split: "train"}, 7473},
		{Ref{Path: "openai/gsm8k", Config: "main", Split: "test"}, 1319},
		{Ref{Path: "cais/mmlu", Config: "all", Split: "test"}, 14042},
		{Ref{Path: "cais/mmlu", Config: "all", Split: "validation"}, 1531},
		{Ref{Path: "cais/mmlu", Config: "all", Split: "dev"}, 285},
		{Ref{Path: "hails/mmlu_no_train", Config: "all", Split: "test"}, 14042},
		{Ref{Path: "truthfulqa/truthful_qa", Config: "multiple_choice", Split: "validation"}, 817},
		{Ref{Path: "truthfulqa/truthful_qa", Config: "generation", Split: "validation"}, 817},
		{Ref{Path: "TIGER-Lab/MMLU-Pro", Split: "test"}, 12032}, // Config "" is "default"
		{Ref{Path: "TIGER-Lab/MMLU-Pro", Config: "default", Split: "validation"}, 70},
		{Ref{Path: "allenai/winogrande", Config: "winogrande_xl", Split: "train"}, 40398},
		{Ref{Path: "allenai/winogrande", Config: "winogrande_xl", Split: "validation"}, 1267},
		{Ref{Path: "allenai/winogrande", Config: "winogrande_xl", Split: "test"}, 1767},
		{Ref{Path: "google/IFEval", Split: "train"}, 541},
		{Ref{Path: "Idavidrein/gpqa", Config: "gpqa_diamond", Split: "train"}, 198},
		{Ref{Path: "TAUR-Lab/MuSR", Split: "murder_mysteries"}, 250},
		{Ref{Path: "SaylorTwift/bbh", Config: "penguins_in_a_table", Split: "test"}, 146},
		{Ref{Path: "lighteval/MATH-Hard", Config: "default", Split: "test"}, 1324},
		{Ref{Path: "openai/openai_humaneval", Config: "openai_humaneval", Split: "test"}, 164},
	}
	for _, tc := range tests {
		t.Run(tc.ref.Path+"/"+tc.ref.config()+"/"+tc.ref.Split, func(t *testing.T) {
			docs, err := l.Load(context.Background(), tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != tc.rows {
				t.Errorf("got %d rows, want %d", len(docs), tc.rows)
			}
		})
	}
}

// TestARCMatchesOriginal compares every row of the mirror's ARC-Challenge
// splits with AI2's original JSONL, field by field.
func TestARCMatchesOriginal(t *testing.T) {
	data := sharedData(t)
	for split, orig := range map[string]string{"test": "Test", "train": "Train", "validation": "Dev"} {
		t.Run(split, func(t *testing.T) {
			got, err := LoadFile(context.Background(), hubFile(t, "allenai/ai2_arc", "ARC-Challenge", split))
			if err != nil {
				t.Fatal(err)
			}
			src, err := LoadFile(context.Background(), filepath.Join(data, "arc_challenge", "ARC-Challenge-"+orig+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			want := make([]Doc, len(src))
			for i, s := range src {
				q := s["question"].(map[string]any)
				var text, label []any
				for _, c := range q["choices"].([]any) {
					c := c.(map[string]any)
					text = append(text, c["text"])
					label = append(label, c["label"])
				}
				want[i] = Doc{
					"id":        s["id"],
					"question":  q["stem"],
					"choices":   map[string]any{"text": text, "label": label},
					"answerKey": s["answerKey"],
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mirror differs from original (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGSM8KMatchesOriginal compares every row with OpenAI's JSONL.
func TestGSM8KMatchesOriginal(t *testing.T) {
	data := sharedData(t)
	for _, split := range []string{"train", "test"} {
		t.Run(split, func(t *testing.T) {
			got, err := LoadFile(context.Background(), hubFile(t, "openai/gsm8k", "main", split))
			if err != nil {
				t.Fatal(err)
			}
			want, err := LoadFile(context.Background(), filepath.Join(data, "gsm8k", split+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mirror differs from original (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMMLUMatchesCSV compares the Hub's own MMLU "all" test file (snappy,
// written by pyarrow with ARROW:schema) with the per-subject CSVs. The "all"
// split holds each subject's rows contiguously, in the CSV's order.
func TestMMLUMatchesCSV(t *testing.T) {
	data := sharedData(t)
	got, err := LoadFile(context.Background(), hubFile(t, "cais/mmlu", "all", "test"))
	if err != nil {
		t.Fatal(err)
	}
	csvs, err := filepath.Glob(filepath.Join(data, "mmlu", "data", "test", "*_test.csv"))
	if err != nil || len(csvs) != 57 {
		t.Fatalf("want 57 subject CSVs, got %d (%v)", len(csvs), err)
	}
	want := map[string][]Doc{}
	for _, f := range csvs {
		rows, err := LoadFile(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		subject := strings.TrimSuffix(filepath.Base(f), "_test.csv")
		for _, r := range rows {
			ans, err := strconv.ParseInt(r["answer"].(string), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			want[subject] = append(want[subject], Doc{
				"question": r["question"],
				"subject":  subject,
				"choices":  []any{r["choice0"], r["choice1"], r["choice2"], r["choice3"]},
				"answer":   ans,
			})
		}
	}
	var order []string
	bySubject := map[string][]Doc{}
	for i, d := range got {
		s, _ := d["subject"].(string)
		if len(order) == 0 || order[len(order)-1] != s {
			if _, seen := bySubject[s]; seen {
				t.Fatalf("row %d: subject %q is not contiguous", i, s)
			}
			order = append(order, s)
		}
		bySubject[s] = append(bySubject[s], d)
	}
	if len(order) != len(want) {
		t.Errorf("%d subjects in parquet, %d CSVs", len(order), len(want))
	}
	for _, s := range order {
		if diff := cmp.Diff(want[s], bySubject[s]); diff != "" {
			t.Errorf("subject %s: parquet differs from CSV (-want +got):\n%s", s, diff)
		}
	}
}

// TestTruthfulQAMatchesOriginal checks the nested struct-of-lists columns
// (mc1_targets: {choices: list<string>, labels: list<int32>}) against the
// original mc_task.json, whose targets are ordered JSON objects.
func TestTruthfulQAMatchesOriginal(t *testing.T) {
	data := sharedData(t)
	got, err := LoadFile(context.Background(), hubFile(t, "truthfulqa/truthful_qa", "multiple_choice", "validation"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(data, "truthfulqa", "data", "v0", "mc_task.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	want := make([]Doc, len(raw))
	for i, r := range raw {
		var q string
		if err := json.Unmarshal(r["question"], &q); err != nil {
			t.Fatal(err)
		}
		want[i] = Doc{
			"question":    q,
			"mc1_targets": orderedTargets(t, r["mc1_targets"]),
			"mc2_targets": orderedTargets(t, r["mc2_targets"]),
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TruthfulQA parquet differs from mc_task.json (-want +got):\n%s", diff)
	}
}

// orderedTargets turns {"answer": label, ...} into the Hub's
// {choices: [...], labels: [...]}, keeping the object's key order.
func orderedTargets(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("targets: want object, got %v %v", tok, err)
	}
	choices, labels := []any{}, []any{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v int64
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		choices = append(choices, k.(string))
		labels = append(labels, v)
	}
	return map[string]any{"choices": choices, "labels": labels}
}

// TestWinograndeMatchesLabels checks the train answers against the
// original label file, and the schema's string types.
func TestWinograndeMatchesLabels(t *testing.T) {
	data := sharedData(t)
	got, err := LoadFile(context.Background(), hubFile(t, "allenai/winogrande", "winogrande_xl", "train"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(data, "winogrande", "winogrande_1.1_labels", "train_xl-labels.lst"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var labels []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		labels = append(labels, strings.TrimSpace(sc.Text()))
	}
	if len(labels) != len(got) {
		t.Fatalf("%d labels, %d rows", len(labels), len(got))
	}
	for i, d := range got {
		if d["answer"] != labels[i] {
			t.Fatalf("row %d: answer %#v, label file says %q", i, d["answer"], labels[i])
		}
		for _, c := range []string{"sentence", "option1", "option2"} {
			if s, ok := d[c].(string); !ok || s == "" {
				t.Fatalf("row %d: %s = %#v, want a non-empty string", i, c, d[c])
			}
		}
	}
}

// TestMMLUProMatchesTypedReader decodes the Hub's own MMLU-Pro file (snappy,
// pyarrow, dictionary pages) generically and checks every row against
// parquet-go's struct-based reader, an independent decoding path.
func TestMMLUProMatchesTypedReader(t *testing.T) {
	type row struct {
		QuestionID  int64    `parquet:"question_id,optional"`
		Question    string   `parquet:"question,optional"`
		Options     []string `parquet:"options,optional,list"`
		Answer      string   `parquet:"answer,optional"`
		AnswerIndex int64    `parquet:"answer_index,optional"`
		CotContent  string   `parquet:"cot_content,optional"`
		Category    string   `parquet:"category,optional"`
		Src         string   `parquet:"src,optional"`
	}
	path := hubFile(t, "TIGER-Lab/MMLU-Pro", "default", "test")
	got, err := LoadFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	typed, err := parquet.Read[row](f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	want := make([]Doc, len(typed))
	for i, r := range typed {
		opts := make([]any, len(r.Options))
		for j, o := range r.Options {
			opts[j] = o
		}
		want[i] = Doc{
			"question_id": r.QuestionID, "question": r.Question, "options": opts,
			"answer": r.Answer, "answer_index": r.AnswerIndex, "cot_content": r.CotContent,
			"category": r.Category, "src": r.Src,
		}
	}
	if len(want) != 12032 {
		t.Fatalf("typed reader: %d rows, want 12032", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("generic decode differs from typed reader (-want +got):\n%s", diff)
	}
}
