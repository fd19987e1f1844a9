package openai

import (
	"strconv"
	"unicode/utf8"

	"github.com/parity-eval/parity/jsonw"
)

// Request bodies are written by hand (package jsonw) so that token-id
// prompts (thousands of ints) cost no reflection.
func appendString(b []byte, s string) []byte { return jsonw.String(b, s) }

// appendString2 writes a+c as one JSON string, without joining them first
// unless a rune is split between them.
func appendString2(b []byte, a, c string) []byte {
	if r, size := utf8.DecodeLastRuneInString(a); r == utf8.RuneError && size == 1 {
		return jsonw.String(b, a+c)
	}
	b = jsonw.StringBody(append(b, '"'), a)
	return append(jsonw.StringBody(b, c), '"')
}

func appendTokens(b []byte, ids []int32) []byte { return jsonw.Ints(b, ids) }

// appendTokens2 writes one JSON list of the ids of a then of c.
func appendTokens2(b []byte, a, c []int32) []byte {
	if len(a) == 0 {
		return jsonw.Ints(b, c)
	}
	b = jsonw.Ints(b, a)
	b = b[:len(b)-1]
	for _, id := range c {
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(id), 10)
	}
	return append(b, ']')
}
