package tasks

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pyLiteralEval is Python's ast.literal_eval for the literals lm-eval templates
// produce: strings (any quoting, prefixes r/u/b, escapes, implicit
// concatenation), ints, floats, True/False/None, lists, tuples, sets and dicts.
// Tuples and sets become []any, dicts map[string]any (string keys only), ints
// int, floats float64.
func pyLiteralEval(src string) (any, error) {
	p := &litParser{src: strings.TrimLeft(src, " \t")}
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return nil, fmt.Errorf("ast.literal_eval(%s): %w", abbreviate(src), err)
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, fmt.Errorf("ast.literal_eval(%s): unexpected %q at offset %d", abbreviate(src), p.src[p.pos:p.pos+1], p.pos)
	}
	return v, nil
}

func abbreviate(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		return pyRepr(string(r[:57])) + "..."
	}
	return pyRepr(s)
}

type litParser struct {
	src   string
	pos   int
	depth int
}

func (p *litParser) skipSpace() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\f':
			p.pos++
		case (c == '\n' || c == '\r') && p.depth > 0:
			p.pos++
		case c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '\n':
			p.pos += 2
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		case c == '\n' || c == '\r':
			// A trailing newline at top level ends the expression.
			if strings.TrimLeft(p.src[p.pos:], " \t\r\n\f") == "" {
				p.pos = len(p.src)
			}
			return
		default:
			return
		}
	}
}

func (p *litParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *litParser) value() (any, error) {
	if p.depth > 200 {
		return nil, fmt.Errorf("too deeply nested")
	}
	c := p.peek()
	switch {
	case c == 0:
		return nil, fmt.Errorf("unexpected end of input")
	case c == '[':
		return p.sequence('[', ']')
	case c == '(':
		return p.sequence('(', ')')
	case c == '{':
		return p.braces()
	case c == '-' || c == '+':
		p.pos++
		p.skipSpace()
		v, err := p.number()
		if err != nil {
			return nil, err
		}
		if c == '-' {
			switch x := v.(type) {
			case int:
				return -x, nil
			case float64:
				return -x, nil
			}
		}
		return v, nil
	case c >= '0' && c <= '9' || c == '.':
		return p.number()
	case c == '\'' || c == '"':
		return p.strings()
	case isIdentStart(c):
		start := p.pos
		for p.pos < len(p.src) && isIdentPart(p.src[p.pos]) {
			p.pos++
		}
		word := p.src[start:p.pos]
		if (len(word) <= 2) && (p.peek() == '\'' || p.peek() == '"') {
			p.pos = start
			return p.strings()
		}
		switch word {
		case "True":
			return true, nil
		case "False":
			return false, nil
		case "None":
			return nil, nil
		}
		return nil, fmt.Errorf("malformed node or string: name %q", word)
	}
	return nil, fmt.Errorf("invalid syntax at %q", p.src[p.pos:p.pos+1])
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}

// sequence parses a list or tuple.
func (p *litParser) sequence(open, close byte) (any, error) {
	p.pos++
	p.depth++
	defer func() { p.depth-- }()
	out := []any{}
	sawComma := false
	for {
		p.skipSpace()
		if p.peek() == close {
			p.pos++
			if open == '(' && len(out) == 1 && !sawComma {
				return out[0], nil // (x) is just x
			}
			return out, nil
		}
		if len(out) > 0 && !sawComma {
			return nil, fmt.Errorf("expected ',' or %q at offset %d", close, p.pos)
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.skipSpace()
		sawComma = false
		if p.peek() == ',' {
			p.pos++
			sawComma = true
		}
	}
}

// braces parses a dict or a set.
func (p *litParser) braces() (any, error) {
	p.pos++
	p.depth++
	defer func() { p.depth-- }()
	p.skipSpace()
	if p.peek() == '}' {
		p.pos++
		return map[string]any{}, nil
	}
	first, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ':' {
		set := []any{first}
		for {
			p.skipSpace()
			switch p.peek() {
			case '}':
				p.pos++
				return set, nil
			case ',':
				p.pos++
				p.skipSpace()
				if p.peek() == '}' {
					continue
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				set = append(set, v)
			default:
				return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.pos)
			}
		}
	}
	dict := map[string]any{}
	key := first
	for {
		k, ok := key.(string)
		if !ok {
			return nil, fmt.Errorf("dict key %s is not a string (unsupported)", pyRepr(key))
		}
		p.pos++ // ':'
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		dict[k] = v
		p.skipSpace()
		switch p.peek() {
		case '}':
			p.pos++
			return dict, nil
		case ',':
			p.pos++
			p.skipSpace()
			if p.peek() == '}' {
				p.pos++
				return dict, nil
			}
			if key, err = p.value(); err != nil {
				return nil, err
			}
			p.skipSpace()
			if p.peek() != ':' {
				return nil, fmt.Errorf("expected ':' at offset %d", p.pos)
			}
		default:
			return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.pos)
		}
	}
}

