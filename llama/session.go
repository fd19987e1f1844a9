package llama

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// Session is one sequence being evaluated: its tokens so far and their
// keys and values in every layer. It is not safe for concurrent use.
type Session struct {
	m      *Model
	tokens []int
	k, v   [][]float32 // per layer, positions×kvDim, grown on demand
	cap    int
	buf    buffers

	// memo[i] is the score of tokens[i] (see Complete), kept for the
	// positions of the last prompt with memoTopN alternatives each.
	memo     []scored
	memoTopN int
	lps      []float64
}

// buffers is per-session working space, grown to the largest batch seen.
type buffers struct {
	x, xb, q, kk, vv, att, h, g, u []float32
	act                            activations
	scores                         [][]float32 // per worker
	rope                           []float32
}

// ContextError says a sequence would not fit the model's context.
type ContextError struct {
	Tokens, ContextLen int
}

func (e *ContextError) Error() string {
	return fmt.Sprintf("%d tokens do not fit the model's context of %d", e.Tokens, e.ContextLen)
}

// NewSession starts an empty sequence that can grow to capacity tokens
// (at most the model's context; 0 means the model's context).
func (m *Model) NewSession(capacity int) *Session {
	if capacity <= 0 || capacity > m.Config.ContextLen {
		capacity = m.Config.ContextLen
	}
	s := &Session{m: m, cap: capacity}
	s.k = make([][]float32, m.Config.Layers)
	s.v = make([][]float32, m.Config.Layers)
	return s
}

// reserve grows the KV cache to hold n tokens; it grows as sequences do,
// so a session costs memory for the tokens it holds, not for the context.
func (s *Session) reserve(n int) {
	kvDim := s.m.Config.KVHeads * s.m.Config.HeadDim
	if len(s.k[0]) >= n*kvDim {
		return
	}
	size := min(s.cap, max(n, 2*len(s.k[0])/kvDim, 64)) * kvDim
	for i := range s.k {
		k := make([]float32, size)
		copy(k, s.k[i])
		s.k[i] = k
		v := make([]float32, size)
		copy(v, s.v[i])
		s.v[i] = v
	}
}

// Len is how many tokens the session holds.
func (s *Session) Len() int { return len(s.tokens) }

// Tokens is the session's sequence so far.
func (s *Session) Tokens() []int { return s.tokens }

// Truncate forgets every token from position n on, so a sequence can be
// reused for a prompt that shares its first n tokens.
func (s *Session) Truncate(n int) {
	if n < len(s.tokens) {
		s.tokens = s.tokens[:n]
	}
}

// Eval appends tokens to the sequence, evaluating them as one batch, and
// returns the logits after each of them (len(tokens)×Vocab, row-major)
// when all is set, else after the last one only (Vocab values). The slice
// is reused by the next call.
func (s *Session) Eval(ctx context.Context, tokens []int, all bool) ([]float32, error) {
	c := &s.m.Config
	if len(tokens) == 0 {
		return nil, fmt.Errorf("llama: nothing to evaluate")
	}
	if n := len(s.tokens) + len(tokens); n > s.cap {
		return nil, &ContextError{Tokens: n, ContextLen: s.cap}
	}
	for i, t := range tokens {
		if t < 0 || t >= c.Vocab {
			return nil, fmt.Errorf("llama: token %d (at %d) is not in the vocabulary of %d", t, i, c.Vocab)
		}
	}
	n := len(tokens)
	pos0 := len(s.tokens)
	s.reserve(pos0 + n)
	dim, kvDim := c.Dim, c.KVHeads*c.HeadDim
	b := &s.buf
	b.x = grow(b.x, n*dim)
	b.xb = grow(b.xb, n*dim)
	b.q = grow(b.q, n*dim)
	b.kk = grow(b.kk, n*kvDim)
	b.vv = grow(b.vv, n*kvDim)
	b.att = grow(b.att, n*dim)
	b.h = grow(b.h, n*c.FFN)
	b.g = grow(b.g, n*c.FFN)
	b.u = grow(b.u, n*c.FFN)
	for t, tok := range tokens {
		s.m.embd.row(b.x[t*dim:(t+1)*dim], tok)
	}
	s.ropeTable(pos0, n)
	for li := range s.m.layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l := &s.m.layers[li]
		rmsNorm(b.xb, b.x, l.attnNorm, n, dim, c.NormEps)
		s.matmul(l.wq, b.q, b.xb, n)
		s.matmul(l.wk, b.kk, b.xb, n)
		s.matmul(l.wv, b.vv, b.xb, n)
		s.rope(b.q, n, c.Heads)
		s.rope(b.kk, n, c.KVHeads)
		copy(s.k[li][pos0*kvDim:], b.kk[:n*kvDim])
		copy(s.v[li][pos0*kvDim:], b.vv[:n*kvDim])
		s.attention(li, pos0, n)
		s.matmul(l.wo, b.xb, b.att, n)
		for i := range n * dim {
			b.x[i] += b.xb[i]
		}
		rmsNorm(b.xb, b.x, l.ffnNorm, n, dim, c.NormEps)
		s.matmul(l.gate, b.g, b.xb, n)
		s.matmul(l.up, b.u, b.xb, n)
		for i := range n * c.FFN {
			g := b.g[i]
			// ggml's silu: x/(1+e^-x) in f32.
			b.h[i] = g / (1 + float32(math.Exp(float64(-g)))) * b.u[i]
		}
		s.matmul(l.down, b.xb, b.h, n)
		for i := range n * dim {
			b.x[i] += b.xb[i]
		}
	}
	s.tokens = append(s.tokens, tokens...)
	from := 0
	if !all {
		from = n - 1
	}
	rows := n - from
	rmsNorm(b.xb, b.x[from*dim:], s.m.outNorm, rows, dim, c.NormEps)
	b.g = grow(b.g, max(n*c.FFN, rows*c.Vocab))
	logits := b.g[:rows*c.Vocab]
	s.matmul(s.m.output, logits, b.xb, rows)
	return logits, nil
}

