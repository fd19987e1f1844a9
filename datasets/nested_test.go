package datasets

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// Rows written by parquet-go's struct writer, an encoder independent of the
// decoder under test, covering the shapes datasets use.
type inner struct {
	Name *string  `parquet:"name,optional"`
	Nums []int32  `parquet:"nums,optional,list"`
	Tags []string `parquet:"tags"` // bare repeated field, no LIST annotation
}

type nestedRow struct {
	ID       int64            `parquet:"id"`
	Text     *string          `parquet:"text,optional"`
	Flag     *bool            `parquet:"flag,optional"`
	F32      float32          `parquet:"f32"`
	F64      *float64         `parquet:"f64,optional"`
	U32      uint32           `parquet:"u32"`
	Blob     []byte           `parquet:"blob"`
	Strs     []*string        `parquet:"strs,optional,list"`
	Matrix   [][]int64        `parquet:"matrix,optional,list"`
	Items    []inner          `parquet:"items,optional,list"`
	Choices  *choicesT        `parquet:"choices,optional"`
	Counts   map[string]int64 `parquet:"counts"`
	Repeated []float64        `parquet:"repeated"`
}

type choicesT struct {
	Text  []string `parquet:"text,optional,list"`
	Label []int32  `parquet:"label,optional,list"`
}

func ptr[T any](v T) *T { return &v }

func TestDecodeNestedShapes(t *testing.T) {
	rows := []nestedRow{
		{
			ID: 1, Text: ptr("héllo"), Flag: ptr(true), F32: 0.5, F64: ptr(2.25), U32: 4000000000, Blob: []byte{0, 1, 2},
			Strs:   []*string{ptr("a"), nil, ptr("c")},
			Matrix: [][]int64{{1, 2}, {}, {3}},
			Items: []inner{
				{Name: ptr("x"), Nums: []int32{7, 8}, Tags: []string{"t1", "t2"}},
				{Name: nil, Nums: nil, Tags: nil},
			},
			Choices:  &choicesT{Text: []string{"yes", "no"}, Label: []int32{1, 0}},
			Counts:   map[string]int64{"a": 1, "b": 2},
			Repeated: []float64{1.5, -2},
		},
		{ID: 2}, // every optional field null, every list empty
		{
			ID: 3, Text: ptr(""), Flag: ptr(false), F32: -1, U32: 0, Blob: []byte{},
			Strs:     []*string{},
			Matrix:   [][]int64{{}},
			Items:    []inner{{Name: ptr(""), Nums: []int32{}, Tags: []string{"only"}}},
			Choices:  &choicesT{},
			Counts:   map[string]int64{},
			Repeated: []float64{3},
		},
	}
	want := []Doc{
		{
			"id": int64(1), "text": "héllo", "flag": true, "f32": 0.5, "f64": 2.25, "u32": int64(4000000000), "blob": "\x00\x01\x02",
			"strs":   []any{"a", nil, "c"},
			"matrix": []any{[]any{int64(1), int64(2)}, []any{}, []any{int64(3)}},
			"items": []any{
				map[string]any{"name": "x", "nums": []any{int64(7), int64(8)}, "tags": []any{"t1", "t2"}},
				map[string]any{"name": nil, "nums": nil, "tags": []any{}},
			},
			"choices":  map[string]any{"text": []any{"yes", "no"}, "label": []any{int64(1), int64(0)}},
			"counts":   map[string]any{"a": int64(1), "b": int64(2)},
			"repeated": []any{1.5, -2.0},
		},
		{
			"id": int64(2), "text": nil, "flag": nil, "f32": 0.0, "f64": nil, "u32": int64(0), "blob": "",
			"strs": nil, "matrix": nil, "items": nil, "choices": nil,
			"counts": map[string]any{}, "repeated": []any{},
		},
		{
			"id": int64(3), "text": "", "flag": false, "f32": -1.0, "f64": nil, "u32": int64(0), "blob": "",
			"strs":     []any{},
			"matrix":   []any{[]any{}},
			"items":    []any{map[string]any{"name": "", "nums": []any{}, "tags": []any{"only"}}},
			"choices":  map[string]any{"text": nil, "label": nil},
			"counts":   map[string]any{},
			"repeated": []any{3.0},
		},
	}
	var buf bytes.Buffer
	// Small pages and row groups make values cross page and group boundaries.
	w := parquet.NewGenericWriter[nestedRow](&buf, parquet.PageBufferSize(64), parquet.MaxRowsPerRowGroup(2))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := decodeParquet(context.Background(), buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded rows differ (-want +got):\n%s", diff)
	}
	// The same bytes through LoadFile, by extension.
	path := filepath.Join(t.TempDir(), "nested.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = LoadFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadFile rows differ (-want +got):\n%s", diff)
	}
}

// legacyList marks a group LIST without the standard 3-level layout, as
// old writers (parquet-avro, parquet-thrift) did.
type legacyList struct{ parquet.Node }

func (legacyList) Type() parquet.Type { return parquet.List(parquet.Int(32)).Type() }

// TestDecodeLegacyLists writes 2-level lists row by row with explicit
// repetition and definition levels and checks they are read as the
// parquet format's backward-compatibility rules say.
func TestDecodeLegacyLists(t *testing.T) {
	schema := parquet.NewSchema("legacy", parquet.Group{
		// optional group a (LIST) { repeated int32 element; }
		"a": legacyList{parquet.Optional(parquet.Group{"element": parquet.Repeated(parquet.Int(32))})},
		// optional group b (LIST) { repeated group array { optional binary s (STRING); } }: the
		// one-field group named "array" is the element itself.
		"b": legacyList{parquet.Optional(parquet.Group{"array": parquet.Repeated(parquet.Group{"s": parquet.Optional(parquet.String())})})},
		// optional group c (LIST) { repeated group element { x; y } }: a
		// repeated group of two fields is the element.
		"c": legacyList{parquet.Optional(parquet.Group{"element": parquet.Repeated(parquet.Group{
			"x": parquet.Optional(parquet.String()),
			"y": parquet.Optional(parquet.Int(32)),
		})})},
	})
	v := func(x any, rep, def, col int) parquet.Value {
		if x == nil {
			return parquet.NullValue().Level(rep, def, col)
		}
		return parquet.ValueOf(x).Level(rep, def, col)
	}
	rows := []parquet.Row{
		{
			v(int32(1), 0, 2, 0), v(int32(2), 1, 2, 0),
			v([]byte("x"), 0, 3, 1), v(nil, 1, 2, 1),
			v([]byte("p"), 0, 3, 2),
			v(int32(5), 0, 3, 3),
		},
		{v(nil, 0, 0, 0), v(nil, 0, 1, 1), v(nil, 0, 0, 2), v(nil, 0, 0, 3)},
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []Doc{
		{
			"a": []any{int64(1), int64(2)},
			"b": []any{map[string]any{"s": "x"}, map[string]any{"s": nil}},
			"c": []any{map[string]any{"x": "p", "y": int64(5)}},
		},
		{"a": nil, "b": []any{}, "c": nil},
	}
	got, err := decodeParquet(context.Background(), buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded rows differ (-want +got):\n%s", diff)
	}
}
