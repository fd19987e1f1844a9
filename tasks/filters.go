package tasks

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/scoring"
)

// filterStep is one function of a filter pipeline. Unlike scoring.Filter it
// sees the doc, which lm-eval passes to every filter and multi_choice_regex
// reads.
type filterStep func(resps []string, doc datasets.Doc) ([]string, error)

func fromScoring(f scoring.Filter) filterStep {
	return func(resps []string, _ datasets.Doc) ([]string, error) { return f.Apply(resps) }
}

// apply runs the pipeline over one doc's responses.
func (fc *FilterConfig) apply(resps []string, doc datasets.Doc) ([]string, error) {
	for i, step := range fc.steps {
		var err error
		if resps, err = step(resps, doc); err != nil {
			return nil, fmt.Errorf("filter pipeline %q step %d (%s): %w", fc.Name, i, fc.Steps[i].Function, err)
		}
	}
	return resps, nil
}

// newFilterStep builds a filter from a filter_list entry.
func newFilterStep(function string, params map[string]any) (filterStep, error) {
	if function == "multi_choice_regex" {
		f, err := newMultiChoiceRegex(params)
		if err != nil {
			return nil, err
		}
		return f.apply, nil
	}
	f, err := scoring.NewFilter(function, params)
	if err != nil {
		return nil, err
	}
	return fromScoring(f), nil
}

// multiChoiceRegex is lm-eval's multi_choice_regex filter (v0.4.5, the NM
// Llama-3.1 tasks' "multi_choice"): the task's pattern first; failing that,
// the literal text of one of the doc's choices (reported as "(A)", "(B)",
// ...); failing that, a letter after a colon (also as "(X)"); else the
// fallback.
type multiChoiceRegex struct {
	primary           *scoring.Regex
	pattern           string
	groupSelect       int
	fallback          string
	ignoreCase        bool
	ignorePunctuation bool
	ignore            []*scoring.Regex
}

func newMultiChoiceRegex(params map[string]any) (*multiChoiceRegex, error) {
	f := &multiChoiceRegex{pattern: scoring.DefaultRegexPattern, fallback: scoring.DefaultFallback}
	for k, v := range params {
		var err error
		switch k {
		case "regex_pattern":
			f.pattern, err = paramString(v)
		case "fallback":
			f.fallback, err = paramString(v)
		case "group_select":
			n, ok := pyInt(v)
			if !ok {
				err = fmt.Errorf("want an integer, got %s", pyRepr(v))
			}
			f.groupSelect = n
		case "ignore_case":
			f.ignoreCase, err = paramBool(v)
		case "ignore_punctuation":
			f.ignorePunctuation, err = paramBool(v)
		case "regexes_to_ignore":
			if v == nil {
				continue
			}
			list, ok := asList(v)
			if !ok {
				err = fmt.Errorf("want a list of patterns, got %s", pyRepr(v))
				break
			}
			for _, p := range list {
				s, e := paramString(p)
				if e != nil {
					err = e
					break
				}
				re, e := scoring.CompileRegex(s)
				if e != nil {
					err = e
					break
				}
				f.ignore = append(f.ignore, re)
			}
		default:
			return nil, fmt.Errorf("filter \"multi_choice_regex\": unexpected parameter %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("filter \"multi_choice_regex\": %s: %w", k, err)
		}
	}
	var err error
	if f.primary, err = scoring.CompileRegex(f.pattern); err != nil {
		return nil, fmt.Errorf("filter \"multi_choice_regex\": %w", err)
	}
	return f, nil
}

func paramString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %s", pyRepr(v))
	}
	return s, nil
}

func paramBool(v any) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("want true or false, got %s", pyRepr(v))
	}
	return b, nil
}