func (s *Session) matmul(w *matrix, out, x []float32, n int) {
	s.buf.act.prepare(w.typ, x[:n*w.cols], n, w.cols)
	w.mul(out[:n*w.rows], &s.buf.act, s.m.workers)
}

// rmsNorm is ggml's: the mean square summed in float64, the scale in f32.
func rmsNorm(dst, x, w []float32, n, dim int, eps float32) {
	for t := range n {
		row := x[t*dim : (t+1)*dim]
		var sum float64
		for _, v := range row {
			sum += float64(v * v)
		}
		mean := float32(sum / float64(dim))
		scale := 1 / float32(math.Sqrt(float64(mean+eps)))
		out := dst[t*dim : (t+1)*dim]
		for i, v := range row {
			out[i] = v * scale * w[i]
		}
	}
}

// ropeTable fills cos/sin for positions pos0…pos0+n-1 the way ggml's rope
// cache does: theta starts at the position and is multiplied by
// base^(-2/dims) in f32 for each pair.
func (s *Session) ropeTable(pos0, n int) {
	c := &s.m.Config
	half := c.RopeDim / 2
	s.buf.rope = grow(s.buf.rope, n*c.RopeDim)
	scale := float32(math.Pow(float64(c.RopeBase), -2.0/float64(c.RopeDim)))
	for t := range n {
		theta := float32(pos0 + t)
		for i := range half {
			s.buf.rope[t*c.RopeDim+2*i] = float32(math.Cos(float64(theta)))
			s.buf.rope[t*c.RopeDim+2*i+1] = float32(math.Sin(float64(theta)))
			theta *= scale
		}
	}
}

// rope rotates adjacent pairs of each head's first RopeDim values (ggml's
// "normal" mode, which Llama GGUF files are converted for).
func (s *Session) rope(x []float32, n, heads int) {
	c := &s.m.Config
	hd := c.HeadDim
	for t := range n {
		cs := s.buf.rope[t*c.RopeDim : (t+1)*c.RopeDim]
		for h := range heads {
			v := x[(t*heads+h)*hd : (t*heads+h)*hd+c.RopeDim]
			for i := 0; i < c.RopeDim; i += 2 {
				cos, sin := cs[i], cs[i+1]
				x0, x1 := v[i], v[i+1]
				v[i] = x0*cos - x1*sin
				v[i+1] = x0*sin + x1*cos
			}
		}
	}
}

// attention computes softmax(q·k/√d)·v over the cached positions for each
// new token and head, causally, into buf.att.
func (s *Session) attention(li, pos0, n int) {
	c := &s.m.Config
	hd, kvDim := c.HeadDim, c.KVHeads*c.HeadDim
	group := c.Heads / c.KVHeads
	scale := 1 / float32(math.Sqrt(float64(hd)))
	kc, vc := s.k[li], s.v[li]
	b := &s.buf
	one := func(ws int, t, h int) {
		pos := pos0 + t
		q := b.q[t*c.Dim+h*hd : t*c.Dim+(h+1)*hd]
		kvh := h / group
		sc := b.scores[ws][:pos+1]
		maxv := float32(math.Inf(-1))
		for j := 0; j <= pos; j++ {
			v := dotF32(q, kc[j*kvDim+kvh*hd:j*kvDim+(kvh+1)*hd]) * scale
			sc[j] = v
			maxv = max(maxv, v)
		}
		var sum float64
		for j := range sc {
			e := float32(math.Exp(float64(sc[j] - maxv)))
			sc[j] = e
			sum += float64(e)
		}
		inv := float32(1 / sum)
		out := b.att[t*c.Dim+h*hd : t*c.Dim+(h+1)*hd]
		clear(out)
		for j, p := range sc {
			p *= inv
			vr := vc[j*kvDim+kvh*hd : j*kvDim+(kvh+1)*hd]
			for i := range out {
				out[i] += p * vr[i]
			}
		}
	}
	workers := s.m.workers
	if (pos0+n)*n*c.Heads*hd < 1<<15 {
		workers = 1
	}
	for len(b.scores) < workers {
		b.scores = append(b.scores, nil)
	}
	for w := range workers {
		b.scores[w] = grow(b.scores[w], pos0+n)
	}
	if workers == 1 {
		for t := range n {
			for h := range c.Heads {
				one(0, t, h)
			}
		}
		return
	}
	var wg sync.WaitGroup
	jobs := n * c.Heads
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < jobs; j += workers {
				one(w, j/c.Heads, j%c.Heads)
			}
		}()
	}
	wg.Wait()
}

// Cap is the longest sequence the session can hold.
func (s *Session) Cap() int { return s.cap }
