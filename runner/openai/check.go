package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
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
}

// checkPrompt is the probe for prompt logprobs: long enough that a server
// returning only the generated token's logprob cannot pass by accident.
const checkPrompt = "The quick brown fox jumps over the lazy dog, twice."

// Check verifies, once before a run, that the server serves the model
// (GET /v1/models), whether it has /tokenize, and that an echo request
// returns a logprob for every prompt token but the first. On the last
// failure it returns the ServerInfo with an error wrapping
// ErrNoPromptLogprobs.
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
	return info, nil
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
		if err := d.decode(b, false); err != nil {
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
