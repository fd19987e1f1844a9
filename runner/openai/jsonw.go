package openai

import (
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
// Request bodies are written by hand so that token-id prompts (thousands of
// ints) cost no reflection.
func appendString(b []byte, s string) []byte {
	return append(appendStringBody(append(b, '"'), s), '"')
}

// appendString2 writes a+c as one JSON string, without joining them first
// unless a rune is split between them.
func appendString2(b []byte, a, c string) []byte {
	if r, size := utf8.DecodeLastRuneInString(a); r == utf8.RuneError && size == 1 {
		return appendString(b, a+c)
	}
	b = appendStringBody(append(b, '"'), a)
	return append(appendStringBody(b, c), '"')
}

// appendStringBody writes s escaped, without quotes.
func appendStringBody(b []byte, s string) []byte {
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

func appendTokens(b []byte, ids []int32) []byte {
	return appendTokens2(b, ids, nil)
}

// appendTokens2 writes one JSON list of the ids of a then of c.
func appendTokens2(b []byte, a, c []int32) []byte {
	b = append(b, '[')
	for i, id := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	for i, id := range c {
		if i > 0 || len(a) > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	return append(b, ']')
}
