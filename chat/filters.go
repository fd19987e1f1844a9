package chat

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nikolalohinski/gonja/v2/exec"
)

// filterToJSON is transformers' tojson, which replaces Jinja's (that one
// escapes HTML characters): json.dumps(x, ensure_ascii=False, indent=indent,
// separators=separators, sort_keys=sort_keys).
func filterToJSON(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	o := jsonOptions{itemSep: ", ", keySep: ": ", indent: -1}
	var sep *exec.Value
	if err := params.Take(
		exec.KeywordArgument("ensure_ascii", exec.AsValue(false), func(v *exec.Value) error { o.ensureASCII = v.IsTrue(); return nil }),
		exec.KeywordArgument("indent", exec.AsValue(nil), func(v *exec.Value) error {
			switch {
			case v.IsNil():
			case v.IsInteger():
				o.indent = max(v.Integer(), 0)
			case v.IsString():
				o.indentStr, o.indent = v.String(), 0
			default:
				return fmt.Errorf("indent: want an int or a string, got %s", v.String())
			}
			return nil
		}),
		exec.KeywordArgument("separators", exec.AsValue(nil), func(v *exec.Value) error { sep = v; return nil }),
		exec.KeywordArgument("sort_keys", exec.AsValue(false), func(v *exec.Value) error { o.sortKeys = v.IsTrue(); return nil }),
	); err != nil {
		return exec.AsValue(exec.ErrInvalidCall(err))
	}
	if o.indent >= 0 {
		o.itemSep = ","
		if o.indentStr == "" {
			o.indentStr = strings.Repeat(" ", o.indent)
		}
	}
	if sep != nil && !sep.IsNil() {
		if sep.Len() != 2 {
			return exec.AsValue(exec.ErrInvalidCall(fmt.Errorf("separators: want (item_separator, key_separator)")))
		}
		o.itemSep, o.keySep = sep.Index(0).String(), sep.Index(1).String()
	}
	var b strings.Builder
	if err := o.write(&b, in, 0); err != nil {
		return exec.AsValue(err)
	}
	return exec.AsSafeValue(b.String())
}

type jsonOptions struct {
	ensureASCII bool
	indent      int // -1: no indentation
	indentStr   string
	itemSep     string
	keySep      string
	sortKeys    bool
}

func (o *jsonOptions) newline(b *strings.Builder, depth int) {
	if o.indent < 0 {
		return
	}
	b.WriteByte('\n')
	for range depth {
		b.WriteString(o.indentStr)
	}
}

// write serialises v as Python's json module does.
func (o *jsonOptions) write(b *strings.Builder, v any, depth int) error {
	if depth > 100 {
		return fmt.Errorf("tojson: nesting too deep")
	}
	switch x := v.(type) {
	case *exec.Value:
		if x == nil || x.IsNil() {
			b.WriteString("null")
			return nil
		}
		return o.write(b, x.Interface(), depth)
	case *exec.Dict:
		keys := make([]string, len(x.Pairs))
		vals := make(map[string]any, len(x.Pairs))
		for i, p := range x.Pairs {
			keys[i] = jsonKey(p.Key.Interface())
			vals[keys[i]] = p.Value
		}
		return o.object(b, keys, vals, depth)
	case nil:
		b.WriteString("null")
		return nil
	case string:
		o.str(b, x)
		return nil
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
		return nil
	case float32:
		b.WriteString(pyFloatJSON(float64(x)))
		return nil
	case float64:
		b.WriteString(pyFloatJSON(x))
		return nil
	case fmt.Stringer:
		if _, isErr := v.(error); !isErr && reflect.ValueOf(v).Kind() != reflect.Map && reflect.ValueOf(v).Kind() != reflect.Slice {
			o.str(b, x.String())
			return nil
		}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(rv.Int(), 10))
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		b.WriteString(strconv.FormatUint(rv.Uint(), 10))
		return nil
	case reflect.Slice, reflect.Array:
		if rv.Len() == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			o.newline(b, depth+1)
			if err := o.write(b, rv.Index(i).Interface(), depth+1); err != nil {
				return err
			}
		}
		o.newline(b, depth)
		b.WriteByte(']')
		return nil
	case reflect.Map:
		// A Go map has no insertion order; its keys are sorted so the output
		// is at least deterministic.
		keys := make([]string, 0, rv.Len())
		vals := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			k := jsonKey(it.Key().Interface())
			keys = append(keys, k)
			vals[k] = it.Value().Interface()
		}
		sort.Strings(keys)
		return o.object(b, keys, vals, depth)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		return o.write(b, rv.Elem().Interface(), depth)
	}
	return fmt.Errorf("tojson: object of type %T is not JSON serializable", v)
}

