package openaitest

import "github.com/parity-eval/parity/jsonw"

func appendString(b []byte, s string) []byte   { return jsonw.String(b, s) }
func appendFloat(b []byte, f float64) []byte   { return jsonw.LogProb(b, f) }
func appendIntList(b []byte, ids []int) []byte { return jsonw.Ints(b, ids) }
