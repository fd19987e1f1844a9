package serve

import (
	"strconv"

	"github.com/parity-eval/parity/jsonw"
)

func appendString(b []byte, s string) []byte { return jsonw.String(b, s) }
func appendFloat(b []byte, f float64) []byte { return jsonw.LogProb(b, f) }
func appendInts(b []byte, ids []int) []byte  { return jsonw.Ints(b, ids) }

func appendUsage(b []byte, prompt, completion int) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt+completion), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(completion), 10)
	return append(b, `,"prompt_tokens_details":null}`...)
}
