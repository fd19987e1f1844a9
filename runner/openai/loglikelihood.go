package openai

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	// AtLeast says Tokens is a lower bound: a prompt sent as text is
	// tokenized by the server, so only its context's length was known.
	AtLeast bool
}

func (e *ContextTooLongError) Error() string {
	atLeast := ""
	if e.AtLeast {
		atLeast = "at least "
	}
	return fmt.Sprintf("request %d: a prompt of %s%d tokens and the token generated with it do not fit the model's context of %d",
		e.Request, atLeast, e.Tokens, e.MaxModelLen)
}

// ErrNoContinuationTokens fails a loglikelihood call in which a request's
// continuation has no tokens of its own: context+continuation tokenizes to
// no more tokens than the context alone (an empty continuation, or one that
// merges into the context's last token). lm-eval would score such a request
// as 0 and greedy without a word.
var ErrNoContinuationTokens = errors.New("the continuation has no tokens of its own")

// errTokensNotIDs is a response to return_tokens_as_token_ids whose tokens
// are text: the server ignores the field, so text prompts cannot be checked.
var errTokensNotIDs = errors.New(`echoed tokens are not "token_id:<id>" strings`)

// llMode is how a batch's prompts were sent, which decides how its response
// is scored.
type llMode uint8

const (
	// modeIDs: token-id prompts whose lengths and continuation are known.
	modeIDs llMode = iota
	// modeText: context+continuation as text, with the context's tokens from
	// /tokenize; the server's tokens come back as ids to be checked.
	modeText
	// modeTextOffset: text, continuation found by text_offset.
	modeTextOffset
)

