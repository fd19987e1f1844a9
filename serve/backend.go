package serve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/parity-eval/parity/chat"
	"github.com/parity-eval/parity/llama"
	"github.com/parity-eval/parity/runner"
)

// Backend is an Engine as a runner.Backend: parity's requests answered in
// process, with the same semantics as runner/openai against `parity serve`
// (lm-eval's token boundary through the model's own tokenizer, BOS only
// with AddBOS, the empty context as BOS, greedy generation cut at the
// until strings), but no HTTP in between.
type Backend struct {
	e *Engine
	// AddBOS tokenizes loglikelihood prompts with special tokens, like
	// lm-eval's add_bos_token=True (the client's --add-bos).
	AddBOS bool
	// Seed seeds sampling when a request has a temperature above 0.
	Seed uint64
}

// NewBackend returns a Backend over e.
func NewBackend(e *Engine) *Backend { return &Backend{e: e, Seed: 1234} }

// ID names the model for cache keys: "gguf:" with the model's name and the
// SHA-256 of its file, so another file never answers from this one's
// cache.
func (b *Backend) ID() string {
	id := "gguf:" + b.e.Name()
	if b.e.Digest() != "" {
		id += "@sha256:" + b.e.Digest()
	}
	if b.AddBOS {
		id += "+bos"
	}
	return id
}

// Engine is the engine the backend runs on.
func (b *Backend) Engine() *Engine { return b.e }

// ErrNoContinuationTokens fails a request whose continuation adds no token
// of its own to the context's.
var ErrNoContinuationTokens = errors.New("the continuation has no tokens of its own")

// isPySpace is Python's str.isspace, which lm-eval's rstrip uses.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// Loglikelihood scores each continuation as lm-eval does: the context's
// trailing whitespace moves to the continuation; the continuation's tokens
// are those of context+continuation past the context's own; the prompt is
// the context's tokens followed by them. A prompt longer than the context
// fails the call with a *llama.ContextError.
func (b *Backend) Loglikelihood(ctx context.Context, reqs []runner.LoglikelihoodRequest) ([]runner.LoglikelihoodResult, error) {
	out := make([]runner.LoglikelihoodResult, len(reqs))
	for i, r := range reqs {
		c := strings.TrimRightFunc(r.Context, isPySpace)
		cont := r.Context[len(c):] + r.Continuation
		var ctxIDs, contIDs []int
		if c == "" {
			// lm-eval's prefix token: what the tokenizer adds to an empty
			// text as special tokens (BOS).
			ctxIDs = b.e.Tokenize("", true)
			if len(ctxIDs) == 0 {
				return nil, fmt.Errorf("request %d: empty context and the tokenizer adds no BOS to start it", i)
			}
			contIDs = b.e.Tokenize(cont, false)
		} else {
			ctxIDs = b.e.Tokenize(c, b.AddBOS)
			whole := b.e.Tokenize(c+cont, b.AddBOS)
			if len(whole) > len(ctxIDs) {
				contIDs = whole[len(ctxIDs):]
			}
		}
		if len(contIDs) == 0 {
			return nil, fmt.Errorf("request %d: %w", i, ErrNoContinuationTokens)
		}
		prompt := append(append([]int(nil), ctxIDs...), contIDs...)
		if len(prompt) > b.e.MaxModelLen() {
			return nil, fmt.Errorf("request %d: %w", i, &llama.ContextError{Tokens: len(prompt), ContextLen: b.e.MaxModelLen()})
		}
		res, err := b.e.Complete(ctx, llama.Request{Prompt: prompt, PromptLogprobs: true, TopN: 1})
		if err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		o := runner.LoglikelihoodResult{IsGreedy: true, ContinuationTokens: len(contIDs), PromptTokens: len(prompt), TokenBoundary: "tokenize"}
		for _, t := range res.Prompt[len(ctxIDs):] {
			o.LogProb += t.Logprob
			if len(t.Top) == 0 || t.Top[0].Token != t.Token {
				o.IsGreedy = false
			}
		}
		out[i] = o
	}
	return out, nil
}

// Generate completes each request's Context (with special tokens, as a
// text prompt to vLLM gets them) or its Messages (through the chat
// template), greedily at temperature 0, stopping at the until strings, an
// end-of-generation token, MaxTokens, or the end of the context.
func (b *Backend) Generate(ctx context.Context, reqs []runner.GenerateRequest) ([]runner.GenerateResult, error) {
	out := make([]runner.GenerateResult, len(reqs))
	for i, r := range reqs {
		var ids []int
		if len(r.Messages) > 0 {
			msgs := make([]chat.Message, len(r.Messages))
			for k, m := range r.Messages {
				msgs[k] = chat.Message{Role: m.Role, Content: m.Content}
			}
			var err error
			if _, ids, err = b.e.ChatPrompt(msgs); err != nil {
				return nil, fmt.Errorf("request %d: %w", i, err)
			}
		} else {
			ids = b.e.Tokenize(r.Context, true)
		}
		// As vLLM does, and so `parity serve`: a prompt and its max_tokens
		// must fit the context together; without max_tokens the rest of the
		// context is the limit.
		maxTokens := r.MaxTokens
		if maxTokens <= 0 {
			maxTokens = b.e.MaxModelLen() - len(ids)
		}
		if n := len(ids) + max(maxTokens, 1); n > b.e.MaxModelLen() || len(ids) == 0 {
			return nil, fmt.Errorf("request %d: a prompt of %d tokens and %d to generate: %w", i, len(ids), maxTokens, &llama.ContextError{Tokens: n, ContextLen: b.e.MaxModelLen()})
		}
		var sampler *llama.Sampler
		if r.Temperature > 0 {
			sampler = llama.NewSampler(r.Temperature, 1, 0, b.Seed)
		}
		res, err := b.e.Complete(ctx, llama.Request{Prompt: ids, MaxTokens: maxTokens, Sampler: sampler, Stop: r.Until})
		if err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		out[i] = runner.GenerateResult{Text: res.Text, FinishReason: res.Finish, PromptTokens: len(ids), CompletionTokens: len(res.Tokens)}
	}
	return out, nil
}
