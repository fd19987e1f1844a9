// Package llama runs Llama-architecture language models from GGUF files in
// pure Go: RMSNorm, rotary position embeddings, grouped-query attention
// with a KV cache, a SwiGLU feed-forward block, and the tokenizer the file
// describes. It evaluates prompts as a batch, returns the log-probability of
// every prompt token with its top alternatives, and generates greedily or
// by seeded sampling. It follows llama.cpp's CPU arithmetic (f32
// accumulation, activations rounded to f16 or quantized to Q8_0 for such
// weights) so its numbers agree with llama.cpp's for the same file. It is a
// reference engine for small models, not a fast server for large ones.
package llama

import (
	"errors"
	"fmt"

	"github.com/parity-eval/parity/gguf"
	"github.com/parity-eval/parity/llama/tokenizer"
)

// Config holds the hyper-parameters read from the GGUF metadata.
type Config struct {
	Dim        int     // embedding length
	Layers     int     // transformer blocks
	Heads      int     // attention heads
	KVHeads    int     // key/value heads (grouped-query attention)
	HeadDim    int     // Dim / Heads
	FFN        int     // feed-forward hidden size
	Vocab      int     // vocabulary size
	ContextLen int     // the longest sequence the model takes
	NormEps    float32 // RMSNorm epsilon
	RopeBase   float32 // RoPE frequency base
	RopeDim    int     // dimensions rotated per head
}

// Model is a loaded model. It is immutable and safe for concurrent use;
// each sequence being evaluated has its own Session.
type Model struct {
	Config Config
	Tok    *tokenizer.Tokenizer
	// Name is general.name, or empty.
	Name string
	// ChatTemplate is tokenizer.chat_template (Jinja), or empty.
	ChatTemplate string
	// WeightType names the types of the weight matrices, e.g. "F32" or
	// "Q8_0+F32".
	WeightType string

	embd    *matrix
	layers  []layer
	outNorm []float32
	output  *matrix
	workers int
}

type layer struct {
	attnNorm, ffnNorm []float32
	wq, wk, wv, wo    *matrix
	gate, down, up    *matrix
}

// Options tune loading.
type Options struct {
	// ContextLen caps the context (default: the model's llama.context_length).
	ContextLen int
	// Workers is how many goroutines share a matrix product (default
	// GOMAXPROCS).
	Workers int
}

