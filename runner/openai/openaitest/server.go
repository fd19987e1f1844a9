// Package openaitest runs a loopback OpenAI-compatible server that answers
// the way vLLM does, for tests and benchmarks of anything that talks to a
// model server. Its model is a deterministic fake: a GPT-2-like tokenizer
// whose ids encode their own text, log-probabilities that are a hash of
// (previous token, token), and scripted generations. It speaks the real wire
// protocol (/v1/completions with echo and prompt logprobs, token-id prompts,
// /v1/chat/completions with streaming, /v1/models, /tokenize, /detokenize,
// OpenAI-style errors) and can be told to fail in the ways real servers do.
package openaitest

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/parity-eval/parity/jsonw"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Options configure a Server. The zero value serves model "parity-test" with
// a 4096-token context, /tokenize at the server root and no API key.
type Options struct {
	// Model is the one model served; requests naming another get 404.
	Model string
	// MaxModelLen is the context length, reported by /v1/models and
	// /tokenize and enforced on prompt+max_tokens.
	MaxModelLen int
	// APIKey, when set, is required as "Authorization: Bearer <key>" on
	// /v1 paths (vLLM leaves /tokenize open).
	APIKey string
	// AddBOS makes text prompts, and /tokenize, begin with the BOS token
	// when add_special_tokens is true (vLLM's default for both), as Llama's
	// tokenizer does.
	AddBOS bool
	// IgnoreAddSpecialTokens makes /v1/completions ignore add_special_tokens
	// and always add special tokens to text prompts, like OpenAI-compatible
	// servers without vLLM's extension fields.
	IgnoreAddSpecialTokens bool
	// IgnoreTokensAsIDs makes /v1/completions ignore
	// return_tokens_as_token_ids and always send tokens as text.
	IgnoreTokensAsIDs bool
	// NoTokenize makes /tokenize and /detokenize answer 404, like servers
	// without vLLM's extensions.
	NoTokenize bool
	// TokenizeUnderV1 serves /tokenize and /detokenize under /v1 instead of
	// at the root.
	TokenizeUnderV1 bool
	// NoPromptLogprobs makes echo return logprobs for the generated tokens
	// only, like servers that ignore echo when computing logprobs.
	NoPromptLogprobs bool
	// IncludeStopInOutput keeps the matched stop string in generated text.
	IncludeStopInOutput bool
	// ReverseChoices writes a response's choices last to first, which the
	// API allows; clients must map them by index.
	ReverseChoices bool
	// RecordPrompts keeps every prompt in RequestCounts.Prompts.
	RecordPrompts bool
	// Generate, if set, scripts generations: it gets the prompt text (the
	// rendered template for chat) and returns the full answer, which is then
	// cut at stop strings and max_tokens. Default: Script.
	Generate func(prompt string) string
	// Observe, if set, sees every request's path and body.
	Observe func(path string, body []byte)
	// Memo makes the server remember each 200 answer by path and request
	// body, and answer a repeated request from memory, so that a benchmark
	// of a client measures the client rather than the fake model. Remembered
	// answers repeat their "id" and "created"; streamed chat answers are not
	// remembered. Counts, faults, delays and the API key check apply as
	// usual.
	Memo bool
}

// Faults make the next requests fail. Status faults are used first, then
// Drop, then Truncate; Delay applies to every request until replaced.
type Faults struct {
	// Path limits the faults to one path, e.g. "/v1/completions"; empty
	// means every path.
	Path string
	// Status answers the next Count requests with this HTTP status and an
	// OpenAI-style error body.
	Status int
	Count  int
	// RetryAfter is sent as the Retry-After header with Status answers.
	RetryAfter string
	// Drop closes the connection after half of the body of the next Drop
	// responses.
	Drop int
	// Truncate sends only the first half of the next Truncate response
	// bodies, correctly framed, so the client gets invalid JSON.
	Truncate int
	// Delay holds every request this long before answering.
	Delay time.Duration
}

// RequestCounts says what a Server has been asked.
type RequestCounts struct {
	Completions     int
	ChatCompletions int
	Models          int
	Tokenize        int
	Detokenize      int
	Other           int
	// PromptCount is the number of prompts in completion and chat requests.
	PromptCount int
	// Prompts holds those prompts (token-id prompts detokenized, chat
	// prompts rendered) when Options.RecordPrompts is set.
	Prompts []string
}

