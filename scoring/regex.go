package scoring

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/dlclark/regexp2"
)

// DefaultMatchTimeout bounds one regex search. Real answer-extraction patterns
// finish in microseconds on a few kilobytes of model output; a search that
// runs this long is catastrophic backtracking, which Python would let hang.
const DefaultMatchTimeout = time.Second

// ErrMatchTimeout is wrapped by every error caused by a search that ran past
// its timeout.
var ErrMatchTimeout = errors.New("regex search timed out (catastrophic backtracking?)")

// Regex is a Python `re` pattern with Python's findall and sub semantics,
// evaluated by regexp2 (a backtracking engine with .NET syntax, which shares
// Python's look-around, backreferences, `$` before a final newline and
// Unicode `\d`). The pattern is translated first so that these also match
// Python: `\Z` (end of text only), `(?P<name>…)`, `(?P=name)`, `(?(name)…)`,
// `{,n}`, `\UXXXXXXXX`, and `\w \W \s \S \b \B` outside classes (`\w` and `\s`
// inside them) with Python's Unicode definitions.
//
// Known differences: after an empty match Python may still match a non-empty
// string at the same position (re.findall("|a", "a") is [”, 'a', ”]), while
// regexp2 moves on one character ([”, ”]); case-insensitive matching uses
// simple rather than full case folding; `\W` inside a character class keeps the
// .NET definition; the possessive quantifiers, `\N{…}` escapes and the `(?a)`
// flag of Python 3.11 fail to compile, while .NET-only syntax such as `\p{L}`
// compiles where Python would refuse it; in `(?x)` mode a bracket inside a `#`
// comment confuses the translation. None of lm-eval's extraction patterns
// touch these.
//
// A Regex is safe for concurrent use.
type Regex struct {
	pattern string
	re      *regexp2.Regexp
	groups  int
	timeout time.Duration
}

// CompileRegex compiles a Python pattern with DefaultMatchTimeout.
func CompileRegex(pattern string) (*Regex, error) {
	return compileRegex(pattern, DefaultMatchTimeout)
}

func compileRegex(pattern string, timeout time.Duration) (*Regex, error) {
	translated, err := translatePattern(pattern)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", pattern, err)
	}
	re, err := regexp2.Compile(translated, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", pattern, err)
	}
	re.MatchTimeout = timeout
	return &Regex{
		pattern: pattern,
		re:      re,
		groups:  len(re.GetGroupNumbers()) - 1,
		timeout: timeout,
	}, nil
}

// String returns the pattern as written in Python.
func (r *Regex) String() string { return r.pattern }

// FindAll returns re.findall(pattern, s). Each element holds the match's
// groups 1..n, or only the whole match when the pattern has no groups; a
// one-element slice is what Python returns as a plain string, a longer one
// is a tuple. Groups that did not take part are "".
func (r *Regex) FindAll(s string) ([][]string, error) {
	var out [][]string
	err := r.each(s, func(m *regexp2.Match) {
		if r.groups == 0 {
			out = append(out, []string{m.String()})
			return
		}
		g := make([]string, r.groups)
		for i := range g {
			g[i] = m.GroupByNumber(i + 1).String()
		}
		out = append(out, g)
	})
	return out, err
}

// ReplaceAllLiteral returns re.sub(pattern, repl, s) for a repl without
// backslash escapes (lm-eval only ever passes ""): every non-overlapping match,
// empty ones included, is replaced.
func (r *Regex) ReplaceAllLiteral(s, repl string) (string, error) {
	runes := []rune(s)
	var b strings.Builder
	prev, matched := 0, false
	err := r.eachRunes(runes, func(m *regexp2.Match) {
		matched = true
		b.WriteString(string(runes[prev:m.Index]))
		b.WriteString(repl)
		prev = m.Index + m.Length
	})
	if err != nil {
		return "", err
	}
	if !matched {
		return s, nil // keeps s byte for byte, invalid UTF-8 included
	}
	b.WriteString(string(runes[prev:]))
	return b.String(), nil
}

func (r *Regex) each(s string, f func(*regexp2.Match)) error {
	return r.eachRunes([]rune(s), f)
}

