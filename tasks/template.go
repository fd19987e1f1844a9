package tasks

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"

	"github.com/parity-eval/parity/datasets"
)

// Template is one compiled Jinja template of a task (doc_to_text, description, ...).
// lm-eval renders with StrictUndefined and, since v0.4.4, keep_trailing_newline.
type Template struct {
	// Source is the template text as written in tasks.yaml.
	Source string
	// parts is set when the template is only literal text and substitutions
	// of the form {{ a.b }} or {{ a.b.index(c) }}, which is most of lm-eval's:
	// those render without the engine, falling back to it whenever a value is
	// not a plain doc value (so errors and odd cases stay the engine's).
	parts []part
	keep  *exec.Template
	drop  *exec.Template // keep_trailing_newline=False (lm-eval <= v0.4.3)
}

// part is literal text or, when path is set, a substitution.
type part struct {
	text  string
	path  []string // doc field, then keys of nested mappings
	index []string // argument path of a trailing .index(...)
}

var (
	substitution = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
	simpleExpr   = regexp.MustCompile(`^ *([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*?)(?:\.index\( *([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*) *\))? *$`)
)

// dictAttrs are Python dict attributes: for them Jinja's a.b is the method,
// not the item, so such paths go to the engine.
var dictAttrs = map[string]bool{"keys": true, "values": true, "items": true, "get": true, "pop": true,
	"popitem": true, "copy": true, "update": true, "clear": true, "setdefault": true, "fromkeys": true, "index": true}

// simpleParts splits a template made of text and simple substitutions only;
// anything else (blocks, comments, filters, whitespace control, stray
// delimiters) returns nil and goes to the engine.
func simpleParts(src string) []part {
	var parts []part
	last := 0
	for _, m := range substitution.FindAllStringSubmatchIndex(src, -1) {
		e := simpleExpr.FindStringSubmatch(src[m[2]:m[3]])
		if e == nil {
			return nil
		}
		p := part{path: strings.Split(e[1], ".")}
		if e[2] != "" {
			p.index = strings.Split(e[2], ".")
		}
		for _, k := range append(p.path[1:], p.index...) {
			if dictAttrs[k] {
				return nil
			}
		}
		parts = append(parts, part{text: src[last:m[0]]}, p)
		last = m[1]
	}
	parts = append(parts, part{text: src[last:]})
	for i, p := range parts {
		if p.path != nil {
			continue
		}
		for _, delim := range []string{"{{", "}}", "{%", "%}", "{#", "#}"} {
			if strings.Contains(p.text, delim) {
				return nil
			}
		}
		// The engine turns \r\n and \r in template text into \n.
		parts[i].text = strings.ReplaceAll(strings.ReplaceAll(p.text, "\r\n", "\n"), "\r", "\n")
	}
	return parts
}