// Server is a running fake model server.
type Server struct {
	opts   Options
	ts     *httptest.Server
	nextID atomic.Int64
	bufs   sync.Pool

	mu     sync.Mutex
	counts RequestCounts
	faults Faults

	memoMu sync.RWMutex
	memo   map[string]map[string]memoAnswer // path, then request body
}

// memoAnswer is a remembered answer and the prompts it recorded, which a
// repeat records again.
type memoAnswer struct {
	body    []byte
	prompts []string
}

// NewServer starts a Server on 127.0.0.1 at a free port.
func NewServer(opts Options) *Server {
	if opts.Model == "" {
		opts.Model = "parity-test"
	}
	if opts.MaxModelLen <= 0 {
		opts.MaxModelLen = 4096
	}
	s := &Server{opts: opts, memo: make(map[string]map[string]memoAnswer)}
	s.bufs.New = func() any { b := make([]byte, 0, 64<<10); return &b }
	s.ts = httptest.NewServer(s)
	return s
}

// URL is the OpenAI base URL, ending in /v1.
func (s *Server) URL() string { return s.ts.URL + "/v1" }

// Root is the server's root URL, where vLLM serves /tokenize.
func (s *Server) Root() string { return s.ts.URL }

// Model is the served model's name.
func (s *Server) Model() string { return s.opts.Model }

// Close shuts the server down and waits for its requests to finish.
func (s *Server) Close() { s.ts.Close() }

// Requests returns what the server has been asked so far.
func (s *Server) Requests() RequestCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.Prompts = append([]string(nil), c.Prompts...)
	return c
}

// ResetRequests sets the counts back to zero.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.counts = RequestCounts{}
	s.mu.Unlock()
}

// InjectFaults replaces the pending faults.
func (s *Server) InjectFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Tokenize is the fake tokenizer, without special tokens.
func (s *Server) Tokenize(text string) []int { return tokenize(text, nil) }

// PromptTokens is how the server tokenizes a text prompt by default:
// Tokenize plus BOS in front when Options.AddBOS is set (and the request
// does not set add_special_tokens to false).
func (s *Server) PromptTokens(text string) []int {
	var out []int
	if s.opts.AddBOS {
		out = append(out, BOS)
	}
	return tokenize(text, out)
}

// Detokenize joins the texts of ids; it fails on an id no text maps to.
func (s *Server) Detokenize(ids []int) (string, error) {
	t, ok := detokenize(ids)
	if !ok {
		return "", fmt.Errorf("openaitest: token ids out of vocabulary: %v", ids)
	}
	return t, nil
}

type faultMode uint8

const (
	faultNone faultMode = iota
	faultDrop
	faultTruncate
)

type fault struct {
	status     int
	retryAfter string
	mode       faultMode
	delay      time.Duration
}

func (s *Server) take(path string) fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &s.counts
	switch path {
	case "/v1/completions":
		c.Completions++
	case "/v1/chat/completions":
		c.ChatCompletions++
	case "/v1/models":
		c.Models++
	case "/tokenize", "/v1/tokenize":
		c.Tokenize++
	case "/detokenize", "/v1/detokenize":
		c.Detokenize++
	default:
		c.Other++
	}
	f := &s.faults
	if f.Path != "" && f.Path != path {
		return fault{}
	}
	out := fault{delay: f.Delay}
	switch {
	case f.Count > 0 && f.Status != 0:
		f.Count--
		out.status, out.retryAfter = f.Status, f.RetryAfter
	case f.Drop > 0:
		f.Drop--
		out.mode = faultDrop
	case f.Truncate > 0:
		f.Truncate--
		out.mode = faultTruncate
	}
	return out
}

func (s *Server) recordPrompt(p string) {
	s.mu.Lock()
	s.counts.PromptCount++
	if s.opts.RecordPrompts {
		s.counts.Prompts = append(s.counts.Prompts, p)
	}
	s.mu.Unlock()
}

// httpError is an answer other than 200.
type httpError struct {
	status int
	body   []byte
}