// eachRunes calls f for every match. regexp2's timeout bounds one search, and
// a search runs per match, so the whole scan is also held to the timeout:
// otherwise a slow pattern with many matches could take timeout × matches.
func (r *Regex) eachRunes(runes []rune, f func(*regexp2.Match)) error {
	start := time.Now()
	m, err := r.re.FindRunesMatch(runes)
	for err == nil && m != nil {
		f(m)
		if time.Since(start) > r.timeout {
			err = ErrMatchTimeout
			break
		}
		m, err = r.re.FindNextMatch(m)
	}
	if err != nil {
		// regexp2 only fails on timeouts; its message quotes the whole input,
		// so it is replaced rather than wrapped.
		return fmt.Errorf("regex %q on a %d-character input: %w (limit %v)", r.pattern, len(runes), ErrMatchTimeout, r.timeout)
	}
	return nil
}

// Python's Unicode classes: \w is str.isalnum() or "_", which is letters and
// all numbers (.NET adds combining marks and connector punctuation); \s adds
// U+001C..U+001F to .NET's set.
const (
	pyWordSet  = `\p{L}\p{N}_`
	pySpaceSet = `\s\x1c-\x1f`
	pyBoundary = `(?:(?<=[` + pyWordSet + `])(?![` + pyWordSet + `])|(?<![` + pyWordSet + `])(?=[` + pyWordSet + `]))`
	// Python's \B never matches in an empty string.
	pyNonBoundary = `(?:(?<=[` + pyWordSet + `])(?=[` + pyWordSet + `])|(?<![` + pyWordSet + `])(?![` + pyWordSet + `])(?!\A\z))`
)

