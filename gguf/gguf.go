// Package gguf reads and writes GGUF, the model file format of llama.cpp and
// ggml: a header of typed metadata (architecture, hyper-parameters, the
// tokenizer's vocabulary) followed by named tensors. It decodes F32, F16,
// BF16, Q8_0 and Q4_0 tensor data, and writes F32, F16 and Q8_0 (for test
// fixtures and for converting or quantizing small models) byte for byte as
// ggml's reference code does.
package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is where tensor data starts when general.alignment is
// not set.
const DefaultAlignment = 32

// ValueType is the type tag of a metadata value.
type ValueType uint32

// Metadata value types, as numbered by the format.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

// TensorType is ggml's element type of a tensor.
type TensorType uint32

// The ggml tensor types this package knows by name. Only those with a
// BlockSize can be decoded.
const (
	F32  TensorType = 0
	F16  TensorType = 1
	Q4_0 TensorType = 2
	Q4_1 TensorType = 3
	Q5_0 TensorType = 6
	Q5_1 TensorType = 7
	Q8_0 TensorType = 8
	Q8_1 TensorType = 9
	Q2_K TensorType = 10
	Q3_K TensorType = 11
	Q4_K TensorType = 12
	Q5_K TensorType = 13
	Q6_K TensorType = 14
	Q8_K TensorType = 15
	BF16 TensorType = 30
)

var typeNames = map[TensorType]string{
	F32: "F32", F16: "F16", Q4_0: "Q4_0", Q4_1: "Q4_1", Q5_0: "Q5_0", Q5_1: "Q5_1",
	Q8_0: "Q8_0", Q8_1: "Q8_1", Q2_K: "Q2_K", Q3_K: "Q3_K", Q4_K: "Q4_K", Q5_K: "Q5_K",
	Q6_K: "Q6_K", Q8_K: "Q8_K", BF16: "BF16",
}

func (t TensorType) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type%d", uint32(t))
}

// blockLayout gives, for the types this package decodes, how many elements
// a block holds and how many bytes it takes.
func blockLayout(t TensorType) (elems, bytes int, ok bool) {
	switch t {
	case F32:
		return 1, 4, true
	case F16, BF16:
		return 1, 2, true
	case Q8_0:
		return 32, 34, true
	case Q4_0:
		return 32, 18, true
	}
	return 0, 0, false
}

// Supported reports whether this package can decode tensors of type t.
func (t TensorType) Supported() bool {
	_, _, ok := blockLayout(t)
	return ok
}

// Tensor describes one tensor of a file. Dims are ggml's: Dims[0] is the
// number of elements in a row (the fastest-varying index).
type Tensor struct {
	Name   string
	Type   TensorType
	Dims   []uint64
	Offset uint64 // from the start of the data section
	// Data is the tensor's raw bytes, or nil when its type is unknown.
	Data []byte
}

// Elements is the tensor's element count.
func (t *Tensor) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Rows and Cols view the tensor as a matrix of Rows rows of Cols elements.
func (t *Tensor) Rows() int {
	if len(t.Dims) == 0 {
		return 1
	}
	return int(t.Elements() / t.Dims[0])
}

// Cols is the length of one row, Dims[0].
func (t *Tensor) Cols() int {
	if len(t.Dims) == 0 {
		return 1
	}
	return int(t.Dims[0])
}

// File is a parsed GGUF file.
type File struct {
	Version   uint32
	Metadata  map[string]any
	Tensors   []Tensor
	Alignment int
	byName    map[string]int
}

// Open reads and parses the file at path.
func Open(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: %w", path, err)
	}
	return f, nil
}

// FormatError says where a file stops being valid GGUF.
type FormatError struct {
	Offset int64
	Msg    string
}

func (e *FormatError) Error() string { return fmt.Sprintf("byte %d: %s", e.Offset, e.Msg) }

// reader walks the header, failing with a FormatError at the first
// inconsistency; after a failure every read returns zero values.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = &FormatError{Offset: int64(r.off), Msg: fmt.Sprintf(format, args...)}
	}
}