func (p *litParser) number() (any, error) {
	start := p.pos
	s := p.src
	if strings.HasPrefix(s[p.pos:], "0x") || strings.HasPrefix(s[p.pos:], "0X") ||
		strings.HasPrefix(s[p.pos:], "0o") || strings.HasPrefix(s[p.pos:], "0O") ||
		strings.HasPrefix(s[p.pos:], "0b") || strings.HasPrefix(s[p.pos:], "0B") {
		p.pos += 2
		for p.pos < len(s) && (isHex(s[p.pos]) || s[p.pos] == '_') {
			p.pos++
		}
		n, err := strconv.ParseInt(s[start:p.pos], 0, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid number %q", s[start:p.pos])
		}
		return int(n), nil
	}
	isFloat := false
	for p.pos < len(s) {
		c := s[p.pos]
		switch {
		case c >= '0' && c <= '9' || c == '_':
			p.pos++
		case c == '.':
			isFloat = true
			p.pos++
		case c == 'e' || c == 'E':
			isFloat = true
			p.pos++
			if p.pos < len(s) && (s[p.pos] == '+' || s[p.pos] == '-') {
				p.pos++
			}
		default:
			goto done
		}
	}
done:
	lit := s[start:p.pos]
	if p.pos < len(s) && (s[p.pos] == 'j' || s[p.pos] == 'J') {
		return nil, fmt.Errorf("complex numbers are not supported")
	}
	if strings.Contains(lit, "__") || strings.HasSuffix(lit, "_") || strings.HasPrefix(lit, "_") {
		return nil, fmt.Errorf("invalid number %q", lit)
	}
	clean := strings.ReplaceAll(lit, "_", "")
	if isFloat {
		f, err := strconv.ParseFloat(clean, 64)
		if err != nil || clean == "." {
			return nil, fmt.Errorf("invalid number %q", lit)
		}
		return f, nil
	}
	if len(clean) > 1 && clean[0] == '0' && strings.Trim(clean, "0") != "" {
		return nil, fmt.Errorf("leading zeros in decimal integer literals are not permitted: %q", lit)
	}
	n, err := strconv.Atoi(clean)
	if err != nil {
		return nil, fmt.Errorf("invalid or too large integer %q", lit)
	}
	return n, nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// strings parses one or more adjacent string literals (Python concatenates them).
func (p *litParser) strings() (any, error) {
	var b strings.Builder
	for {
		if err := p.oneString(&b); err != nil {
			return nil, err
		}
		save := p.pos
		p.skipSpace()
		c := p.peek()
		if c == '\'' || c == '"' {
			continue
		}
		if isIdentStart(c) {
			// A prefixed literal such as r'x' continues the concatenation.
			q := p.pos
			for q < len(p.src) && isIdentPart(p.src[q]) {
				q++
			}
			if q-p.pos <= 2 && q < len(p.src) && (p.src[q] == '\'' || p.src[q] == '"') {
				continue
			}
		}
		p.pos = save
		return b.String(), nil
	}
}

func (p *litParser) oneString(b *strings.Builder) error {
	raw := false
	for p.pos < len(p.src) && p.src[p.pos] != '\'' && p.src[p.pos] != '"' {
		switch p.src[p.pos] {
		case 'r', 'R':
			raw = true
		case 'u', 'U', 'b', 'B':
		default:
			return fmt.Errorf("unsupported string prefix %q", p.src[p.pos:p.pos+1])
		}
		p.pos++
	}
	q := p.src[p.pos]
	delim := string(q)
	if strings.HasPrefix(p.src[p.pos:], strings.Repeat(delim, 3)) {
		delim = strings.Repeat(delim, 3)
	}
	p.pos += len(delim)
	for {
		if p.pos >= len(p.src) {
			return fmt.Errorf("unterminated string literal")
		}
		if strings.HasPrefix(p.src[p.pos:], delim) {
			p.pos += len(delim)
			return nil
		}
		c := p.src[p.pos]
		if (c == '\n' || c == '\r') && len(delim) == 1 {
			return fmt.Errorf("unterminated string literal (newline)")
		}
		if c != '\\' {
			b.WriteByte(c)
			p.pos++
			continue
		}
		if p.pos+1 >= len(p.src) {
			return fmt.Errorf("unterminated string literal")
		}
		if raw {
			// Raw strings keep the backslash, and it still shields a quote.
			b.WriteByte('\\')
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
			continue
		}
		if err := p.escape(b); err != nil {
			return err
		}
	}
}

func (p *litParser) escape(b *strings.Builder) error {
	p.pos++ // backslash
	c := p.src[p.pos]
	p.pos++
	simple := map[byte]string{'\\': "\\", '\'': "'", '"': "\"", 'a': "\a", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t", 'v': "\v", '\n': ""}
	if s, ok := simple[c]; ok {
		b.WriteString(s)
		return nil
	}
	switch c {
	case '0', '1', '2', '3', '4', '5', '6', '7':
		n := int(c - '0')
		for i := 0; i < 2 && p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '7'; i++ {
			n = n*8 + int(p.src[p.pos]-'0')
			p.pos++
		}
		b.WriteRune(rune(n))
		return nil
	case 'x', 'u', 'U':
		width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
		if p.pos+width > len(p.src) {
			return fmt.Errorf(`truncated \%c escape`, c)
		}
		n, err := strconv.ParseUint(p.src[p.pos:p.pos+width], 16, 32)
		if err != nil || n > utf8.MaxRune {
			return fmt.Errorf(`invalid \%c escape %q`, c, p.src[p.pos:p.pos+width])
		}
		p.pos += width
		b.WriteRune(rune(n))
		return nil
	case 'N':
		return fmt.Errorf(`\N{...} escapes are not supported`)
	}
	// Unknown escapes keep the backslash (Python warns but accepts them).
	b.WriteByte('\\')
	b.WriteByte(c)
	return nil
}
