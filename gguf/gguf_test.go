package gguf

import (
	"errors"
	"github.com/parity-eval/parity/internal/shareddata"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sharedData finds ../shared/data beside the module root; tests that need
// it fail when it is missing.
func sharedData(t *testing.T) string {
	t.Helper()
	return shareddata.Dir(t)
}

func TestOpenStories260K(t *testing.T) {
	f, err := Open(filepath.Join(sharedData(t), "models", "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	// Facts from the model's SOURCE.md.
	if f.Version != 3 || len(f.Tensors) != 48 {
		t.Errorf("version %d, %d tensors; want 3, 48", f.Version, len(f.Tensors))
	}
	arch, _ := f.String("general.architecture")
	got := map[string]int64{}
	for _, k := range []string{"llama.block_count", "llama.embedding_length", "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv", "llama.context_length"} {
		n, err := f.Int(k)
		if err != nil {
			t.Fatal(err)
		}
		got[k] = n
	}
	want := map[string]int64{"llama.block_count": 5, "llama.embedding_length": 64, "llama.feed_forward_length": 172,
		"llama.attention.head_count": 8, "llama.attention.head_count_kv": 4, "llama.context_length": 2048}
	if arch != "llama" {
		t.Errorf("architecture %q", arch)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("hyper-parameters (-want +got):\n%s", d)
	}
	toks, ok := f.Metadata["tokenizer.ggml.tokens"].([]string)
	if !ok || len(toks) != 512 || toks[1] != "<s>" || toks[2] != "</s>" {
		t.Errorf("vocabulary: %d tokens, %T", len(toks), f.Metadata["tokenizer.ggml.tokens"])
	}
	var values uint64
	for _, tn := range f.Tensors {
		if tn.Type != F32 {
			t.Errorf("tensor %s is %s", tn.Name, tn.Type)
		}
		values += tn.Elements()
	}
	if values != 292800 {
		t.Errorf("%d stored values, want 292,800", values)
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok || emb.Rows() != 512 || emb.Cols() != 64 {
		t.Fatalf("token_embd.weight: %v", emb)
	}
	v, err := emb.Dequantize()
	if err != nil || len(v) != 512*64 {
		t.Fatal(err)
	}
}

func TestWriteParseRoundTrip(t *testing.T) {
	var w Writer
	meta := map[string]any{
		"u8": uint8(7), "i8": int8(-7), "u16": uint16(600), "i16": int16(-600), "u32": uint32(1 << 30),
		"i32": int32(-5), "u64": uint64(1 << 40), "i64": int64(-1 << 40), "f32": float32(1.5), "f64": 2.25,
		"b": true, "s": "héllo", "as": []string{"a", "", "ç"}, "af": []float32{1, -2.5},
		"ai": []int32{-1, 2}, "au": []uint32{3}, "ab": []uint8{1, 2},
	}
	for _, k := range []string{"u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "b", "s", "as", "af", "ai", "au", "ab"} {
		w.Set(k, meta[k])
	}
	vals := make([]float32, 64)
	for i := range vals {
		vals[i] = float32(i)/7 - 3
	}
	for _, typ := range []TensorType{F32, F16, Q8_0} {
		if err := w.AddF32("t."+typ.String(), typ, []uint64{32, 2}, vals); err != nil {
			t.Fatal(err)
		}
	}
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(meta, f.Metadata); d != "" {
		t.Errorf("metadata (-want +got):\n%s", d)
	}
	// Q8_0 errs by up to half a step, max|x|/127/2, with max|x| ≈ 6.1 here.
	tol := map[TensorType]float64{F32: 0, F16: 6.0 / 2048, Q8_0: 6.2 / 127 / 2}
	for _, typ := range []TensorType{F32, F16, Q8_0} {
		tn, ok := f.Tensor("t." + typ.String())
		if !ok {
			t.Fatalf("tensor %s missing", typ)
		}
		got, err := tn.Dequantize()
		if err != nil {
			t.Fatal(err)
		}
		for i := range vals {
			if math.Abs(float64(got[i]-vals[i])) > tol[typ] {
				t.Errorf("%s[%d] = %v, want %v", typ, i, got[i], vals[i])
			}
		}
	}
}

func TestF16Conversions(t *testing.T) {
	// Every half value survives widening and narrowing.
	for h := range 1 << 16 {
		f := F16ToF32(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := F32ToF16(f); back != uint16(h) {
			t.Fatalf("half %#04x → %v → %#04x", h, f, back)
		}
	}
	// Narrowing picks the nearest half, ties to even.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		f := float32(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(40)-25)))
		h := F32ToF16(f)
		got := float64(F16ToF32(h))
		// Neighbours of h in magnitude.
		lo, hi := float64(F16ToF32(h-1)), float64(F16ToF32(h+1))
		if h&0x7fff == 0 {
			lo = -got
		}
		d := math.Abs(got - float64(f))
		if d > math.Abs(lo-float64(f)) || (h&0x7fff != 0x7bff && d > math.Abs(hi-float64(f))) {
			t.Fatalf("%v narrowed to %v; a neighbour is nearer (%v, %v)", f, got, lo, hi)
		}
	}
	if F32ToF16(65520) != 0x7c00 || F32ToF16(1e-9) != 0 || F32ToF16(float32(math.Inf(-1))) != 0xfc00 {
		t.Error("overflow, underflow or infinity mishandled")
	}
	// 1 + 2^-11 is halfway between 1 and the next half; ties go to even (1).
	if F32ToF16(1+1.0/2048) != 0x3c00 || F32ToF16(1+3.0/2048) != 0x3c02 {
		t.Error("ties not rounded to even")
	}
}

func TestQuantizeQ8_0(t *testing.T) {
	src := make([]float32, 32)
	for i := range src {
		src[i] = float32(i - 16) // max |x| = 16
	}
	b := QuantizeQ8_0(nil, src)
	if len(b) != 34 {
		t.Fatalf("%d bytes", len(b))
	}
	if got, want := F16ToF32(uint16(b[0])|uint16(b[1])<<8), RoundF16(16.0/127); got != want {
		t.Errorf("scale %v, want %v", got, want)
	}
	if int8(b[2]) != -127 || int8(b[2+16]) != 0 || int8(b[2+31]) != int8(math.Round(15*127.0/16)) {
		t.Errorf("quants %v", b[2:])
	}
}

func TestParseErrors(t *testing.T) {
	var w Writer
	w.Set("general.architecture", "llama")
	if err := w.AddF32("x", F32, []uint64{4}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	good, _ := w.Bytes()
	cases := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("GGUX"), good[4:]...),
		"version":   append(append([]byte("GGUF"), 9, 0, 0, 0), good[8:]...),
		"truncated": good[:40],
		"no data":   good[:len(good)-20], // 16 data bytes, 16 of padding
	}
	for name, b := range cases {
		if _, err := Parse(b); err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "magic" && !errors.As(err, new(*FormatError)) {
			t.Errorf("%s: %v is not a FormatError", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	var w Writer
	w.Set("k", []string{"a", "b"})
	_ = w.AddF32("x", Q8_0, []uint64{32}, make([]float32, 32))
	b, _ := w.Bytes()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b)
		if err != nil {
			return
		}
		for i := range file.Tensors {
			if file.Tensors[i].Data != nil {
				_, _ = file.Tensors[i].Dequantize()
			}
		}
	})
}
