package llama

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"unicode/utf8"
)

// Alt is a token and its log-probability.
type Alt struct {
	Token   int
	Logprob float64
}

// TokenLogprob is what the model said about one token of a sequence: the
// token's own log-probability given what came before it, and the TopN most
// likely tokens at that position, best first.
type TokenLogprob struct {
	Token   int
	Logprob float64 // NaN for the first token of a sequence
	Top     []Alt
}

// Request is one completion: evaluate Prompt, then generate up to
// MaxTokens tokens.
type Request struct {
	Prompt []int
	// MaxTokens is how many tokens to generate (0: score the prompt only).
	MaxTokens int
	// PromptLogprobs asks for the log-probability of every prompt token.
	PromptLogprobs bool
	// TopN is how many alternatives to report at each scored position.
	TopN int
	// Sampler picks each generated token; nil is greedy.
	Sampler *Sampler
	// Stop ends generation at the first of these strings in the generated
	// text, which is cut before it.
	Stop []string
	// IgnoreEOS generates past end-of-generation tokens.
	IgnoreEOS bool
	// OnText, if set, receives the generated text as it becomes final
	// (never a part of a stop string, never half a character). An error
	// stops generation and is returned.
	OnText func(delta string) error
}

// Result is a completion.
type Result struct {
	// Prompt holds one entry per prompt token when PromptLogprobs was set.
	Prompt []TokenLogprob
	// Tokens are the generated tokens, including the one that completed a
	// stop string or an end-of-generation token.
	Tokens []TokenLogprob
	// Text is the generated text, cut before a stop string; end-of-
	// generation tokens have no text.
	Text string
	// Finish is "stop" (a stop string or end-of-generation token) or
	// "length" (MaxTokens reached).
	Finish string
	// StopString is the stop string that ended generation, if one did.
	StopString string
}

// Sampler draws tokens from a temperature-scaled distribution restricted
// to the TopK most likely tokens and to the smallest set of them whose
// probabilities reach TopP. A Sampler with temperature 0 is greedy. It is
// seeded, so the same seed gives the same tokens.
type Sampler struct {
	Temperature float64
	TopP        float64 // 0 or 1: no nucleus cut
	TopK        int     // 0: no cut
	rng         *rand.Rand
}

// NewSampler returns a Sampler seeded with seed.
func NewSampler(temperature, topP float64, topK int, seed uint64) *Sampler {
	return &Sampler{Temperature: temperature, TopP: topP, TopK: topK,
		rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// Sample picks a token from logits.
func (s *Sampler) Sample(logits []float32) int {
	if s == nil || s.Temperature <= 0 || s.TopK == 1 {
		return Argmax(logits)
	}
	type cand struct {
		id int
		p  float64
	}
	cands := make([]cand, len(logits))
	maxv := math.Inf(-1)
	for i, l := range logits {
		v := float64(l) / s.Temperature
		cands[i] = cand{i, v}
		maxv = math.Max(maxv, v)
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].p > cands[b].p })
	if s.TopK > 0 && s.TopK < len(cands) {
		cands = cands[:s.TopK]
	}
	var sum float64
	for i := range cands {
		cands[i].p = math.Exp(cands[i].p - maxv)
		sum += cands[i].p
	}
	if s.TopP > 0 && s.TopP < 1 {
		var acc float64
		for i := range cands {
			acc += cands[i].p / sum
			if acc >= s.TopP {
				cands = cands[:i+1]
				break
			}
		}
		sum = 0
		for _, c := range cands {
			sum += c.p
		}
	}
	r := s.rng.Float64() * sum
	for _, c := range cands {
		r -= c.p
		if r < 0 {
			return c.id
		}
	}
	return cands[len(cands)-1].id
}

// Argmax is the index of the largest logit (the first, on ties).
func Argmax(logits []float32) int {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return best
}

// LogSoftmax turns logits into log-probabilities, in float64.
func LogSoftmax(dst []float64, logits []float32) []float64 {
	if cap(dst) < len(logits) {
		dst = make([]float64, len(logits))
	}
	dst = dst[:len(logits)]
	maxv := math.Inf(-1)
	for _, l := range logits {
		maxv = math.Max(maxv, float64(l))
	}
	var sum float64
	for _, l := range logits {
		sum += math.Exp(float64(l) - maxv)
	}
	lse := maxv + math.Log(sum)
	for i, l := range logits {
		dst[i] = float64(l) - lse
	}
	return dst
}

// TopN returns the n most likely tokens, best first (lower id first on
// ties).
func TopN(logprobs []float64, n int) []Alt {
	if n <= 0 {
		return nil
	}
	n = min(n, len(logprobs))
	out := make([]Alt, 0, n+1)
	for id, lp := range logprobs {
		if len(out) == n && lp <= out[n-1].Logprob {
			continue
		}
		k := len(out)
		for k > 0 && lp > out[k-1].Logprob {
			k--
		}
		out = append(out, Alt{})
		copy(out[k+1:], out[k:])
		out[k] = Alt{id, lp}
		if len(out) > n {
			out = out[:n]
		}
	}
	return out
}

// scored is what a session remembers about each position so that a later
// prompt sharing its first tokens need not evaluate them again.
type scored struct {
	lp  float64
	top []Alt
}

