package openai

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parity-eval/parity/runner"
)

// ContextTooLongError says a prompt does not fit the model's context. parity
// never truncates a prompt silently, as lm-eval does.
type ContextTooLongError struct {
	Request     int // index in the batch
	Tokens      int // prompt tokens
	MaxModelLen int
}

func (e *ContextTooLongError) Error() string {
	return fmt.Sprintf("request %d: a prompt of %d tokens and the token generated with it do not fit the model's context of %d",
		e.Request, e.Tokens, e.MaxModelLen)
}

// llPlan is what scoring one prompt of a batch needs to know.
type llPlan struct {
	// Tokenize mode: the prompt has promptTokens tokens and the
	// continuation is positions [from, promptTokens).
	promptTokens, from int
	// Text-offset mode: the continuation is the last contRunes code points
	// of the prompt.
	contRunes int
}

// isPySpace is Python's str.isspace, which lm-eval's rstrip uses.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// splitPair moves the context's trailing whitespace to the front of the
// continuation, as lm-eval's _encode_pair does, so that " A" after
// "Answer: " is scored as "  A" after "Answer:".
func splitPair(context, continuation string) (string, string) {
	trimmed := strings.TrimRightFunc(context, isPySpace)
	if len(trimmed) == len(context) {
		return context, continuation
	}
	return trimmed, context[len(trimmed):] + continuation
}

// Loglikelihood scores each request's continuation after its context with
// one /v1/completions call (echo, logprobs 1, max_tokens 1, temperature 0),
// as lm-eval's local-completions model does; the generated token is ignored.
//
// In tokenize mode the prompts go as token ids, with special tokens only if
// AddSpecialTokens is set, and an empty context becomes the tokens that
// /tokenize adds to an empty text as special tokens (BOS), like lm-eval's
// prefix token; where the tokenizer adds none, such a request fails, since
// the first token of a prompt cannot be scored. In text-offset mode the
// prompts go as text, so the server adds special tokens as it does by
// default (vLLM adds BOS for Llama models), and BOS is the empty context's
// context.
//
// Results are in request order whatever order the server's choices come in.
// A prompt that would not fit the model's context, when /tokenize has told
// it, fails the call with *ContextTooLongError before anything is sent.
func (c *Client) Loglikelihood(ctx context.Context, reqs []runner.LoglikelihoodRequest) ([]runner.LoglikelihoodResult, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	boundary, tokURL, err := c.boundary(ctx)
	if err != nil {
		return nil, fmt.Errorf("loglikelihood: %w", err)
	}
	plans := make([]llPlan, len(reqs))
	bp := c.getReqBuf()
	defer c.putReqBuf(bp)
	body := append((*bp)[:0], `{"model":`...)
	body = appendString(body, c.cfg.Model)
	body = append(body, `,"prompt":[`...)
	if boundary == BoundaryTokenize {
		body, err = c.tokenPrompts(ctx, body, tokURL, reqs, plans)
		if err != nil {
			return nil, fmt.Errorf("loglikelihood: %w", err)
		}
	} else {
		for i, r := range reqs {
			ctxText, cont := splitPair(r.Context, r.Continuation)
			if i > 0 {
				body = append(body, ',')
			}
			body = appendString(body, ctxText+cont)
			plans[i].contRunes = utf8.RuneCountInString(cont)
		}
	}
	body = append(body, `],"max_tokens":1,"temperature":0,"logprobs":1,"echo":true}`...)
	*bp = body

	out := make([]runner.LoglikelihoodResult, len(reqs))
	err = c.post(ctx, c.base+"/completions", body, func(b []byte) error {
		return c.scoreResponse(b, boundary, reqs, plans, out)
	})
	if err != nil {
		return nil, fmt.Errorf("loglikelihood: %w", err)
	}
	return out, nil
}

// tokenPrompts tokenizes the batch and appends its prompts as token-id lists.
func (c *Client) tokenPrompts(ctx context.Context, body []byte, tokURL string, reqs []runner.LoglikelihoodRequest, plans []llPlan) ([]byte, error) {
	special := c.cfg.AddSpecialTokens
	keys := make([]memoKey, 0, 2*len(reqs))
	for _, r := range reqs {
		ctxText, cont := splitPair(r.Context, r.Continuation)
		if ctxText == "" {
			keys = append(keys, memoKey{"", true}, memoKey{cont, false})
		} else {
			keys = append(keys, memoKey{ctxText, special}, memoKey{ctxText + cont, special})
		}
	}
	toks, err := c.tokenizeAll(ctx, tokURL, keys)
	if err != nil {
		return nil, err
	}
	maxLen := int(c.maxModelLen.Load())
	for i := range reqs {
		ctxIDs, second := toks[2*i], toks[2*i+1]
		if i > 0 {
			body = append(body, ',')
		}
		var n int
		if keys[2*i].text == "" {
			if len(ctxIDs) == 0 {
				return nil, fmt.Errorf("request %d has an empty context and the tokenizer adds no BOS token, so its first token cannot be scored", i)
			}
			whole := make([]int32, 0, len(ctxIDs)+len(second))
			body = appendTokens(body, append(append(whole, ctxIDs...), second...))
			n = len(ctxIDs) + len(second)
			plans[i] = llPlan{promptTokens: n, from: len(ctxIDs)}
		} else {
			// The context's tokens need not be a prefix of the whole's (a
			// word can merge across the seam); lm-eval still takes the
			// whole's tokens past the context's count.
			body = appendTokens(body, second)
			n = len(second)
			plans[i] = llPlan{promptTokens: n, from: min(len(ctxIDs), n)}
		}
		if maxLen > 0 && n+1 > maxLen {
			return nil, &ContextTooLongError{Request: i, Tokens: n, MaxModelLen: maxLen}
		}
	}
	return body, nil
}

