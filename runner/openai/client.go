// Package openai is parity's backend for OpenAI-compatible model servers
// such as vLLM. It scores loglikelihood requests through /v1/completions with
// echo and prompt logprobs, finding the continuation's tokens with the
// server's own /tokenize as lm-evaluation-harness does (or, without one, by
// text_offset), and generates through /v1/completions or
// /v1/chat/completions. It has its own small HTTP client because echo
// responses are large (a 25-shot prompt's is a few hundred kilobytes of
// per-token JSON) and only their tail matters: a hand-written scanner skips
// the rest without building it, and bodies are read into pooled buffers.
// Requests are retried with jittered exponential back-off.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TokenizeMode says how Loglikelihood finds which prompt tokens belong to
// the continuation.
type TokenizeMode int

const (
	// TokenizeAuto uses the server's /tokenize when it has one, else
	// text_offset.
	TokenizeAuto TokenizeMode = iota
	// TokenizeServer requires /tokenize: the prompt is the context's
	// tokens followed by the tokens of context+continuation past their
	// count, and those are the continuation (lm-eval's method, exact
	// parity). Config.ExactIDs says how the prompts are sent.
	TokenizeServer
	// TokenizeTextOffset sends text and takes the prompt tokens whose
	// text_offset falls inside the continuation.
	TokenizeTextOffset
)

// Token boundary names recorded in results.
const (
	BoundaryTokenize   = "tokenize"
	BoundaryTextOffset = "text_offset"
)

func (m TokenizeMode) String() string {
	switch m {
	case TokenizeAuto:
		return "auto"
	case TokenizeServer:
		return "server"
	case TokenizeTextOffset:
		return BoundaryTextOffset
	}
	return "TokenizeMode(" + strconv.Itoa(int(m)) + ")"
}

// ParseTokenizeMode reads "auto", "server" or "text_offset".
func ParseTokenizeMode(s string) (TokenizeMode, error) {
	for _, m := range []TokenizeMode{TokenizeAuto, TokenizeServer, TokenizeTextOffset} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown tokenize mode %q (want auto, server or text_offset)", s)
}

// Config configures a Client. Zero values get the defaults noted.
type Config struct {
	// BaseURL is the OpenAI base URL, e.g. http://127.0.0.1:8000/v1.
	BaseURL string
	// Model is the served model's name; required.
	Model string
	// APIKey is sent as a bearer token. It never appears in ID, errors or
	// log lines.
	APIKey string
	// Chat sends Generate to /v1/chat/completions: a request's Messages,
	// or its Context as one user message.
	Chat bool
	// Tokenize picks how continuation tokens are found (default auto).
	Tokenize TokenizeMode
	// AddSpecialTokens asks /tokenize, and /v1/completions for text
	// prompts, to add the tokenizer's special tokens (BOS) to every text,
	// like lm-eval's add_bos_token=True. Default false, lm-eval's default.
	AddSpecialTokens bool
	// ExactIDs sends every loglikelihood prompt as token ids, as lm-eval
	// does, tokenizing each context+continuation through /tokenize: one
	// more /tokenize call per request. By default (tokenize mode) only
	// contexts are tokenized and context+continuation goes as text, with
	// the server's tokens checked against lm-eval's prompt; results are the
	// same either way.
	ExactIDs bool
	// Timeout bounds each HTTP request (default 5 minutes).
	Timeout time.Duration
	// MaxRetries is how many times a failed request is sent again (default
	// 5; negative for none).
	MaxRetries int
	// RetryBase and RetryMax shape the back-off: the n-th retry waits a
	// random time up to min(RetryMax, RetryBase·2ⁿ) (defaults 0.5s, 30s),
	// or what Retry-After says.
	RetryBase, RetryMax time.Duration
	// Concurrency bounds the /tokenize calls, and the generation requests,
	// that one call has in flight (default 8).
	Concurrency int
	// MaxStop is how many stop strings are sent (default 4, OpenAI's limit;
	// negative for all). Output is cut at every stop string client-side.
	MaxStop int
	// HTTPClient replaces the default client.
	HTTPClient *http.Client
	// Logf, if set, hears about retries.
	Logf func(format string, args ...any)
}

const (
	defaultTimeout     = 5 * time.Minute
	defaultRetries     = 5
	defaultRetryBase   = 500 * time.Millisecond
	defaultRetryMax    = 30 * time.Second
	defaultConcurrency = 8
	defaultMaxStop     = 4
	maxRetryAfter      = 5 * time.Minute
	maxBodyBytes       = 1 << 30
)

