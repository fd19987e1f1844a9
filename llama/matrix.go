package llama

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/parity-eval/parity/gguf"
)

// matrix is a weight matrix of rows×cols in the form its kernels use. F16
// and Q8_0 stay in their own encoding, and the activations are rounded the
// way ggml's CPU kernels round them (to f16, or quantized to Q8_0 blocks)
// before the dot products, so results track llama.cpp's closely; every
// other decodable type is widened to f32 at load.
type matrix struct {
	name       string
	typ        gguf.TensorType // F32, F16 or Q8_0
	rows, cols int
	f32        []float32
	f16        []uint16
	q8d        []float32 // Q8_0: one scale per block of 32
	q8q        []int8
}

func newMatrix(t *gguf.Tensor) (*matrix, error) {
	m := &matrix{name: t.Name, typ: t.Type, rows: t.Rows(), cols: t.Cols()}
	if len(t.Dims) > 2 {
		return nil, fmt.Errorf("tensor %q has %d dimensions, want 2", t.Name, len(t.Dims))
	}
	switch t.Type {
	case gguf.F16:
		m.f16 = make([]uint16, m.rows*m.cols)
		for i := range m.f16 {
			m.f16[i] = binary.LittleEndian.Uint16(t.Data[2*i:])
		}
	case gguf.Q8_0:
		nb := m.rows * m.cols / 32
		m.q8d = make([]float32, nb)
		m.q8q = make([]int8, nb*32)
		for b := range nb {
			blk := t.Data[b*34:]
			m.q8d[b] = gguf.F16ToF32(binary.LittleEndian.Uint16(blk))
			for j := range 32 {
				m.q8q[b*32+j] = int8(blk[2+j])
			}
		}
	default:
		v, err := t.Dequantize()
		if err != nil {
			return nil, err
		}
		m.typ, m.f32 = gguf.F32, v
	}
	return m, nil
}

// row writes row r, widened to f32, into dst (an embedding lookup: ggml's
// get_rows converts without rounding).
func (m *matrix) row(dst []float32, r int) {
	c := m.cols
	switch m.typ {
	case gguf.F32:
		copy(dst, m.f32[r*c:(r+1)*c])
	case gguf.F16:
		for i, h := range m.f16[r*c : (r+1)*c] {
			dst[i] = f16Table[h]
		}
	case gguf.Q8_0:
		for i := range c {
			dst[i] = float32(m.q8q[r*c+i]) * m.q8d[(r*c+i)/32]
		}
	}
}

// f16Table widens every half value; it is read-only after start-up.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = gguf.F16ToF32(uint16(i))
	}
	return &t
}()

// activations are n input vectors prepared for one matrix type.
type activations struct {
	n, cols int
	f       []float32 // F32: the input itself; F16: rounded, in rounded
	rounded []float32
	q       []int8 // Q8_0
	qd      []float32
}

func (a *activations) prepare(typ gguf.TensorType, x []float32, n, cols int) {
	a.n, a.cols = n, cols
	switch typ {
	case gguf.F32:
		a.f = x
	case gguf.F16:
		a.rounded = grow(a.rounded, len(x))
		for i, v := range x {
			a.rounded[i] = f16Table[gguf.F32ToF16(v)]
		}
		a.f = a.rounded
	case gguf.Q8_0:
		a.q = growI8(a.q, len(x))
		a.qd = grow(a.qd, len(x)/32)
		quantizeQ8(a.q, a.qd, x)
	}
}

// quantizeQ8 is ggml's quantize_row_q8_0 as its x86 (AVX) code computes
// it, which is what llama.cpp runs on the machines parity targets: the
// scale max|x|/127 is stored as f16, values are multiplied by 127/max|x| in
// f32 and rounded to nearest, ties to even. (ggml's portable reference
// multiplies by 1/d and rounds ties away from zero; weights in GGUF files
// are quantized that way, see gguf.QuantizeQ8_0.)
func quantizeQ8(q []int8, qd []float32, x []float32) {
	for b := range len(x) / 32 {
		blk := x[b*32 : b*32+32]
		var amax float32
		for _, v := range blk {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		qd[b] = gguf.RoundF16(amax / 127)
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		for j, v := range blk {
			q[b*32+j] = int8(math.RoundToEven(float64(v * id)))
		}
	}
}

// mul computes out[t*rows+r] = W[r]·x[t] for n inputs x of m.cols each,
// splitting the rows among workers.
func (m *matrix) mul(out []float32, a *activations, workers int) {
	work := m.rows * m.cols * a.n
	if workers <= 1 || work < 1<<16 {
		m.mulRows(out, a, 0, m.rows)
		return
	}
	chunks := min(workers*4, m.rows)
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := range chunks {
		next <- c
	}
	close(next)
	for range min(workers, chunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				m.mulRows(out, a, c*m.rows/chunks, (c+1)*m.rows/chunks)
			}
		}()
	}
	wg.Wait()
}

func (m *matrix) mulRows(out []float32, a *activations, r0, r1 int) {
	c := m.cols
	switch m.typ {
	case gguf.F32:
		for r := r0; r < r1; r++ {
			w := m.f32[r*c : (r+1)*c]
			for t := range a.n {
				out[t*m.rows+r] = dotF32(w, a.f[t*c:(t+1)*c])
			}
		}
	case gguf.F16:
		row := make([]float32, c)
		for r := r0; r < r1; r++ {
			for i, h := range m.f16[r*c : (r+1)*c] {
				row[i] = f16Table[h]
			}
			for t := range a.n {
				out[t*m.rows+r] = dotF32(row, a.f[t*c:(t+1)*c])
			}
		}
	case gguf.Q8_0:
		nb := c / 32
		for r := r0; r < r1; r++ {
			wq := m.q8q[r*c : (r+1)*c]
			wd := m.q8d[r*nb : (r+1)*nb]
			for t := range a.n {
				out[t*m.rows+r] = dotQ8(wq, wd, a.q[t*c:(t+1)*c], a.qd[t*nb:(t+1)*nb])
			}
		}
	}
}

func dotF32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dotQ8 is ggml_vec_dot_q8_0_q8_0: exact integer sums per block, scaled by
// both blocks' scales.
func dotQ8(wq []int8, wd []float32, xq []int8, xd []float32) float32 {
	var s float32
	for b := range wd {
		w := wq[b*32 : b*32+32]
		x := xq[b*32 : b*32+32]
		var acc int32
		for j := 0; j < 32; j += 4 {
			acc += int32(w[j])*int32(x[j]) + int32(w[j+1])*int32(x[j+1]) +
				int32(w[j+2])*int32(x[j+2]) + int32(w[j+3])*int32(x[j+3])
		}
		s += float32(acc) * (wd[b] * xd[b])
	}
	return s
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func growI8(s []int8, n int) []int8 {
	if cap(s) < n {
		return make([]int8, n)
	}
	return s[:n]
}

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
