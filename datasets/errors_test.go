package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestErrorMessage(t *testing.T) {
	inner := errors.New("not a parquet file (bad magic)")
	tests := []struct {
		err  error
		want string
	}{
		{
			&Error{Dataset: "allenai/ai2_arc", Config: "ARC-Challenge", Split: "test", File: "/x/0000.parquet", Err: inner},
			"datasets: allenai/ai2_arc/ARC-Challenge/test: file /x/0000.parquet: not a parquet file (bad magic)",
		},
		{&Error{File: "/x/a.jsonl", Err: errors.New("line 3: bad")}, "datasets: file /x/a.jsonl: line 3: bad"},
		{
			MissingColumn(Ref{Path: "cais/mmlu", Config: "all", Split: "test"}, 12, "answer"),
			`datasets: cais/mmlu/all/test: row 12: column "answer" missing`,
		},
		{
			MissingColumn(Ref{Path: "openai/gsm8k", Split: "train"}, 0, "question"),
			`datasets: openai/gsm8k/default/train: row 0: column "question" missing`,
		},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
	var ce *ColumnError
	if err := MissingColumn(Ref{Path: "a/b", Split: "s"}, 4, "x"); !errors.As(err, &ce) || ce.Row != 4 || ce.Column != "x" {
		t.Errorf("MissingColumn: errors.As gave %+v", ce)
	}
}

// TestBadParquetFiles feeds damaged copies of a real file to Load and checks
// the error names the file and the damage, and that nothing panics.
func TestBadParquetFiles(t *testing.T) {
	good, err := os.ReadFile(hubFile(t, "allenai/ai2_arc", "ARC-Challenge", "test"))
	if err != nil {
		t.Fatal(err)
	}
	corruptMiddle := append([]byte(nil), good...)
	for i := len(good) / 3; i < len(good)/3+2048; i++ {
		corruptMiddle[i] ^= 0xA5
	}
	badFooter := append([]byte(nil), good...)
	copy(badFooter[len(badFooter)-8:], []byte{0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'})
	tests := []struct {
		name    string
		data    []byte
		wantSub string
	}{
		{"bad magic", []byte("id,question\n1,hello there, this is not parquet\n"), "not a parquet file (bad magic)"},
		{"truncated", good[:len(good)/2], "truncated parquet file (no footer magic)"},
		{"empty", nil, "not a parquet file (bad magic)"},
		{"corrupt pages", corruptMiddle, "corrupt"},
		{"bad footer length", badFooter, "corrupt parquet file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			split := filepath.Join(dir, "allenai", "ai2_arc", "ARC-Challenge", "test")
			if err := os.MkdirAll(split, 0o755); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(split, "0000.parquet")
			if err := os.WriteFile(file, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			l := NewLoader(Options{DataDir: dir, CacheDir: t.TempDir(), Offline: true})
			_, err := l.Load(context.Background(), Ref{Path: "allenai/ai2_arc", Config: "ARC-Challenge", Split: "test"})
			if err == nil {
				t.Fatal("no error")
			}
			prefix := "datasets: allenai/ai2_arc/ARC-Challenge/test: file " + file + ": "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.wantSub) {
				t.Errorf("error %q\nwant prefix %q and %q", err, prefix, tc.wantSub)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != file {
				t.Errorf("not an *Error naming the file: %#v", err)
			}
		})
	}
}
