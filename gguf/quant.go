package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// F16ToF32 widens an IEEE half-precision value; it is exact.
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: renormalise
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// F32ToF16 narrows to half precision, rounding to nearest, ties to even, as
// ggml does (and as x86's F16C instructions do).
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 // quiet NaN
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00 // overflow to inf
	}
	if e <= 0 {
		if e < -10 {
			return sign // underflow to zero
		}
		// Subnormal half: shift the mantissa (with its implicit bit) right.
		m := mant | 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, which is still correct
	}
	return sign | uint16(r)
}

// BF16ToF32 widens a bfloat16 value; it is exact.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// RoundF16 is f rounded to the nearest half-precision value.
func RoundF16(f float32) float32 { return F16ToF32(F32ToF16(f)) }

// Dequantize decodes a tensor's data to float32, row-major.
func (t *Tensor) Dequantize() ([]float32, error) {
	if t.Data == nil {
		return nil, fmt.Errorf("gguf: tensor %q: type %s cannot be decoded", t.Name, t.Type)
	}
	out := make([]float32, t.Elements())
	if err := DequantizeInto(out, t.Type, t.Data); err != nil {
		return nil, fmt.Errorf("gguf: tensor %q: %w", t.Name, err)
	}
	return out, nil
}

// DequantizeInto decodes len(dst) elements of type typ from data.
func DequantizeInto(dst []float32, typ TensorType, data []byte) error {
	elems, size, ok := blockLayout(typ)
	if !ok {
		return fmt.Errorf("type %s cannot be decoded", typ)
	}
	if len(dst)%elems != 0 || len(data) < len(dst)/elems*size {
		return fmt.Errorf("%d bytes of %s do not hold %d elements", len(data), typ, len(dst))
	}
	switch typ {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = F16ToF32(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = BF16ToF32(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case Q8_0:
		for b := 0; b < len(dst)/32; b++ {
			blk := data[b*34 : b*34+34]
			d := F16ToF32(binary.LittleEndian.Uint16(blk))
			for j := range 32 {
				dst[b*32+j] = float32(int8(blk[2+j])) * d
			}
		}
	case Q4_0:
		for b := 0; b < len(dst)/32; b++ {
			blk := data[b*18 : b*18+18]
			d := F16ToF32(binary.LittleEndian.Uint16(blk))
			for j := range 16 {
				dst[b*32+j] = float32(int(blk[2+j]&0x0f)-8) * d
				dst[b*32+j+16] = float32(int(blk[2+j]>>4)-8) * d
			}
		}
	}
	return nil
}

// QuantizeQ8_0 encodes src (a multiple of 32 values) as Q8_0 blocks with
// ggml's reference rule: per block of 32, d = max|x|/127 stored as f16 and
// q = round(x/d), halves away from zero.
func QuantizeQ8_0(dst []byte, src []float32) []byte {
	for b := 0; b+32 <= len(src); b += 32 {
		var amax float32
		for _, v := range src[b : b+32] {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		dst = binary.LittleEndian.AppendUint16(dst, F32ToF16(d))
		for _, v := range src[b : b+32] {
			dst = append(dst, byte(int8(math.Round(float64(v*id)))))
		}
	}
	return dst
}
