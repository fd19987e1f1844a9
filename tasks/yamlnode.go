package tasks

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseError is one problem in a tasks file, with the line it is on.
type ParseError struct {
	File    string
	Line    int
	Subject string // `task "gsm8k"`, `group "openllm"`, or empty
	Msg     string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Subject != "" {
		b.WriteString(e.Subject)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ParseErrors is every problem found in a tasks file, in line order.
type ParseErrors []*ParseError

func (es ParseErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// kv is one key of a YAML mapping with its nodes.
type kv struct {
	key   string
	kNode *yaml.Node
	val   *yaml.Node
}

// nodeReader decodes yaml.v3 nodes and collects positioned errors.
type nodeReader struct {
	file string
	errs ParseErrors
	// budget bounds the nodes visited: aliases can make a small file expand
	// exponentially ("billion laughs").
	budget    int
	exhausted bool
}

// maxNodes is far above any real tasks file, with its aliases expanded.
const maxNodes = 1_000_000

// spend counts one visited node; false once the budget is gone.
func (r *nodeReader) spend(n *yaml.Node) bool {
	r.budget--
	if r.budget >= 0 {
		return true
	}
	if !r.exhausted {
		r.exhausted = true
		r.errorf(n, "", "more than %d YAML nodes once aliases are expanded", maxNodes)
	}
	return false
}

func (r *nodeReader) errorf(n *yaml.Node, subject, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	r.errs = append(r.errs, &ParseError{File: r.file, Line: line, Subject: subject, Msg: fmt.Sprintf(format, args...)})
}

func deref(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 100; depth++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return n.Value
		}
		return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
	}
	return "an alias"
}

// pairs returns a mapping's keys in order, with YAML merge keys (<<) expanded
// (explicit keys win) and duplicate keys reported.
func (r *nodeReader) pairs(n *yaml.Node, subject string) ([]kv, bool) {
	return r.pairsDepth(n, subject, 0)
}

func (r *nodeReader) pairsDepth(n *yaml.Node, subject string, depth int) ([]kv, bool) {
	n = deref(n)
	if !r.spend(n) {
		return nil, false
	}
	if n == nil || n.Kind != yaml.MappingNode {
		r.errorf(n, subject, "want a mapping, got %s", kindName(n))
		return nil, false
	}
	if depth > 20 {
		r.errorf(n, subject, "merge keys nested too deeply")
		return nil, false
	}
	var merged []kv
	var own []kv
	seen := map[string]bool{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			r.errorf(n.Content[i], subject, "mapping keys must be strings")
			ok = false
			continue
		}
		if k.ShortTag() == "!!merge" {
			srcs := []*yaml.Node{v}
			if dv := deref(v); dv != nil && dv.Kind == yaml.SequenceNode {
				srcs = dv.Content
			}
			for _, s := range srcs {
				ps, good := r.pairsDepth(s, subject, depth+1)
				ok = ok && good
				merged = append(merged, ps...)
			}
			continue
		}
		if seen[k.Value] {
			// Reported; decoding goes on with the first value so that the
			// file's other problems are found too.
			r.errorf(k, subject, "key %q appears twice", k.Value)
			continue
		}
		seen[k.Value] = true
		own = append(own, kv{key: k.Value, kNode: k, val: v})
	}
	// Merged keys come first and lose to explicit ones (YAML merge semantics).
	out := make([]kv, 0, len(merged)+len(own))
	mseen := map[string]bool{}
	for _, p := range merged {
		if seen[p.key] || mseen[p.key] {
			continue
		}
		mseen[p.key] = true
		out = append(out, p)
	}
	return append(out, own...), ok
}

func (r *nodeReader) str(n *yaml.Node, subject, key string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		r.errorf(n, subject, "%s: want a string, got %s", key, kindName(n))
		return "", false
	}
	return n.Value, true
}

// optStr is a string that may be null (Python None → "").
func (r *nodeReader) optStr(n *yaml.Node, subject, key string) (string, bool) {
	if d := deref(n); d != nil && d.Kind == yaml.ScalarNode && d.ShortTag() == "!!null" {
		return "", true
	}
	return r.str(n, subject, key)
}

