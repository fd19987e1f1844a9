package jsonw

import (
	"encoding/json"
	"math"
	"testing"
)

func TestStringRoundTripsThroughEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote \" backslash \\ nl \n cr \r tab \t", "\x00\x01\x1f", "日本語 ☃", "bad \xff byte", "half \xe6\x97"} {
		var got string
		if err := json.Unmarshal(String(nil, s), &got); err != nil {
			t.Fatalf("String(%q) is not valid JSON: %v", s, err)
		}
		want := string([]rune(s)) // invalid bytes become U+FFFD, as here
		if got != want {
			t.Errorf("String(%q) decodes to %q; want %q", s, got, want)
		}
	}
}

func TestLogProb(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{{-1.5, "-1.5"}, {0, "0"}, {math.Inf(-1), "-9999.0"}, {-1e6, "-9999.0"}, {math.NaN(), "null"}, {-0.123456789012345, "-0.123456789012345"}} {
		if got := string(LogProb(nil, tc.f)); got != tc.want {
			t.Errorf("LogProb(%v) = %s; want %s", tc.f, got, tc.want)
		}
	}
}

func TestInts(t *testing.T) {
	if got := string(Ints(nil, []int32{1, -2, 300})); got != "[1,-2,300]" {
		t.Errorf("Ints = %s", got)
	}
	if got := string(Ints(nil, []int{})); got != "[]" {
		t.Errorf("Ints(empty) = %s", got)
	}
}

func TestMessageText(t *testing.T) {
	for _, tc := range []struct {
		raw, want string
		err       bool
	}{
		{`"hi"`, "hi", false}, {` null `, "", false}, {``, "", false},
		{`[{"type":"text","text":"a"},{"type":"text","text":"b"}]`, "ab", false},
		{`[{"type":"image_url","image_url":{}}]`, "", true}, {`{"x":1}`, "", true},
	} {
		got, err := MessageText([]byte(tc.raw))
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("MessageText(%s) = %q, %v; want %q, error %v", tc.raw, got, err, tc.want, tc.err)
		}
	}
}