// Client talks to one model on one server. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  string // BaseURL without a trailing slash
	root  string // base without its /v1, where vLLM serves /tokenize
	shown string // base without credentials, for IDs and messages
	http  *http.Client

	bufs     sync.Pool // *bytes.Buffer, response bodies
	reqBufs  sync.Pool // *[]byte, request bodies
	decoders sync.Pool // *completionDecoder
	memo     tokenMemo

	tokMu       sync.Mutex
	tokResolved bool
	tokURL      string // "" when the server has no /tokenize

	maxModelLen atomic.Int64 // 0 until a server reply tells it
	// forceIDs is set once the server is found to ignore vLLM's
	// add_special_tokens or return_tokens_as_token_ids on text prompts.
	forceIDs atomic.Bool
}

// New checks cfg and returns a Client. It does no I/O; see Check.
func New(cfg Config) (*Client, error) {
	if cfg.Model == "" {
		return nil, errors.New("openai: a model name is required")
	}
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("openai: base URL %q is not an http(s) URL", redactURL(cfg.BaseURL))
	}
	if cfg.Tokenize < TokenizeAuto || cfg.Tokenize > TokenizeTextOffset {
		return nil, fmt.Errorf("openai: unknown tokenize mode %d", cfg.Tokenize)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = defaultRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = defaultRetryBase
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = defaultRetryMax
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = defaultConcurrency
	}
	if cfg.MaxStop == 0 {
		cfg.MaxStop = defaultMaxStop
	}
	c := &Client{cfg: cfg, base: u.String()}
	c.root = strings.TrimSuffix(c.base, "/v1")
	u.User = nil
	c.shown = u.String()
	c.http = cfg.HTTPClient
	if c.http == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// The runner keeps many requests in flight to one host; the default
		// of 2 idle connections would re-dial for most of them.
		t.MaxIdleConnsPerHost = 256
		t.MaxIdleConns = 256
		c.http = &http.Client{Transport: t}
	}
	c.bufs.New = func() any { return new(bytes.Buffer) }
	c.reqBufs.New = func() any { b := make([]byte, 0, 4096); return &b }
	c.decoders.New = func() any { return new(completionDecoder) }
	c.memo.limit = defaultMemoTokens
	return c, nil
}

// ID names the server, model and every setting that changes answers, for
// cache keys. It holds no secret. In auto tokenize mode it cannot say which
// method the server allows without asking it; each loglikelihood result
// records the method used in TokenBoundary. ExactIDs is left out: it
// changes how prompts are sent, not what is scored.
func (c *Client) ID() string {
	return fmt.Sprintf("openai %s model=%s chat=%t tokenize=%s add_special_tokens=%t",
		c.shown, c.cfg.Model, c.cfg.Chat, c.cfg.Tokenize, c.cfg.AddSpecialTokens)
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// shownURL is u as it may appear in messages.
func (c *Client) shownURL(u string) string {
	if strings.HasPrefix(u, c.base) {
		return c.shown + u[len(c.base):]
	}
	if strings.HasPrefix(u, c.root) {
		return strings.TrimSuffix(c.shown, "/v1") + u[len(c.root):]
	}
	return redactURL(u)
}

// APIError is a server's answer other than 200 OK.
type APIError struct {
	Method     string
	URL        string
	StatusCode int
	// Message is the server's own explanation (error.message in OpenAI's
	// format), or the start of the body when it has none.
	Message string
	Type    string
	Code    string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Temporary reports whether sending the request again may succeed.
func (e *APIError) Temporary() bool { return retryableStatus(e.StatusCode) }

func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// badResponse marks a 200 answer whose body could not be used; such answers
// are retried like server errors.
type badResponse struct{ err error }

func (e *badResponse) Error() string { return "invalid response: " + e.err.Error() }
func (e *badResponse) Unwrap() error { return e.err }

func (c *Client) apiError(method, u string, status int, body []byte) *APIError {
	e := &APIError{Method: method, URL: c.shownURL(u), StatusCode: status}
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &env) == nil {
		var inner struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
		}
		var s string
		switch {
		case json.Unmarshal(env.Error, &inner) == nil && inner.Message != "":
			e.Message, e.Type, e.Code = inner.Message, inner.Type, rawText(inner.Code)
		case json.Unmarshal(env.Error, &s) == nil && s != "":
			e.Message = s
		case env.Message != "":
			e.Message, e.Type, e.Code = env.Message, env.Type, rawText(env.Code)
		case json.Unmarshal(env.Detail, &s) == nil:
			e.Message = s
		case len(env.Detail) > 0:
			e.Message = string(env.Detail)
		}
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(body[:min(len(body), 300)]))
	}
	e.Message = c.redact(e.Message)
	return e
}