// scalarText accepts any non-null scalar as text (versions: 1.0 or "1.0").
func (r *nodeReader) scalarText(n *yaml.Node, subject, key string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" || n.Value == "" {
		r.errorf(n, subject, "%s: want a string, got %s", key, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (r *nodeReader) boolean(n *yaml.Node, subject, key string) (bool, bool) {
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	r.errorf(n, subject, "%s: want true or false, got %s", key, kindName(n))
	return false, false
}

func (r *nodeReader) integer(n *yaml.Node, subject, key string) (int, bool) {
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var i int
		if err := n.Decode(&i); err == nil {
			return i, true
		}
	}
	r.errorf(n, subject, "%s: want an integer, got %s", key, kindName(n))
	return 0, false
}

func (r *nodeReader) number(n *yaml.Node, subject, key string) (float64, bool) {
	n = deref(n)
	if n != nil && n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		var f float64
		if err := n.Decode(&f); err == nil {
			return f, true
		}
	}
	r.errorf(n, subject, "%s: want a number, got %s", key, kindName(n))
	return 0, false
}

// strList accepts a string or a list of strings.
func (r *nodeReader) strList(n *yaml.Node, subject, key string) ([]string, bool) {
	d := deref(n)
	if d != nil && d.Kind == yaml.ScalarNode {
		s, ok := r.str(d, subject, key)
		return []string{s}, ok
	}
	if d == nil || d.Kind != yaml.SequenceNode {
		r.errorf(n, subject, "%s: want a string or a list of strings, got %s", key, kindName(n))
		return nil, false
	}
	out := make([]string, 0, len(d.Content))
	ok := true
	for i, e := range d.Content {
		s, good := r.str(e, subject, fmt.Sprintf("%s[%d]", key, i))
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

// value decodes any YAML value to the Doc value types (string, int64,
// float64, bool, nil, []any, map[string]any).
func (r *nodeReader) value(n *yaml.Node, subject, key string) (any, bool) {
	return r.valueDepth(n, subject, key, 0)
}

func (r *nodeReader) valueDepth(n *yaml.Node, subject, key string, depth int) (any, bool) {
	n = deref(n)
	if n == nil {
		return nil, true
	}
	if !r.spend(n) {
		return nil, false
	}
	if depth > 50 {
		r.errorf(n, subject, "%s: nested too deeply", key)
		return nil, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, true
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return b, true
			}
		case "!!int":
			var i int64
			if err := n.Decode(&i); err == nil {
				return i, true
			}
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil {
				return f, true
			}
			if v := strings.ToLower(n.Value); v == ".nan" {
				return math.NaN(), true
			}
		case "!!str":
			return n.Value, true
		default:
			return n.Value, true
		}
		r.errorf(n, subject, "%s: cannot read %s", key, kindName(n))
		return nil, false
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for i, e := range n.Content {
			v, good := r.valueDepth(e, subject, fmt.Sprintf("%s[%d]", key, i), depth+1)
			ok = ok && good
			out = append(out, v)
		}
		return out, ok
	case yaml.MappingNode:
		ps, ok := r.pairsDepth(n, subject, depth+1)
		out := make(map[string]any, len(ps))
		for _, p := range ps {
			v, good := r.valueDepth(p.val, subject, key+"."+p.key, depth+1)
			ok = ok && good
			out[p.key] = v
		}
		return out, ok
	}
	r.errorf(n, subject, "%s: unsupported YAML node", key)
	return nil, false
}

// unknownKey reports a key with the closest known keys as a hint.
func (r *nodeReader) unknownKey(p kv, subject string, known []string) {
	hint := ""
	if m := closest(p.key, known, 3); len(m) > 0 {
		hint = fmt.Sprintf(" (did you mean %s?)", quoteJoin(m))
	}
	r.errorf(p.kNode, subject, "unknown key %q%s", p.key, hint)
}

func quoteJoin(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, " or ")
}

// closest returns up to n candidates within a small edit distance of s.
func closest(s string, candidates []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	limit := len(s)/3 + 1
	if limit > 4 {
		limit = 4
	}
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if d <= limit || (len(s) >= 4 && strings.Contains(c, s)) {
			cs = append(cs, cand{c, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