func apiError(status int, typ, format string, args ...any) *httpError {
	b := []byte(`{"error":{"message":`)
	b = appendString(b, fmt.Sprintf(format, args...))
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"param":null,"code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, "}}"...)
	return &httpError{status, b}
}

func badRequest(format string, args ...any) *httpError {
	return apiError(http.StatusBadRequest, "BadRequestError", format, args...)
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	body, err := io.ReadAll(io.LimitReader(r.Body, 256<<20))
	if err != nil {
		return
	}
	if s.opts.Observe != nil {
		s.opts.Observe(path, body)
	}
	f := s.take(path)
	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if f.status != 0 {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		e := apiError(f.status, "InjectedFault", "injected fault: status %d", f.status)
		writeBody(w, e.status, e.body, faultNone)
		return
	}
	if s.opts.APIKey != "" && strings.HasPrefix(path, "/v1/") &&
		r.Header.Get("Authorization") != "Bearer "+s.opts.APIKey {
		writeBody(w, http.StatusUnauthorized, []byte(`{"error":"Unauthorized"}`), faultNone)
		return
	}

	if s.opts.Memo {
		s.memoMu.RLock()
		a, ok := s.memo[path][string(body)]
		s.memoMu.RUnlock()
		if ok {
			for _, p := range a.prompts {
				s.recordPrompt(p)
			}
			writeBody(w, http.StatusOK, a.body, f.mode)
			return
		}
	}

	bp := s.bufs.Get().(*[]byte)
	defer func() { *bp = (*bp)[:0]; s.bufs.Put(bp) }()
	out := (*bp)[:0]
	var rec *[]string // the prompts this answer records, when memoising
	if s.opts.Memo {
		rec = new([]string)
	}

	tokPrefix := ""
	if s.opts.TokenizeUnderV1 {
		tokPrefix = "/v1"
	}
	method := r.Method
	var herr *httpError
	switch {
	case path == "/v1/completions" && method == http.MethodPost:
		out, herr = s.completions(out, body, rec)
	case path == "/v1/chat/completions" && method == http.MethodPost:
		var streamed bool
		out, streamed, herr = s.chat(w, r.Context(), out, body, rec)
		if streamed {
			return
		}
	case path == "/v1/models" && method == http.MethodGet:
		out = s.models(out)
	case !s.opts.NoTokenize && path == tokPrefix+"/tokenize" && method == http.MethodPost:
		out, herr = s.tokenizeEndpoint(out, body)
	case !s.opts.NoTokenize && path == tokPrefix+"/detokenize" && method == http.MethodPost:
		out, herr = s.detokenizeEndpoint(out, body)
	default:
		herr = &httpError{http.StatusNotFound, []byte(`{"detail":"Not Found"}`)}
	}
	if herr != nil {
		writeBody(w, herr.status, herr.body, f.mode)
		return
	}
	*bp = out
	if s.opts.Memo {
		s.remember(path, body, out, *rec)
	}
	writeBody(w, http.StatusOK, out, f.mode)
}

// remember stores an answer for Options.Memo.
func (s *Server) remember(path string, body, out []byte, prompts []string) {
	s.memoMu.Lock()
	defer s.memoMu.Unlock()
	byBody := s.memo[path]
	if byBody == nil {
		byBody = make(map[string]memoAnswer)
		s.memo[path] = byBody
	}
	byBody[string(body)] = memoAnswer{body: append([]byte(nil), out...), prompts: prompts}
}

func writeBody(w http.ResponseWriter, status int, body []byte, mode faultMode) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	switch mode {
	case faultTruncate:
		body = body[:len(body)/2]
	case faultDrop:
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		// Makes net/http close the connection without finishing the body.
		panic(http.ErrAbortHandler)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) checkModel(model string) *httpError {
	if model != "" && model != s.opts.Model {
		return apiError(http.StatusNotFound, "NotFoundError", "The model `%s` does not exist.", model)
	}
	return nil
}

type prompt struct {
	text string
	ids  []int
}