// llPlan is what scoring one prompt of a batch needs to know.
type llPlan struct {
	// modeIDs: the prompt has promptTokens tokens and the continuation is
	// positions [from, promptTokens).
	promptTokens, from int
	// modeText: the context's tokens, which must be the first tokens of
	// the server's tokenization of the whole prompt, and be followed by at
	// least one; when they are not, scoring sets resend.
	ctxIDs []int32
	resend bool
	// modeTextOffset: the continuation is the last contRunes code points of
	// the prompt.
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
// In tokenize mode the prompt is lm-eval's: the context's tokens, then the
// tokens of context+continuation past the context's count (which differs
// from the tokens of context+continuation where a token spans the seam),
// with special tokens only if AddSpecialTokens is set. By default only the
// context goes to /tokenize: context+continuation goes as text with
// add_special_tokens and return_tokens_as_token_ids, and the echoed token
// ids show whether the server's tokens begin with the context's, in which
// case they are lm-eval's prompt; the few prompts whose tokens do not (a
// token spans the seam) are sent again as lm-eval's token ids in a second
// request, after tokenizing their context+continuation. ExactIDs, a batch
// with an empty context, or a server that failed Check's probe send token
// ids from the start. An empty context
// becomes the tokens that /tokenize adds to an empty text as special tokens
// (BOS), like lm-eval's prefix token; where the tokenizer adds none, such a
// request fails, since the first token of a prompt cannot be scored.
//
// In text-offset mode the prompts go as text, so the server adds special
// tokens as it does by default (vLLM adds BOS for Llama models), and BOS is
// the empty context's context.
//
// Results are in request order whatever order the server's choices come in.
// A prompt that would not fit the model's context, when /tokenize has told
// it, fails the call with *ContextTooLongError before anything is sent; a
// request whose continuation has no tokens fails it with
// ErrNoContinuationTokens.
func (c *Client) Loglikelihood(ctx context.Context, reqs []runner.LoglikelihoodRequest) ([]runner.LoglikelihoodResult, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	boundary, tokURL, err := c.boundary(ctx)
	if err != nil {
		return nil, fmt.Errorf("loglikelihood: %w", err)
	}
	out := make([]runner.LoglikelihoodResult, len(reqs))
	switch {
	case boundary == BoundaryTextOffset:
		err = c.llTextOffset(ctx, reqs, out)
	case c.cfg.ExactIDs || c.forceIDs.Load() || hasEmptyContext(reqs):
		err = c.llIDs(ctx, tokURL, reqs, nil, out)
	default:
		err = c.llText(ctx, tokURL, reqs, out)
		if errors.Is(err, errTokensNotIDs) {
			c.useIDs(fmt.Sprintf("%s ignores return_tokens_as_token_ids", c.shown))
			err = c.llIDs(ctx, tokURL, reqs, nil, out)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("loglikelihood: %w", err)
	}
	return out, nil
}

// useIDs switches the client to token-id prompts for good, and says why.
func (c *Client) useIDs(why string) {
	if !c.forceIDs.Swap(true) && c.cfg.Logf != nil {
		c.cfg.Logf("openai: %s; sending loglikelihood prompts as token ids, one more /tokenize call per request", why)
	}
}

// hasEmptyContext reports whether a request's context is empty once its
// trailing space has moved: such a prompt needs special tokens added to it
// alone, and add_special_tokens holds for a whole request.
func hasEmptyContext(reqs []runner.LoglikelihoodRequest) bool {
	for _, r := range reqs {
		if strings.TrimRightFunc(r.Context, isPySpace) == "" {
			return true
		}
	}
	return false
}

// llTextOffset sends the prompts as text and finds continuations by
// text_offset.
func (c *Client) llTextOffset(ctx context.Context, reqs []runner.LoglikelihoodRequest, out []runner.LoglikelihoodResult) error {
	plans := make([]llPlan, len(reqs))
	bp := c.getReqBuf()
	defer c.putReqBuf(bp)
	body := c.appendEchoHead((*bp)[:0])
	for i, r := range reqs {
		ctxText, cont := splitPair(r.Context, r.Continuation)
		if i > 0 {
			body = append(body, ',')
		}
		body = appendString2(body, ctxText, cont)
		plans[i].contRunes = utf8.RuneCountInString(cont)
	}
	body = append(body, echoTail...)
	*bp = body
	return c.post(ctx, c.base+"/completions", body, func(b []byte) error {
		return c.scoreResponse(b, modeTextOffset, reqs, plans, out)
	})
}

// appendEchoHead starts a /v1/completions body up to its prompt list.
func (c *Client) appendEchoHead(body []byte) []byte {
	body = append(body, `{"model":`...)
	body = appendString(body, c.cfg.Model)
	return append(body, `,"prompt":[`...)
}

// echoTail ends an echo request's body after its prompt list.
const echoTail = `],"max_tokens":1,"temperature":0,"logprobs":1,"echo":true}`

// llText tokenizes the contexts only and sends context+continuation as text
// (see Loglikelihood); prompts whose server tokens do not begin with their
// context's go again as token ids.
func (c *Client) llText(ctx context.Context, tokURL string, reqs []runner.LoglikelihoodRequest, out []runner.LoglikelihoodResult) error {
	special := c.cfg.AddSpecialTokens
	keys := make([]memoKey, len(reqs))
	conts := make([]string, len(reqs))
	for i, r := range reqs {
		ctxText, cont := splitPair(r.Context, r.Continuation)
		keys[i], conts[i] = memoKey{ctxText, special}, cont
	}
	toks, err := c.tokenizeAll(ctx, tokURL, keys)
	if err != nil {
		return err
	}
	maxLen := int(c.maxModelLen.Load())
	plans := make([]llPlan, len(reqs))
	bp := c.getReqBuf()
	defer c.putReqBuf(bp)
	body := c.appendEchoHead((*bp)[:0])
	for i := range reqs {
		n := len(toks[i])
		// The whole prompt has at least one token past the context's, and
		// one token is generated after it.
		if maxLen > 0 && n+2 > maxLen {
			return &ContextTooLongError{Request: i, Tokens: n + 1, MaxModelLen: maxLen, AtLeast: true}
		}
		plans[i] = llPlan{from: n, ctxIDs: toks[i]}
		if i > 0 {
			body = append(body, ',')
		}
		body = appendString2(body, keys[i].text, conts[i])
	}
	body = append(body, `],"add_special_tokens":`...)
	body = strconv.AppendBool(body, special)
	body = append(body, `,"return_tokens_as_token_ids":true`...)
	body = append(body, echoTail[1:]...)
	*bp = body
	err = c.post(ctx, c.base+"/completions", body, func(b []byte) error {
		return c.scoreResponse(b, modeText, reqs, plans, out)
	})
	if err != nil {
		return err
	}
	return c.resend(ctx, tokURL, reqs, plans, out)
}

// resend scores again, as lm-eval's token-id prompts, the prompts of a
// text batch whose server tokens did not begin with their context's tokens.
// Their whole texts go to /tokenize rather than trusting the server's tokens
// for them, which may differ from /tokenize's for any reason.
func (c *Client) resend(ctx context.Context, tokURL string, reqs []runner.LoglikelihoodRequest, plans []llPlan, out []runner.LoglikelihoodResult) error {
	var idx []int
	for i := range plans {
		if plans[i].resend {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	subReqs := make([]runner.LoglikelihoodRequest, len(idx))
	for k, i := range idx {
		subReqs[k] = reqs[i]
	}
	subOut := make([]runner.LoglikelihoodResult, len(idx))
	if err := c.llIDs(ctx, tokURL, subReqs, idx, subOut); err != nil {
		return fmt.Errorf("sending %d prompts again as token ids: %w", len(idx), err)
	}
	for k, i := range idx {
		out[i] = subOut[k]
	}
	return nil
}

// llIDs tokenizes each context and each context+continuation and sends
// lm-eval's token-id prompts. reqs[i] is request number[i] of the caller's
// batch, or i when number is nil.
func (c *Client) llIDs(ctx context.Context, tokURL string, reqs []runner.LoglikelihoodRequest, number []int, out []runner.LoglikelihoodResult) error {
	num := func(i int) int {
		if number == nil {
			return i
		}
		return number[i]
	}
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
		return err
	}
	maxLen := int(c.maxModelLen.Load())
	plans := make([]llPlan, len(reqs))
	bp := c.getReqBuf()
	defer c.putReqBuf(bp)
	body := c.appendEchoHead((*bp)[:0])
	for i := range reqs {
		ctxIDs, second := toks[2*i], toks[2*i+1]
		var tail []int32
		if keys[2*i].text == "" {
			if len(ctxIDs) == 0 {
				return fmt.Errorf("request %d has an empty context and the tokenizer adds no BOS token, so its first token cannot be scored", num(i))
			}
			tail = second
		} else if len(second) > len(ctxIDs) {
			// lm-eval's continuation is the whole's tokens past the
			// context's count, sent after the context's own tokens.
			tail = second[len(ctxIDs):]
		}
		if len(tail) == 0 {
			return fmt.Errorf("request %d (continuation %s): %w: context+continuation has %d tokens, the context %d",
				num(i), quoteShort(reqs[i].Continuation), ErrNoContinuationTokens, len(second), len(ctxIDs))
		}
		n := len(ctxIDs) + len(tail)
		if maxLen > 0 && n+1 > maxLen {
			return &ContextTooLongError{Request: num(i), Tokens: n, MaxModelLen: maxLen}
		}
		plans[i] = llPlan{promptTokens: n, from: len(ctxIDs)}
		if i > 0 {
			body = append(body, ',')
		}
		body = appendTokens2(body, ctxIDs, tail)
	}
	body = append(body, echoTail...)
	*bp = body
	return c.post(ctx, c.base+"/completions", body, func(b []byte) error {
		return c.scoreResponse(b, modeIDs, reqs, plans, out)
	})
}

// scoreResponse decodes an echo response into out. A problem with the
// response is a *badResponse, so the request is sent again; a request that
// cannot be scored (ErrNoContinuationTokens) and a server that ignores
// return_tokens_as_token_ids (errTokensNotIDs) are final.
func (c *Client) scoreResponse(b []byte, mode llMode, reqs []runner.LoglikelihoodRequest, plans []llPlan, out []runner.LoglikelihoodResult) error {
	d := c.decoders.Get().(*completionDecoder)
	defer c.decoders.Put(d)
	if err := d.decode(b, mode); err != nil {
		return &badResponse{err}
	}
	if len(d.choices) != len(plans) {
		return &badResponse{fmt.Errorf("%d choices for %d prompts", len(d.choices), len(plans))}
	}
	// With text prompts the prompt's length in tokens is unknown; the
	// entries past it are the generated token (max_tokens is 1, and
	// usage.completion_tokens says whether one was made).
	generated := 1
	if mode != modeIDs && d.usage.present {
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
		switch mode {
		case modeTextOffset:
			out[i], err = d.scoreTextOffset(ch, plans[i], generated)
		case modeText:
			out[i], err = d.scoreText(ch, &plans[i], generated)
		default:
			out[i], err = d.scoreTokens(ch, plans[i])
		}
		if err != nil {
			err = fmt.Errorf("prompt %d of %d (continuation %s): %w", i, len(plans), quoteShort(reqs[i].Continuation), err)
			if errors.Is(err, ErrNoContinuationTokens) || errors.Is(err, errTokensNotIDs) {
				return err
			}
			return &badResponse{err}
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

// scoreText scores a text prompt (modeText) when the server's tokens begin
// with the context's tokens and go on past them, as lm-eval's prompt does;
// otherwise it marks p to be sent again as token ids.
func (d *completionDecoder) scoreText(ch *llChoice, p *llPlan, generated int) (runner.LoglikelihoodResult, error) {
	p.resend = false
	n := int(ch.lp.n)
	prompt := n - generated
	if !ch.lp.present || prompt < 1 {
		return runner.LoglikelihoodResult{}, fmt.Errorf("%w: %d entries of token_logprobs", errWrongLength, n)
	}
	if !ch.toks.present || int(ch.toks.n) != n || (ch.top.present && int(ch.top.n) != n) {
		return runner.LoglikelihoodResult{}, fmt.Errorf("%w: logprobs arrays differ in length or tokens are missing", errWrongLength)
	}
	from := len(p.ctxIDs)
	if prompt <= from {
		p.resend = true
		return runner.LoglikelihoodResult{}, nil
	}
	for k, want := range p.ctxIDs {
		id, err := d.tokenIDAt(ch, k)
		if err != nil {
			return runner.LoglikelihoodResult{}, err
		}
		if id != want {
			p.resend = true
			return runner.LoglikelihoodResult{}, nil
		}
	}
	// Even with the context's tokens in place, a server that ignores
	// return_tokens_as_token_ids must not go unnoticed.
	if _, err := d.tokenIDAt(ch, from); err != nil {
		return runner.LoglikelihoodResult{}, err
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