// Load builds a Model from a parsed GGUF file.
func Load(f *gguf.File, opts Options) (*Model, error) {
	arch, err := f.String("general.architecture")
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	if arch != "llama" {
		return nil, fmt.Errorf("llama: architecture %q is not supported (want llama)", arch)
	}
	m := &Model{workers: opts.Workers}
	if m.workers <= 0 {
		m.workers = defaultWorkers()
	}
	m.Name, _ = f.String("general.name")
	m.ChatTemplate, _ = f.String("tokenizer.chat_template")
	if m.Tok, err = tokenizer.FromGGUF(f); err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	c := &m.Config
	geti := func(key string, dst *int, def int) error {
		v, err := f.Int(key)
		switch {
		case errors.Is(err, gguf.ErrMissing) && def >= 0:
			*dst = def
			return nil
		case err != nil:
			return fmt.Errorf("llama: %w", err)
		case v <= 0 || v > 1<<24:
			return fmt.Errorf("llama: %s = %d is out of range", key, v)
		}
		*dst = int(v)
		return nil
	}
	if err := errors.Join(
		geti("llama.embedding_length", &c.Dim, -1),
		geti("llama.block_count", &c.Layers, -1),
		geti("llama.attention.head_count", &c.Heads, -1),
		geti("llama.feed_forward_length", &c.FFN, -1),
		geti("llama.context_length", &c.ContextLen, 2048),
	); err != nil {
		return nil, err
	}
	if err := geti("llama.attention.head_count_kv", &c.KVHeads, c.Heads); err != nil {
		return nil, err
	}
	if c.Dim%c.Heads != 0 || c.Heads%c.KVHeads != 0 {
		return nil, fmt.Errorf("llama: %d heads and %d KV heads do not divide an embedding of %d", c.Heads, c.KVHeads, c.Dim)
	}
	c.HeadDim = c.Dim / c.Heads
	if err := geti("llama.rope.dimension_count", &c.RopeDim, c.HeadDim); err != nil {
		return nil, err
	}
	if c.RopeDim > c.HeadDim || c.RopeDim%2 != 0 {
		return nil, fmt.Errorf("llama: rope dimension %d does not fit a head of %d", c.RopeDim, c.HeadDim)
	}
	c.NormEps, c.RopeBase = 1e-5, 10000
	if v, err := f.Float("llama.attention.layer_norm_rms_epsilon"); err == nil {
		c.NormEps = float32(v)
	}
	if v, err := f.Float("llama.rope.freq_base"); err == nil {
		c.RopeBase = float32(v)
	}
	if _, err := f.Float("llama.rope.scaling.factor"); err == nil {
		if t, _ := f.String("llama.rope.scaling.type"); t != "" && t != "none" {
			return nil, fmt.Errorf("llama: RoPE scaling %q is not supported", t)
		}
	}
	if opts.ContextLen > 0 && opts.ContextLen < c.ContextLen {
		c.ContextLen = opts.ContextLen
	}
	c.Vocab = m.Tok.VocabSize()

	types := map[gguf.TensorType]bool{}
	mat := func(name string, rows, cols int) (*matrix, error) {
		t, ok := f.Tensor(name)
		if !ok {
			return nil, fmt.Errorf("llama: tensor %q missing", name)
		}
		if t.Rows() != rows || t.Cols() != cols {
			return nil, fmt.Errorf("llama: tensor %q is %d×%d, want %d×%d", name, t.Rows(), t.Cols(), rows, cols)
		}
		mt, err := newMatrix(t)
		if err != nil {
			return nil, fmt.Errorf("llama: %w", err)
		}
		types[t.Type] = true
		return mt, nil
	}
	vec := func(name string, n int) ([]float32, error) {
		t, ok := f.Tensor(name)
		if !ok {
			return nil, fmt.Errorf("llama: tensor %q missing", name)
		}
		if t.Elements() != uint64(n) {
			return nil, fmt.Errorf("llama: tensor %q has %d values, want %d", name, t.Elements(), n)
		}
		v, err := t.Dequantize()
		if err != nil {
			return nil, fmt.Errorf("llama: %w", err)
		}
		return v, nil
	}
	kvDim := c.KVHeads * c.HeadDim
	if m.embd, err = mat("token_embd.weight", c.Vocab, c.Dim); err != nil {
		return nil, err
	}
	if m.outNorm, err = vec("output_norm.weight", c.Dim); err != nil {
		return nil, err
	}
	if _, ok := f.Tensor("output.weight"); ok {
		if m.output, err = mat("output.weight", c.Vocab, c.Dim); err != nil {
			return nil, err
		}
	} else {
		m.output = m.embd // tied embeddings
	}
	m.layers = make([]layer, c.Layers)
	for i := range m.layers {
		l := &m.layers[i]
		p := fmt.Sprintf("blk.%d.", i)
		var errs []error
		var e error
		l.attnNorm, e = vec(p+"attn_norm.weight", c.Dim)
		errs = append(errs, e)
		l.ffnNorm, e = vec(p+"ffn_norm.weight", c.Dim)
		errs = append(errs, e)
		for _, w := range []struct {
			dst        **matrix
			name       string
			rows, cols int
		}{
			{&l.wq, "attn_q.weight", c.Dim, c.Dim},
			{&l.wk, "attn_k.weight", kvDim, c.Dim},
			{&l.wv, "attn_v.weight", kvDim, c.Dim},
			{&l.wo, "attn_output.weight", c.Dim, c.Dim},
			{&l.gate, "ffn_gate.weight", c.FFN, c.Dim},
			{&l.down, "ffn_down.weight", c.Dim, c.FFN},
			{&l.up, "ffn_up.weight", c.FFN, c.Dim},
		} {
			*w.dst, e = mat(p+w.name, w.rows, w.cols)
			errs = append(errs, e)
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	for _, t := range []gguf.TensorType{gguf.Q4_0, gguf.Q8_0, gguf.BF16, gguf.F16, gguf.F32} {
		if types[t] {
			if m.WeightType != "" {
				m.WeightType += "+"
			}
			m.WeightType += t.String()
		}
	}
	return m, nil
}

// LoadFile opens and loads a GGUF model file.
func LoadFile(path string, opts Options) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	return Load(f, opts)
}

// Params is the number of weights (embedding and output counted once when
// tied).
func (m *Model) Params() int {
	n := m.embd.rows*m.embd.cols + len(m.outNorm)
	if m.output != m.embd {
		n += m.output.rows * m.output.cols
	}
	for _, l := range m.layers {
		n += len(l.attnNorm) + len(l.ffnNorm)
		for _, w := range []*matrix{l.wq, l.wk, l.wv, l.wo, l.gate, l.down, l.up} {
			n += w.rows * w.cols
		}
	}
	return n
}
