package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LoadFile reads the rows of one local file, choosing the format by its
// extension: .parquet, .jsonl, .json (JSON lines or one array of objects),
// .csv (header row, values kept as strings); .jsonl, .json and .csv may be
// gzip-compressed with a further .gz. JSON numbers become int64 when
// integral and float64 otherwise.
func LoadFile(ctx context.Context, path string) ([]Doc, error) {
	docs, err := loadFile(ctx, path)
	if err != nil {
		return nil, wrapFileError(Ref{}, path, err)
	}
	return docs, nil
}

// wrapFileError attaches ref and path to err unless err already is one of
// ours or a context error.
func wrapFileError(ref Ref, path string, err error) error {
	var e *Error
	if errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return ref.errorf(path, err)
}

func loadFile(ctx context.Context, path string) ([]Doc, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := strings.ToLower(filepath.Base(path))
	gz := strings.HasSuffix(name, ".gz")
	name = strings.TrimSuffix(name, ".gz")
	ext := filepath.Ext(name)
	if ext == ".parquet" {
		if gz {
			return nil, errors.New("gzip-compressed parquet is not supported")
		}
		return readParquetFile(ctx, path)
	}
	if ext != ".jsonl" && ext != ".json" && ext != ".csv" {
		return nil, fmt.Errorf("unknown file type %q (want .parquet, .jsonl, .json or .csv)", ext)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReaderSize(r, 1<<16)
	skipBOM(br)
	switch ext {
	case ".csv":
		return readCSV(ctx, br)
	case ".json":
		first, err := peekNonSpace(br)
		if err != nil {
			return nil, err
		}
		if first == '[' {
			return readJSONArray(br)
		}
	}
	return readJSONLines(ctx, br)
}

// skipBOM drops a UTF-8 byte order mark, which spreadsheet exports add and
// which neither JSON nor CSV parsers accept as data.
func skipBOM(br *bufio.Reader) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

func readJSONLines(ctx context.Context, br *bufio.Reader) ([]Doc, error) {
	var docs []Doc
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			d, derr := decodeJSONObject(b)
			if derr != nil {
				return nil, fmt.Errorf("line %d: %w", line, derr)
			}
			docs = append(docs, d)
		}
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
}

func decodeJSONObject(b []byte) (Doc, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value on the line")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a JSON object, got %s", jsonKind(v))
	}
	return normalizeJSON(m).(map[string]any), nil
}

func readJSONArray(br *bufio.Reader) ([]Doc, error) {
	data, err := io.ReadAll(br)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var arr []any
	if err := dec.Decode(&arr); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("line %d: %w", 1+bytes.Count(data[:se.Offset], []byte("\n")), err)
		}
		return nil, err
	}
	docs := make([]Doc, len(arr))
	for i, v := range arr {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("element %d: want a JSON object, got %s", i, jsonKind(v))
		}
		docs[i] = normalizeJSON(m).(map[string]any)
	}
	return docs, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// normalizeJSON replaces json.Number with int64 (integral literals that fit)
// or float64, in place.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e)
		}
	}
	return v
}

func readCSV(ctx context.Context, br *bufio.Reader) ([]Doc, error) {
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cols := append([]string(nil), header...)
	var docs []Doc
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(err, csv.ErrFieldCount) {
				return nil, fmt.Errorf("line %d: %d fields, header has %d", pe.StartLine, len(rec), len(cols))
			}
			return nil, err
		}
		d := make(Doc, len(cols))
		for i, c := range cols {
			d[c] = rec[i]
		}
		docs = append(docs, d)
		if len(docs)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
}
