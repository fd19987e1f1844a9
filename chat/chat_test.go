package chat

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var extraTemplate = flag.String("template", "", "also render the cases marked all_templates with this template file and compare with -template-golden")
var extraGolden = flag.String("template-golden", "", "golden JSON for -template (as make_golden.py prints it)")

type renderCase struct {
	Name                 string            `json:"name"`
	Template             string            `json:"template"`
	AllTemplates         bool              `json:"all_templates"`
	SpecialTokens        map[string]string `json:"special_tokens"`
	Vars                 map[string]any    `json:"vars"`
	Messages             []Message         `json:"messages"`
	AddGenerationPrompt  bool              `json:"add_generation_prompt"`
	ContinueFinalMessage bool              `json:"continue_final_message"`
}

type goldenResult struct {
	Output *string `json:"output"`
	Error  *string `json:"error"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// fixedNow is the clock make_golden.py gives strftime_now.
func fixedNow() time.Time { return time.Date(2024, 7, 26, 9, 5, 3, 0, time.UTC) }

func renderWith(t *testing.T, tmpl *Template, c renderCase) goldenResult {
	t.Helper()
	tmpl.SpecialTokens = c.SpecialTokens
	tmpl.Now = fixedNow
	out, err := tmpl.Render(c.Messages, RenderOptions{AddGenerationPrompt: c.AddGenerationPrompt, ContinueFinalMessage: c.ContinueFinalMessage, Vars: c.Vars})
	if err != nil {
		var te *TemplateError
		if !errors.As(err, &te) {
			t.Fatalf("render: %v", err)
		}
		return goldenResult{Error: &te.Message}
	}
	return goldenResult{Output: &out}
}

// TestRenderMatchesJinja2 compares every case of testdata/cases.json with
// what Jinja2, set up as transformers sets it up, renders
// (testdata/make_golden.py wrote golden.json).
func TestRenderMatchesJinja2(t *testing.T) {
	var cases []renderCase
	readJSON(t, filepath.Join("testdata", "cases.json"), &cases)
	var golden map[string]goldenResult
	readJSON(t, filepath.Join("testdata", "golden.json"), &golden)
	if len(cases) == 0 || len(golden) != len(cases) {
		t.Fatalf("%d cases, %d golden results", len(cases), len(golden))
	}
	compiled := map[string]*Template{}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			tmpl, ok := compiled[c.Template]
			if !ok {
				src, err := os.ReadFile(filepath.Join("testdata", c.Template))
				if err != nil {
					t.Fatal(err)
				}
				if tmpl, err = New(string(src)); err != nil {
					t.Fatal(err)
				}
				compiled[c.Template] = tmpl
			}
			got := renderWith(t, tmpl, c)
			if diff := cmp.Diff(golden[c.Name], got); diff != "" {
				t.Errorf("(-jinja2 +parity):\n%s", diff)
			}
		})
	}
}

// TestOtherTemplate checks a template that is not kept here (Meta's Llama
// 3.1 template, say) against Jinja2's rendering:
//
//	python3 testdata/make_golden.py /path/t.jinja > /tmp/g.json
//	go test ./chat -run OtherTemplate -template /path/t.jinja -template-golden /tmp/g.json
//
// Without the flags it checks the fixture against golden.json the same way.
func TestOtherTemplate(t *testing.T) {
	path, goldenPath := *extraTemplate, *extraGolden
	if path == "" {
		path, goldenPath = filepath.Join("testdata", "llama3_style.jinja"), filepath.Join("testdata", "golden.json")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := New(string(src))
	if err != nil {
		t.Fatal(err)
	}
	var cases []renderCase
	readJSON(t, filepath.Join("testdata", "cases.json"), &cases)
	var golden map[string]goldenResult
	readJSON(t, goldenPath, &golden)
	n := 0
	for _, c := range cases {
		if !c.AllTemplates {
			continue
		}
		n++
		want, ok := golden[c.Name]
		if !ok {
			t.Fatalf("%s has no result for %s", goldenPath, c.Name)
		}
		if diff := cmp.Diff(want, renderWith(t, tmpl, c)); diff != "" {
			t.Errorf("%s (-jinja2 +parity):\n%s", c.Name, diff)
		}
	}
	if n == 0 {
		t.Fatal("no case is marked all_templates")
	}
}

// TestLlamaLayout pins the exact strings of tasks.md §1.6.2: the system block
// that is always emitted, the fixed date, trimmed contents, the generation
// prompt.
func TestLlamaLayout(t *testing.T) {
	tmpl, err := Load(filepath.Join("testdata", "tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	const sys = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
	for _, tc := range []struct {
		name string
		msgs []Message
		o    RenderOptions
		want string
	}{
		{"empty system, generation prompt", []Message{{"user", "Q?\n"}}, RenderOptions{AddGenerationPrompt: true},
			sys + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"system trimmed", []Message{{"system", "About algebra.\n\n"}, {"user", "Q"}}, RenderOptions{},
			sys + "About algebra.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>"},
		{"NM assistant turn loses its leading delimiter", []Message{{"user", "Q"}, {"assistant", " The best answer is C"}, {"user", "R"}}, RenderOptions{AddGenerationPrompt: true},
			sys + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nThe best answer is C<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nR<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"prefill", []Message{{"user", "Q"}, {"assistant", "The best answer is"}}, RenderOptions{ContinueFinalMessage: true},
			sys + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nThe best answer is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tmpl.Render(tc.msgs, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	if tmpl.SpecialTokens["bos_token"] != "<|begin_of_text|>" || tmpl.SpecialTokens["eos_token"] != "<|eot_id|>" {
		t.Errorf("special tokens %v", tmpl.SpecialTokens)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "nope.json"), "no such file"},
		{"no chat_template", write("a.json", `{"bos_token": "<s>"}`), "no chat_template"},
		{"bad json", write("b.json", `{`), "tokenizer config"},
		{"syntax error", write("c.jinja", `{% for %}`), "syntax error"},
		{"bad token", write("d.json", `{"chat_template": "x", "bos_token": 3}`), "bos_token"},
		{"no default in list", write("e.json", `{"chat_template": [{"name": "tool_use", "template": "x"}]}`), `no chat template named "default"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTokenizerConfigForms(t *testing.T) {
	cfg := `{"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": null,
	  "chat_template": [{"name": "default", "template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}"}, {"name": "rag", "template": "R"}]}`
	tmpl, err := FromTokenizerConfig([]byte(cfg), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render([]Message{{"user", "hi"}}, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got != "<s>hi</s>" {
		t.Errorf("got %q", got)
	}
	rag, err := FromTokenizerConfig([]byte(cfg), "rag")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := rag.Render(nil, RenderOptions{}); got != "R" {
		t.Errorf("rag template rendered %q", got)
	}
}

func TestContinueFinalMessageErrors(t *testing.T) {
	tmpl, err := New(`{% for m in messages %}{{ m.content | upper }}{% endfor %}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Render([]Message{{"assistant", "prefix"}}, RenderOptions{ContinueFinalMessage: true}); err == nil {
		t.Error("a template that changes the final message must be an error")
	}
	if _, err := tmpl.Render([]Message{{"assistant", "x"}}, RenderOptions{ContinueFinalMessage: true, AddGenerationPrompt: true}); err == nil {
		t.Error("both options at once must be an error")
	}
}

func TestPyFloatRepr(t *testing.T) {
	for f, want := range map[float64]string{
		1: "1.0", 2.5: "2.5", 1e16: "1e+16", 1e15: "1000000000000000.0", 0.0001: "0.0001", 0.00001: "1e-05",
		-3.25: "-3.25", 123456789.125: "123456789.125", 1.5e-7: "1.5e-07", 1.7976931348623157e308: "1.7976931348623157e+308",
	} {
		if got := pyFloatRepr(f); got != want {
			t.Errorf("pyFloatRepr(%v) = %q, want %q", f, got, want)
		}
	}
}
