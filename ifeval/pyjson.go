package ifeval

// pyJSONValid reports whether Python's json.loads(s) would succeed: any JSON
// value (a bare number or string too), NaN, Infinity and -Infinity, only
// " \t\n\r" as whitespace, no control characters inside strings, no
// trailing data, no leading byte-order mark. CPython gives up on nesting
// deeper than its recursion limit (RecursionError, which IFEval does not
// catch); parity answers false beyond maxJSONDepth.
func pyJSONValid(s string) bool {
	p := jsonParser{s: s}
	p.ws()
	if !p.value(0) {
		return false
	}
	p.ws()
	return p.i == len(s)
}

const maxJSONDepth = 1000

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) lit(word string) bool {
	if len(p.s)-p.i >= len(word) && p.s[p.i:p.i+len(word)] == word {
		p.i += len(word)
		return true
	}
	return false
}

func (p *jsonParser) value(depth int) bool {
	if p.i >= len(p.s) || depth > maxJSONDepth {
		return false
	}
	switch c := p.s[p.i]; c {
	case '"':
		return p.str()
	case '{':
		return p.object(depth + 1)
	case '[':
		return p.array(depth + 1)
	case 'n':
		return p.lit("null")
	case 't':
		return p.lit("true")
	case 'f':
		return p.lit("false")
	case 'N':
		return p.lit("NaN")
	case 'I':
		return p.lit("Infinity")
	case '-':
		if p.lit("-Infinity") {
			return true
		}
		return p.number()
	default:
		return p.number()
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number follows CPython's scanner: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?,
// where a fraction or exponent without digits is simply not part of the
// number (and then fails as trailing data).
func (p *jsonParser) number() bool {
	s, i := p.s, p.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i += 2
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	p.i = i
	return true
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// str reads a string in strict mode: control characters below U+0020 are
// errors, and so are unknown escapes.
func (p *jsonParser) str() bool {
	s := p.s
	for i := p.i + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			p.i = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(s) {
				return false
			}
			switch s[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(s) {
					return false
				}
				for k := 1; k <= 4; k++ {
					if !isHex(s[i+k]) {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		}
	}
	return false
}

func (p *jsonParser) object(depth int) bool {
	p.i++ // {
	p.ws()
	if p.lit("}") {
		return true
	}
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' || !p.str() {
			return false
		}
		p.ws()
		if !p.lit(":") {
			return false
		}
		p.ws()
		if !p.value(depth) {
			return false
		}
		p.ws()
		if p.lit("}") {
			return true
		}
		if !p.lit(",") {
			return false
		}
		p.ws()
	}
}

func (p *jsonParser) array(depth int) bool {
	p.i++ // [
	p.ws()
	if p.lit("]") {
		return true
	}
	for {
		if !p.value(depth) {
			return false
		}
		p.ws()
		if p.lit("]") {
			return true
		}
		if !p.lit(",") {
			return false
		}
		p.ws()
	}
}
