package tasks

import (
	"fmt"
	"strings"
)

type fieldKind int

const (
	fieldTemplate fieldKind = iota
	fieldInt
	fieldList
	fieldFunc
)

// DocField is a doc_to_text, doc_to_target or doc_to_choice value: a template
// (or bare field name), an int, a literal list, or a named Go function.
type DocField struct {
	kind fieldKind
	tmpl *Template
	n    int
	list []any
	fn   DocFunc
	name string
}

// String is the field as lm-eval prints it in results.json configs.
func (f *DocField) String() string {
	switch f.kind {
	case fieldTemplate:
		return f.tmpl.Source
	case fieldInt:
		return fmt.Sprint(f.n)
	case fieldList:
		return pyRepr(f.list)
	default:
		return "!function " + f.name
	}
}

// configValue is the field as results.json's "configs" shows it.
func (f *DocField) configValue() any {
	switch f.kind {
	case fieldTemplate:
		return f.tmpl.Source
	case fieldInt:
		return f.n
	case fieldList:
		return f.list
	default:
		return f.name
	}
}

// resolver evaluates doc fields with lm-eval v0.4.5's ConfigurableTask rules.
type resolver struct {
	// features are the eval split's column names: a template equal to one of
	// them returns that column's raw value.
	features  map[string]bool
	hasChoice bool
	dropNL    bool
}

func (r *resolver) field(name string, d *docContext) (any, error) {
	v, ok := d.doc[name]
	if !ok {
		return nil, &UndefinedError{Name: name}
	}
	return normalizeValue(v), nil
}

// normalizeValue makes doc integers Go ints so callers can switch on one type.
func normalizeValue(v any) any {
	if n, ok := pyInt(v); ok {
		return n
	}
	return v
}

func (r *resolver) render(t *Template, d *docContext) (string, error) {
	return t.render(d, r.dropNL)
}

// text is doc_to_text: a string, an int (index into the choices, or the gold
// of a multiple-input task) or a list of strings.
func (r *resolver) text(f *DocField, d *docContext) (any, error) {
	switch f.kind {
	case fieldInt:
		return f.n, nil
	case fieldFunc:
		v, err := f.fn(d.doc)
		return normalizeValue(v), err
	case fieldList:
		return nil, fmt.Errorf("a list is not a doc_to_text")
	}
	if r.features[f.tmpl.Source] {
		return r.field(f.tmpl.Source, d)
	}
	s, err := r.render(f.tmpl, d)
	if err != nil {
		return nil, err
	}
	if r.hasChoice && pyIsDigit(s) {
		return pyDigitsToInt(s)
	}
	return s, nil
}

// target is doc_to_target: a string, an int, or a list (several targets).
func (r *resolver) target(f *DocField, d *docContext) (any, error) {
	switch f.kind {
	case fieldInt:
		return f.n, nil
	case fieldList:
		return f.list, nil
	case fieldFunc:
		v, err := f.fn(d.doc)
		return normalizeValue(v), err
	}
	if r.features[f.tmpl.Source] {
		return r.field(f.tmpl.Source, d)
	}
	s, err := r.render(f.tmpl, d)
	if err != nil {
		return nil, err
	}
	if r.hasChoice && pyIsDigit(s) {
		return pyDigitsToInt(s)
	}
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if v, err := pyLiteralEval(s); err == nil {
			return normalizeValue(v), nil
		}
	}
	return s, nil
}

// choice is doc_to_choice, as strings (lm-eval builds continuations with
// f"{target_delimiter}{choice}", i.e. str()).
func (r *resolver) choice(f *DocField, d *docContext) ([]string, error) {
	var v any
	switch f.kind {
	case fieldInt:
		return nil, fmt.Errorf("an int is not a doc_to_choice")
	case fieldList:
		v = f.list
	case fieldFunc:
		var err error
		if v, err = f.fn(d.doc); err != nil {
			return nil, err
		}
	default:
		if r.features[f.tmpl.Source] {
			var err error
			if v, err = r.field(f.tmpl.Source, d); err != nil {
				return nil, err
			}
			break
		}
		s, err := r.render(f.tmpl, d)
		if err != nil {
			return nil, err
		}
		if v, err = pyLiteralEval(s); err != nil {
			return nil, err
		}
	}
	if ss, ok := v.([]string); ok {
		return ss, nil
	}
	list, ok := asList(v)
	if !ok {
		return nil, fmt.Errorf("doc_to_choice must return a list, got %s", abbreviate(pyRepr(v)))
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = pyStr(x)
	}
	return out, nil
}

// targetString is how a few-shot target is written after the delimiter
// (samplers.get_context): a list's first element, a string as is, an int as
// the choice it indexes.
func targetString(target any, hasChoice bool, choices func() ([]string, error)) (string, error) {
	switch t := target.(type) {
	case []any:
		if len(t) == 0 {
			return "", fmt.Errorf("few-shot target is an empty list")
		}
		return pyStr(t[0]), nil
	case []string:
		if len(t) == 0 {
			return "", fmt.Errorf("few-shot target is an empty list")
		}
		return t[0], nil
	case string:
		return t, nil
	}
	if !hasChoice {
		return "", fmt.Errorf("few-shot target %s is not a string and the task has no doc_to_choice", pyRepr(target))
	}
	i, ok := pyInt(target)
	if !ok {
		return "", fmt.Errorf("few-shot target %s is neither a string, a list nor an int", pyRepr(target))
	}
	cs, err := choices()
	if err != nil {
		return "", err
	}
	return indexChoice(cs, i)
}

// indexChoice is Python's choices[i], negative indexes included.
func indexChoice(cs []string, i int) (string, error) {
	j := i
	if j < 0 {
		j += len(cs)
	}
	if j < 0 || j >= len(cs) {
		return "", fmt.Errorf("index %d out of range for %d choices [%s]", i, len(cs), strings.Join(cs, ", "))
	}
	return cs[j], nil
}
