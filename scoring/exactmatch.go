package scoring

import (
	"fmt"
	"strings"
)

// ExactMatchOptions are the keyword arguments of lm-eval's exact_match metric
// (a port of Hugging Face evaluate's exact_match).
type ExactMatchOptions struct {
	IgnoreCase        bool
	IgnorePunctuation bool
	IgnoreNumbers     bool
	// RegexesToIgnore are Python patterns whose matches are deleted, in order.
	RegexesToIgnore []string
}

// ExactMatcher scores exact_match with its regexes compiled once.
type ExactMatcher struct {
	opts   ExactMatchOptions
	ignore []*Regex
}

// NewExactMatcher compiles the options' regexes.
func NewExactMatcher(o ExactMatchOptions) (*ExactMatcher, error) {
	m := &ExactMatcher{opts: o}
	for i, p := range o.RegexesToIgnore {
		re, err := CompileRegex(p)
		if err != nil {
			return nil, fmt.Errorf("exact_match regexes_to_ignore[%d]: %w", i, err)
		}
		m.ignore = append(m.ignore, re)
	}
	return m, nil
}

// Score returns 1 when prediction and reference are equal after Normalize,
// else 0.
func (m *ExactMatcher) Score(prediction, reference string) (float64, error) {
	p, err := m.Normalize(prediction)
	if err != nil {
		return 0, fmt.Errorf("exact_match prediction: %w", err)
	}
	r, err := m.Normalize(reference)
	if err != nil {
		return 0, fmt.Errorf("exact_match reference: %w", err)
	}
	if p == r {
		return 1, nil
	}
	return 0, nil
}

// Normalize applies, in lm-eval's order: each regex to ignore (re.sub with ""),
// Python str.lower, deletion of ASCII string.punctuation, deletion of ASCII
// digits. lm-eval holds the strings in NumPy unicode arrays between steps,
// which silently drop trailing NUL characters, so this does too.
func (m *ExactMatcher) Normalize(s string) (string, error) {
	if len(m.ignore) == 0 {
		s = trimNUL(s)
	}
	for _, re := range m.ignore {
		var err error
		if s, err = re.ReplaceAllLiteral(s, ""); err != nil {
			return "", err
		}
		s = trimNUL(s)
	}
	if m.opts.IgnoreCase {
		s = pyLower(s)
	}
	if m.opts.IgnorePunctuation {
		s = strings.Map(func(r rune) rune {
			if r < 0x80 && strings.ContainsRune(asciiPunctuation, r) {
				return -1
			}
			return r
		}, s)
	}
	if m.opts.IgnoreNumbers {
		s = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, s)
	}
	return trimNUL(s), nil
}

// asciiPunctuation is Python's string.punctuation.
const asciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

func trimNUL(s string) string { return strings.TrimRight(s, "\x00") }