// lookup follows a path through plain doc values; ok is false where the
// engine must decide (a missing key, a non-mapping).
func lookup(doc datasets.Doc, path []string) (any, bool) {
	v, ok := doc[path[0]]
	if !ok {
		return nil, false
	}
	for _, k := range path[1:] {
		m, isMap := v.(map[string]any)
		if !isMap {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// renderParts renders a simple template; ok is false when the engine must
// render it instead.
func (t *Template) renderParts(d *docContext, dropTrailingNewline bool) (string, bool) {
	var b strings.Builder
	for i, p := range t.parts {
		if p.path == nil {
			text := p.text
			if dropTrailingNewline && i == len(t.parts)-1 {
				text = strings.TrimSuffix(text, "\n")
			}
			b.WriteString(text)
			continue
		}
		v, ok := lookup(d.doc, p.path)
		if !ok {
			return "", false
		}
		if p.index != nil {
			want, ok := lookup(d.doc, p.index)
			if !ok {
				return "", false
			}
			list, isList := asList(v)
			if !isList {
				return "", false
			}
			found := -1
			for j, x := range list {
				if pyEqual(x, want) {
					found = j
					break
				}
			}
			if found < 0 {
				return "", false // the engine raises the ValueError
			}
			v = found
		}
		b.WriteString(pyStr(v))
	}
	return b.String(), true
}

// templateEnv is gonja's default environment with the Python methods lm-eval
// templates call that gonja lacks (list.index, list.count) and with Python's
// whitespace rules for str.strip. Mutating list methods (append, reverse, ...)
// are left out so a template can never change a shared doc.
var templateEnv = newTemplateEnv()

func newTemplateEnv() *exec.Environment {
	str := map[string]exec.Method[string]{}
	for _, name := range pyStrMethods {
		if m, ok := builtins.Methods.Str.Get(name); ok {
			str[name] = m
		}
	}
	str["strip"] = stripMethod(true, true)
	str["lstrip"] = stripMethod(true, false)
	str["rstrip"] = stripMethod(false, true)

	list := map[string]exec.Method[[]any]{
		"index": listIndex,
		"count": listCount,
	}
	if m, ok := builtins.Methods.List.Get("copy"); ok {
		list["copy"] = m
	}
	return &exec.Environment{
		Context:           exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables),
		Filters:           builtins.Filters,
		Tests:             builtins.Tests,
		ControlStructures: builtins.ControlStructures,
		Methods: exec.Methods{
			Bool:  builtins.Methods.Bool,
			Int:   builtins.Methods.Int,
			Float: builtins.Methods.Float,
			Str:   exec.NewMethodSet(str),
			Dict:  builtins.Methods.Dict,
			List:  exec.NewMethodSet(list),
		},
	}
}

// pyStrMethods are the str methods gonja may implement; those it has are kept.
var pyStrMethods = []string{
	"capitalize", "capwords", "casefold", "center", "count", "encode", "endswith",
	"expandtabs", "find", "format", "format_map", "index", "isalnum", "isalpha",
	"isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
	"isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower",
	"lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind",
	"rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines",
	"startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
}

func stripMethod(left, right bool) exec.Method[string] {
	return func(self string, _ *exec.Value, args *exec.VarArgs) (any, error) {
		if len(args.KwArgs) > 0 || len(args.Args) > 1 {
			return nil, errors.New("strip() takes at most 1 positional argument")
		}
		if len(args.Args) == 1 && !args.Args[0].IsNil() {
			if !args.Args[0].IsString() {
				return nil, errors.New("strip arg must be None or str")
			}
			chars := args.Args[0].String()
			return pyStrip(self, &chars, left, right), nil
		}
		return pyStrip(self, nil, left, right), nil
	}
}

func listArg(method string, args *exec.VarArgs) (any, error) {
	if len(args.Args) != 1 || len(args.KwArgs) > 0 {
		return nil, fmt.Errorf("list.%s() takes exactly one argument", method)
	}
	return args.Args[0].Interface(), nil
}

func unwrapValue(x any) any {
	if v, ok := x.(*exec.Value); ok {
		return v.Interface()
	}
	return x
}

func listIndex(self []any, _ *exec.Value, args *exec.VarArgs) (any, error) {
	want, err := listArg("index", args)
	if err != nil {
		return nil, err
	}
	for i, x := range self {
		if pyEqual(unwrapValue(x), want) {
			return i, nil
		}
	}
	return nil, fmt.Errorf("ValueError: %s is not in list", pyRepr(want))
}

func listCount(self []any, _ *exec.Value, args *exec.VarArgs) (any, error) {
	want, err := listArg("count", args)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, x := range self {
		if pyEqual(unwrapValue(x), want) {
			n++
		}
	}
	return n, nil
}

// pyList is how a doc's list reaches a template: it renders as Python's repr
// (gonja's own list rendering does not escape quotes inside strings, which
// would break doc_to_choice's literal_eval round trip).
type pyList []any

func (l pyList) String() string { return pyRepr([]any(l)) }

// pyDict renders a doc's mapping as Python's repr (keys sorted: see writeRepr).
type pyDict map[string]any

func (d pyDict) String() string { return pyRepr(map[string]any(d)) }

// pyNone is a doc's null: Jinja prints None as "None" and treats it as false.
type pyNone bool

func (pyNone) String() string { return "None" }

// templateValue converts a doc value to the types templates see.
func templateValue(v any) any {
	switch x := v.(type) {
	case nil:
		return pyNone(false)
	case []any:
		out := make(pyList, len(x))
		for i, e := range x {
			out[i] = templateValue(e)
		}
		return out
	case []string:
		out := make(pyList, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case map[string]any:
		out := make(pyDict, len(x))
		for k, e := range x {
			out[k] = templateValue(e)
		}
		return out
	}
	return v
}

// docContext is a doc prepared for rendering; the gonja context is built on
// first use (once, also under concurrent Instances calls) and reused by every
// template of the task.
type docContext struct {
	doc  datasets.Doc
	once sync.Once
	ctx  *exec.Context
}

func newDocContext(doc datasets.Doc) *docContext { return &docContext{doc: doc} }

func (d *docContext) context() *exec.Context {
	d.once.Do(func() {
		data := make(map[string]any, len(d.doc))
		for k, v := range d.doc {
			data[k] = templateValue(v)
		}
		d.ctx = exec.NewContext(data)
	})
	return d.ctx
}

// UndefinedError is a template that referred to a variable the doc lacks.
type UndefinedError struct {
	Name string
}

func (e *UndefinedError) Error() string { return fmt.Sprintf("undefined variable %q", e.Name) }

var undefinedName = regexp.MustCompile(`Unable to evaluate name "([^"]+)"`)

func templateConfig(keepTrailingNewline bool) *config.Config {
	c := config.New()
	c.StrictUndefined = true
	c.KeepTrailingNewline = keepTrailingNewline
	return c
}

// CompileTemplate compiles src once; Render can then be called many times,
// also concurrently.
func CompileTemplate(src string) (*Template, error) {
	t := &Template{Source: src, parts: simpleParts(src)}
	var err error
	if t.keep, err = compileGonja(src, true); err != nil {
		return nil, err
	}
	t.drop = t.keep
	if strings.HasSuffix(src, "\n") {
		if t.drop, err = compileGonja(src, false); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func compileGonja(src string, keep bool) (_ *exec.Template, err error) {
	defer func() {
		// gonja's parser panics on some malformed input; a bad template is a
		// user error, not a crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("template syntax error: %v", r)
		}
	}()
	loader, err := loaders.NewMemoryLoader(map[string]string{"/t": src})
	if err != nil {
		return nil, err
	}
	t, err := exec.NewTemplate("/t", templateConfig(keep), loader, templateEnv)
	if err != nil {
		return nil, cleanGonjaError(err)
	}
	return t, nil
}

// cleanGonjaError drops gonja's echo of the whole template source.
func cleanGonjaError(err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, "': "); strings.HasPrefix(msg, "failed to parse template '") && i > 0 {
		msg = "syntax error: " + msg[i+3:]
	}
	return errors.New(msg)
}

// Render renders the template for one doc (Jinja semantics, StrictUndefined).
// dropTrailingNewline emulates lm-eval <= v0.4.3.
func (t *Template) Render(doc datasets.Doc, dropTrailingNewline bool) (string, error) {
	return t.render(newDocContext(doc), dropTrailingNewline)
}

// render renders the template for one doc. dropTrailingNewline emulates
// lm-eval <= v0.4.3 (Jinja's keep_trailing_newline=False).
func (t *Template) render(d *docContext, dropTrailingNewline bool) (out string, err error) {
	if t.parts != nil {
		if out, ok := t.renderParts(d, dropTrailingNewline); ok {
			return out, nil
		}
	}
	tmpl := t.keep
	if dropTrailingNewline {
		tmpl = t.drop
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("template panicked: %v", r)
		}
	}()
	out, err = tmpl.ExecuteToString(d.context())
	if err != nil {
		if m := undefinedName.FindStringSubmatch(err.Error()); m != nil {
			if _, ok := d.doc[m[1]]; !ok {
				return "", &UndefinedError{Name: m[1]}
			}
		}
		return "", errors.New(strings.TrimPrefix(err.Error(), "unable to execute template: "))
	}
	return out, nil
}

// docKeys returns the sorted union of the docs' keys (lm-eval's "features").
func docKeys(docs []datasets.Doc) map[string]bool {
	keys := map[string]bool{}
	for _, d := range docs {
		for k := range d {
			keys[k] = true
		}
	}
	return keys
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