// parsePrompts accepts every shape /v1/completions takes: a string, a list
// of strings, a list of token ids, or a list of lists of token ids. Text
// prompts get BOS when special is set; token-id prompts are taken as they
// are, as vLLM does.
func (s *Server) parsePrompts(raw json.RawMessage, special bool) ([]prompt, *httpError) {
	raw = trimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, badRequest("prompt is required")
	}
	var out []prompt
	if raw[0] == '"' {
		var t string
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, badRequest("invalid prompt: %v", err)
		}
		out = []prompt{{text: t}}
	} else {
		if raw[0] != '[' {
			return nil, badRequest("prompt must be a string or a list")
		}
		inner := trimSpace(raw[1:])
		if len(inner) == 0 || inner[0] == ']' {
			return nil, badRequest("prompt must not be empty")
		}
		switch c := inner[0]; {
		case c == '"':
			var ts []string
			if err := json.Unmarshal(raw, &ts); err != nil {
				return nil, badRequest("invalid prompt: %v", err)
			}
			for _, t := range ts {
				out = append(out, prompt{text: t})
			}
		case c == '[':
			lists, err := parseIntLists(raw)
			if err != nil {
				return nil, badRequest("invalid prompt: %v", err)
			}
			for _, p := range lists {
				out = append(out, prompt{ids: p})
			}
		default:
			lists, err := parseIntLists(append(append([]byte{'['}, raw...), ']'))
			if err != nil {
				return nil, badRequest("invalid prompt: %v", err)
			}
			out = []prompt{{ids: lists[0]}}
		}
	}
	for i := range out {
		p := &out[i]
		if p.ids == nil {
			if special && s.opts.AddBOS {
				p.ids = append(p.ids, BOS)
			}
			p.ids = tokenize(p.text, p.ids)
		} else {
			// The prompt's text, as the model's answer sees it, leaves out
			// special tokens: a token-id prompt then answers exactly as the
			// text it encodes.
			var sb strings.Builder
			sb.Grow(3 * len(p.ids))
			var buf [8]byte
			for _, id := range p.ids {
				piece, ok := appendToken(buf[:0], id)
				if !ok {
					return nil, badRequest("prompt %d holds a token id out of vocabulary", i)
				}
				if id != BOS && id != EOS {
					sb.Write(piece)
				}
			}
			p.text = sb.String()
		}
		if len(p.ids) == 0 {
			return nil, badRequest("prompt %d is empty", i)
		}
	}
	return out, nil
}

// parseIntLists reads a list of lists of non-negative ints from JSON that
// encoding/json has already found valid; token-id prompts are thousands of
// ints, which reflection decodes slowly.
func parseIntLists(raw []byte) ([][]int, error) {
	var out [][]int
	i := 0
	skip := func() {
		for i < len(raw) && (raw[i] == ' ' || raw[i] == '\n' || raw[i] == '\t' || raw[i] == '\r' || raw[i] == ',') {
			i++
		}
	}
	skip()
	if i >= len(raw) || raw[i] != '[' {
		return nil, fmt.Errorf("want a list")
	}
	i++
	for {
		skip()
		if i >= len(raw) {
			return nil, fmt.Errorf("unterminated list")
		}
		if raw[i] == ']' {
			return out, nil
		}
		if raw[i] != '[' {
			return nil, fmt.Errorf("want a list of token ids")
		}
		i++
		ids := make([]int, 0, 64)
		for {
			skip()
			if i >= len(raw) {
				return nil, fmt.Errorf("unterminated list")
			}
			if raw[i] == ']' {
				i++
				break
			}
			if raw[i] < '0' || raw[i] > '9' {
				return nil, fmt.Errorf("token ids must be non-negative integers")
			}
			n := 0
			for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
				n = n*10 + int(raw[i]-'0')
				if n > maxID {
					return nil, fmt.Errorf("token id out of range")
				}
				i++
			}
			if i < len(raw) && (raw[i] == '.' || raw[i] == 'e' || raw[i] == 'E') {
				return nil, fmt.Errorf("token ids must be integers")
			}
			ids = append(ids, n)
		}
		out = append(out, ids)
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

func parseStop(raw json.RawMessage) ([]string, *httpError) {
	raw = trimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest("invalid stop: %v", err)
		}
		return []string{s}, nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		return nil, badRequest("invalid stop: %v", err)
	}
	return ss, nil
}

// generation is one answer: its text, tokens and why it ended.
type generation struct {
	text   string
	ids    []int
	finish string
}

