package openai

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// scanCases are JSON texts whose validity encoding/json decides.
var scanCases = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5`, `-1.5e-07`, `1E+3`, `"x"`,
	`{"a":[1,2,{"b":null}],"c":"\"\\\/\b\f\n\r\t\u00e9"}`,
	" { \"a\" : [ 1 , 2 ] } \n",
	`[-2.3841855067985307e-07,-9999.0,0.0]`,
	`"\ud83d\ude00"`, `"\ud83d"`, `"é€😀"`,
	// Malformed.
	``, `{`, `[`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,"a":1}`, `[1 2]`,
	`01`, `1.`, `.5`, `1e`, `1e+`, `-`, `+1`, `0x10`, `"abc`, `"\x"`, `"\u12"`, `"\u12G4"`,
	"\"a\x01b\"", `nul`, `tru`, `{"a":1}x`, `[1]]`, `{"a" 1}`, `{1:2}`, `[1,2`, `{"a":[1,2}`,
	`"\`, `[-]`, `[1.e5]`, `[--1]`, `NaN1`, `nan`, `inf`,
}

// TestValidJSONMatchesEncodingJSON checks the scanner's notion of validity
// against encoding/json's.
func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, in := range scanCases {
		got := validJSON([]byte(in)) == nil
		if want := json.Valid([]byte(in)); got != want {
			t.Errorf("validJSON(%q) = %v, encoding/json says %v", in, got, want)
		}
	}
}

func TestNonFiniteNumbers(t *testing.T) {
	for _, tc := range []struct {
		in    string
		valid bool
	}{
		{`NaN`, true}, {`Infinity`, true}, {`-Infinity`, true}, {`[1,NaN,-Infinity]`, true},
		{`-NaN`, false}, {`Inf`, false}, {`+Infinity`, false}, {`NaNx`, false}, {`Infinit`, false},
	} {
		if got := validJSON([]byte(tc.in)) == nil; got != tc.valid {
			t.Errorf("validJSON(%q) = %v, want %v", tc.in, got, tc.valid)
		}
	}
}

func TestStringDecoding(t *testing.T) {
	for _, in := range []string{
		`"plain"`, `"a\"b"`, `"back\\slash"`, `"\u0120the"`, `"\n\t\r\b\f\/"`,
		`"\ud83d\ude00"`, `"lone \ud83d high"`, `"lone \ude00 low"`, `"\ud83d\u0041"`,
		`"é€😀"`, "\"bad \xff utf8\"", `"\u00e9\u20ac"`, `""`,
	} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("encoding/json rejects %q: %v", in, err)
		}
		s := scanner{b: []byte(in)}
		got, err := s.str()
		if err != nil {
			t.Errorf("str(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("str(%q) (-encoding/json +got):\n%s", in, diff)
		}
		s = scanner{b: []byte(in)}
		raw, _, _ := s.stringSpan()
		if n, want := runeLen(raw), utf8.RuneCountInString(want); n != want {
			t.Errorf("runeLen(%q) = %d, want %d", in, n, want)
		}
	}
}

// TestDigits checks the eight-bytes-at-a-time digit scan against a plain
// loop, around every byte that could fool it.
func TestDigits(t *testing.T) {
	tricky := []byte{'/', '0', '9', ':', '?', '@', 0x00, 0x2f, 0x3a, 0xfa, 0xff, '.', 'e', '-'}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = tricky[r.IntN(len(tricky))]
			} else {
				b[i] = byte('0' + r.IntN(10))
			}
		}
		start := 0
		if len(b) > 0 {
			start = r.IntN(len(b))
		}
		want := start
		for want < len(b) && b[want] >= '0' && b[want] <= '9' {
			want++
		}
		if got := digits(b, start); got != want {
			t.Fatalf("digits(%q, %d) = %d, want %d", b, start, got, want)
		}
	}
}

func TestFloatParsing(t *testing.T) {
	for _, in := range []string{"-0.6931471824645996", "-2.3841855067985307e-07", "-9999.0", "0", "-12", "1E2"} {
		s := scanner{b: []byte(in)}
		got, isNull, err := s.float()
		if err != nil || isNull {
			t.Fatalf("float(%q): %v %v", in, isNull, err)
		}
		var want float64
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("float(%q) = %v, want %v", in, got, want)
		}
	}
	s := scanner{b: []byte("1e999")}
	if _, _, err := s.float(); err == nil {
		t.Error("float(1e999) succeeded, want an out-of-range error")
	}
}

// FuzzScanner checks the scanner against encoding/json on arbitrary input:
// the same verdict on validity (bar the NaN/Infinity extension) and, for a
// string, the same decoded text.
func FuzzScanner(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ours := validJSON(b) == nil
		if !bytes.Contains(b, []byte("NaN")) && !bytes.Contains(b, []byte("Infinity")) {
			if theirs := json.Valid(b); ours != theirs {
				t.Fatalf("validJSON(%q) = %v, encoding/json says %v", b, ours, theirs)
			}
		}
		var want string
		if lead := bytes.TrimLeft(b, " \t\r\n"); len(lead) > 0 && lead[0] == '"' && json.Unmarshal(b, &want) == nil {
			s := scanner{b: b}
			got, err := s.str()
			if err != nil || s.end() != nil {
				t.Fatalf("str(%q) failed where encoding/json decodes %q: %v", b, want, err)
			}
			if got != want {
				t.Fatalf("str(%q) = %q, encoding/json %q", b, got, want)
			}
		}
	})
}

func TestAppendString2(t *testing.T) {
	for _, tc := range [][2]string{
		{"Answer:", " A"},
		{"", ""},
		{"quote \"", "\\ and \n"},
		{"caf\xc3", "\xa9 split rune"},
		{"bad \xff", "\xfe bytes"},
	} {
		want := string(appendString(nil, tc[0]+tc[1]))
		if got := string(appendString2(nil, tc[0], tc[1])); got != want {
			t.Errorf("appendString2(%q, %q) = %s, want %s", tc[0], tc[1], got, want)
		}
	}
}
