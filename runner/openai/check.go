package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ErrUnknownModel is returned by Check when the server does not serve the
// configured model.
var ErrUnknownModel = errors.New("model not served")

// ErrNoPromptLogprobs is returned by Check when the server does not return
// one logprob per prompt token with echo: such a server would score every
// loglikelihood task at chance without an error. A run of generation tasks
// only may go on.
var ErrNoPromptLogprobs = errors.New("no prompt logprobs")

// ServerInfo is what Check learned about the server.
type ServerInfo struct {
	Models      []string
	MaxModelLen int // 0 when the server does not say
	HasTokenize bool
	// TokenBoundary is how Loglikelihood will find continuation tokens:
	// BoundaryTokenize or BoundaryTextOffset.
	TokenBoundary string
	// ExactIDs says that, in tokenize mode, loglikelihood prompts go as
	// token ids: Config.ExactIDs is set, or the server failed the probe of
	// text prompts.
	ExactIDs bool
}

// checkPrompt is the probe for prompt logprobs: long enough that a server
// returning only the generated token's logprob cannot pass by accident.
const checkPrompt = "The quick brown fox jumps over the lazy dog, twice."

// Check verifies, once before a run, that the server serves the model
// (GET /v1/models), whether it has /tokenize, and that an echo request
// returns a logprob for every prompt token but the first. On that last
// failure it returns the ServerInfo with an error wrapping
// ErrNoPromptLogprobs. In tokenize mode without ExactIDs it also probes
// text prompts: a server whose tokens for a text prompt differ from its
// /tokenize ids (it ignores add_special_tokens) or come back as text (it
// ignores return_tokens_as_token_ids) gets token-id prompts from then on,
// which Logf is told.
func (c *Client) Check(ctx context.Context) (ServerInfo, error) {
	var info ServerInfo
	err := c.send(ctx, http.MethodGet, c.base+"/models", nil, func(b []byte) error {
		var list struct {
			Data []struct {
				ID          string `json:"id"`
				MaxModelLen int    `json:"max_model_len"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &list); err != nil {
			return &badResponse{err}
		}
		for _, m := range list.Data {
			info.Models = append(info.Models, m.ID)
			if m.ID == c.cfg.Model {
				info.MaxModelLen = m.MaxModelLen
			}
		}
		return nil
	})
	if err != nil {
		return info, fmt.Errorf("check: %w", err)
	}
	if !slices.Contains(info.Models, c.cfg.Model) {
		return info, fmt.Errorf("check: %w: %s serves %s, not %q", ErrUnknownModel, c.shown, strings.Join(quoteAll(info.Models), ", "), c.cfg.Model)
	}
	if info.MaxModelLen > 0 {
		c.maxModelLen.Store(int64(info.MaxModelLen))
	}

	boundary, tokURL, err := c.boundary(ctx)
	if err != nil {
		return info, fmt.Errorf("check: %w", err)
	}
	info.TokenBoundary = boundary
	if c.cfg.Tokenize != TokenizeTextOffset {
		info.HasTokenize = tokURL != ""
	} else if u, err := c.tokenizeURL(ctx); err == nil {
		info.HasTokenize = u != ""
	}
	if info.MaxModelLen == 0 {
		info.MaxModelLen = int(c.maxModelLen.Load())
	}

	if err := c.checkEcho(ctx, boundary, tokURL); err != nil {
		return info, fmt.Errorf("check: %w", err)
	}
	if boundary == BoundaryTokenize {
		if !c.cfg.ExactIDs {
			if err := c.checkTextPrompt(ctx, tokURL); err != nil {
				return info, fmt.Errorf("check: %w", err)
			}
		}
		info.ExactIDs = c.cfg.ExactIDs || c.forceIDs.Load()
	}
	return info, nil
}

// checkTextPrompt sends checkPrompt as text, as Loglikelihood does by
// default, and compares the server's tokens with /tokenize's. A mismatch or
// a refusal of the request switches the client to token-id prompts.
func (c *Client) checkTextPrompt(ctx context.Context, tokURL string) error {
	special := c.cfg.AddSpecialTokens
	want, err := c.tokenize(ctx, tokURL, checkPrompt, special)
	if err != nil {
		return err
	}
	body := c.appendEchoHead(nil)
	body = appendString(body, checkPrompt)
	body = append(body, `],"add_special_tokens":`...)
	body = strconv.AppendBool(body, special)
	body = append(body, `,"return_tokens_as_token_ids":true`...)
	body = append(body, echoTail[1:]...)
	var got []int32
	err = c.post(ctx, c.base+"/completions", body, func(b []byte) error {
		d := c.decoders.Get().(*completionDecoder)
		defer c.decoders.Put(d)
		if err := d.decode(b, modeText); err != nil {
			return &badResponse{err}
		}
		if len(d.choices) != 1 {
			return &badResponse{fmt.Errorf("%d choices for 1 prompt", len(d.choices))}
		}
		ch := &d.choices[0]
		prompt := int(ch.lp.n) - 1 // the last entry is the generated token's
		if d.usage.present && d.usage.completion == 0 {
			prompt++
		}
		if !ch.toks.present || ch.toks.n != ch.lp.n {
			return &badResponse{fmt.Errorf("%w: tokens and token_logprobs differ in length", errWrongLength)}
		}
		got = got[:0]
		for k := 0; k < prompt; k++ {
			id, err := d.tokenIDAt(ch, k)
			if errors.Is(err, errTokensNotIDs) {
				return err // final: the server ignores the field
			} else if err != nil {
				return &badResponse{err}
			}
			got = append(got, id)
		}
		return nil
	})
	var apiErr *APIError
	switch {
	case errors.Is(err, errTokensNotIDs):
		c.useIDs(fmt.Sprintf("%s ignores return_tokens_as_token_ids", c.shown))
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500:
		c.useIDs(fmt.Sprintf("%s refuses a text prompt with add_special_tokens and return_tokens_as_token_ids (%v)", c.shown, shortErr(err)))
	case err != nil:
		return err
	case !slices.Equal(got, want):
		c.useIDs(fmt.Sprintf("%s tokenizes a text prompt to %d tokens where /tokenize gives %d, or to other tokens (does it ignore add_special_tokens=%t?)",
			c.shown, len(got), len(want), special))
	}
	return nil
}

func quoteAll(ss []string) []string {
	if len(ss) == 0 {
		return []string{"no models"}
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// checkEcho sends one echo request and counts the prompt logprobs.
func (c *Client) checkEcho(ctx context.Context, boundary, tokURL string) error {
	body := appendString([]byte(`{"model":`), c.cfg.Model)
	body = append(body, `,"prompt":`...)
	want := -1 // prompt tokens, when known
	if boundary == BoundaryTokenize {
		ids, err := c.tokenize(ctx, tokURL, checkPrompt, c.cfg.AddSpecialTokens)
		if err != nil {
			return err
		}
		want = len(ids)
		body = append(appendTokens(append(body, '['), ids), ']')
	} else {
		body = append(appendString(append(body, '['), checkPrompt), ']')
	}
	body = append(body, `,"max_tokens":1,"temperature":0,"logprobs":1,"echo":true}`...)

	// have counts the prompt positions with a logprob; all but the first
	// should have one.
	var have, prompt int
	err := c.post(ctx, c.base+"/completions", body, func(b []byte) error {
		d := c.decoders.Get().(*completionDecoder)
		defer c.decoders.Put(d)
		if err := d.decode(b, modeIDs); err != nil {
			return &badResponse{err}
		}
		if len(d.choices) != 1 {
			return &badResponse{fmt.Errorf("%d choices for 1 prompt", len(d.choices))}
		}
		ch := &d.choices[0]
		n := int(ch.lp.n)
		prompt = want
		if prompt < 0 && d.usage.present {
			prompt = d.usage.prompt
		}
		if prompt < 0 {
			prompt = n - 1 // all but the generated token
		}
		if n != prompt && n != prompt+1 {
			have = max(0, n-1) // the last entry is the generated token's
			return nil
		}
		for p := 0; p < prompt; p++ {
			lp, isNull, err := d.logprobAt(ch, p)
			if err != nil {
				return &badResponse{err}
			}
			if !isNull && !math.IsNaN(lp) {
				have++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if prompt < 2 || have < prompt-1 {
		return fmt.Errorf("server %s does not return prompt logprobs with echo=true (got %d of %d): loglikelihood tasks need a vLLM-compatible /v1/completions: %w",
			c.shown, have, max(prompt-1, 0), ErrNoPromptLogprobs)
	}
	return nil
}
