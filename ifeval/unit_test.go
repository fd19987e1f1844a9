package ifeval

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPyJSONValid(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{`{"a": 1}`, true},
		{` [1, 2.5, -0, 1e5, 1E-2, true, false, null] `, true},
		{`"just a string"`, true},
		{`42`, true},
		{`NaN`, true},
		{`-Infinity`, true},
		{`[Infinity, NaN]`, true},
		{`"\u00e9\n\"\\\/"`, true},
		{`"\ud800"`, true}, // a lone surrogate escape: Python accepts it
		{``, false},
		{`{"a": 1,}`, false},
		{`[1,]`, false},
		{`01`, false},
		{`1.`, false},
		{`.5`, false},
		{`1e`, false},
		{`+1`, false},
		{`-`, false},
		{`nan`, false},
		{`{'a': 1}`, false},
		{`{a: 1}`, false},
		{`[1] [2]`, false},
		{"\"tab\tinside\"", false},
		{`"\x"`, false},
		{`"\u12"`, false},
		{"\ufeff{}", false},
		{"\u00a0{}", false}, // only " \t\n\r" are JSON whitespace
		{strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth), true},
		{strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2), false},
	} {
		if got := pyJSONValid(c.in); got != c.want {
			t.Errorf("pyJSONValid(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func prompt(t *testing.T, id string, kwargs map[string]any) (*Checker, error) {
	t.Helper()
	p, err := PromptFromDoc(map[string]any{"key": int64(7), "prompt": "p", "instruction_id_list": []any{id}, "kwargs": []any{kwargs}})
	if err != nil {
		t.Fatal(err)
	}
	return NewChecker(p)
}

func TestNewCheckerErrors(t *testing.T) {
	for _, c := range []struct {
		id     string
		kwargs map[string]any
		msg    string
	}{
		{"keywords:nonexistent", nil, `unknown id "keywords:nonexistent"`},
		{"keywords:frequency", map[string]any{"keyword": "a", "relation": "at least"}, `"frequency" is missing`},
		{"keywords:frequency", map[string]any{"keyword": "a", "frequency": 0, "relation": "at least"}, `"frequency" is missing`}, // 0 is falsy
		{"keywords:frequency", map[string]any{"keyword": "a", "frequency": 2, "relation": "at most"}, `"less than" and "at least"`},
		{"keywords:frequency", map[string]any{"keyword": "a", "frequency": 2.5, "relation": "at least"}, "not an integer"},
		{"keywords:frequency", map[string]any{"keyword": "(", "frequency": 2, "relation": "at least"}, "regex"},
		{"keywords:existence", map[string]any{"keywords": []any{}}, `"keywords" is missing`},
		{"punctuation:no_comma", map[string]any{"num_words": 3}, "unexpected arguments num_words"},
		{"length_constraints:nth_paragraph_first_word", map[string]any{"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "x"}, "outside 1..num_paragraphs"},
		{"keywords:letter_frequency", map[string]any{"letter": "ab", "let_frequency": 2, "let_relation": "at least"}, "not one character"},
		{"combination:repeat_prompt", map[string]any{}, `"prompt_to_repeat" is missing`},
	} {
		_, err := prompt(t, c.id, c.kwargs)
		if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "prompt 7") {
			t.Errorf("%s %v: %v; want an error with %q", c.id, c.kwargs, err, c.msg)
		}
	}
}

func TestPromptFromDoc(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(`{"key": 1001, "prompt": "P", "instruction_id_list": ["a:b", "c:d"], "kwargs": [{"x": null, "y": 0, "z": "", "w": [], "n": 3}, {}]}`), &doc); err != nil {
		t.Fatal(err)
	}
	p, err := PromptFromDoc(doc)
	if err != nil {
		t.Fatal(err)
	}
	if p.Key != 1001 || p.Prompt != "P" || len(p.Instructions) != 2 || len(p.Instructions[0].Args) != 1 || p.Instructions[0].Args["n"] != 3.0 {
		t.Errorf("%+v", p)
	}
	for _, bad := range []map[string]any{
		{"prompt": "P", "instruction_id_list": []any{}, "kwargs": []any{}},
		{"key": 1, "prompt": 5, "instruction_id_list": []any{}, "kwargs": []any{}},
		{"key": 1, "prompt": "P", "instruction_id_list": []any{"a"}, "kwargs": []any{}},
		{"key": 1, "prompt": "P", "instruction_id_list": []any{7}, "kwargs": []any{nil}},
	} {
		if _, err := PromptFromDoc(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestLetterFrequencyRule pins parity's rule for a "letter" that is not an
// ASCII letter, and the reference's behaviour for those that are.
func TestLetterFrequencyRule(t *testing.T) {
	for _, c := range []struct {
		letter string
		freq   int
		resp   string
		want   bool
	}{
		{"#", 4, "#a #b #c #d", true},
		{"#", 5, "#a #b #c #d", false},
		{"!", 2, "Wow! Great!", true},
		{" é ", 2, "Été é", true}, // stripped, lower-cased
		{"A", 3, "a A aardvark", true},
		{"\u212a", 2, "kK", true}, // Kelvin sign: lower() is "k", a letter for the reference too
	} {
		chk, err := prompt(t, "keywords:letter_frequency", map[string]any{"letter": c.letter, "let_frequency": c.freq, "let_relation": "at least"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := chk.Evaluate(c.resp)
		if err != nil {
			t.Fatal(err)
		}
		if r.Strict[0] != c.want {
			t.Errorf("letter %q ≥ %d in %q: %v, want %v", c.letter, c.freq, c.resp, r.Strict[0], c.want)
		}
	}
}

// TestWorkedExample is tasks.md §5.4.
func TestWorkedExample(t *testing.T) {
	p := Prompt{Key: 1, Prompt: "Write a haiku about rain. ...", Instructions: []Instruction{{ID: "change_case:english_capital", Args: map[string]any{}}, {ID: "punctuation:no_comma", Args: map[string]any{}}}}
	chk, err := NewChecker(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := chk.Evaluate("Rain on the window,\nSOFT DRUMS IN THE NIGHT\nSLEEP COMES")
	if err != nil {
		t.Fatal(err)
	}
	if bits(r.Strict) != "00" || bits(r.Loose) != "11" || r.PromptStrict() || !r.PromptLoose() {
		t.Errorf("strict %v loose %v", r.Strict, r.Loose)
	}
}