// translatePattern rewrites the Python-only parts of a pattern into .NET
// syntax. Named groups become plain groups so that regexp2 numbers every group
// by its opening parenthesis, as Python does (.NET numbers named groups last).
func translatePattern(p string) (string, error) {
	rs := []rune(p)
	var b strings.Builder
	names := map[string]int{}
	groups := 0

	readUntil := func(from int, stop rune) (string, int, error) {
		for j := from; j < len(rs); j++ {
			if rs[j] == stop {
				return string(rs[from:j]), j, nil
			}
		}
		return "", 0, fmt.Errorf("missing %q after position %d", stop, from)
	}

	for i := 0; i < len(rs); i++ {
		c := rs[i]
		if c == '\\' {
			if i+1 >= len(rs) {
				return "", errors.New("bad escape (end of pattern)")
			}
			i++
			e := rs[i]
			if e == 'U' {
				lit, err := longUnicodeEscape(rs, i-1)
				if err != nil {
					return "", err
				}
				b.WriteString(lit)
				i += 8
				continue
			}
			switch e {
			case 'Z':
				b.WriteString(`\z`)
			case 'w':
				b.WriteString(`[` + pyWordSet + `]`)
			case 'W':
				b.WriteString(`[^` + pyWordSet + `]`)
			case 's':
				b.WriteString(`[` + pySpaceSet + `]`)
			case 'S':
				b.WriteString(`[^` + pySpaceSet + `]`)
			case 'b':
				b.WriteString(pyBoundary)
			case 'B':
				b.WriteString(pyNonBoundary)
			default:
				b.WriteRune('\\')
				b.WriteRune(e)
			}
			continue
		}
		switch c {
		case '[':
			class, end, err := translateClass(rs, i)
			if err != nil {
				return "", err
			}
			b.WriteString(class)
			i = end
		case '(':
			rest := string(rs[i:min(i+4, len(rs))])
			switch {
			case strings.HasPrefix(rest, "(?P<"):
				name, end, err := readUntil(i+4, '>')
				if err != nil {
					return "", err
				}
				groups++
				if _, dup := names[name]; dup {
					return "", fmt.Errorf("redefinition of group name %q", name)
				}
				names[name] = groups
				b.WriteRune('(')
				i = end
			case strings.HasPrefix(rest, "(?P="):
				name, end, err := readUntil(i+4, ')')
				if err != nil {
					return "", err
				}
				n, ok := names[name]
				if !ok {
					return "", fmt.Errorf("unknown group name %q", name)
				}
				fmt.Fprintf(&b, `(?:\%d)`, n)
				i = end
			case strings.HasPrefix(rest, "(?("):
				ref, end, err := readUntil(i+3, ')')
				if err != nil {
					return "", err
				}
				if n, ok := names[ref]; ok {
					ref = strconv.Itoa(n)
				}
				b.WriteString("(?(" + ref + ")")
				i = end
			case strings.HasPrefix(rest, "(?#"):
				_, end, err := readUntil(i+3, ')')
				if err != nil {
					return "", err
				}
				i = end // comments vanish, brackets inside them included
			case strings.HasPrefix(rest, "(?"):
				b.WriteString("(?")
				i++
			default:
				groups++
				b.WriteRune('(')
			}
		case '{':
			// Python reads "{,n}" as {0,n}; .NET would take it literally.
			if i+2 < len(rs) && rs[i+1] == ',' {
				j := i + 2
				for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
					j++
				}
				if j > i+2 && j < len(rs) && rs[j] == '}' {
					b.WriteString("{0,")
					i++
					continue
				}
			}
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String(), nil
}

// longUnicodeEscape turns Python's \UXXXXXXXX at rs[at] into an escaped
// literal, which .NET has no syntax for.
func longUnicodeEscape(rs []rune, at int) (string, error) {
	if at+10 > len(rs) {
		return "", fmt.Errorf("incomplete escape \\U at position %d", at)
	}
	hex := string(rs[at+2 : at+10])
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || v > unicode.MaxRune {
		return "", fmt.Errorf("bad escape \\U%s at position %d", hex, at)
	}
	return regexp2.Escape(string(rune(v))), nil
}

// translateClass translates the character class opening at rs[start] and
// returns it with the index of its closing "]".
//
// Python's \w and \s are unions of Unicode categories, so inside a class they
// expand in place. Their complements \W and \S cannot be written as such a
// union, so a class holding one is rebuilt from the complement:
// [\W rest] is (?:[^w]|[rest]) and [^\W rest] is [w-[rest]] (.NET class
// subtraction). A class with both \W and \S is rejected.
func translateClass(rs []rune, start int) (string, int, error) {
	i := start + 1
	negated := i < len(rs) && rs[i] == '^'
	if negated {
		i++
	}
	first := i // a "]" here is a literal, as in Python
	var rest strings.Builder
	complementOf := ""
	for ; i < len(rs); i++ {
		c := rs[i]
		if c == ']' && i > first {
			return buildClass(negated, complementOf, rest.String()), i, nil
		}
		if c != '\\' {
			if c == ']' || c == '[' || (c == '^' && rest.Len() == 0) {
				rest.WriteRune('\\') // literal here; keep it literal wherever rest lands
			}
			rest.WriteRune(c)
			continue
		}
		if i+1 >= len(rs) {
			break
		}
		e := rs[i+1]
		switch e {
		case 'w':
			rest.WriteString(pyWordSet)
		case 's':
			rest.WriteString(pySpaceSet)
		case 'W', 'S':
			set := pyWordSet
			if e == 'S' {
				set = pySpaceSet
			}
			if complementOf != "" && complementOf != set {
				return "", 0, fmt.Errorf("character class at position %d mixes \\W and \\S, which is not supported", start)
			}
			complementOf = set
		case 'U':
			lit, err := longUnicodeEscape(rs, i)
			if err != nil {
				return "", 0, err
			}
			rest.WriteString(lit)
			i += 8
		default:
			rest.WriteRune('\\')
			rest.WriteRune(e)
		}
		i++
	}
	return "", 0, fmt.Errorf("unterminated character set at position %d", start)
}

func buildClass(negated bool, complementOf, rest string) string {
	switch {
	case complementOf == "" && negated:
		return "[^" + rest + "]"
	case complementOf == "":
		return "[" + rest + "]"
	case negated && rest == "":
		return "[" + complementOf + "]"
	case negated:
		return "[" + complementOf + "-[" + rest + "]]"
	case rest == "":
		return "[^" + complementOf + "]"
	default:
		return "(?:[^" + complementOf + "]|[" + rest + "])"
	}
}