func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// redact removes the API key from text that came from elsewhere, in case a
// server echoes the header back.
func (c *Client) redact(s string) string {
	if c.cfg.APIKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.cfg.APIKey, "[redacted]")
}

// post sends body to u and passes a 200 answer's body to handle, which must
// not keep it. Transport failures, retryable statuses, per-attempt timeouts
// and bodies that handle rejects with *badResponse are retried.
func (c *Client) post(ctx context.Context, u string, body []byte, handle func([]byte) error) error {
	return c.send(ctx, http.MethodPost, u, body, handle)
}

func (c *Client) send(ctx context.Context, method, u string, body []byte, handle func([]byte) error) error {
	shown := c.shownURL(u)
	for attempt := 0; ; attempt++ {
		wait, err := c.attempt(ctx, method, u, body, handle)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s: %w", method, shown, context.Cause(ctx))
		}
		var apiErr *APIError
		isAPI := errors.As(err, &apiErr)
		if wait < 0 || attempt >= c.cfg.MaxRetries {
			if attempt == 0 {
				if isAPI {
					return err
				}
				return fmt.Errorf("%s %s: %w", method, shown, err)
			}
			if isAPI {
				return fmt.Errorf("gave up after %d tries: %w", attempt+1, err)
			}
			return fmt.Errorf("%s %s: gave up after %d tries: %w", method, shown, attempt+1, err)
		}
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		if c.cfg.Logf != nil {
			c.cfg.Logf("openai: %s %s: %v; retry %d of %d in %v", method, shown, shortErr(err), attempt+1, c.cfg.MaxRetries, wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s %s: %w (after %d tries, last: %v)", method, shown, context.Cause(ctx), attempt+1, err)
		case <-t.C:
		}
	}
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// backoff is full jitter: uniform in [0, min(max, base·2^attempt)].
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.RetryMax
	if attempt < 30 {
		d = min(d, c.cfg.RetryBase<<attempt)
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// attempt sends one request. wait < 0 means the error is final; wait > 0
// is a delay the server asked for; 0 leaves the delay to back-off.
func (c *Client) attempt(ctx context.Context, method, u string, body []byte, handle func([]byte) error) (wait time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, u, rd)
	if err != nil {
		return -1, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// Refused, reset, EOF and timeouts alike: all worth another try.
		return 0, c.transportError(ctx, actx, err)
	}
	buf := c.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer c.putBuf(buf)
	if resp.ContentLength > 0 && resp.ContentLength < maxBodyBytes {
		buf.Grow(int(resp.ContentLength))
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, maxBodyBytes))
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("reading the response (status %d): %w", resp.StatusCode, c.transportError(ctx, actx, err))
	}
	if resp.StatusCode != http.StatusOK {
		e := c.apiError(method, u, resp.StatusCode, buf.Bytes())
		if !e.Temporary() {
			return -1, e
		}
		return retryAfter(resp.Header.Get("Retry-After"), time.Now()), e
	}
	if err := handle(buf.Bytes()); err != nil {
		var bad *badResponse
		if errors.As(err, &bad) {
			return 0, err
		}
		return -1, err
	}
	return 0, nil
}

// putBuf returns a buffer to the pool unless a huge response grew it.
func (c *Client) putBuf(b *bytes.Buffer) {
	if b.Cap() <= 16<<20 {
		c.bufs.Put(b)
	}
}

// transportError words a failure to get an answer.
func (c *Client) transportError(ctx, actx context.Context, err error) error {
	if ctx.Err() == nil && actx.Err() != nil {
		return fmt.Errorf("no answer within %v: %w", c.cfg.Timeout, actx.Err())
	}
	return unwrapURLError(err)
}

func (c *Client) getReqBuf() *[]byte { return c.reqBufs.Get().(*[]byte) }

func (c *Client) putReqBuf(b *[]byte) {
	if cap(*b) <= 16<<20 {
		*b = (*b)[:0]
		c.reqBufs.Put(b)
	}
}

// unwrapURLError drops net/http's "Post \"url\":" prefix; callers add the
// URL themselves.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(h, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}
