package scoring

import (
	"slices"
	"testing"
	"unicode/utf8"
)

type pystrGolden struct {
	Single  [][3]any    `json:"single"` // code point, lower, upper
	Strings [][3]string `json:"strings"`
	IsSpace []rune      `json:"isspace"`
}

func TestCaseMappingMatchesCPython(t *testing.T) {
	var g pystrGolden
	readGolden(t, "pystr_cases.json", &g)
	changed := map[rune]bool{}
	for _, row := range g.Single {
		r := rune(row[0].(float64))
		changed[r] = true
		s := string(r)
		if got := pyLower(s); got != row[1].(string) {
			t.Errorf("lower(%U) = %q, python %q", r, got, row[1])
		}
		if got := pyUpper(s); got != row[2].(string) {
			t.Errorf("upper(%U) = %q, python %q", r, got, row[2])
		}
	}
	// Every other code point must be left alone.
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if changed[r] || !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if pyLower(s) != s || pyUpper(s) != s {
			t.Errorf("%U: Go changes its case, python does not (lower %q, upper %q)", r, pyLower(s), pyUpper(s))
		}
	}
	for _, row := range g.Strings {
		if got := pyLower(row[0]); got != row[1] {
			t.Errorf("%q.lower() = %q, python %q", row[0], got, row[1])
		}
		if got := pyUpper(row[0]); got != row[2] {
			t.Errorf("%q.upper() = %q, python %q", row[0], got, row[2])
		}
	}
}

func TestIsSpaceMatchesCPython(t *testing.T) {
	var g pystrGolden
	readGolden(t, "pystr_cases.json", &g)
	var got []rune
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if isPySpace(r) {
			got = append(got, r)
		}
	}
	if !slices.Equal(got, g.IsSpace) {
		t.Errorf("isPySpace set = %U\npython isspace = %U", got, g.IsSpace)
	}
}

func TestStrip(t *testing.T) {
	tests := []struct{ in, strip, lstrip string }{
		{"", "", ""},
		{" 18 \n", "18", "18 \n"},
		{"\x1c\u3000 x \u00a0\x1f", "x", "x \u00a0\x1f"},
		{"\u200bx\u200b", "\u200bx\u200b", "\u200bx\u200b"}, // zero-width space is not whitespace
	}
	for _, tt := range tests {
		if got := pyStrip(tt.in); got != tt.strip {
			t.Errorf("strip(%q) = %q, want %q", tt.in, got, tt.strip)
		}
		if got := pyLStrip(tt.in); got != tt.lstrip {
			t.Errorf("lstrip(%q) = %q, want %q", tt.in, got, tt.lstrip)
		}
	}
}
