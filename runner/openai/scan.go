package openai

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scanner walks JSON in place. It validates everything it passes over but
// decodes only what its caller asks for, so the bulk of an echo response (the
// tokens and top_logprobs of every prompt position) is skipped at the speed
// of a byte loop. Besides standard JSON it accepts NaN, Infinity and
// -Infinity as numbers, which Python's json module emits.
type scanner struct {
	b   []byte
	i   int
	key []byte // decoded key, when a key has escapes
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// SyntaxError is malformed JSON in a response body.
type SyntaxError struct {
	Offset int // byte offset in the body
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

func (s *scanner) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: s.i, Msg: fmt.Sprintf(format, args...)}
}

// strPlain marks bytes that stand for themselves inside a JSON string.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\n', '\r', '\t':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it, or 0 at the end.
func (s *scanner) peek() byte {
	// vLLM writes compact JSON: the next byte is rarely a space.
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return s.b[s.i]
	}
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		if s.i >= len(s.b) {
			return s.errorf("unexpected end of input, want %q", c)
		}
		return s.errorf("found %q, want %q", s.b[s.i], c)
	}
	s.i++
	return nil
}

// end checks that only whitespace follows.
func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.errorf("unexpected %q after the top-level value", s.b[s.i])
	}
	return nil
}

// stringSpan consumes a string and returns the bytes between its quotes and
// whether they contain escapes.
func (s *scanner) stringSpan() (raw []byte, escaped bool, err error) {
	if s.peek() != '"' {
		return nil, false, s.errorf("want a string")
	}
	b := s.b
	start := s.i + 1
	i := start
	for {
		for i < len(b) && strPlain[b[i]] {
			i++
		}
		if i >= len(b) {
			s.i = i
			return nil, false, s.errorf("unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return b[start:i], escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				s.i = i
				return nil, false, s.errorf("unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex4(b[i+2:i+6]) {
					s.i = i
					return nil, false, s.errorf(`invalid \u escape`)
				}
				i += 6
			default:
				s.i = i
				return nil, false, s.errorf("invalid escape %q", b[i+1])
			}
		default:
			s.i = i
			return nil, false, s.errorf("control character %#x in string", c)
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if hexVal(c) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// unescape appends the decoded form of a string's raw bytes (already
// validated by stringSpan) to dst. Unpaired surrogates become U+FFFD, as in
// encoding/json.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			dst = appendValidUTF8(dst, raw[i:j])
			i = j
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(raw[i+2:]))
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, rune(hex4(raw[i+2:]))); r2 != utf8.RuneError {
						dst = utf8.AppendRune(dst, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst
}

// appendValidUTF8 copies p, replacing invalid UTF-8 with U+FFFD as
// encoding/json does.
func appendValidUTF8(dst, p []byte) []byte {
	if utf8.Valid(p) {
		return append(dst, p...)
	}
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, p[:size]...)
		}
		p = p[size:]
	}
	return dst
}

func hex4(b []byte) int {
	return hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3])
}

// runeLen counts the code points of a string's raw bytes the way Python's
// len counts them after decoding: an escaped surrogate pair is one.
func runeLen(raw []byte) int {
	n := 0
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\' && raw[i+1] == 'u':
			r := rune(hex4(raw[i+2:]))
			i += 6
			if utf16.IsSurrogate(r) && i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' &&
				utf16.DecodeRune(r, rune(hex4(raw[i+2:]))) != utf8.RuneError {
				i += 6
			}
		case c == '\\':
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			_, size := utf8.DecodeRune(raw[i:])
			i += size
		}
		n++
	}
	return n
}

// str consumes a string and returns it decoded.
func (s *scanner) str() (string, error) {
	raw, esc, err := s.stringSpan()
	if err != nil {
		return "", err
	}
	if !esc && utf8.Valid(raw) {
		return string(raw), nil
	}
	return string(unescape(make([]byte, 0, len(raw)), raw)), nil
}

// numberSpan consumes a number and returns its text.
func (s *scanner) numberSpan() ([]byte, error) {
	s.ws()
	b := s.b
	start := s.i
	i := start
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		s.i = i
		return nil, s.errorf("invalid number")
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case c-'1' < 9:
		i = digits(b, i+1)
	case c == 'N' || c == 'I':
		return s.nonFinite(start, i)
	default:
		s.i = i
		return nil, s.errorf("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			s.i = j
			return nil, s.errorf("invalid number: no digits after the point")
		}
		i = j
	}
	if i < len(b) && b[i]|0x20 == 'e' {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			s.i = j
			return nil, s.errorf("invalid number: no digits in the exponent")
		}
		i = j
	}
	s.i = i
	return b[start:i], nil
}

// nonFinite reads NaN, Infinity or -Infinity, which start at b[i] (after
// any sign at b[start]).
func (s *scanner) nonFinite(start, i int) ([]byte, error) {
	b := s.b
	for _, lit := range [...]string{"NaN", "Infinity"} {
		if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit && (lit != "NaN" || i == start) {
			s.i = i + len(lit)
			return b[start:s.i], nil
		}
	}
	s.i = i
	return nil, s.errorf("invalid number")
}