func (r *reader) take(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail("need %d bytes, file has %d left", n, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *reader) u8() uint8 {
	if s := r.take(1); s != nil {
		return s[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if s := r.take(2); s != nil {
		return binary.LittleEndian.Uint16(s)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if s := r.take(4); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if s := r.take(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (r *reader) str() string {
	n := r.u64()
	return string(r.take(n))
}

// maxCount bounds array and table lengths read from a header, so a corrupt
// length fails instead of allocating without limit.
func (r *reader) count(what string) int {
	n := r.u64()
	if r.err == nil && n > uint64(len(r.b)-r.off) {
		r.fail("%s count %d exceeds the file", what, n)
		return 0
	}
	return int(n)
}

func (r *reader) value(t ValueType, depth int) any {
	switch t {
	case TypeUint8:
		return r.u8()
	case TypeInt8:
		return int8(r.u8())
	case TypeUint16:
		return r.u16()
	case TypeInt16:
		return int16(r.u16())
	case TypeUint32:
		return r.u32()
	case TypeInt32:
		return int32(r.u32())
	case TypeFloat32:
		return math.Float32frombits(r.u32())
	case TypeBool:
		v := r.u8()
		if v > 1 {
			r.fail("bool value %d", v)
		}
		return v == 1
	case TypeString:
		return r.str()
	case TypeUint64:
		return r.u64()
	case TypeInt64:
		return int64(r.u64())
	case TypeFloat64:
		return math.Float64frombits(r.u64())
	case TypeArray:
		if depth > 4 {
			r.fail("arrays nested too deep")
			return nil
		}
		et := ValueType(r.u32())
		n := r.count("array")
		return r.array(et, n, depth)
	}
	r.fail("unknown value type %d", t)
	return nil
}

// array decodes typed arrays into typed slices, which tokenizer tables
// (hundreds of thousands of entries) need to be.
func (r *reader) array(et ValueType, n, depth int) any {
	switch et {
	case TypeString:
		out := make([]string, 0, min(n, 1<<20))
		for range n {
			out = append(out, r.str())
			if r.err != nil {
				return nil
			}
		}
		return out
	case TypeFloat32:
		s := r.take(uint64(n) * 4)
		out := make([]float32, len(s)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(s[4*i:]))
		}
		return out
	case TypeInt32:
		s := r.take(uint64(n) * 4)
		out := make([]int32, len(s)/4)
		for i := range out {
			out[i] = int32(binary.LittleEndian.Uint32(s[4*i:]))
		}
		return out
	case TypeUint32:
		s := r.take(uint64(n) * 4)
		out := make([]uint32, len(s)/4)
		for i := range out {
			out[i] = binary.LittleEndian.Uint32(s[4*i:])
		}
		return out
	case TypeUint8:
		return append([]byte(nil), r.take(uint64(n))...)
	}
	out := make([]any, 0, min(n, 1<<16))
	for range n {
		out = append(out, r.value(et, depth+1))
		if r.err != nil {
			return nil
		}
	}
	return out
}

// Parse reads a GGUF file held in memory. Tensor data is not copied: each
// Tensor's Data aliases b.
func Parse(b []byte) (*File, error) {
	r := &reader{b: b}
	if m := r.take(4); r.err != nil || string(m) != Magic {
		return nil, &FormatError{0, "not a GGUF file (bad magic)"}
	}
	f := &File{Version: r.u32(), Metadata: map[string]any{}, byName: map[string]int{}}
	if f.Version < 2 || f.Version > 3 {
		return nil, &FormatError{4, fmt.Sprintf("GGUF version %d is not supported (want 2 or 3)", f.Version)}
	}
	nTensors := r.count("tensor")
	nKV := r.count("metadata")
	for range nKV {
		key := r.str()
		t := ValueType(r.u32())
		v := r.value(t, 0)
		if r.err != nil {
			return nil, fmt.Errorf("metadata %q: %w", key, r.err)
		}
		if _, dup := f.Metadata[key]; dup {
			return nil, fmt.Errorf("metadata %q: %w", key, &FormatError{int64(r.off), "duplicate key"})
		}
		f.Metadata[key] = v
	}
	f.Alignment = DefaultAlignment
	if a, ok := f.Metadata["general.alignment"]; ok {
		n, ok := a.(uint32)
		if !ok || n == 0 || n&(n-1) != 0 {
			return nil, fmt.Errorf("general.alignment %v: must be a power of two (uint32)", a)
		}
		f.Alignment = int(n)
	}
	for i := range nTensors {
		var t Tensor
		t.Name = r.str()
		nd := r.u32()
		if nd > 4 {
			r.fail("tensor %q has %d dimensions", t.Name, nd)
			return nil, fmt.Errorf("tensor %d: %w", i, r.err)
		}
		for range nd {
			t.Dims = append(t.Dims, r.u64())
		}
		n := uint64(1)
		for _, d := range t.Dims {
			if d == 0 || d > 1<<48 || n > (1<<48)/d {
				r.fail("tensor %q has dimensions %v", t.Name, t.Dims)
				break
			}
			n *= d
		}
		t.Type = TensorType(r.u32())
		t.Offset = r.u64()
		if r.err != nil {
			return nil, fmt.Errorf("tensor %d: %w", i, r.err)
		}
		if _, dup := f.byName[t.Name]; dup {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, &FormatError{int64(r.off), "duplicate name"})
		}
		f.byName[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}
	start := (r.off + f.Alignment - 1) / f.Alignment * f.Alignment
	for i := range f.Tensors {
		t := &f.Tensors[i]
		elems, size, ok := blockLayout(t.Type)
		if !ok {
			continue // unknown type: described but not decodable
		}
		n := t.Elements()
		if len(t.Dims) > 0 && t.Dims[0]%uint64(elems) != 0 {
			return nil, fmt.Errorf("tensor %q: row of %d elements is not a whole number of %s blocks", t.Name, t.Dims[0], t.Type)
		}
		nbytes := n / uint64(elems) * uint64(size)
		if t.Offset%uint64(f.Alignment) != 0 {
			return nil, fmt.Errorf("tensor %q: data offset %d is not aligned to %d", t.Name, t.Offset, f.Alignment)
		}
		lo := uint64(start) + t.Offset
		if lo > uint64(len(b)) || nbytes > uint64(len(b))-lo {
			return nil, fmt.Errorf("tensor %q: data [%d, +%d) lies past the end of the file (%d bytes)", t.Name, lo, nbytes, len(b))
		}
		t.Data = b[lo : lo+nbytes : lo+nbytes]
	}
	return f, nil
}

// Tensor returns the named tensor.
func (f *File) Tensor(name string) (*Tensor, bool) {
	i, ok := f.byName[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// Keys returns the metadata keys in sorted order.
func (f *File) Keys() []string {
	keys := make([]string, 0, len(f.Metadata))
	for k := range f.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ErrMissing is wrapped by the typed getters when a key is absent.
var ErrMissing = errors.New("missing metadata key")

// String returns a string value.
func (f *File) String(key string) (string, error) {
	v, ok := f.Metadata[key]
	if !ok {
		return "", fmt.Errorf("%w %q", ErrMissing, key)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("metadata %q is %T, not a string", key, v)
	}
	return s, nil
}

// Int returns an integer value of any integer type.
func (f *File) Int(key string) (int64, error) {
	v, ok := f.Metadata[key]
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrMissing, key)
	}
	switch n := v.(type) {
	case uint8:
		return int64(n), nil
	case int8:
		return int64(n), nil
	case uint16:
		return int64(n), nil
	case int16:
		return int64(n), nil
	case uint32:
		return int64(n), nil
	case int32:
		return int64(n), nil
	case uint64:
		if n > math.MaxInt64 {
			return 0, fmt.Errorf("metadata %q: %d overflows int64", key, n)
		}
		return int64(n), nil
	case int64:
		return n, nil
	}
	return 0, fmt.Errorf("metadata %q is %T, not an integer", key, v)
}

// Float returns a floating-point value (float32 values are widened).
func (f *File) Float(key string) (float64, error) {
	v, ok := f.Metadata[key]
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrMissing, key)
	}
	switch n := v.(type) {
	case float32:
		return float64(n), nil
	case float64:
		return n, nil
	}
	return 0, fmt.Errorf("metadata %q is %T, not a float", key, v)
}

// Bool returns a boolean value.
func (f *File) Bool(key string) (bool, error) {
	v, ok := f.Metadata[key]
	if !ok {
		return false, fmt.Errorf("%w %q", ErrMissing, key)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("metadata %q is %T, not a bool", key, v)
	}
	return b, nil
}
