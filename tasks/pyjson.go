package tasks

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// orderedMap is a JSON object whose keys keep insertion order, as Python
// dicts do (lm-eval's generation kwargs, sample lines).
type orderedMap struct {
	keys []string
	vals map[string]any
}

func (m *orderedMap) set(k string, v any) {
	if m.vals == nil {
		m.vals = map[string]any{}
	}
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// MarshalJSON writes the keys in order.
func (m *orderedMap) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	writePyJSON(&b, m, jsonStyle{item: ",", key: ":"}, 0)
	return []byte(b.String()), nil
}

// jsonStyle holds json.dumps separators and indent.
type jsonStyle struct {
	item, key string
	indent    int
}

var pyDumps = jsonStyle{item: ", ", key: ": "}

// pyJSON is Python's json.dumps(v, ensure_ascii=False) (indent > 0: with
// indent=N, whose item separator is "," before the newline). Go maps are
// written with sorted keys, having lost their order.
func pyJSON(v any, indent int) string {
	var b strings.Builder
	st := pyDumps
	if indent > 0 {
		st = jsonStyle{item: ",", key: ": ", indent: indent}
	}
	writePyJSON(&b, v, st, 0)
	return b.String()
}

func writePyJSON(b *strings.Builder, v any, st jsonStyle, depth int) {
	newline := func(d int) {
		if st.indent > 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", st.indent*d))
		}
	}
	writeItems := func(open, close byte, n int, item func(i int)) {
		b.WriteByte(open)
		if n == 0 {
			b.WriteByte(close)
			return
		}
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(st.item)
			}
			newline(depth + 1)
			item(i)
		}
		newline(depth)
		b.WriteByte(close)
	}
	switch x := v.(type) {
	case nil, pyNone:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case string:
		writeJSONString(b, x)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyFloatRepr(x))
		}
	case []any:
		writeItems('[', ']', len(x), func(i int) { writePyJSON(b, x[i], st, depth+1) })
	case pyList:
		writePyJSON(b, []any(x), st, depth)
	case []string:
		writeItems('[', ']', len(x), func(i int) { writeJSONString(b, x[i]) })
	case [2]any:
		writeItems('[', ']', 2, func(i int) { writePyJSON(b, x[i], st, depth+1) })
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		writeItems('{', '}', len(keys), func(i int) {
			writeJSONString(b, keys[i])
			b.WriteString(st.key)
			writePyJSON(b, x[keys[i]], st, depth+1)
		})
	case pyDict:
		writePyJSON(b, map[string]any(x), st, depth)
	case *orderedMap:
		writeItems('{', '}', len(x.keys), func(i int) {
			writeJSONString(b, x.keys[i])
			b.WriteString(st.key)
			writePyJSON(b, x.vals[x.keys[i]], st, depth+1)
		})
	default:
		writeJSONString(b, fmt.Sprint(x))
	}
}

// writeJSONString escapes as Python's json with ensure_ascii=False: quote,
// backslash and control characters only.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// sanitize is lm-eval's sanitize_list: every leaf becomes Python str().
func sanitize(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sanitize(e)
		}
		return out
	case [][]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sanitize(e)
		}
		return out
	}
	return pyStr(v)
}

// LMEvalJSON renders the record as one line of lm-eval's
// samples_<task>.jsonl, byte for byte as lm-eval v0.4.7+ writes it
// (v0.4.5 lines lack "filter" and "metrics"): responses and targets as
// Python str(), doc_hash/prompt_hash/target_hash as SHA-256 of Python's
// JSON and strings. The doc's keys come out sorted because a Doc (a Go map)
// has lost the dataset's column order; doc_hash, a hash of that JSON,
// therefore only equals lm-eval's when the columns were already sorted.
func (r *SampleRecord) LMEvalJSON() string {
	m := &orderedMap{}
	m.set("doc_id", r.DocID)
	m.set("doc", map[string]any(r.Doc))
	m.set("target", pyStr(r.Target))
	args := &orderedMap{}
	for i, a := range r.Arguments {
		ga := &orderedMap{}
		ga.set("arg_0", a[0])
		ga.set("arg_1", a[1])
		args.set(fmt.Sprintf("gen_args_%d", i), ga)
	}
	m.set("arguments", args)
	resps := make([]any, len(r.Resps))
	for i, rs := range r.Resps {
		resps[i] = sanitize(rs)
	}
	m.set("resps", resps)
	m.set("filtered_resps", sanitize(r.FilteredResps))
	m.set("filter", r.Filter)
	names := r.metricOrder
	if names == nil {
		names = sortedKeys(r.Metrics)
	}
	ms := make([]any, len(names))
	for i, n := range names {
		ms[i] = n
	}
	m.set("metrics", ms)
	m.set("doc_hash", sha256Hex(pyJSON(map[string]any(r.Doc), 2)))
	prompt := ""
	if len(r.Arguments) > 0 {
		prompt, _ = r.Arguments[0][0].(string)
	}
	m.set("prompt_hash", sha256Hex(prompt))
	m.set("target_hash", sha256Hex(pyStr(r.Target)))
	for _, n := range names {
		v := r.Metrics[n]
		if n == "exact_match" && len(r.Arguments) > 0 {
			if _, isGen := r.Arguments[0][1].(*orderedMap); !isGen {
				m.set(n, int(v)) // multiple_choice exact_match is a Python int
				continue
			}
		}
		m.set(n, v)
	}
	for _, k := range sortedKeys(r.Extra) {
		m.set(k, r.Extra[k])
	}
	return pyJSON(m, 0)
}
