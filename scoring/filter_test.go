package scoring

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	gsm8kStrict   = `#### (\-?[0-9\.\,]+)`
	gsm8kFlexible = `(-?[$0-9.,]{2,})|(-?[0-9]+)`
)

type filterGolden struct {
	Inputs []string `json:"inputs"`
	Cases  []struct {
		Pattern     string    `json:"pattern"`
		GroupSelect int       `json:"group_select"`
		Fallback    string    `json:"fallback"`
		Outputs     []*string `json:"outputs"` // nil: Python raised IndexError
	} `json:"cases"`
}

func TestRegexFilterMatchesCPython(t *testing.T) {
	var g filterGolden
	readGolden(t, "filter_cases.json", &g)
	for _, c := range g.Cases {
		f, err := NewRegexFilter(c.Pattern, c.GroupSelect, c.Fallback)
		if err != nil {
			t.Fatalf("NewRegexFilter(%q): %v", c.Pattern, err)
		}
		for i, in := range g.Inputs {
			got, err := f.Extract(in)
			want := c.Outputs[i]
			switch {
			case want == nil && !errors.Is(err, ErrGroupSelect):
				t.Errorf("%v on %q = %q, %v; python raised IndexError", f, in, got, err)
			case want != nil && err != nil:
				t.Errorf("%v on %q: %v; python gave %q", f, in, err, *want)
			case want != nil && got != *want:
				t.Errorf("%v on %q = %q, python %q", f, in, got, *want)
			}
		}
	}
}

// The GSM8K pipelines on hand-made responses that probe the edges of the
// patterns; expectations follow lm-eval's semantics step by step.
func TestGSM8KFilters(t *testing.T) {
	strict := Pipeline{Name: "strict-match", Filters: []Filter{mustRegexFilter(t, gsm8kStrict, 0), TakeFirst()}}
	flexible := Pipeline{Name: "flexible-extract", Filters: []Filter{mustRegexFilter(t, gsm8kFlexible, -1), TakeFirst()}}
	tests := []struct {
		name, resp, strict, flexible string
	}{
		{"worked example", " 3*4=<<3*4=12>>12 pens.\n#### 12\n\n", "12", "12"},
		{"thousands and cents", "It costs $1,234.50 in total.\n#### $1,234.50", "[invalid]", "$1,234.50"},
		{"strict stops at dollar", "#### 1,234.50.", "1,234.50.", "1,234.50."},
		{"negative", "The loss is -7 dollars\n#### -7", "-7", "-7"},
		{"first of several ####", "#### 5\n#### 6", "5", "6"},
		{"no number", "I do not know.", "[invalid]", "[invalid]"},
		{"single digit uses second group", "so 7", "[invalid]", "7"},
		{"final newline kept out", "#### 18.\n", "18.", "18."},
		{"dash without digits", "#### -", "[invalid]", "[invalid]"},
		{"unicode digits are not [0-9]", "#### ١٢", "[invalid]", "[invalid]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				p    Pipeline
				want string
			}{{strict, tt.strict}, {flexible, tt.flexible}} {
				got, err := c.p.Apply([]string{tt.resp, "#### 999"})
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff([]string{c.want}, got); d != "" {
					t.Errorf("%s on %q (-want +got):\n%s", c.p.Name, tt.resp, d)
				}
			}
		})
	}
}

func mustRegexFilter(t *testing.T, pattern string, groupSelect int) *RegexFilter {
	t.Helper()
	f, err := NewRegexFilter(pattern, groupSelect, DefaultFallback)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestGroupSelectOutOfRange(t *testing.T) {
	f := mustRegexFilter(t, `\d`, 2)
	_, err := f.Apply([]string{"12"})
	if !errors.Is(err, ErrGroupSelect) {
		t.Fatalf("Apply = %v, want ErrGroupSelect", err)
	}
	p := Pipeline{Name: "p", Filters: []Filter{f}}
	_, err = p.Apply([]string{"12"})
	if !errors.Is(err, ErrGroupSelect) || !strings.Contains(err.Error(), `pipeline "p" step 0`) {
		t.Errorf("Pipeline.Apply = %v, want ErrGroupSelect naming the step", err)
	}
	// No match is not an index error: the fallback wins before indexing.
	if got, err := f.Apply([]string{"none"}); err != nil || got[0] != DefaultFallback {
		t.Errorf("Apply(no match) = %q, %v; want the fallback", got, err)
	}
}

func TestSimpleFilters(t *testing.T) {
	in := []string{"  Hello Straße \n", "\tΣΑΣ İ"}
	tests := []struct {
		f    Filter
		want []string
	}{
		{TakeFirst(), []string{"  Hello Straße \n"}},
		{RemoveWhitespace(), []string{"Hello Straße \n", "ΣΑΣ İ"}},
		{Lowercase(), []string{"  hello straße \n", "\tσας i̇"}},
		{Uppercase(), []string{"  HELLO STRASSE \n", "\tΣΑΣ İ"}},
	}
	for _, tt := range tests {
		got, err := tt.f.Apply(in)
		if err != nil {
			t.Fatalf("%v: %v", tt.f, err)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%v (-want +got):\n%s", tt.f, d)
		}
	}
	if _, err := TakeFirst().Apply(nil); err == nil {
		t.Error("take_first on no responses succeeded, want an error")
	}
}

func TestNewFilter(t *testing.T) {
	resp := []string{"a 12 b 34\n#### 56"}
	tests := []struct {
		function string
		params   map[string]any
		want     []string
		wantErr  string
	}{
		{"regex", nil, []string{"56"}, ""},
		{"regex", map[string]any{"regex_pattern": `(\d+)`, "group_select": -1}, []string{"56"}, ""},
		{"regex", map[string]any{"regex_pattern": `(\d+)`, "group_select": float64(1)}, []string{"34"}, ""},
		{"regex", map[string]any{"regex_pattern": `x`, "fallback": "none"}, []string{"none"}, ""},
		{"take_first", map[string]any{}, resp, ""},
		{"lowercase", nil, resp, ""},
		{"regx", nil, nil, `unknown filter "regx" (known: lowercase, regex, remove_whitespace, take_first, uppercase)`},
		{"regex", map[string]any{"pattern": `x`}, nil, `filter "regex": unexpected parameter "pattern"`},
		{"take_first", map[string]any{"k": 2}, nil, `filter "take_first": unexpected parameter "k"`},
		{"regex", map[string]any{"group_select": 1.5}, nil, `group_select: want an integer, got float64 1.5`},
		{"regex", map[string]any{"regex_pattern": 3}, nil, `regex_pattern: want a string, got int 3`},
		{"regex", map[string]any{"regex_pattern": `(`}, nil, `regex "("`},
	}
	for _, tt := range tests {
		f, err := NewFilter(tt.function, tt.params)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewFilter(%q, %v) error = %v, want it to contain %q", tt.function, tt.params, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("NewFilter(%q, %v): %v", tt.function, tt.params, err)
			continue
		}
		got, err := f.Apply(resp)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("NewFilter(%q, %v) output (-want +got):\n%s", tt.function, tt.params, d)
		}
	}
}

func TestDefaultPipeline(t *testing.T) {
	got, err := DefaultPipeline().Apply([]string{"first", "second"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"first"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
