package scoring

import (
	"testing"
)

type exactMatchGolden []struct {
	Options struct {
		IgnoreCase        bool     `json:"ignore_case"`
		IgnorePunctuation bool     `json:"ignore_punctuation"`
		IgnoreNumbers     bool     `json:"ignore_numbers"`
		RegexesToIgnore   []string `json:"regexes_to_ignore"`
	} `json:"options"`
	Prediction     string  `json:"prediction"`
	Reference      string  `json:"reference"`
	PredictionNorm string  `json:"prediction_norm"`
	ReferenceNorm  string  `json:"reference_norm"`
	Score          float64 `json:"score"`
}

func TestExactMatchMatchesCPython(t *testing.T) {
	var g exactMatchGolden
	readGolden(t, "exact_match_cases.json", &g)
	for _, c := range g {
		m, err := NewExactMatcher(ExactMatchOptions{
			IgnoreCase:        c.Options.IgnoreCase,
			IgnorePunctuation: c.Options.IgnorePunctuation,
			IgnoreNumbers:     c.Options.IgnoreNumbers,
			RegexesToIgnore:   c.Options.RegexesToIgnore,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, side := range []struct{ in, want string }{{c.Prediction, c.PredictionNorm}, {c.Reference, c.ReferenceNorm}} {
			got, err := m.Normalize(side.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != side.want {
				t.Errorf("%+v: Normalize(%q) = %q, python %q", c.Options, side.in, got, side.want)
			}
		}
		got, err := m.Score(c.Prediction, c.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.Score {
			t.Errorf("%+v: Score(%q, %q) = %v, python %v", c.Options, c.Prediction, c.Reference, got, c.Score)
		}
	}
}

// NumPy unicode arrays, which lm-eval stores the strings in, drop trailing
// NULs, so "5\x00" equals "5"; the Python generator cannot show this without
// NumPy, hence the hand-written cases.
func TestExactMatchTrailingNUL(t *testing.T) {
	tests := []struct {
		opts       ExactMatchOptions
		pred, ref  string
		want       float64
		normalized string
	}{
		{ExactMatchOptions{}, "5\x00\x00", "5", 1, "5"},
		{ExactMatchOptions{}, "\x005", "5", 0, "\x005"},
		{ExactMatchOptions{IgnorePunctuation: true}, "5\x00.", "5", 1, "5"},
		{ExactMatchOptions{RegexesToIgnore: []string{`\x00$`, `5$`}}, "5\x00\x00", "", 1, ""},
	}
	for _, tt := range tests {
		m, err := NewExactMatcher(tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := m.Score(tt.pred, tt.ref); err != nil || got != tt.want {
			t.Errorf("%+v: Score(%q, %q) = %v, %v; want %v", tt.opts, tt.pred, tt.ref, got, err, tt.want)
		}
		if got, err := m.Normalize(tt.pred); err != nil || got != tt.normalized {
			t.Errorf("%+v: Normalize(%q) = %q, %v; want %q", tt.opts, tt.pred, got, err, tt.normalized)
		}
	}
}

func TestNewExactMatcherBadRegex(t *testing.T) {
	_, err := NewExactMatcher(ExactMatchOptions{RegexesToIgnore: []string{",", "(?P<x"}})
	if err == nil {
		t.Fatal("NewExactMatcher accepted an invalid pattern")
	}
	const want = "exact_match regexes_to_ignore[1]: "
	if got := err.Error(); len(got) < len(want) || got[:len(want)] != want {
		t.Errorf("error %q does not start with %q", got, want)
	}
}
