// Package mathans scores answers to MATH competition problems the way
// lm-eval's Minerva-style leaderboard_math_hard task does: it extracts the
// model's final answer (get_unnormalized_answer), the gold's last \boxed
// expression, normalises both with normalize_final_answer, and decides
// equivalence. lm-eval delegates equivalence to SymPy's LaTeX parser; parity
// has no Python, so Equiv is a pure-Go stand-in that parses the LaTeX MATH
// answers use and compares them numerically and structurally.
package mathans

import (
	"regexp"
	"strings"
)

// Invalid is the answer lm-eval records when no final answer is found.
const Invalid = "[invalidanswer]"

// LastBoxedOnlyString is lm-eval's last_boxed_only_string: the last
// "\boxed{...}" (or "\fbox{...}") in s with balanced braces, or the text
// after the last "\boxed " up to the next "$". ok is false where Python
// returns None.
func LastBoxedOnlyString(s string) (string, bool) {
	idx := strings.LastIndex(s, `\boxed`)
	if strings.Contains(s, `\boxed `) {
		parts := strings.Split(s, `\boxed `)
		last := parts[len(parts)-1]
		return `\boxed ` + strings.Split(last, "$")[0], true
	}
	if idx < 0 {
		idx = strings.LastIndex(s, `\fbox`)
		if idx < 0 {
			return "", false
		}
	}
	depth := 0
	for i := idx; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[idx : i+1], true
			}
		}
	}
	return "", false
}

// RemoveBoxed is lm-eval's remove_boxed: the inside of "\boxed{...}" or the
// rest after "\boxed ". ok is false where lm-eval v0.4.5 fails an assertion
// (later versions return Invalid there).
func RemoveBoxed(b string) (string, bool) {
	if strings.Contains(b, `\boxed `) {
		if !strings.HasPrefix(b, `\boxed `) {
			return "", false
		}
		return b[len(`\boxed `):], true
	}
	const left = `\boxed{`
	if !strings.HasPrefix(b, left) || !strings.HasSuffix(b, "}") || len(b) < len(left)+1 {
		return "", false
	}
	return b[len(left) : len(b)-1], true
}

// GoldAnswer is the leaderboard task's process_docs answer for a solution:
// normalize_final_answer(remove_boxed(last_boxed_only_string(solution))),
// with Invalid where lm-eval's HF fork returns it.
func GoldAnswer(solution string) string {
	b, ok := LastBoxedOnlyString(solution)
	if !ok {
		return NormalizeFinalAnswer(Invalid)
	}
	r, ok := RemoveBoxed(b)
	if !ok {
		return NormalizeFinalAnswer(Invalid)
	}
	return NormalizeFinalAnswer(r)
}

// minervaAnswer is get_unnormalized_answer's pattern: its two dots are
// unescaped in lm-eval and match any character but a newline, as here.
var minervaAnswer = regexp.MustCompile(`Final Answer: The final answer is(.*?). I hope it is correct.`)

// UnnormalizedAnswer is lm-eval's get_unnormalized_answer: the text of the
// first "Final Answer: The final answer is X. I hope it is correct." line,
// stripped, or Invalid. The suffix is appended first, so a response cut
// after "I hope it is correct" (stop sequence, no period) still matches.
func UnnormalizedAnswer(response string) string {
	m := minervaAnswer.FindStringSubmatch(response + "I hope it is correct.")
	if m == nil {
		return Invalid
	}
	return pyStrip(m[1])
}

// pyStrip is Python's str.strip(): it removes Unicode whitespace as
// str.isspace defines it, which includes the ASCII separators \x1c-\x1f.
func pyStrip(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}
