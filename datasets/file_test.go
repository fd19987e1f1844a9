package datasets

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadFileFormats(t *testing.T) {
	jsonl := "{\"q\": \"a\", \"n\": 1, \"f\": 1.5, \"e\": 1e3, \"big\": 12345678901234567890, \"neg\": -7, \"b\": true, \"z\": null, \"l\": [1, 2.0, \"x\"], \"m\": {\"k\": 3}}\n" +
		"\n" + // blank lines are skipped
		"{\"q\": \"b\", \"n\": 2}"
	wantJSONL := []Doc{
		{"q": "a", "n": int64(1), "f": 1.5, "e": 1000.0, "big": 12345678901234567890.0, "neg": int64(-7), "b": true, "z": nil,
			"l": []any{int64(1), 2.0, "x"}, "m": map[string]any{"k": int64(3)}},
		{"q": "b", "n": int64(2)},
	}
	tests := []struct {
		name string
		data []byte
		want []Doc
	}{
		{"a.jsonl", []byte(jsonl), wantJSONL},
		{"a.jsonl.gz", gz(t, jsonl), wantJSONL},
		{"crlf.jsonl", []byte("{\"q\": \"a\"}\r\n{\"q\": \"b\"}\r\n"), []Doc{{"q": "a"}, {"q": "b"}}},
		{"lines.json", []byte("\xEF\xBB\xBF{\"q\": \"a\"}\n{\"q\": \"b\"}\n"), []Doc{{"q": "a"}, {"q": "b"}}},
		{"array.json", []byte(" \n[{\"q\": \"a\", \"n\": 3}, {\"q\": \"b\"}]"), []Doc{{"q": "a", "n": int64(3)}, {"q": "b"}}},
		{"empty.json", []byte("[]"), []Doc{}},
		{"a.csv", []byte("\xEF\xBB\xBFq,answer\n\"multi\nline, quoted\",1\nb,\n"), []Doc{{"q": "multi\nline, quoted", "answer": "1"}, {"q": "b", "answer": ""}}},
		{"a.csv.gz", gz(t, "x,y\n1,2\n"), []Doc{{"x": "1", "y": "2"}}},
		{"UPPER.JSONL", []byte("{\"q\": 1}\n"), []Doc{{"q": int64(1)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadFile(context.Background(), writeTemp(t, tc.name, tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.want) == 0 && len(got) == 0 {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       string // the error after "datasets: file <path>: "
	}{
		{"bad.jsonl", "{\"q\": 1}\n{\"q\": 2}\n{\"q\": oops}\n", "line 3: invalid character 'o' looking for beginning of value"},
		{"notobj.jsonl", "{\"q\": 1}\n[1, 2]\n", "line 2: want a JSON object, got array"},
		{"two.jsonl", "{\"q\": 1} {\"q\": 2}\n", "line 1: more than one JSON value on the line"},
		{"bad.json", "[\n{\"q\": 1},\n{\"q\": }\n]", "line 3: invalid character '}' looking for beginning of value"},
		{"elem.json", "[{\"q\": 1}, 5]", "element 1: want a JSON object, got number"},
		{"ragged.csv", "a,b\n1,2\n3\n", "line 3: 1 fields, header has 2"},
		{"quote.csv", "a,b\n1,\"2\n", `parse error on line 2, column 6: extraneous or missing " in quoted-field`},
		{"data.txt", "hello", `unknown file type ".txt" (want .parquet, .jsonl, .json or .csv)`},
		{"x.parquet.gz", "PAR1", "gzip-compressed parquet is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, tc.name, []byte(tc.data))
			_, err := LoadFile(context.Background(), path)
			if err == nil {
				t.Fatal("no error")
			}
			if want := "datasets: file " + path + ": " + tc.want; err.Error() != want {
				t.Errorf("got  %s\nwant %s", err, want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != path {
				t.Errorf("want *Error with File %s, got %#v", path, err)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.jsonl")
		_, err := LoadFile(context.Background(), path)
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "datasets: file "+path+": ") {
			t.Errorf("got %v, want a not-exist error naming the file", err)
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := LoadFile(ctx, writeTemp(t, "a.jsonl", []byte("{}\n")))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}
