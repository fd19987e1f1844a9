package tasks

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/datasets"
)

var arcDoc = datasets.Doc{
	"id":        "Mercury_7175875",
	"question":  "  Which planet is closest to the Sun?\n",
	"answerKey": "2",
	"choices": map[string]any{
		"text":  []any{"Venus", "Mercury", "it's \"Earth\"", "Mars"},
		"label": []any{"1", "2", "3", "4"},
	},
	"n":       int64(7),
	"digits":  "12",
	"lead0":   "012",
	"score":   2.5,
	"missing": nil,
}

// TestResolution covers lm-eval v0.4.5's doc_to_text / doc_to_target /
// doc_to_choice rules (ConfigurableTask) and the Jinja features templates use.
func TestResolution(t *testing.T) {
	features := docKeys([]datasets.Doc{arcDoc})
	tests := []struct {
		name      string
		kind      string // text, target, choice
		src       string
		hasChoice bool
		want      any
		wantErr   string
	}{
		{name: "bare field name returns the raw value", kind: "target", src: "n", want: 7},
		{name: "bare field name returns a raw map", kind: "text", src: "choices", want: arcDoc["choices"]},
		{name: "template renders", kind: "text", src: "Question: {{question}}\nAnswer:", want: "Question:   Which planet is closest to the Sun?\n\nAnswer:"},
		{name: "str.strip", kind: "text", src: "{{question.strip()}}", want: "Which planet is closest to the Sun?"},
		{name: "str.strip chars", kind: "text", src: "{{ id.strip('M7') }}", want: "ercury_7175875"},
		{name: "list.index with attribute access", kind: "target", src: "{{choices.label.index(answerKey)}}", hasChoice: true, want: 1},
		{name: "digits stay a string without choices", kind: "target", src: "{{choices.label.index(answerKey)}}", want: "1"},
		{name: "digits become an int with choices (text too)", kind: "text", src: "{{digits}}", hasChoice: true, want: 12},
		{name: "leading zero digits fail as in ast.literal_eval", kind: "target", src: "{{lead0}}", hasChoice: true, wantErr: "leading zeros"},
		{name: "bracketed target is a Python literal", kind: "target", src: "{{choices.text}}", want: []any{"Venus", "Mercury", "it's \"Earth\"", "Mars"}},
		{name: "bracketed target falls back to the string", kind: "target", src: "[not python]", want: "[not python]"},
		{name: "choices through Python repr and literal_eval", kind: "choice", src: "{{choices.text}}", want: []string{"Venus", "Mercury", "it's \"Earth\"", "Mars"}},
		{name: "choices from a field", kind: "choice", src: "{{choices.label}}", want: []string{"1", "2", "3", "4"}},
		{name: "choices literal with mixed types", kind: "choice", src: "[1, 'a', 2.5, None]", want: []string{"1", "a", "2.5", "None"}},
		{name: "choice template that is not a literal", kind: "choice", src: "{{question}}", wantErr: "ast.literal_eval"},
		{name: "float renders as Python str", kind: "text", src: "{{score}} {{n}}", want: "2.5 7"},
		{name: "None renders as None", kind: "text", src: "{{missing}}|{% if missing %}t{% else %}f{% endif %}", want: "None|f"},
		{name: "undefined variable", kind: "text", src: "{{ nope }}", wantErr: `undefined variable "nope"`},
		{name: "undefined attribute", kind: "text", src: "{{ choices.nope }}", wantErr: "attribute 'nope' not found"},
		{name: "index of a missing label", kind: "target", src: "{{choices.label.index('9')}}", wantErr: "'9' is not in list"},
		{name: "list.count", kind: "text", src: "{{choices.label.count('2')}}", want: "1"},
		{name: "mutating list methods are not offered", kind: "text", src: "{{choices.label.reverse()}}", wantErr: "unknown method"},
		{name: "trailing newline kept", kind: "text", src: "{{n}}\n", want: "7\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := CompileTemplate(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			f := &DocField{kind: fieldTemplate, tmpl: tmpl}
			r := &resolver{features: features, hasChoice: tt.hasChoice}
			d := newDocContext(arcDoc)
			var got any
			switch tt.kind {
			case "text":
				got, err = r.text(f, d)
			case "target":
				got, err = r.target(f, d)
			case "choice":
				got, err = r.choice(f, d)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %#v, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDropTrailingNewline(t *testing.T) {
	// MMLU's description: v0.4.4+ keeps "\n\n", <= v0.4.3 rendered one "\n".
	tmpl, err := CompileTemplate("The following are multiple choice questions (with answers) about {{subject}}.\n\n")
	if err != nil {
		t.Fatal(err)
	}
	d := newDocContext(datasets.Doc{"subject": "abstract algebra"})
	for _, tt := range []struct {
		drop bool
		want string
	}{
		{false, "The following are multiple choice questions (with answers) about abstract algebra.\n\n"},
		{true, "The following are multiple choice questions (with answers) about abstract algebra.\n"},
	} {
		got, err := tmpl.render(d, tt.drop)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("drop=%v: got %q, want %q", tt.drop, got, tt.want)
		}
	}
}

// Variables, so the sum is done in float64 rather than exactly at compile time.
var point1, point2 = 0.1, 0.2

func TestPyRepr(t *testing.T) {
	tests := []struct {
		in   any
		want string // from CPython 3.11 repr()
	}{
		{"plain", `'plain'`},
		{"it's", `"it's"`},
		{`say "hi"`, `'say "hi"'`},
		{`it's "x"`, `'it\'s "x"'`},
		{"back\\slash", `'back\\slash'`},
		{"tab\tnl\ncr\r", `'tab\tnl\ncr\r'`},
		{"\x00\x1f\x7f", `'\x00\x1f\x7f'`},
		{"é ü 日本 😀", `'é ü 日本 😀'`},
		{"\u00a0\u00ad\u2028\u200b\U000e0001", `'\xa0\xad\u2028\u200b\U000e0001'`},
		{[]any{"a", int64(1), 2.0, true, nil, []any{}}, `['a', 1, 2.0, True, None, []]`},
		{1e16, `1e+16`},
		{1234567890123456.0, `1234567890123456.0`},
		{0.0001, `0.0001`},
		{0.00001, `1e-05`},
		{-1.5e-7, `-1.5e-07`},
		{point1 + point2, `0.30000000000000004`},
		{math.Inf(-1), `-inf`},
	}
	for _, tt := range tests {
		if got := pyRepr(tt.in); got != tt.want {
			t.Errorf("pyRepr(%#v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestPyLiteralEval(t *testing.T) {
	tests := []struct {
		in      string
		want    any
		wantErr bool
	}{
		{`['a', "it's", 'x\'"y']`, []any{"a", "it's", `x'"y`}, false},
		{`['\xa0\u2028\U0001F600\n\t\\', r'\n', b'z']`, []any{"\u00a0\u2028😀\n\t\\", `\n`, "z"}, false},
		{`[1, -2, 3.5, 1e3, True, False, None]`, []any{1, -2, 3.5, 1000.0, true, false, nil}, false},
		{"  [1,\n 2,]\n", []any{1, 2}, false},
		{`('a',)`, []any{"a"}, false},
		{`('a')`, "a", false},
		{`{'a': [1], 'b': 'c'}`, map[string]any{"a": []any{1}, "b": "c"}, false},
		{`'ab' "cd"`, "abcd", false},
		{`'''tri'ple'''`, "tri'ple", false},
		{`42`, 42, false},
		{`0x1F`, 31, false},
		{`[1, 2`, nil, true},
		{`[a]`, nil, true},
		{`'unterminated`, nil, true},
		{`007`, nil, true},
		{`[1] 2`, nil, true},
		{``, nil, true},
	}
	for _, tt := range tests {
		got, err := pyLiteralEval(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("pyLiteralEval(%q) = %#v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("pyLiteralEval(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("pyLiteralEval(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestReprRoundTrip is the doc_to_choice path: repr then literal_eval must
// give back the strings, whatever quotes and escapes they hold.
func TestReprRoundTrip(t *testing.T) {
	in := []any{"", "'", `"`, `'"`, "\\", "\\'", "a\nb", "\x00", "日本\u2028", "\U0010FFFF", "tab\t"}
	got, err := pyLiteralEval(pyRepr(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPyStrip(t *testing.T) {
	// Python's whitespace includes \x1c-\x1f, which Go's unicode.IsSpace lacks.
	if got := pyStrip("\x1c\u3000 x \u0085\x1f", nil, true, true); got != "x" {
		t.Errorf("got %q", got)
	}
}

func TestUndefinedBecomesMissingColumn(t *testing.T) {
	cfg := parseOne(t, `
tasks:
  - task: t
    version: "1"
    dataset_path: org/ds
    test_split: test
    doc_to_text: "{{ question }} {{ extra }}"
    doc_to_target: "{{a}}"
`)
	docs := memDocs{"test": {{"question": "q", "a": "x", "extra": "e"}, {"question": "q2", "a": "y"}}}
	task, err := Build(t.Context(), cfg, docs, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = task.Instances()
	var ce *datasets.ColumnError
	if !errors.As(err, &ce) || ce.Row != 1 || ce.Column != "extra" {
		t.Fatalf("got %v, want a ColumnError for row 1 column extra", err)
	}
	if want := `task "t": doc_to_text: datasets: org/ds/default/test: row 1: column "extra" missing`; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}

func BenchmarkRender(b *testing.B) {
	for _, src := range []string{"{{question}}", "Question: {{question}}\nAnswer:", "{{choices.label.index(answerKey)}}", "{{choices.text}}"} {
		b.Run(src, func(b *testing.B) {
			tmpl, err := CompileTemplate(src)
			if err != nil {
				b.Fatal(err)
			}
			d := newDocContext(arcDoc)
			for b.Loop() {
				if _, err := tmpl.render(d, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFastPathMatchesEngine renders templates that take the fast path with
// gonja too: both must agree byte for byte.
func TestFastPathMatchesEngine(t *testing.T) {
	docs := []datasets.Doc{arcDoc, {
		"q": "x\r\ny", "n": int64(-3), "f": 1e16, "g": 1.5e-7, "b": true, "l": []any{"it's", int64(1), nil, 2.0},
		"m": map[string]any{"k": map[string]any{"z": "deep"}, "l": []any{"a", "b"}}, "key": "b",
	}}
	srcs := []string{
		"Question: {{question}}\nAnswer:",
		"{{ choices.text }} / {{choices.label}}",
		"{{choices.label.index(answerKey)}}",
		"{{ q }}|{{n}}|{{f}}|{{g}}|{{b}}|{{l}}|{{missing}}",
		"{{m}} {{m.k}} {{m.k.z}} {{m.l.index(key)}}",
		"line\r\nnext\rlast {{n}}\n",
	}
	for _, src := range srcs {
		tmpl, err := CompileTemplate(src)
		if err != nil {
			t.Fatal(err)
		}
		if tmpl.parts == nil {
			t.Errorf("%q: expected the fast path", src)
			continue
		}
		for i, doc := range docs {
			for _, drop := range []bool{false, true} {
				d := newDocContext(doc)
				fast, ok := tmpl.renderParts(d, drop)
				if !ok {
					continue // the engine decides (missing key, ...)
				}
				engine := tmpl.keep
				if drop {
					engine = tmpl.drop
				}
				slow, err := engine.ExecuteToString(d.context())
				if err != nil {
					t.Errorf("%q doc %d: fast path rendered %q, engine failed: %v", src, i, fast, err)
					continue
				}
				if fast != slow {
					t.Errorf("%q doc %d drop=%v: fast %q, engine %q", src, i, drop, fast, slow)
				}
			}
		}
	}
	for _, src := range []string{"{{ x|upper }}", "{% if a %}{{a}}{% endif %}", "{{- a }}", "{{ a.keys }}", "{{ a['b'] }}", "{{ a }}}}"} {
		tmpl, err := CompileTemplate(src)
		if err != nil {
			t.Fatal(err)
		}
		if tmpl.parts != nil {
			t.Errorf("%q: fast path taken, want the engine", src)
		}
	}
}