// Complete runs a Request on s, reusing what s already holds of the
// prompt's first tokens.
func (s *Session) Complete(ctx context.Context, req Request) (*Result, error) {
	m := s.m
	if len(req.Prompt) == 0 {
		return nil, errors.New("llama: empty prompt")
	}
	if req.MaxTokens < 0 {
		return nil, fmt.Errorf("llama: max tokens %d < 0", req.MaxTokens)
	}
	if n := len(req.Prompt) + req.MaxTokens; n > s.cap {
		return nil, &ContextError{Tokens: n, ContextLen: s.cap}
	}
	for i, t := range req.Prompt {
		if !m.Tok.Valid(t) {
			return nil, fmt.Errorf("llama: prompt token %d (at %d) is not in the vocabulary of %d", t, i, m.Config.Vocab)
		}
	}
	// Reuse the common prefix, but evaluate at least the last prompt token
	// again: its logits, which the first generated token (or the next
	// prompt token's score) needs, are not kept.
	common := 0
	for common < len(s.tokens) && common < len(req.Prompt) && s.tokens[common] == req.Prompt[common] {
		common++
	}
	if req.PromptLogprobs {
		// Only positions whose scores are remembered, with enough
		// alternatives, can be skipped.
		common = min(common, len(s.memo))
		if req.TopN > s.memoTopN {
			common = 0
		}
	}
	start := max(0, common-1)
	s.Truncate(start)
	s.memo = s.memo[:min(len(s.memo), start+1)]
	if s.memoTopN < req.TopN || start == 0 {
		s.memoTopN = req.TopN
	}

	res := &Result{Finish: "length"}
	logits, err := s.Eval(ctx, req.Prompt[start:], req.PromptLogprobs)
	if err != nil {
		return nil, err
	}
	V := m.Config.Vocab
	if req.PromptLogprobs {
		// Row k of logits predicts prompt token start+k+1.
		for len(s.memo) < len(req.Prompt) {
			s.memo = append(s.memo, scored{})
		}
		s.memo[0] = scored{lp: math.NaN()}
		for k := 0; start+k+1 < len(req.Prompt); k++ {
			s.lps = LogSoftmax(s.lps, logits[k*V:(k+1)*V])
			next := req.Prompt[start+k+1]
			s.memo[start+k+1] = scored{lp: s.lps[next], top: TopN(s.lps, s.memoTopN)}
		}
		res.Prompt = make([]TokenLogprob, len(req.Prompt))
		for i, t := range req.Prompt {
			res.Prompt[i] = TokenLogprob{Token: t, Logprob: s.memo[i].lp, Top: trimTop(s.memo[i].top, req.TopN)}
		}
		logits = logits[(len(req.Prompt)-1-start)*V:]
	} else {
		s.memo = s.memo[:0]
	}
	if req.MaxTokens == 0 {
		return res, nil
	}

	var text []byte
	sent := 0
	for g := 0; g < req.MaxTokens; g++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tok := req.Sampler.Sample(logits[:V])
		s.lps = LogSoftmax(s.lps, logits[:V])
		res.Tokens = append(res.Tokens, TokenLogprob{Token: tok, Logprob: s.lps[tok], Top: TopN(s.lps, req.TopN)})
		if m.Tok.IsEOG(tok) && !req.IgnoreEOS {
			res.Finish = "stop"
			break
		}
		if !m.Tok.IsSpecial(tok) {
			text = m.Tok.AppendPiece(text, tok)
		}
		full := string(text)
		if cut, stop, ok := findStop(full, req.Stop, sent); ok {
			res.Text, res.Finish, res.StopString = full[:cut], "stop", stop
			break
		}
		res.Text = full
		if req.OnText != nil {
			if safe := safeLen(full, req.Stop); safe > sent {
				if err := req.OnText(full[sent:safe]); err != nil {
					return nil, err
				}
				sent = safe
			}
		}
		if g+1 == req.MaxTokens {
			break
		}
		if logits, err = s.Eval(ctx, []int{tok}, false); err != nil {
			return nil, err
		}
	}
	s.memo = s.memo[:min(len(s.memo), len(req.Prompt))]
	if req.OnText != nil && len(res.Text) > sent {
		if err := req.OnText(res.Text[sent:]); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func trimTop(top []Alt, n int) []Alt {
	if n <= 0 {
		return nil
	}
	return top[:min(n, len(top))]
}

// findStop looks for the earliest stop string in text that ends after
// byte from (earlier text was already searched).
func findStop(text string, stops []string, from int) (cut int, stop string, ok bool) {
	cut = -1
	for _, s := range stops {
		if s == "" {
			continue
		}
		lo := max(0, from-len(s)+1)
		if k := strings.Index(text[lo:], s); k >= 0 && (cut < 0 || lo+k < cut) {
			cut, stop = lo+k, s
		}
	}
	return cut, stop, cut >= 0
}

// safeLen is how much of text can be sent while generating: not a suffix
// that may grow into a stop string, nor an incomplete UTF-8 character.
func safeLen(text string, stops []string) int {
	n := len(text)
	for _, s := range stops {
		for k := min(len(s)-1, len(text)); k > 0; k-- {
			if strings.HasSuffix(text, s[:k]) {
				n = min(n, len(text)-k)
				break
			}
		}
	}
	// An incomplete character at the end waits for its other bytes.
	start := n
	for start > 0 && n-start < utf8.UTFMax && !utf8.RuneStart(text[start-1]) {
		start--
	}
	if start > 0 && utf8.RuneStart(text[start-1]) {
		start--
	}
	if start < n && !utf8.FullRuneInString(text[start:n]) {
		n = start
	}
	return n
}
