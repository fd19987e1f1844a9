package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNullPythonSpecials(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a": NaN, "b": -Infinity, "c": Infinity}`, `{"a": null, "b": null, "c": null}`},
		{`{"s": "NaN and Infinity stay in strings", "t": "a \"NaN\" quoted"}`, `{"s": "NaN and Infinity stay in strings", "t": "a \"NaN\" quoted"}`},
		{`{"e": "\\", "n": NaN}`, `{"e": "\\", "n": null}`},
		{`[1.5, -2, NaN]`, `[1.5, -2, null]`},
	}
	for _, tt := range tests {
		if got := string(nullPythonSpecials([]byte(tt.in))); got != tt.want {
			t.Errorf("nullPythonSpecials(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestReadSummaryLMEval reads what Read cannot: lm-eval's "batch_size":
// "auto", a float limit, model_args as a dict (lm-eval ≥ 0.4.8) and NaN.
func TestReadSummaryLMEval(t *testing.T) {
	const file = `{
  "results": {"mmlu": {"acc,none": 0.5, "acc_stderr,none": NaN, "alias": "mmlu"},
              "mmlu_anatomy": {"acc,none": 0.25, "acc_stderr,none": 0.1, "alias": " - anatomy"}},
  "groups": {"mmlu": {"acc,none": 0.5, "acc_stderr,none": NaN, "alias": "mmlu"}},
  "group_subtasks": {"mmlu": ["mmlu_anatomy"], "mmlu_anatomy": []},
  "configs": {"mmlu_anatomy": {"task": "mmlu_anatomy", "num_fewshot": 5}},
  "versions": {"mmlu": 2, "mmlu_anatomy": 1.0},
  "n-shot": {"mmlu_anatomy": 5},
  "n-samples": {"mmlu_anatomy": {"original": 135, "effective": 100}},
  "config": {"model": "vllm", "model_args": {"pretrained": "m"}, "batch_size": "auto", "limit": 100.0},
  "model_name": "m", "chat_template": null, "fewshot_as_multiturn": false,
  "total_evaluation_time_seconds": "12.5"
}`
	path := filepath.Join(t.TempDir(), "results_2024-01-01T00-00-00.json")
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil {
		t.Log("Read now accepts lm-eval files too")
	}
	s, err := ReadSummary(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := s.Value("mmlu", "acc,none"); !ok || v != 0.5 {
		t.Errorf("mmlu acc = %v, %v", v, ok)
	}
	if _, ok := s.Value("mmlu", "acc_stderr,none"); ok {
		t.Error("a NaN standard error reads as a value")
	}
	if s.Parity != nil || string(s.ChatTemplate) != "null" || s.FewshotAsMultiturn == nil || *s.FewshotAsMultiturn {
		t.Errorf("run fields: parity %v chat %q multiturn %v", s.Parity, s.ChatTemplate, s.FewshotAsMultiturn)
	}
	if diff := cmp.Diff(map[string]NSamples{"mmlu_anatomy": {Original: 135, Effective: 100}}, s.NSamples); diff != "" {
		t.Errorf("n-samples (-want +got):\n%s", diff)
	}
	if s.Config["batch_size"] != "auto" || s.Config["limit"] != 100.0 {
		t.Errorf("config %v", s.Config)
	}
}

func TestReadSummaryErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"broken.json":  `{"results": {`,
		"other.json":   `{"rows": []}`,
		"missing.json": "",
	} {
		path := filepath.Join(dir, name)
		if content != "" {
			os.WriteFile(path, []byte(content), 0o644)
		}
		_, err := ReadSummary(path)
		if err == nil || !strings.Contains(err.Error(), name) && !strings.Contains(err.Error(), "no such file") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
