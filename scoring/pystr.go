package scoring

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// isPySpace reports whether Python's str.isspace() is true for r: Unicode
// White_Space characters plus the ASCII information separators
// U+001C..U+001F, which Go's unicode.IsSpace omits.
func isPySpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, ' ', 0x85, 0xa0,
		0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// pyStrip is Python's str.strip() with no argument.
func pyStrip(s string) string { return strings.TrimFunc(s, isPySpace) }

// pyLStrip is Python's str.lstrip() with no argument.
func pyLStrip(s string) string { return strings.TrimLeftFunc(s, isPySpace) }

// pyLower is Python's str.lower(): full Unicode case mapping, so "İ" becomes
// "i̇" and a word-final "Σ" becomes "ς". x/text's root-locale caser does
// exactly that (checked against CPython for every code point in
// pystr_test.go); a Caser is stateful, so each call makes its own.
func pyLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return cases.Lower(language.Und).String(s)
}

// pyUpper is Python's str.upper(), including expansions such as "ß" → "SS".
func pyUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	return cases.Upper(language.Und).String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