// findMatch is the filter's find_match: findall, pick group_select, the
// first non-empty group of a tuple, strip, then map through convert. ok is
// false where Python's result is falsy (no match, or an empty string).
func (f *multiChoiceRegex) findMatch(re *scoring.Regex, resp string, convert map[string]string) (string, bool, error) {
	matches, err := re.FindAll(resp)
	if err != nil {
		return "", false, err
	}
	if len(matches) == 0 {
		return "", false, nil
	}
	i := f.groupSelect
	if i < 0 {
		i += len(matches)
	}
	if i < 0 || i >= len(matches) {
		return "", false, fmt.Errorf("IndexError: group_select %d with %d matches of %s", f.groupSelect, len(matches), re)
	}
	m := matches[i]
	s := m[0]
	if len(m) > 1 {
		s = ""
		for _, g := range m {
			if g != "" {
				s = g
				break
			}
		}
	}
	s = pyStrip(s, nil, true, true)
	if s == "" {
		return "", false, nil
	}
	if c, ok := convert[s]; ok {
		s = c
	}
	return s, true, nil
}

// ignored is the filter's filter_ignores: regexes removed, then lower case,
// then Unicode punctuation (categories P*) removed.
func (f *multiChoiceRegex) ignored(s string) (string, error) {
	for _, re := range f.ignore {
		var err error
		if s, err = re.ReplaceAllLiteral(s, ""); err != nil {
			return "", err
		}
	}
	if f.ignoreCase {
		s = cases.Lower(language.Und).String(s)
	}
	if f.ignorePunctuation {
		s = strings.Map(func(r rune) rune {
			if unicode.IsPunct(r) {
				return -1
			}
			return r
		}, s)
	}
	return s, nil
}

// choiceStrings iterates doc["choices"] as Python does: a list's items, or a
// dict's keys. A Go map has lost the dict's order; ARC's struct columns are
// (text, label) on the Hub, other keys follow sorted.
func choiceStrings(v any) ([]string, error) {
	if m, ok := v.(map[string]any); ok {
		var keys []string
		for _, k := range []string{"text", "label"} {
			if _, ok := m[k]; ok {
				keys = append(keys, k)
			}
		}
		var rest []string
		for k := range m {
			if k != "text" && k != "label" {
				rest = append(rest, k)
			}
		}
		sort.Strings(rest)
		return append(keys, rest...), nil
	}
	list, ok := asList(v)
	if !ok {
		return nil, fmt.Errorf("doc[\"choices\"] is %s, want a list", abbreviate(pyRepr(v)))
	}
	out := make([]string, len(list))
	for i, c := range list {
		s, ok := c.(string)
		if !ok {
			return nil, fmt.Errorf("AttributeError: choice %d is %s, not a string", i, abbreviate(pyRepr(c)))
		}
		out[i] = s
	}
	return out, nil
}

// pyEscape is Python 3.7+ re.escape.
func pyEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (f *multiChoiceRegex) apply(resps []string, doc datasets.Doc) ([]string, error) {
	raw, ok := doc["choices"]
	if !ok {
		return nil, fmt.Errorf("KeyError: the doc has no \"choices\"")
	}
	choices, err := choiceStrings(raw)
	if err != nil {
		return nil, err
	}
	var alts, letters []string
	toAlpha := map[string]string{}
	toTarget := map[string]string{}
	for i, c := range choices {
		m, err := f.ignored(pyStrip(c, nil, true, true))
		if err != nil {
			return nil, err
		}
		letter := string(rune('A' + i))
		alts = append(alts, pyEscape(m))
		toAlpha[m] = "(" + letter + ")"
		letters = append(letters, letter)
		toTarget[letter] = "(" + letter + ")"
	}
	byText, err := scoring.CompileRegex(strings.Join(alts, "|"))
	if err != nil {
		return nil, err
	}
	byColon, err := scoring.CompileRegex(`:[\s]*(` + strings.Join(letters, "|") + `)`)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(resps))
	for i, resp := range resps {
		m, ok, err := f.findMatch(f.primary, resp, nil)
		if err != nil {
			return nil, err
		}
		if !ok {
			ign, err := f.ignored(resp)
			if err != nil {
				return nil, err
			}
			if m, ok, err = f.findMatch(byText, ign, toAlpha); err != nil {
				return nil, err
			}
			if !ok {
				if m, ok, err = f.findMatch(byColon, resp, toTarget); err != nil {
					return nil, err
				}
			}
		}
		if !ok {
			m = f.fallback
		}
		out[i] = m
	}
	return out, nil
}
