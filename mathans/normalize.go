package mathans

import (
	"regexp"
	"strings"
	"unicode"
)

// normSubstitutions and normRemovals are lm-eval's SUBSTITUTIONS and
// REMOVED_EXPRESSIONS, applied in order as plain substring replacements
// (so "ft" also eats the "ft" of "\left", as in the reference).
var normSubstitutions = [][2]string{
	{"an ", ""}, {"a ", ""}, {".$", "$"}, {`\$`, ""}, {`\ `, ""}, {" ", ""},
	{"mbox", "text"}, {`,\text{and}`, ","}, {`\text{and}`, ","}, {`\text{m}`, `\text{}`},
}

var normRemovals = []string{
	"square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km",
	"units", `\ldots`, "sue", "points", "feet", "minutes", "digits", "cents",
	"degrees", "cm", "gm", "pounds", "meters", "meals", "edges", "students",
	"childrentickets", "multiples", `\text{s}`, `\text{.}`, "\\text{\ns}",
	`\text{}^2`, `\text{}^3`, "\\text{\n}", `\text{}`, `\mathrm{th}`, `^\circ`,
	`^{\circ}`, `\;`, `,\!`, "{,}", `"`, `\dots`,
}

// The regex rewrites of normalize_final_answer. Go's RE2 agrees with
// Python's re on these: leftmost-first matching, "." excluding newline,
// negated classes including it.
var normRewrites = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(.*?)(\$)(.*?)(\$)(.*)`), "$$${3}$$"},
	{regexp.MustCompile(`(\\text\{)(.*?)(\})`), "${2}"},
	{regexp.MustCompile(`(\\textbf\{)(.*?)(\})`), "${2}"},
	{regexp.MustCompile(`(\\overline\{)(.*?)(\})`), "${2}"},
	{regexp.MustCompile(`(\\boxed\{)(.*)(\})`), "${2}"},
	{regexp.MustCompile(`(frac)([^{])(.)`), "frac{${2}}{${3}}"},
	{regexp.MustCompile(`(sqrt)([^{])`), "sqrt{${2}}"},
}

// NormalizeFinalAnswer is lm-eval's normalize_final_answer (Hendrycks'
// MATH/Minerva normalisation), step for step; it applies to model answers
// and golds alike.
func NormalizeFinalAnswer(a string) string {
	if i := strings.LastIndex(a, "="); i >= 0 {
		a = a[i+1:]
	}
	for _, s := range normSubstitutions {
		a = strings.ReplaceAll(a, s[0], s[1])
	}
	for _, r := range normRemovals {
		a = strings.ReplaceAll(a, r, "")
	}
	for _, rw := range normRewrites {
		a = rw.re.ReplaceAllString(a, rw.repl)
	}
	a = strings.ReplaceAll(a, "$", "")
	if noComma := strings.ReplaceAll(a, ",", ""); noComma != "" && isPyDigits(noComma) {
		a = noComma
	}
	return a
}

// isPyDigits is Python's str.isdigit: decimal digits plus the digit
// characters of category No (superscripts, subscripts, circled digits…).
func isPyDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) && !isNoDigit(r) {
			return false
		}
	}
	return true
}

func isNoDigit(r rune) bool {
	switch {
	case r == 0xb2 || r == 0xb3 || r == 0xb9: // ² ³ ¹
		return true
	case r == 0x2070 || (r >= 0x2074 && r <= 0x2079), r >= 0x2080 && r <= 0x2089:
		return true
	case r >= 0x2460 && r <= 0x2468, r >= 0x2474 && r <= 0x247c, r >= 0x2488 && r <= 0x2490:
		return true
	case r == 0x24ea, r >= 0x24f5 && r <= 0x24fd, r == 0x24ff, r >= 0x2776 && r <= 0x277e,
		r >= 0x2780 && r <= 0x2788, r >= 0x278a && r <= 0x2792, r >= 0x1369 && r <= 0x1371,
		r == 0x19da, r >= 0x10a40 && r <= 0x10a43, r >= 0x1f100 && r <= 0x1f10a:
		return true
	}
	return false
}