// scoreResponse decodes an echo response into out. Any problem with it is a
// *badResponse, so the request is sent again.
func (c *Client) scoreResponse(b []byte, boundary string, reqs []runner.LoglikelihoodRequest, plans []llPlan, out []runner.LoglikelihoodResult) error {
	d := c.decoders.Get().(*completionDecoder)
	defer c.decoders.Put(d)
	textMode := boundary == BoundaryTextOffset
	if err := d.decode(b, textMode); err != nil {
		return &badResponse{err}
	}
	if len(d.choices) != len(plans) {
		return &badResponse{fmt.Errorf("%d choices for %d prompts", len(d.choices), len(plans))}
	}
	// In text-offset mode the prompt's length in tokens is unknown; the
	// entries past it are the generated token (max_tokens is 1, and
	// usage.completion_tokens says whether one was made).
	generated := 1
	if textMode && d.usage.present {
		if d.usage.completion == 0 {
			generated = 0
		}
		total := 0
		for k := range d.choices {
			total += int(d.choices[k].lp.n) - generated
		}
		if total != d.usage.prompt {
			return &badResponse{fmt.Errorf("%w: %d entries of token_logprobs for %d prompt tokens (usage.prompt_tokens)",
				errWrongLength, total+generated*len(d.choices), d.usage.prompt)}
		}
	}
	seen := make([]bool, len(plans))
	for k := range d.choices {
		ch := &d.choices[k]
		i := k
		if ch.hasIndex {
			i = ch.index
		}
		if i < 0 || i >= len(plans) || seen[i] {
			return &badResponse{fmt.Errorf("choices[%d] has index %d, out of range or repeated", k, i)}
		}
		seen[i] = true
		var err error
		if textMode {
			out[i], err = d.scoreTextOffset(ch, plans[i], generated)
		} else {
			out[i], err = d.scoreTokens(ch, plans[i])
		}
		if err != nil {
			return &badResponse{fmt.Errorf("prompt %d of %d (continuation %s): %w", i, len(plans), quoteShort(reqs[i].Continuation), err)}
		}
	}
	return nil
}

// errWrongLength marks an echo response whose prompt logprobs do not match
// the prompt.
var errWrongLength = errors.New("prompt logprobs have the wrong length")

func (d *completionDecoder) scoreTokens(ch *llChoice, p llPlan) (runner.LoglikelihoodResult, error) {
	n := int(ch.lp.n)
	if !ch.lp.present || (n != p.promptTokens && n != p.promptTokens+1) {
		return runner.LoglikelihoodResult{}, fmt.Errorf("%w: %d entries of token_logprobs for a %d-token prompt", errWrongLength, n, p.promptTokens)
	}
	if ch.top.present && int(ch.top.n) != n {
		return runner.LoglikelihoodResult{}, fmt.Errorf("%w: %d top_logprobs for %d token_logprobs", errWrongLength, ch.top.n, n)
	}
	sum, greedy, err := d.score(ch, p.from, p.promptTokens)
	if err != nil {
		return runner.LoglikelihoodResult{}, err
	}
	return runner.LoglikelihoodResult{
		LogProb:            sum,
		IsGreedy:           greedy,
		ContinuationTokens: p.promptTokens - p.from,
		PromptTokens:       p.promptTokens,
		TokenBoundary:      BoundaryTokenize,
	}, nil
}

// scoreTextOffset takes as continuation the prompt tokens that start within
// its last contRunes code points. vLLM's text_offset counts code points of
// the decoded tokens, which can exceed the prompt text (a BOS token decodes
// to "<s>" or "<|begin_of_text|>"), so the boundary is measured back from
// the end of the decoded prompt rather than forward from its start.
func (d *completionDecoder) scoreTextOffset(ch *llChoice, p llPlan, generated int) (runner.LoglikelihoodResult, error) {
	n := int(ch.lp.n)
	prompt := n - generated
	if !ch.lp.present || prompt < 1 {
		return runner.LoglikelihoodResult{}, fmt.Errorf("%w: %d entries of token_logprobs", errWrongLength, n)
	}
	if !ch.offs.present || !ch.toks.present || int(ch.offs.n) != n || int(ch.toks.n) != n || (ch.top.present && int(ch.top.n) != n) {
		return runner.LoglikelihoodResult{}, fmt.Errorf("%w: logprobs arrays differ in length or text_offset/tokens are missing", errWrongLength)
	}
	last, err := d.offsetAt(ch, prompt-1)
	if err != nil {
		return runner.LoglikelihoodResult{}, err
	}
	lastLen, err := d.tokenRunesAt(ch, prompt-1)
	if err != nil {
		return runner.LoglikelihoodResult{}, err
	}
	threshold := last + lastLen - p.contRunes
	from := prompt
	if p.contRunes > 0 {
		for from > 0 {
			off, err := d.offsetAt(ch, from-1)
			if err != nil {
				return runner.LoglikelihoodResult{}, err
			}
			if off < threshold {
				break
			}
			from--
		}
	}
	sum, greedy, err := d.score(ch, from, prompt)
	if err != nil {
		return runner.LoglikelihoodResult{}, err
	}
	return runner.LoglikelihoodResult{
		LogProb:            sum,
		IsGreedy:           greedy,
		ContinuationTokens: prompt - from,
		PromptTokens:       prompt,
		TokenBoundary:      BoundaryTextOffset,
	}, nil
}