func (s *Server) generate(promptText string, maxTokens int, stops []string) generation {
	full := ""
	if s.opts.Generate != nil {
		full = s.opts.Generate(promptText)
	} else {
		full = Script(strings.TrimSuffix(promptText, assistantHeader))
	}
	cut, stopLen := len(full), 0
	for _, st := range stops {
		if st == "" {
			continue
		}
		if k := strings.Index(full[:min(len(full), cut+len(st))], st); k >= 0 && k < cut {
			cut, stopLen = k, len(st)
		}
	}
	stopped := cut < len(full)
	text := full[:cut]
	if stopped && s.opts.IncludeStopInOutput {
		text = full[:cut+stopLen]
	}
	g := generation{text: text, ids: tokenize(text, nil), finish: "stop"}
	if !stopped {
		g.ids = append(g.ids, EOS) // the model ended its answer
	}
	if len(g.ids) > maxTokens {
		g.ids = g.ids[:maxTokens]
		g.text, _ = detokenize(g.ids)
		g.finish = "length"
	} else if !stopped {
		// EOS is a token of the answer but not part of its text.
		g.text = text
	}
	return g
}

func (s *Server) contextCheck(n, maxTokens int) *httpError {
	if n+maxTokens > s.opts.MaxModelLen {
		return badRequest("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
			s.opts.MaxModelLen, n+maxTokens, n, maxTokens)
	}
	return nil
}

type completionRequest struct {
	Model       string          `json:"model"`
	Prompt      json.RawMessage `json:"prompt"`
	MaxTokens   *int            `json:"max_tokens"`
	Temperature *float64        `json:"temperature"`
	Logprobs    *int            `json:"logprobs"`
	Echo        bool            `json:"echo"`
	Stop        json.RawMessage `json:"stop"`
	N           *int            `json:"n"`
	Stream      bool            `json:"stream"`
	// vLLM's extensions.
	AddSpecialTokens       *bool `json:"add_special_tokens"`
	ReturnTokensAsTokenIDs *bool `json:"return_tokens_as_token_ids"`
}

