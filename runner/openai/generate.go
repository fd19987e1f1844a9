package openai

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/parity-eval/parity/runner"
)

// Generate answers each request with its own HTTP request, at most
// Concurrency at once: one request per prompt keeps each result's token
// usage exact (a batched response only reports the sum) and lets short
// answers return without waiting for long ones. Temperature is always sent;
// MaxTokens ≤ 0 leaves the limit to the server. The text is cut at the
// earliest of all Until strings, whichever of them the server was sent.
func (c *Client) Generate(ctx context.Context, reqs []runner.GenerateRequest) ([]runner.GenerateResult, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	for i, r := range reqs {
		if math.IsNaN(r.Temperature) || math.IsInf(r.Temperature, 0) || r.Temperature < 0 {
			return nil, fmt.Errorf("generate: request %d: temperature %v is not a finite non-negative number", i, r.Temperature)
		}
		if !c.cfg.Chat && len(r.Messages) > 0 {
			return nil, fmt.Errorf("generate: request %d has chat messages but the client is not in chat mode", i)
		}
	}
	out := make([]runner.GenerateResult, len(reqs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	sem := make(chan struct{}, c.cfg.Concurrency)
	for i := range reqs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := c.generateOne(ctx, reqs[i])
			if err != nil {
				errOnce.Do(func() {
					firstErr = fmt.Errorf("generate: request %d of %d: %w", i, len(reqs), err)
					cancel()
				})
				return
			}
			out[i] = res
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return out, nil
}

func (c *Client) generateOne(ctx context.Context, r runner.GenerateRequest) (runner.GenerateResult, error) {
	bp := c.getReqBuf()
	defer c.putReqBuf(bp)
	body := append((*bp)[:0], `{"model":`...)
	body = appendString(body, c.cfg.Model)
	path := "/completions"
	if c.cfg.Chat {
		path = "/chat/completions"
		body = append(body, `,"messages":[`...)
		msgs := r.Messages
		if len(msgs) == 0 {
			msgs = []runner.Message{{Role: "user", Content: r.Context}}
		}
		for i, m := range msgs {
			if i > 0 {
				body = append(body, ',')
			}
			body = append(body, `{"role":`...)
			body = appendString(body, m.Role)
			body = append(body, `,"content":`...)
			body = appendString(body, m.Content)
			body = append(body, '}')
		}
		body = append(body, ']')
	} else {
		body = append(body, `,"prompt":`...)
		body = appendString(body, r.Context)
	}
	if r.MaxTokens > 0 {
		body = append(body, `,"max_tokens":`...)
		body = strconv.AppendInt(body, int64(r.MaxTokens), 10)
	}
	// Always sent: a server's default temperature is often 1, and greedy
	// decoding is what the tasks specify.
	body = append(body, `,"temperature":`...)
	body = strconv.AppendFloat(body, r.Temperature, 'g', -1, 64)
	stops := sendStops(r.Until, c.cfg.MaxStop)
	if len(stops) > 0 {
		body = append(body, `,"stop":[`...)
		for i, s := range stops {
			if i > 0 {
				body = append(body, ',')
			}
			body = appendString(body, s)
		}
		body = append(body, ']')
	}
	body = append(body, '}')
	*bp = body

	var res runner.GenerateResult
	err := c.post(ctx, c.base+path, body, func(b []byte) error {
		choices, u, err := decodeGeneration(b, c.cfg.Chat)
		if err != nil {
			return &badResponse{err}
		}
		if len(choices) != 1 || (choices[0].hasIndex && choices[0].index != 0) || !choices[0].hasText {
			return &badResponse{fmt.Errorf("want one choice with index 0 and text, got %d choices", len(choices))}
		}
		ch := choices[0]
		res = runner.GenerateResult{
			Text:             ch.text,
			FinishReason:     ch.finish,
			PromptTokens:     u.prompt,
			CompletionTokens: u.completion,
		}
		return nil
	})
	if err != nil {
		return runner.GenerateResult{}, err
	}
	if cut, ok := cutAtStop(res.Text, r.Until); ok {
		res.Text, res.FinishReason = cut, "stop"
	}
	return res, nil
}

// sendStops picks the stop strings to send: the non-empty ones, at most
// limit of them (all when limit < 0).
func sendStops(until []string, limit int) []string {
	var out []string
	for _, s := range until {
		if s == "" {
			continue
		}
		if limit >= 0 && len(out) == limit {
			break
		}
		out = append(out, s)
	}
	return out
}

// cutAtStop cuts text at the earliest occurrence of any stop string. Servers
// stop at the stop strings they were sent and leave them out, but not all
// of them were sent when there are many, and some servers keep them.
func cutAtStop(text string, until []string) (string, bool) {
	cut := -1
	for _, s := range until {
		if s == "" {
			continue
		}
		if k := strings.Index(text, s); k >= 0 && (cut < 0 || k < cut) {
			cut = k
		}
	}
	if cut < 0 {
		return text, false
	}
	return text[:cut], true
}
