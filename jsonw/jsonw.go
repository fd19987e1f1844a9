// Package jsonw writes (and, for chat message content, reads) the pieces of
// the OpenAI-compatible wire format by hand: parity's client writes request
// bodies with thousands of token ids, and its servers write echo responses
// with a log-probability per prompt token, so reflection-based encoding would
// dominate their cost.
package jsonw

import (
	"math"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// String appends s as a JSON string. Invalid UTF-8 (half a character from a
// byte token, say) becomes U+FFFD, as Python's json module writes the
// replacement vLLM's detokenizer makes.
func String(b []byte, s string) []byte {
	return append(StringBody(append(b, '"'), s), '"')
}

// StringBody appends s escaped, without the quotes.
func StringBody(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// LogProb appends a log-probability as vLLM writes it: shortest round-trip
// form, -inf (and anything below) clamped to -9999.0, NaN as null.
func LogProb(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "null"...)
	case math.IsInf(f, 0) || f < -9999:
		return append(b, "-9999.0"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// Ints appends ids as a JSON array.
func Ints[T int | int32 | int64](b []byte, ids []T) []byte {
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	return append(b, ']')
}