func (s *Server) completions(b []byte, body []byte, rec *[]string) ([]byte, *httpError) {
	var req completionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return b, badRequest("invalid request body: %v", err)
	}
	if e := s.checkModel(req.Model); e != nil {
		return b, e
	}
	if req.N != nil && *req.N != 1 {
		return b, badRequest("openaitest serves n=1 only")
	}
	if req.Stream {
		return b, badRequest("openaitest does not stream completions")
	}
	if req.Logprobs != nil && (*req.Logprobs < 0 || *req.Logprobs > 20) {
		return b, badRequest("logprobs must be between 0 and 20")
	}
	special := true // vLLM's default for completions
	if req.AddSpecialTokens != nil && !s.opts.IgnoreAddSpecialTokens {
		special = *req.AddSpecialTokens
	}
	asIDs := req.ReturnTokensAsTokenIDs != nil && *req.ReturnTokensAsTokenIDs && !s.opts.IgnoreTokensAsIDs
	prompts, e := s.parsePrompts(req.Prompt, special)
	if e != nil {
		return b, e
	}
	stops, e := parseStop(req.Stop)
	if e != nil {
		return b, e
	}
	maxTokens := 16
	if req.MaxTokens != nil {
		maxTokens = *req.MaxTokens
	}
	if maxTokens < 0 {
		return b, badRequest("max_tokens must be at least 0, got %d", maxTokens)
	}
	for _, p := range prompts {
		if e := s.contextCheck(len(p.ids), maxTokens); e != nil {
			return b, e
		}
	}

	b = append(b, `{"id":"cmpl-`...)
	b = strconv.AppendInt(b, s.nextID.Add(1), 10)
	b = append(b, `","object":"text_completion","created":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"model":`...)
	b = appendString(b, s.opts.Model)
	b = append(b, `,"choices":[`...)
	promptTokens, completionTokens := 0, 0
	var sc scratch
	for k := range prompts {
		i := k
		if s.opts.ReverseChoices {
			i = len(prompts) - 1 - k
		}
		p := prompts[i]
		s.recordPrompt(p.text)
		if rec != nil {
			*rec = append(*rec, p.text)
		}
		g := generation{finish: "length"}
		if maxTokens > 0 {
			g = s.generate(p.text, maxTokens, stops)
		}
		promptTokens += len(p.ids)
		completionTokens += len(g.ids)
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"text":`...)
		if req.Echo {
			b = appendString(b, p.text+g.text)
		} else {
			b = appendString(b, g.text)
		}
		b = append(b, `,"logprobs":`...)
		if req.Logprobs == nil {
			b = append(b, "null"...)
		} else {
			// Without prompt logprobs the prompt's last token only
			// conditions the first generated one.
			withPrompt := req.Echo && !s.opts.NoPromptLogprobs
			toks := g.ids
			if withPrompt {
				toks = append(append(make([]int, 0, len(p.ids)+len(g.ids)), p.ids...), g.ids...)
			} else {
				toks = append([]int{p.ids[len(p.ids)-1]}, g.ids...)
			}
			b = appendLogprobs(b, toks, withPrompt, *req.Logprobs, asIDs, &sc)
		}
		b = append(b, `,"finish_reason":`...)
		b = appendString(b, g.finish)
		b = append(b, `,"stop_reason":null,"prompt_logprobs":null}`...)
	}
	b = append(b, `],"service_tier":null,"system_fingerprint":null,"usage":`...)
	b = appendUsage(b, promptTokens, completionTokens)
	b = append(b, `,"kv_transfer_params":null}`...)
	return b, nil
}

// appendLogprobs writes a completions logprobs object for toks. When
// withFirst is set toks[0] is reported too (with null log-probabilities, as
// vLLM reports a prompt's first token); otherwise toks[0] only conditions
// toks[1]. With asIDs, tokens and the keys of top_logprobs are written as
// "token_id:<id>", as vLLM writes them for return_tokens_as_token_ids.
func appendLogprobs(b []byte, toks []int, withFirst bool, n int, asIDs bool, sc *scratch) []byte {
	start := 1
	if withFirst {
		start = 0
	}
	n = min(n, MaxTopLogprobs)
	// Format each log-probability once; it is written twice or more.
	sc.num = sc.num[:0]
	sc.ends = sc.ends[:0]
	sc.text = sc.text[:0]
	sc.textEnds = sc.textEnds[:0]
	for i := start; i < len(toks); i++ {
		sc.text = appendTokenString(sc.text, toks[i], asIDs)
		sc.textEnds = append(sc.textEnds, int32(len(sc.text)))
		if i == 0 {
			sc.ends = append(sc.ends, int32(len(sc.num)))
			continue
		}
		r := ranked(toks[i-1])
		sc.num = appendFloat(sc.num, logProbRanked(toks[i-1], toks[i], &r))
		sc.ends = append(sc.ends, int32(len(sc.num)))
	}
	text := func(k int) []byte {
		lo := int32(0)
		if k > 0 {
			lo = sc.textEnds[k-1]
		}
		return sc.text[lo:sc.textEnds[k]]
	}
	lp := func(k int) []byte {
		lo := int32(0)
		if k > 0 {
			lo = sc.ends[k-1]
		}
		return sc.num[lo:sc.ends[k]]
	}
	b = append(b, `{"text_offset":[`...)
	off := 0
	for k := range sc.textEnds {
		if k > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(off), 10)
		off += utf8.RuneCount(text(k))
	}
	b = append(b, `],"token_logprobs":[`...)
	for k := range sc.ends {
		if k > 0 {
			b = append(b, ',')
		}
		if k+start == 0 {
			b = append(b, "null"...)
		} else {
			b = append(b, lp(k)...)
		}
	}
	b = append(b, `],"tokens":[`...)
	for k := range sc.textEnds {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendString(b, string(text(k)))
	}
	b = append(b, `],"top_logprobs":[`...)
	var alt [24]byte
	for k := range sc.ends {
		i := k + start
		if k > 0 {
			b = append(b, ',')
		}
		if i == 0 {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '{')
		b = appendString(b, string(text(k)))
		b = append(b, ':')
		b = append(b, lp(k)...)
		prev := toks[i-1]
		r := ranked(prev)
		for a := 0; a < n; a++ {
			if r[a] == toks[i] {
				continue
			}
			at := appendTokenString(alt[:0], r[a], asIDs)
			b = append(b, ',')
			b = appendString(b, string(at))
			b = append(b, ':')
			b = appendFloat(b, logProbRanked(prev, r[a], &r))
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendTokenString writes a token as the tokens array of a logprobs object
// shows it: its text, or with asIDs "token_id:<id>". Text offsets then count
// the code points of these strings, as vLLM's do.
func appendTokenString(b []byte, id int, asIDs bool) []byte {
	if asIDs {
		return strconv.AppendInt(append(b, "token_id:"...), int64(id), 10)
	}
	b, _ = appendToken(b, id)
	return b
}

// scratch is per-response working space.
type scratch struct {
	num, text      []byte
	ends, textEnds []int32
}

func appendUsage(b []byte, prompt, completion int) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt+completion), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(completion), 10)
	return append(b, `,"prompt_tokens_details":null}`...)
}

const assistantHeader = "<|assistant|>\n"

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	Stop                json.RawMessage `json:"stop"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	N *int `json:"n"`
}

