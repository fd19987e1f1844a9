// Package serve serves a GGUF model (through package llama) to parity and
// to anything that speaks the OpenAI API: an HTTP server that answers as
// vLLM does (/v1/completions with echo and prompt logprobs, token-id
// prompts, /v1/chat/completions with streaming, /v1/models, /tokenize,
// /detokenize, OpenAI-style errors), and the same engine as an in-process
// runner.Backend, so parity can score a model file with no server at all.
package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/parity-eval/parity/chat"
	"github.com/parity-eval/parity/gguf"
	"github.com/parity-eval/parity/llama"
)

// Engine runs completions on one model. It keeps a few evaluated sequences
// so that a prompt sharing its start with an earlier one (the choices of a
// multiple-choice question, say) only evaluates what is new, and bounds how
// many completions run at once. It is safe for concurrent use.
type Engine struct {
	model  *llama.Model
	name   string
	digest string
	chat   *chat.Template // nil: the plain fallback format
	sem    chan struct{}

	mu   sync.Mutex
	free []*llama.Session
}

// EngineOptions configure an Engine.
type EngineOptions struct {
	// Name is the model name clients use (default: the file's base name).
	Name string
	// Parallel is how many completions run at once (default GOMAXPROCS).
	Parallel int
	// ContextLen caps the model's context (default: the model's own).
	ContextLen int
}

// Stats describes a loaded engine.
type Stats struct {
	LoadTime time.Duration
	Bytes    int
}

// Open loads a GGUF model file into an Engine.
func Open(path string, o EngineOptions) (*Engine, Stats, error) {
	start := time.Now()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("serve: %w", err)
	}
	if o.Name == "" {
		o.Name = strings.TrimSuffix(filepath.Base(path), ".gguf")
	}
	e, err := FromBytes(b, o)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("serve: %s: %w", path, err)
	}
	return e, Stats{LoadTime: time.Since(start), Bytes: len(b)}, nil
}

// FromBytes loads a GGUF model held in memory (an embedded one, say).
func FromBytes(b []byte, o EngineOptions) (*Engine, error) {
	f, err := gguf.Parse(b)
	if err != nil {
		return nil, err
	}
	m, err := llama.Load(f, llama.Options{ContextLen: o.ContextLen})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	if o.Name == "" {
		o.Name = m.Name
	}
	if o.Name == "" {
		o.Name = "model"
	}
	return NewEngine(m, o.Name, hex.EncodeToString(sum[:]), o.Parallel)
}

// NewEngine wraps a loaded model. digest identifies the weights (the
// file's SHA-256) in cache keys.
func NewEngine(m *llama.Model, name, digest string, parallel int) (*Engine, error) {
	if parallel <= 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	e := &Engine{model: m, name: name, digest: digest, sem: make(chan struct{}, parallel)}
	if m.ChatTemplate != "" {
		t, err := chat.New(m.ChatTemplate)
		if err != nil {
			return nil, fmt.Errorf("chat template: %w", err)
		}
		t.Origin = "tokenizer.chat_template"
		if id := m.Tok.BOS(); id >= 0 {
			t.SpecialTokens["bos_token"] = m.Tok.Piece(id)
		}
		if id := m.Tok.EOS(); id >= 0 {
			t.SpecialTokens["eos_token"] = m.Tok.Piece(id)
		}
		e.chat = t
	}
	return e, nil
}

// Name is the model's name as clients use it.
func (e *Engine) Name() string { return e.name }

// Digest is the SHA-256 of the model file, or "" when unknown.
func (e *Engine) Digest() string { return e.digest }

// Model is the loaded model.
func (e *Engine) Model() *llama.Model { return e.model }

// MaxModelLen is the context length.
func (e *Engine) MaxModelLen() int { return e.model.Config.ContextLen }

// Tokenize encodes text; special-token text in it (e.g. "<s>") becomes
// the special token, as vLLM's and llama.cpp's servers do.
func (e *Engine) Tokenize(text string, addSpecial bool) []int {
	return e.model.Tok.Encode(text, addSpecial, true)
}

// Detokenize decodes ids, leaving out control tokens.
func (e *Engine) Detokenize(ids []int) (string, error) {
	for _, id := range ids {
		if !e.model.Tok.Valid(id) {
			return "", fmt.Errorf("token id %d is not in the vocabulary of %d", id, e.model.Config.Vocab)
		}
	}
	return e.model.Tok.Decode(ids, true), nil
}

// TokenStrings gives each token's text as it extends the decoded text of
// the tokens before it (so that the first text token loses SentencePiece's
// dummy-prefix space, as the decoded text does); a control token shows its
// written form, as vLLM's logprobs do.
func (e *Engine) TokenStrings(ids []int) []string {
	tok := e.model.Tok
	out := make([]string, len(ids))
	atStart := true
	for i, id := range ids {
		if tok.IsSpecial(id) {
			out[i] = tok.Piece(id)
			continue
		}
		out[i] = tok.Text(id, atStart)
		atStart = false
	}
	return out
}

// ChatPrompt renders messages with the model's chat template (or, without
// one, a plain "User: …\nAssistant:" layout) and tokenizes the result.
func (e *Engine) ChatPrompt(msgs []chat.Message) (text string, ids []int, err error) {
	if e.chat == nil {
		var sb strings.Builder
		for _, m := range msgs {
			switch m.Role {
			case "system":
				sb.WriteString(m.Content + "\n\n")
			case "assistant":
				sb.WriteString("Assistant: " + m.Content + "\n")
			default:
				sb.WriteString("User: " + m.Content + "\n")
			}
		}
		sb.WriteString("Assistant:")
		text = sb.String()
		return text, e.Tokenize(text, true), nil
	}
	text, err = e.chat.Render(msgs, chat.RenderOptions{AddGenerationPrompt: true})
	if err != nil {
		return "", nil, err
	}
	// The template writes BOS itself where the model wants it.
	return text, e.Tokenize(text, false), nil
}

// ErrBusy is returned when ctx ends while a completion waits its turn.
var ErrBusy = errors.New("serve: cancelled while waiting for the model")

// Complete runs one completion.
func (e *Engine) Complete(ctx context.Context, req llama.Request) (*llama.Result, error) {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
	}
	defer func() { <-e.sem }()
	s := e.session(req.Prompt)
	res, err := s.Complete(ctx, req)
	e.release(s)
	return res, err
}

// session takes the kept session that shares the longest start with
// prompt, or a new one.
func (e *Engine) session(prompt []int) *llama.Session {
	e.mu.Lock()
	defer e.mu.Unlock()
	best, bestLen := -1, -1
	for i, s := range e.free {
		toks := s.Tokens()
		n := 0
		for n < len(toks) && n < len(prompt) && toks[n] == prompt[n] {
			n++
		}
		if n > bestLen {
			best, bestLen = i, n
		}
	}
	if best < 0 {
		return e.model.NewSession(0)
	}
	s := e.free[best]
	e.free = append(e.free[:best], e.free[best+1:]...)
	return s
}

func (e *Engine) release(s *llama.Session) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.free) < cap(e.sem) {
		e.free = append(e.free, s)
	}
}
