package scoring

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Filter is one step of an lm-eval filter pipeline: it maps the responses of
// one document (one per repeat) to filtered responses. Unlike lm-eval's
// filters it can fail, because the cases where lm-eval raises (an out-of-range
// group_select) or hangs (catastrophic backtracking) must surface as errors.
type Filter interface {
	Apply(resps []string) ([]string, error)
}

// ErrGroupSelect is wrapped when a regex filter's group_select does not index
// the list of matches; lm-eval raises IndexError there.
var ErrGroupSelect = errors.New("group_select out of range")

// Defaults of lm-eval's regex filter.
const (
	DefaultRegexPattern = `#### (\-?[0-9\.\,]+)`
	DefaultFallback     = "[invalid]"
)

// RegexFilter is lm-eval's "regex" filter.
type RegexFilter struct {
	re          *Regex
	groupSelect int
	fallback    string
}

// NewRegexFilter compiles a Python pattern for answer extraction. groupSelect
// indexes re.findall's list (negative counts from the end, -1 is the last
// match); fallback is returned when nothing matches. The caller passes the
// fallback explicitly; NewFilter applies lm-eval's defaults.
func NewRegexFilter(pattern string, groupSelect int, fallback string) (*RegexFilter, error) {
	re, err := CompileRegex(pattern)
	if err != nil {
		return nil, fmt.Errorf("regex filter: %w", err)
	}
	return &RegexFilter{re: re, groupSelect: groupSelect, fallback: fallback}, nil
}

func (f *RegexFilter) String() string {
	return fmt.Sprintf("regex(%q, group_select=%d)", f.re.pattern, f.groupSelect)
}

// Extract filters one response:
//
//	matches = re.findall(pattern, resp)
//	no match            → fallback, unstripped
//	m = matches[group_select]; a tuple becomes its first non-empty element
//	                      (all empty → fallback)
//	→ m.strip()
//
// The all-empty tuple follows lm-eval ≥ 0.4.8; v0.4.5 raised IndexError there,
// so no v0.4.5 result depends on it.
func (f *RegexFilter) Extract(resp string) (string, error) {
	matches, err := f.re.FindAll(resp)
	if err != nil {
		return "", err
	}
	if len(matches) == 0 {
		return f.fallback, nil
	}
	i := f.groupSelect
	if i < 0 {
		i += len(matches)
	}
	if i < 0 || i >= len(matches) {
		return "", fmt.Errorf("regex %q: %w: %d with %d matches", f.re.pattern, ErrGroupSelect, f.groupSelect, len(matches))
	}
	m := matches[i]
	if len(m) == 1 {
		return pyStrip(m[0]), nil
	}
	for _, g := range m {
		if g != "" {
			return pyStrip(g), nil
		}
	}
	return pyStrip(f.fallback), nil
}

// Apply extracts from every response.
func (f *RegexFilter) Apply(resps []string) ([]string, error) {
	out := make([]string, len(resps))
	for i, r := range resps {
		v, err := f.Extract(r)
		if err != nil {
			return nil, fmt.Errorf("response %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// funcFilter is a filter that cannot fail per response.
type funcFilter struct {
	name string
	each func(string) string
}

func (f funcFilter) String() string { return f.name }

func (f funcFilter) Apply(resps []string) ([]string, error) {
	out := make([]string, len(resps))
	for i, r := range resps {
		out[i] = f.each(r)
	}
	return out, nil
}

// RemoveWhitespace is lm-eval's "remove_whitespace": Python str.lstrip(), so
// only leading whitespace goes, despite the name.
func RemoveWhitespace() Filter { return funcFilter{"remove_whitespace", pyLStrip} }

// Lowercase is lm-eval's "lowercase" (Python str.lower).
func Lowercase() Filter { return funcFilter{"lowercase", pyLower} }

// Uppercase is lm-eval's "uppercase" (Python str.upper).
func Uppercase() Filter { return funcFilter{"uppercase", pyUpper} }

type takeFirst struct{}

func (takeFirst) String() string { return "take_first" }

func (takeFirst) Apply(resps []string) ([]string, error) {
	if len(resps) == 0 {
		return nil, errors.New("take_first: no responses")
	}
	return resps[:1:1], nil
}

// TakeFirst is lm-eval's "take_first": keep the first response of the repeats.
func TakeFirst() Filter { return takeFirst{} }

// Pipeline is a named filter chain; its name is the suffix of the reported
// metric ("exact_match,strict-match").
type Pipeline struct {
	Name    string
	Filters []Filter
}

// DefaultPipeline is what lm-eval uses when a task lists no filters.
func DefaultPipeline() Pipeline {
	return Pipeline{Name: "none", Filters: []Filter{TakeFirst()}}
}

// Apply runs the filters in order over one document's responses.
func (p Pipeline) Apply(resps []string) ([]string, error) {
	for i, f := range p.Filters {
		var err error
		resps, err = f.Apply(resps)
		if err != nil {
			return nil, fmt.Errorf("filter pipeline %q step %d (%v): %w", p.Name, i, f, err)
		}
	}
	return resps, nil
}

// NewFilter builds a filter from a task config entry (`function` plus its
// keyword arguments), as lm-eval's registry does. Like Python's keyword
// binding it rejects parameters the filter does not take.
func NewFilter(function string, params map[string]any) (Filter, error) {
	allowed := map[string][]string{
		"regex":             {"regex_pattern", "group_select", "fallback"},
		"take_first":        nil,
		"remove_whitespace": nil,
		"lowercase":         nil,
		"uppercase":         nil,
	}
	names, ok := allowed[function]
	if !ok {
		known := slices.Sorted(maps.Keys(allowed))
		return nil, fmt.Errorf("unknown filter %q (known: %s)", function, strings.Join(known, ", "))
	}
	for k := range params {
		if !slices.Contains(names, k) {
			return nil, fmt.Errorf("filter %q: unexpected parameter %q", function, k)
		}
	}
	switch function {
	case "take_first":
		return TakeFirst(), nil
	case "remove_whitespace":
		return RemoveWhitespace(), nil
	case "lowercase":
		return Lowercase(), nil
	case "uppercase":
		return Uppercase(), nil
	}
	pattern, fallback, groupSelect := DefaultRegexPattern, DefaultFallback, 0
	var err error
	if v, ok := params["regex_pattern"]; ok {
		if pattern, err = stringParam(v); err != nil {
			return nil, fmt.Errorf("filter %q: regex_pattern: %w", function, err)
		}
	}
	if v, ok := params["fallback"]; ok {
		if fallback, err = stringParam(v); err != nil {
			return nil, fmt.Errorf("filter %q: fallback: %w", function, err)
		}
	}
	if v, ok := params["group_select"]; ok {
		if groupSelect, err = intParam(v); err != nil {
			return nil, fmt.Errorf("filter %q: group_select: %w", function, err)
		}
	}
	return NewRegexFilter(pattern, groupSelect, fallback)
}

func stringParam(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %T %v", v, v)
	}
	return s, nil
}

// intParam accepts what YAML and JSON decoders produce for an integer.
func intParam(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case uint64:
		if x <= math.MaxInt {
			return int(x), nil
		}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), nil
		}
	}
	return 0, fmt.Errorf("want an integer, got %T %v", v, v)
}