// renderChat is the fake chat template: each turn as "<|role|>\n" + content +
// "\n", then the assistant header.
func renderChat(msgs []chatMessage) (string, *httpError) {
	var sb strings.Builder
	for i, m := range msgs {
		content, err := jsonw.MessageText(m.Content)
		if err != nil {
			return "", badRequest("messages[%d].content: %v", i, err)
		}
		sb.WriteString("<|")
		sb.WriteString(m.Role)
		sb.WriteString("|>\n")
		sb.WriteString(content)
		sb.WriteByte('\n')
	}
	sb.WriteString(assistantHeader)
	return sb.String(), nil
}

func (s *Server) chat(w http.ResponseWriter, ctx context.Context, b []byte, body []byte, rec *[]string) ([]byte, bool, *httpError) {
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return b, false, badRequest("invalid request body: %v", err)
	}
	if e := s.checkModel(req.Model); e != nil {
		return b, false, e
	}
	if req.N != nil && *req.N != 1 {
		return b, false, badRequest("openaitest serves n=1 only")
	}
	if len(req.Messages) == 0 {
		return b, false, badRequest("messages must not be empty")
	}
	text, e := renderChat(req.Messages)
	if e != nil {
		return b, false, e
	}
	stops, e := parseStop(req.Stop)
	if e != nil {
		return b, false, e
	}
	ids := s.PromptTokens(text)
	maxTokens := s.opts.MaxModelLen - len(ids)
	switch {
	case req.MaxCompletionTokens != nil:
		maxTokens = *req.MaxCompletionTokens
	case req.MaxTokens != nil:
		maxTokens = *req.MaxTokens
	}
	if maxTokens < 1 {
		return b, false, badRequest("max_tokens must be at least 1, got %d", maxTokens)
	}
	if e := s.contextCheck(len(ids), maxTokens); e != nil {
		return b, false, e
	}
	s.recordPrompt(text)
	if rec != nil {
		*rec = append(*rec, text)
	}
	g := s.generate(text, maxTokens, stops)
	id := s.nextID.Add(1)
	created := time.Now().Unix()
	if req.Stream {
		s.streamChat(w, ctx, id, created, g, len(ids), req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return b, true, nil
	}
	b = append(b, `{"id":"chatcmpl-`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `","object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"model":`...)
	b = appendString(b, s.opts.Model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	b = appendString(b, g.text)
	b = append(b, `,"refusal":null,"annotations":null,"audio":null,"function_call":null,"tool_calls":[],"reasoning_content":null},"logprobs":null,"finish_reason":`...)
	b = appendString(b, g.finish)
	b = append(b, `,"stop_reason":null}],"service_tier":null,"system_fingerprint":null,"usage":`...)
	b = appendUsage(b, len(ids), len(g.ids))
	b = append(b, `,"prompt_logprobs":null,"kv_transfer_params":null}`...)
	return b, false, nil
}

// streamChat sends a chat answer as server-sent events, one token a chunk.
func (s *Server) streamChat(w http.ResponseWriter, ctx context.Context, id, created int64, g generation, promptTokens int, usage bool) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	head := []byte(`data: {"id":"chatcmpl-`)
	head = strconv.AppendInt(head, id, 10)
	head = append(head, `","object":"chat.completion.chunk","created":`...)
	head = strconv.AppendInt(head, created, 10)
	head = append(head, `,"model":`...)
	head = appendString(head, s.opts.Model)
	send := func(delta []byte, finish string) bool {
		b := append([]byte(nil), head...)
		b = append(b, `,"choices":[{"index":0,"delta":`...)
		b = append(b, delta...)
		b = append(b, `,"logprobs":null,"finish_reason":`...)
		if finish == "" {
			b = append(b, "null"...)
		} else {
			b = appendString(b, finish)
		}
		b = append(b, "}]}\n\n"...)
		if _, err := w.Write(b); err != nil || ctx.Err() != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		return true
	}
	if !send([]byte(`{"role":"assistant","content":""}`), "") {
		return
	}
	rest := g.text
	for _, t := range g.ids {
		piece, _ := tokenText(t)
		if !strings.HasPrefix(rest, piece) {
			continue // EOS has no text
		}
		rest = rest[len(piece):]
		if !send(append(appendString([]byte(`{"content":`), piece), '}'), "") {
			return
		}
	}
	if rest != "" && !send(append(appendString([]byte(`{"content":`), rest), '}'), "") {
		return
	}
	if !send([]byte(`{}`), g.finish) {
		return
	}
	if usage {
		b := append([]byte(nil), head...)
		b = append(b, `,"choices":[],"usage":`...)
		b = appendUsage(b, promptTokens, len(g.ids))
		b = append(b, "}\n\n"...)
		if _, err := w.Write(b); err != nil {
			return
		}
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
}

func (s *Server) models(b []byte) []byte {
	b = append(b, `{"object":"list","data":[{"id":`...)
	b = appendString(b, s.opts.Model)
	b = append(b, `,"object":"model","created":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"owned_by":"vllm","root":`...)
	b = appendString(b, s.opts.Model)
	b = append(b, `,"parent":null,"max_model_len":`...)
	b = strconv.AppendInt(b, int64(s.opts.MaxModelLen), 10)
	b = append(b, `,"permission":[{"id":"modelperm-1","object":"model_permission","allow_create_engine":false,"allow_sampling":true,"allow_logprobs":true,"allow_search_indices":false,"allow_view":true,"allow_fine_tuning":false,"organization":"*","group":null,"is_blocking":false}]}]}`...)
	return b
}

type tokenizeRequest struct {
	Model            string        `json:"model"`
	Prompt           *string       `json:"prompt"`
	Messages         []chatMessage `json:"messages"`
	AddSpecialTokens *bool         `json:"add_special_tokens"`
}

func (s *Server) tokenizeEndpoint(b []byte, body []byte) ([]byte, *httpError) {
	var req tokenizeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return b, badRequest("invalid request body: %v", err)
	}
	if e := s.checkModel(req.Model); e != nil {
		return b, e
	}
	var text string
	special := true // vLLM's default for a prompt
	switch {
	case req.Prompt != nil:
		text = *req.Prompt
	case req.Messages != nil:
		var e *httpError
		if text, e = renderChat(req.Messages); e != nil {
			return b, e
		}
		special = false
	default:
		return b, badRequest("either prompt or messages is required")
	}
	if req.AddSpecialTokens != nil {
		special = *req.AddSpecialTokens
	}
	var ids []int
	if special && s.opts.AddBOS {
		ids = append(ids, BOS)
	}
	ids = tokenize(text, ids)
	b = append(b, `{"count":`...)
	b = strconv.AppendInt(b, int64(len(ids)), 10)
	b = append(b, `,"max_model_len":`...)
	b = strconv.AppendInt(b, int64(s.opts.MaxModelLen), 10)
	b = append(b, `,"tokens":`...)
	b = appendIntList(b, ids)
	return append(b, `,"token_strs":null}`...), nil
}

func (s *Server) detokenizeEndpoint(b []byte, body []byte) ([]byte, *httpError) {
	var req struct {
		Model  string `json:"model"`
		Tokens []int  `json:"tokens"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return b, badRequest("invalid request body: %v", err)
	}
	if e := s.checkModel(req.Model); e != nil {
		return b, e
	}
	t, ok := detokenize(req.Tokens)
	if !ok {
		return b, badRequest("token ids out of vocabulary")
	}
	b = append(b, `{"prompt":`...)
	b = appendString(b, t)
	return append(b, '}'), nil
}
