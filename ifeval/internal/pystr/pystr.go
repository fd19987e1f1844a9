// Package pystr reproduces the few Python str semantics that IFEval's checkers
// and the tokenizers they call depend on: what str.isspace, str.isupper and
// str.islower call whitespace and case, what the re module's Unicode \w, \d and
// \s match, and full Unicode lower-casing. Go's unicode package draws some of
// these lines differently (unicode.IsSpace omits U+001C..U+001F, unicode.IsUpper
// omits Other_Uppercase, regexp's \w is ASCII).
package pystr

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// IsSpace is str.isspace() of one character, which is also what the re
// module's \s matches in a str pattern: Unicode White_Space plus the ASCII
// information separators U+001C..U+001F.
func IsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, ' ', 0x85, 0xa0,
		0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// SpaceClass is the body of a Go regexp character class ([...]) that
// matches exactly what IsSpace accepts: Python's \s, for porting patterns.
const SpaceClass = `\t\n\v\f\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

// IsASCIIWhitespace reports membership of string.whitespace (" \t\n\r\v\f"),
// which some NLTK code uses instead of str.isspace.
func IsASCIIWhitespace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// IsWord is the re module's \w for str patterns: str.isalnum() or "_", that
// is letters (L*) and numbers (N*); unlike .NET it excludes combining marks.
func IsWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// IsDecimal is the re module's \d for str patterns (category Nd).
func IsDecimal(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= '0' && r <= '9'
	}
	return unicode.Is(unicode.Nd, r)
}

// IsUpperRune is Python's uppercase property of one character (Lu and
// Other_Uppercase, e.g. Ⓐ and Ⅻ).
func IsUpperRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'A' && r <= 'Z'
	}
	return unicode.IsUpper(r) || unicode.Is(unicode.Other_Uppercase, r)
}

// IsLowerRune is Python's lowercase property of one character (Ll and
// Other_Lowercase, e.g. ª and ʰ).
func IsLowerRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z'
	}
	return unicode.IsLower(r) || unicode.Is(unicode.Other_Lowercase, r)
}

// IsTitleRune is Python's titlecase property (Lt).
func IsTitleRune(r rune) bool {
	return r >= utf8.RuneSelf && unicode.IsTitle(r)
}

// IsUpper is str.isupper(): at least one cased character, and no lowercase or
// titlecase one.
func IsUpper(s string) bool {
	cased := false
	for _, r := range s {
		if IsLowerRune(r) || IsTitleRune(r) {
			return false
		}
		if !cased && IsUpperRune(r) {
			cased = true
		}
	}
	return cased
}

// IsLower is str.islower(): at least one cased character, and no uppercase or
// titlecase one.
func IsLower(s string) bool {
	cased := false
	for _, r := range s {
		if IsUpperRune(r) || IsTitleRune(r) {
			return false
		}
		if !cased && IsLowerRune(r) {
			cased = true
		}
	}
	return cased
}

// Strip is str.strip() with no argument.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// LStrip is str.lstrip() with no argument.
func LStrip(s string) string { return strings.TrimLeftFunc(s, IsSpace) }

// RStrip is str.rstrip() with no argument.
func RStrip(s string) string { return strings.TrimRightFunc(s, IsSpace) }

// Fields is str.split() with no argument: runs of whitespace separate, and
// leading or trailing whitespace yields no empty field.
func Fields(s string) []string { return strings.FieldsFunc(s, IsSpace) }

// Lower is str.lower(): full Unicode lower-casing, so "İ" becomes "i̇" and a
// word-final "Σ" becomes "ς". x/text's root-locale caser applies the same
// mappings and the same final-sigma rule; a Caser is stateful, so every call
// makes its own.
func Lower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return cases.Lower(language.Und).String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
