package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Writer builds a GGUF (version 3) file: metadata in the order it was set,
// then tensors in the order they were added.
type Writer struct {
	keys   []string
	values map[string]any
	ts     []Tensor
}

// Set sets a metadata value. Go types map to GGUF types: uint8…int64,
// float32, float64, bool, string, and slices of string, float32, int32,
// uint32 and uint8.
func (w *Writer) Set(key string, v any) {
	if w.values == nil {
		w.values = map[string]any{}
	}
	if _, ok := w.values[key]; !ok {
		w.keys = append(w.keys, key)
	}
	w.values[key] = v
}

// AddTensor adds a tensor whose data is already encoded as typ. Dims are
// ggml's (Dims[0] is the row length).
func (w *Writer) AddTensor(name string, typ TensorType, dims []uint64, data []byte) {
	w.ts = append(w.ts, Tensor{Name: name, Type: typ, Dims: dims, Data: data})
}

// AddF32 adds a tensor encoded from float32 values as typ (F32, F16 or
// Q8_0).
func (w *Writer) AddF32(name string, typ TensorType, dims []uint64, vals []float32) error {
	var data []byte
	switch typ {
	case F32:
		data = make([]byte, 0, 4*len(vals))
		for _, v := range vals {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
	case F16:
		data = make([]byte, 0, 2*len(vals))
		for _, v := range vals {
			data = binary.LittleEndian.AppendUint16(data, F32ToF16(v))
		}
	case Q8_0:
		if len(vals)%32 != 0 || (len(dims) > 0 && dims[0]%32 != 0) {
			return fmt.Errorf("gguf: tensor %q: Q8_0 needs rows of a multiple of 32 values", name)
		}
		data = QuantizeQ8_0(make([]byte, 0, len(vals)/32*34), vals)
	default:
		return fmt.Errorf("gguf: tensor %q: cannot encode %s", name, typ)
	}
	w.AddTensor(name, typ, dims, data)
	return nil
}

// Bytes encodes the file.
func (w *Writer) Bytes() ([]byte, error) {
	align := DefaultAlignment
	if a, ok := w.values["general.alignment"].(uint32); ok {
		align = int(a)
	}
	b := []byte(Magic)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(w.ts)))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(w.keys)))
	for _, k := range w.keys {
		b = appendStr(b, k)
		var err error
		if b, err = appendValue(b, w.values[k]); err != nil {
			return nil, fmt.Errorf("gguf: metadata %q: %w", k, err)
		}
	}
	off := uint64(0)
	offsets := make([]uint64, len(w.ts))
	for i, t := range w.ts {
		b = appendStr(b, t.Name)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(t.Dims)))
		for _, d := range t.Dims {
			b = binary.LittleEndian.AppendUint64(b, d)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(t.Type))
		b = binary.LittleEndian.AppendUint64(b, off)
		offsets[i] = off
		off += uint64(len(t.Data))
		off = (off + uint64(align) - 1) / uint64(align) * uint64(align)
	}
	pad := func() {
		for len(b)%align != 0 {
			b = append(b, 0)
		}
	}
	pad()
	for _, t := range w.ts {
		b = append(b, t.Data...)
		pad()
	}
	return b, nil
}

func appendStr(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

func appendValue(b []byte, v any) ([]byte, error) {
	le := binary.LittleEndian
	switch x := v.(type) {
	case uint8:
		return append(le.AppendUint32(b, uint32(TypeUint8)), x), nil
	case int8:
		return append(le.AppendUint32(b, uint32(TypeInt8)), byte(x)), nil
	case uint16:
		return le.AppendUint16(le.AppendUint32(b, uint32(TypeUint16)), x), nil
	case int16:
		return le.AppendUint16(le.AppendUint32(b, uint32(TypeInt16)), uint16(x)), nil
	case uint32:
		return le.AppendUint32(le.AppendUint32(b, uint32(TypeUint32)), x), nil
	case int32:
		return le.AppendUint32(le.AppendUint32(b, uint32(TypeInt32)), uint32(x)), nil
	case uint64:
		return le.AppendUint64(le.AppendUint32(b, uint32(TypeUint64)), x), nil
	case int64:
		return le.AppendUint64(le.AppendUint32(b, uint32(TypeInt64)), uint64(x)), nil
	case float32:
		return le.AppendUint32(le.AppendUint32(b, uint32(TypeFloat32)), math.Float32bits(x)), nil
	case float64:
		return le.AppendUint64(le.AppendUint32(b, uint32(TypeFloat64)), math.Float64bits(x)), nil
	case bool:
		var c byte
		if x {
			c = 1
		}
		return append(le.AppendUint32(b, uint32(TypeBool)), c), nil
	case string:
		return appendStr(le.AppendUint32(b, uint32(TypeString)), x), nil
	case []string:
		b = arrayHead(b, TypeString, len(x))
		for _, s := range x {
			b = appendStr(b, s)
		}
		return b, nil
	case []float32:
		b = arrayHead(b, TypeFloat32, len(x))
		for _, f := range x {
			b = le.AppendUint32(b, math.Float32bits(f))
		}
		return b, nil
	case []int32:
		b = arrayHead(b, TypeInt32, len(x))
		for _, n := range x {
			b = le.AppendUint32(b, uint32(n))
		}
		return b, nil
	case []uint32:
		b = arrayHead(b, TypeUint32, len(x))
		for _, n := range x {
			b = le.AppendUint32(b, n)
		}
		return b, nil
	case []uint8:
		b = arrayHead(b, TypeUint8, len(x))
		return append(b, x...), nil
	}
	return nil, fmt.Errorf("cannot encode %T", v)
}

func arrayHead(b []byte, et ValueType, n int) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(TypeArray))
	b = binary.LittleEndian.AppendUint32(b, uint32(et))
	return binary.LittleEndian.AppendUint64(b, uint64(n))
}