func (o *jsonOptions) object(b *strings.Builder, keys []string, vals map[string]any, depth int) error {
	if len(keys) == 0 {
		b.WriteString("{}")
		return nil
	}
	if o.sortKeys {
		keys = append([]string(nil), keys...)
		sort.Strings(keys)
	}
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(o.itemSep)
		}
		o.newline(b, depth+1)
		o.str(b, k)
		b.WriteString(o.keySep)
		if err := o.write(b, vals[k], depth+1); err != nil {
			return err
		}
	}
	o.newline(b, depth)
	b.WriteByte('}')
	return nil
}

// jsonKey is how json.dumps writes a dict key: strings as they are, other
// scalars as their JSON text.
func jsonKey(k any) string {
	if v, ok := k.(*exec.Value); ok {
		k = v.Interface()
	}
	switch x := k.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case nil:
		return "null"
	case float64:
		return pyFloatJSON(x)
	}
	return fmt.Sprint(k)
}

// str writes a JSON string as Python's json.dumps does: only quotes,
// backslashes and control characters are escaped (and, with ensure_ascii,
// everything beyond ASCII as \uXXXX, surrogate pairs included).
func (o *jsonOptions) str(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (o.ensureASCII && r > 0x7e && r <= 0xffff):
				b.WriteString(`\u`)
				b.WriteByte(hex[r>>12&0xf])
				b.WriteByte(hex[r>>8&0xf])
				b.WriteByte(hex[r>>4&0xf])
				b.WriteByte(hex[r&0xf])
			case o.ensureASCII && r > 0xffff:
				r -= 0x10000
				hi, lo := 0xd800+(r>>10), 0xdc00+(r&0x3ff)
				fmt.Fprintf(b, `\u%04x\u%04x`, hi, lo)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// pyFloatJSON is Python's float.__repr__ as json.dumps uses it.
func pyFloatJSON(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return pyFloatRepr(f)
}

// pyFloatRepr is repr(float): the shortest round-tripping digits, in fixed
// notation when the decimal exponent is in [-4, 16), else as d.ddde±XX.
func pyFloatRepr(f float64) string {
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	neg := strings.HasPrefix(e, "-")
	e = strings.TrimPrefix(e, "-")
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= -4 && exp < 16 {
		if exp >= 0 {
			if len(digits) <= exp+1 {
				out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
			} else {
				out = digits[:exp+1] + "." + digits[exp+1:]
			}
		} else {
			out = "0." + strings.Repeat("0", -exp-1) + digits
		}
	} else {
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		out += fmt.Sprintf("e%s%02d", sign, exp)
	}
	if neg {
		out = "-" + out
	}
	return out
}

// filterTrim is Jinja's trim: Python's str.strip() (or strip(chars)).
func filterTrim(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	var chars *exec.Value
	if err := params.Take(exec.KeywordArgument("chars", exec.AsValue(nil), func(v *exec.Value) error { chars = v; return nil })); err != nil {
		return exec.AsValue(exec.ErrInvalidCall(err))
	}
	if in.IsError() {
		return in
	}
	s := in.String() // Jinja's trim calls soft_str on its input
	if chars == nil || chars.IsNil() {
		return exec.AsValue(pyStrip(s))
	}
	set := chars.String()
	return exec.AsValue(strings.TrimFunc(s, func(r rune) bool { return strings.ContainsRune(set, r) }))
}

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x1c, 0x1d, 0x1e, 0x1f, 0x85:
		return true
	}
	return r > 0x7f && unicode.IsSpace(r) || unicode.Is(unicode.Zs, r)
}

func pyStrip(s string) string  { return strings.TrimFunc(s, pyIsSpace) }
func pyLStrip(s string) string { return strings.TrimLeftFunc(s, pyIsSpace) }

// strftime is Python's datetime.strftime for the C-locale directives.
func strftime(t time.Time, format string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		switch format[i] {
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'b', 'h':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'y':
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case 'Y':
			fmt.Fprintf(&b, "%d", t.Year())
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%02d", h)
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'f':
			fmt.Fprintf(&b, "%06d", t.Nanosecond()/1000)
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'w':
			fmt.Fprintf(&b, "%d", int(t.Weekday()))
		case 'u':
			w := int(t.Weekday())
			if w == 0 {
				w = 7
			}
			fmt.Fprintf(&b, "%d", w)
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'D':
			b.WriteString(t.Format("01/02/06"))
		case '%':
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("strftime_now: directive %%%c is not supported", format[i])
		}
	}
	return b.String(), nil
}
