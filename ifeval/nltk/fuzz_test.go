package nltk

import (
	"testing"
	"unicode/utf8"
)

// FuzzPunkt: on any text the sentence spans are ordered, non-empty, within
// the text, and the tokenizers do not panic.
func FuzzPunkt(f *testing.F) {
	for _, s := range []string{"Dr. Smith went. He left!", "a. b? c!\n\n\"d.\" (e.) --f", ". . . ...", "1. A\n2. B", "\xff.\xfe. x", "'Tis don't CAN'T «a» “b”"} {
		f.Add(s)
	}
	p := English()
	f.Fuzz(func(t *testing.T, s string) {
		n := utf8.RuneCountInString(s)
		prev := 0
		for _, sp := range p.SpanTokenize(s) {
			if sp.Start < prev || sp.End <= sp.Start || sp.End > n {
				t.Fatalf("%q: bad span %v after %d (%d code points)", s, sp, prev, n)
			}
			prev = sp.End
		}
		WordTokenize(s)
		CountWords(s)
	})
}
