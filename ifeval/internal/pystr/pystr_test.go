package pystr

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
	"unicode/utf8"
)

type golden struct {
	Unassigned [][2]rune `json:"unassigned"`
	IsUpper    [][2]rune `json:"isupper"`
	IsLower    [][2]rune `json:"islower"`
	IsTitle    [][2]rune `json:"istitle_char"`
	IsSpace    [][2]rune `json:"isspace"`
	ReWord     [][2]rune `json:"re_word"`
	ReDigit    [][2]rune `json:"re_digit"`
	ReSpace    [][2]rune `json:"re_space"`
	Strings    [][4]any  `json:"strings"`
}

func readGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/pystr_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func inRanges(rs [][2]rune, r rune) bool {
	lo, hi := 0, len(rs)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < rs[m][0]:
			hi = m
		case r > rs[m][1]:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// unicode15Lowercase are the modifier letters Unicode 15 added to
// Other_Lowercase; CPython 3.12 (Unicode 15) agrees with Go on them.
var unicode15Lowercase = map[rune]bool{0x10FC: true, 0xA7F2: true, 0xA7F3: true, 0xA7F4: true, 0xAB69: true}

// TestCharacterClassesMatchCPython compares every code point CPython 3.11
// knows (Unicode 14; Go's tables are Unicode 15, so newer characters are
// skipped).
func TestCharacterClassesMatchCPython(t *testing.T) {
	g := readGolden(t)
	checks := []struct {
		name string
		want [][2]rune
		got  func(rune) bool
	}{
		{"str.isupper", g.IsUpper, func(r rune) bool { return IsUpper(string(r)) }},
		{"str.islower", g.IsLower, func(r rune) bool { return IsLower(string(r)) }},
		{"Lt", g.IsTitle, IsTitleRune},
		{"str.isspace", g.IsSpace, IsSpace},
		{`re \w`, g.ReWord, IsWord},
		{`re \d`, g.ReDigit, IsDecimal},
		{`re \s`, g.ReSpace, IsSpace},
	}
	for _, c := range checks {
		bad := 0
		for r := rune(0); r <= utf8.MaxRune; r++ {
			if !utf8.ValidRune(r) || inRanges(g.Unassigned, r) || unicode15Lowercase[r] {
				continue
			}
			if want := inRanges(c.want, r); c.got(r) != want {
				if bad++; bad <= 5 {
					t.Errorf("%s(%U) = %v, CPython %v", c.name, r, !want, want)
				}
			}
		}
		if bad > 5 {
			t.Errorf("%s: %d code points differ in all", c.name, bad)
		}
	}
}

func TestStringMethodsMatchCPython(t *testing.T) {
	g := readGolden(t)
	for _, row := range g.Strings {
		s := row[0].(string)
		if got := Lower(s); got != row[1].(string) {
			t.Errorf("%q.lower() = %q, CPython %q", s, got, row[1])
		}
		if got := IsUpper(s); got != row[2].(bool) {
			t.Errorf("%q.isupper() = %v, CPython %v", s, got, row[2])
		}
		if got := IsLower(s); got != row[3].(bool) {
			t.Errorf("%q.islower() = %v, CPython %v", s, got, row[3])
		}
	}
}

func TestStripAndFields(t *testing.T) {
	s := "\x1c\u3000 a b\u2009c \u0085"
	if got := Strip(s); got != "a b\u2009c" {
		t.Errorf("Strip = %q", got)
	}
	if got := Fields(s); len(got) != 3 || got[2] != "c" {
		t.Errorf("Fields = %q", got)
	}
}

func TestSpaceClass(t *testing.T) {
	re := regexp.MustCompile(`^[` + SpaceClass + `]$`)
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		if got := re.MatchString(string(r)); got != IsSpace(r) {
			t.Errorf("SpaceClass(%U) = %v, IsSpace %v", r, got, !got)
		}
	}
}