// digits returns the index of the first non-digit at or after i. Logprobs
// carry 16-17 digits, so it tests eight bytes at a time.
func digits(b []byte, i int) int {
	const hi, threes, sixes = 0xF0F0F0F0F0F0F0F0, 0x3030303030303030, 0x0606060606060606
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		// A byte is a digit when its high nibble is 3 both before and after
		// adding 6 (which pushes ':'..'?' to 0x4_).
		if x&hi != threes || (x+sixes)&hi != threes {
			break
		}
		i += 8
	}
	for i < len(b) && b[i]-'0' < 10 {
		i++
	}
	return i
}

func parseFloat(num []byte) (float64, bool) {
	switch string(num) {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		return math.Inf(1), true
	case "-Infinity":
		return math.Inf(-1), true
	}
	// The string header aliases num; ParseFloat does not keep it on success
	// and its error is dropped, so nothing outlives the buffer.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
	return f, err == nil
}

// float consumes a number, or null (reported as ok=false).
func (s *scanner) float() (f float64, isNull bool, err error) {
	if s.peek() == 'n' {
		return 0, true, s.literal("null")
	}
	num, err := s.numberSpan()
	if err != nil {
		return 0, false, err
	}
	f, ok := parseFloat(num)
	if !ok {
		return 0, false, s.errorf("number %s out of range", num)
	}
	return f, false, nil
}

// integer consumes a number that must be a whole number.
func (s *scanner) integer() (int, error) {
	num, err := s.numberSpan()
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(unsafe.String(unsafe.SliceData(num), len(num)))
	if err != nil {
		return 0, s.errorf("want an integer, found %s", num)
	}
	return n, nil
}

func (s *scanner) literal(lit string) error {
	s.ws()
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.errorf("invalid literal, want %s", lit)
	}
	s.i += len(lit)
	return nil
}

// null consumes a null if one is next.
func (s *scanner) null() (bool, error) {
	if s.peek() != 'n' {
		return false, nil
	}
	return true, s.literal("null")
}

// skip consumes any value.
func (s *scanner) skip() error { return s.skipDepth(0) }

func (s *scanner) skipDepth(depth int) error {
	if depth > maxDepth {
		return s.errorf("nesting deeper than %d", maxDepth)
	}
	switch c := s.peek(); c {
	case '"':
		_, _, err := s.stringSpan()
		return err
	case '{':
		s.i++
		for n := 0; ; n++ {
			_, _, more, err := s.memberRaw(n)
			if err != nil || !more {
				return err
			}
			if err := s.skipDepth(depth + 1); err != nil {
				return err
			}
		}
	case '[':
		s.i++
		for n := 0; ; n++ {
			more, err := s.elem(n)
			if err != nil || !more {
				return err
			}
			if err := s.skipDepth(depth + 1); err != nil {
				return err
			}
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case 0:
		return s.errorf("unexpected end of input")
	default:
		_, err := s.numberSpan()
		return err
	}
}

// member moves to the n-th member of an object whose '{' was consumed and
// returns its key, or more=false at '}'. A key with escapes is decoded into
// a buffer reused by the next call.
func (s *scanner) member(n int) (key []byte, more bool, err error) {
	raw, esc, more, err := s.memberRaw(n)
	if esc {
		s.key = unescape(s.key[:0], raw)
		raw = s.key
	}
	return raw, more, err
}

// memberRaw is member without decoding the key.
func (s *scanner) memberRaw(n int) (key []byte, escaped, more bool, err error) {
	c := s.peek()
	if c == '}' {
		s.i++
		return nil, false, false, nil
	}
	if n > 0 {
		if c != ',' {
			if c == 0 {
				return nil, false, false, s.errorf("unterminated object")
			}
			return nil, false, false, s.errorf("found %q, want ',' or '}'", c)
		}
		s.i++
	}
	raw, esc, err := s.stringSpan()
	if err != nil {
		return nil, false, false, err
	}
	if s.i < len(s.b) && s.b[s.i] == ':' {
		s.i++
	} else if err := s.expect(':'); err != nil {
		return nil, false, false, err
	}
	return raw, esc, true, nil
}

// elem moves to the n-th element of an array whose '[' was consumed, or
// returns more=false at ']'.
func (s *scanner) elem(n int) (more bool, err error) {
	c := s.peek()
	if c == ']' {
		s.i++
		return false, nil
	}
	if n > 0 {
		if c != ',' {
			if c == 0 {
				return false, s.errorf("unterminated array")
			}
			return false, s.errorf("found %q, want ',' or ']'", c)
		}
		s.i++
		s.ws()
	}
	if s.i >= len(s.b) {
		return false, s.errorf("unterminated array")
	}
	return true, nil
}

// validJSON reports whether b is one JSON value (with the NaN/Infinity
// extension).
func validJSON(b []byte) error {
	s := scanner{b: b}
	if err := s.skip(); err != nil {
		return err
	}
	return s.end()
}
