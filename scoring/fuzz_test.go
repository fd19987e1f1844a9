package scoring

import (
	"errors"
	"testing"
	"time"
)

// FuzzRegexFilter feeds arbitrary patterns and responses through compilation
// and extraction: any outcome but a panic is fine, and a search that runs long
// must come back as ErrMatchTimeout.
func FuzzRegexFilter(f *testing.F) {
	seeds := []struct {
		pattern, input string
		group          int
	}{
		{gsm8kStrict, "#### 1,234.50\n", 0},
		{gsm8kFlexible, "$1,234.50 or -7", -1},
		{`(?s).*#### `, "a\n#### 5\n#### 6", 0},
		{`\.$`, "18.\n", 0},
		{`(?P<a>x)(?P=a)|[^\W\d]\b`, "xx y1 z", 1},
		{`(a+)+$`, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", 0},
		{`[\U0001F600-\U0001F64F]{,3}`, "\U0001F600\xff", -2},
		{`(?(1)a|b)`, "", 0},
	}
	for _, s := range seeds {
		f.Add(s.pattern, s.input, s.group)
	}
	f.Fuzz(func(t *testing.T, pattern, input string, group int) {
		re, err := compileRegex(pattern, 20*time.Millisecond)
		if err != nil {
			return
		}
		rf := &RegexFilter{re: re, groupSelect: group, fallback: DefaultFallback}
		if _, err := rf.Apply([]string{input}); err != nil &&
			!errors.Is(err, ErrMatchTimeout) && !errors.Is(err, ErrGroupSelect) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if _, err := re.ReplaceAllLiteral(input, ""); err != nil && !errors.Is(err, ErrMatchTimeout) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
