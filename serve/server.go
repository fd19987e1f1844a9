package serve

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/parity-eval/parity/jsonw"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/parity-eval/parity/chat"
	"github.com/parity-eval/parity/llama"
)

// MaxLogprobs is the most alternatives a request may ask for per token
// (vLLM's default max_logprobs).
const MaxLogprobs = 20

// Options configure a Server.
type Options struct {
	// APIKey, when set, is required as "Authorization: Bearer <key>" on /v1
	// paths (vLLM leaves /tokenize and /health open).
	APIKey string
	// MaxBodyBytes bounds a request body (default 64 MiB).
	MaxBodyBytes int64
	// Logf, if set, hears about each request that fails on the server's
	// side.
	Logf func(format string, args ...any)
}

// Server answers the OpenAI API (as vLLM extends it) over an Engine.
type Server struct {
	e      *Engine
	o      Options
	nextID atomic.Int64
	routes map[string]route
}

// route is one endpoint: its method, whether it is under /v1 (and so
// behind the API key), and its handler, which returns the JSON body.
type route struct {
	method string
	v1     bool
	handle func(context.Context, []byte, http.ResponseWriter) ([]byte, error)
}

// NewServer returns a Server; mount it as an http.Handler.
func NewServer(e *Engine, o Options) *Server {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 20
	}
	s := &Server{e: e, o: o}
	s.routes = map[string]route{
		"/v1/completions":      {http.MethodPost, true, s.completions},
		"/v1/chat/completions": {http.MethodPost, true, s.chatCompletions},
		"/v1/models":           {http.MethodGet, true, func(context.Context, []byte, http.ResponseWriter) ([]byte, error) { return s.models(), nil }},
		"/tokenize":            {http.MethodPost, false, s.tokenize},
		"/detokenize":          {http.MethodPost, false, s.detokenize},
		"/health":              {http.MethodGet, false, func(context.Context, []byte, http.ResponseWriter) ([]byte, error) { return nil, nil }},
	}
	return s
}

// apiError is an answer other than 200, in OpenAI's error shape.
type apiError struct {
	status int
	typ    string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "BadRequestError", fmt.Sprintf(format, args...)}
}

func (e *apiError) body() []byte {
	b := []byte(`{"error":{"message":`)
	b = appendString(b, e.msg)
	b = append(b, `,"type":`...)
	b = appendString(b, e.typ)
	b = append(b, `,"param":null,"code":`...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	return append(b, "}}"...)
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	rt, ok := s.routes[path]
	if !ok {
		writeJSON(w, http.StatusNotFound, []byte(`{"detail":"Not Found"}`))
		return
	}
	if r.Method != rt.method {
		w.Header().Set("Allow", rt.method)
		writeJSON(w, http.StatusMethodNotAllowed, []byte(`{"detail":"Method Not Allowed"}`))
		return
	}
	if rt.v1 && s.o.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.o.APIKey {
		writeJSON(w, http.StatusUnauthorized, []byte(`{"error":"Unauthorized"}`))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			e := &apiError{http.StatusRequestEntityTooLarge, "BadRequestError", fmt.Sprintf("request body exceeds %d bytes", s.o.MaxBodyBytes)}
			writeJSON(w, e.status, e.body())
		}
		return
	}
	out, err := rt.handle(r.Context(), body, w)
	if err != nil {
		if r.Context().Err() != nil {
			return // the client went away; nobody to answer
		}
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{http.StatusInternalServerError, "InternalServerError", err.Error()}
			if s.o.Logf != nil {
				s.o.Logf("serve: %s: %v", path, err)
			}
		}
		writeJSON(w, ae.status, ae.body())
		return
	}
	if out != nil {
		writeJSON(w, http.StatusOK, out)
	} else if path == "/health" {
		w.WriteHeader(http.StatusOK)
	}
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// decode reads a JSON body strictly enough to name a bad field.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("request body is empty")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("invalid request body: %v", err)
	}
	return nil
}

func (s *Server) checkModel(model string) error {
	if model != "" && model != s.e.Name() {
		return &apiError{http.StatusNotFound, "NotFoundError", fmt.Sprintf("The model `%s` does not exist.", model)}
	}
	return nil
}

func (s *Server) contextCheck(prompt, maxTokens int) error {
	if n := prompt + maxTokens; n > s.e.MaxModelLen() {
		return badRequest("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
			s.e.MaxModelLen(), n, prompt, maxTokens)
	}
	return nil
}

// sampling holds the sampling fields both endpoints take.
type sampling struct {
	Temperature *float64 `json:"temperature"`
	TopP        *float64 `json:"top_p"`
	TopK        *int     `json:"top_k"`
	Seed        *int64   `json:"seed"`
	IgnoreEOS   bool     `json:"ignore_eos"`
	N           *int     `json:"n"`
}

// sampler makes the request's Sampler; nil (greedy) at temperature 0. As
// in vLLM and OpenAI, the default temperature is 1.
func (p *sampling) sampler() (*llama.Sampler, error) {
	if p.N != nil && *p.N != 1 {
		return nil, badRequest("n must be 1 (parity serve returns one choice per prompt)")
	}
	temp, topP, topK := 1.0, 1.0, 0
	if p.Temperature != nil {
		temp = *p.Temperature
	}
	if p.TopP != nil {
		topP = *p.TopP
	}
	if p.TopK != nil {
		topK = *p.TopK
	}
	switch {
	case temp < 0 || temp != temp:
		return nil, badRequest("temperature must be non-negative, got %v", temp)
	case topP <= 0 || topP > 1:
		return nil, badRequest("top_p must be in (0, 1], got %v", topP)
	case topK < -1:
		return nil, badRequest("top_k must be -1 (disable), or at least 1, got %d", topK)
	}
	if temp == 0 {
		return nil, nil
	}
	var seed uint64
	if p.Seed != nil {
		seed = uint64(*p.Seed)
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	return llama.NewSampler(temp, topP, max(topK, 0), seed), nil
}

func parseStop(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
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
		return nil, badRequest("stop must be a string or a list of strings: %v", err)
	}
	return ss, nil
}

type completionRequest struct {
	Model                  string          `json:"model"`
	Prompt                 json.RawMessage `json:"prompt"`
	MaxTokens              *int            `json:"max_tokens"`
	Stop                   json.RawMessage `json:"stop"`
	Echo                   bool            `json:"echo"`
	Logprobs               *int            `json:"logprobs"`
	Stream                 bool            `json:"stream"`
	AddSpecialTokens       *bool           `json:"add_special_tokens"`
	ReturnTokensAsTokenIDs bool            `json:"return_tokens_as_token_ids"`
	sampling
}

type prompt struct {
	text string // as the response echoes it
	ids  []int
}

// parsePrompts accepts every shape /v1/completions takes: a string, a list
// of strings, a list of token ids, or a list of lists of token ids.
// Text prompts get special tokens (BOS) when special is set; token-id
// prompts are taken as they are, as vLLM does.
func (s *Server) parsePrompts(raw json.RawMessage, special bool) ([]prompt, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, badRequest("prompt is required")
	}
	var texts []string
	var lists [][]int
	switch {
	case raw[0] == '"':
		var t string
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, badRequest("invalid prompt: %v", err)
		}
		texts = []string{t}
	case raw[0] == '[':
		inner := bytes.TrimSpace(raw[1:])
		switch {
		case len(inner) == 0 || inner[0] == ']':
			return nil, badRequest("prompt must not be empty")
		case inner[0] == '"':
			if err := json.Unmarshal(raw, &texts); err != nil {
				return nil, badRequest("invalid prompt: %v", err)
			}
		case inner[0] == '[':
			if err := json.Unmarshal(raw, &lists); err != nil {
				return nil, badRequest("invalid prompt: %v", err)
			}
		default:
			var ids []int
			if err := json.Unmarshal(raw, &ids); err != nil {
				return nil, badRequest("invalid prompt: %v", err)
			}
			lists = [][]int{ids}
		}
	default:
		return nil, badRequest("prompt must be a string, a list of strings or a list of token ids")
	}
	var out []prompt
	for _, t := range texts {
		out = append(out, prompt{text: t, ids: s.e.Tokenize(t, special)})
	}
	for i, ids := range lists {
		text, err := s.e.Detokenize(ids)
		if err != nil {
			return nil, badRequest("prompt %d: %v", i, err)
		}
		out = append(out, prompt{text: text, ids: ids})
	}
	for i, p := range out {
		if len(p.ids) == 0 {
			return nil, badRequest("prompt %d is empty", i)
		}
	}
	return out, nil
}

func (s *Server) newID(prefix string) string {
	return prefix + strconv.FormatInt(s.nextID.Add(1), 10)
}

func (s *Server) completions(ctx context.Context, body []byte, _ http.ResponseWriter) ([]byte, error) {
	var req completionRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.checkModel(req.Model); err != nil {
		return nil, err
	}
	if req.Stream {
		return nil, badRequest("stream is not supported on /v1/completions by parity serve; use /v1/chat/completions to stream")
	}
	if req.Logprobs != nil && (*req.Logprobs < 0 || *req.Logprobs > MaxLogprobs) {
		return nil, badRequest("logprobs must be between 0 and %d, got %d", MaxLogprobs, *req.Logprobs)
	}
	sampler, err := req.sampler()
	if err != nil {
		return nil, err
	}
	stops, err := parseStop(req.Stop)
	if err != nil {
		return nil, err
	}
	maxTokens := 16 // OpenAI's and vLLM's default for completions
	if req.MaxTokens != nil {
		maxTokens = *req.MaxTokens
	}
	if maxTokens < 0 {
		return nil, badRequest("max_tokens must be at least 0, got %d", maxTokens)
	}
	if maxTokens == 0 && !req.Echo {
		return nil, badRequest("max_tokens 0 is only meaningful with echo")
	}
	special := true // vLLM's default for completions
	if req.AddSpecialTokens != nil {
		special = *req.AddSpecialTokens
	}
	prompts, err := s.parsePrompts(req.Prompt, special)
	if err != nil {
		return nil, err
	}
	for _, p := range prompts {
		if err := s.contextCheck(len(p.ids), maxTokens); err != nil {
			return nil, err
		}
	}
	topN := 0
	if req.Logprobs != nil {
		topN = *req.Logprobs
	}
	b := append([]byte(`{"id":`), appendString(nil, s.newID("cmpl-"))...)
	b = append(b, `,"object":"text_completion","created":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"model":`...)
	b = appendString(b, s.e.Name())
	b = append(b, `,"choices":[`...)
	promptTokens, completionTokens := 0, 0
	for i, p := range prompts {
		res, err := s.e.Complete(ctx, llama.Request{
			Prompt: p.ids, MaxTokens: maxTokens, PromptLogprobs: req.Echo && req.Logprobs != nil,
			TopN: topN, Sampler: sampler, Stop: stops, IgnoreEOS: req.IgnoreEOS,
		})
		if err != nil {
			return nil, s.engineError(err)
		}
		promptTokens += len(p.ids)
		completionTokens += len(res.Tokens)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"text":`...)
		if req.Echo {
			b = appendString(b, p.text+res.Text)
		} else {
			b = appendString(b, res.Text)
		}
		b = append(b, `,"logprobs":`...)
		if req.Logprobs == nil {
			b = append(b, "null"...)
		} else {
			var toks []llama.TokenLogprob
			var ids []int
			if req.Echo {
				toks = append(toks, res.Prompt...)
				ids = append(ids, p.ids...)
			}
			toks = append(toks, res.Tokens...)
			for _, t := range res.Tokens {
				ids = append(ids, t.Token)
			}
			all := append(append([]int(nil), p.ids...), ids[len(ids)-len(res.Tokens):]...)
			strs := s.e.TokenStrings(all)
			starts := make([]bool, len(all))
			for k, seen := 0, false; k < len(all); k++ {
				starts[k] = !seen
				seen = seen || !s.e.Model().Tok.IsSpecial(all[k])
			}
			if !req.Echo {
				strs, starts = strs[len(p.ids):], starts[len(p.ids):]
			}
			b = s.appendLogprobs(b, toks, strs, starts, topN, req.ReturnTokensAsTokenIDs)
		}
		b = append(b, `,"finish_reason":`...)
		b = appendString(b, res.Finish)
		b = append(b, `,"stop_reason":`...)
		if res.StopString != "" {
			b = appendString(b, res.StopString)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"prompt_logprobs":null}`...)
	}
	b = append(b, `],"service_tier":null,"system_fingerprint":null,"usage":`...)
	b = appendUsage(b, promptTokens, completionTokens)
	return append(b, '}'), nil
}

// engineError maps an engine failure to an API error.
func (s *Server) engineError(err error) error {
	var ce *llama.ContextError
	if errors.As(err, &ce) {
		return badRequest("This model's maximum context length is %d tokens. However, you requested %d tokens.", ce.ContextLen, ce.Tokens)
	}
	return err
}

// appendLogprobs writes a completions logprobs object, vLLM's layout: the
// first token of a sequence has null log-probabilities; text_offset counts
// the code points of the token strings before each token; each
// top_logprobs entry holds the token itself and the n best alternatives.
func (s *Server) appendLogprobs(b []byte, toks []llama.TokenLogprob, strs []string, atStart []bool, n int, asIDs bool) []byte {
	tok := s.e.Model().Tok
	name := func(k int, id int) string {
		if asIDs {
			return "token_id:" + strconv.Itoa(id)
		}
		if id == toks[k].Token {
			return strs[k]
		}
		if tok.IsSpecial(id) {
			return tok.Piece(id)
		}
		// An alternative reads as it would have at this position.
		return tok.Text(id, atStart[k])
	}
	b = append(b, `{"text_offset":[`...)
	off := 0
	for k := range toks {
		if k > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(off), 10)
		off += len([]rune(name(k, toks[k].Token)))
	}
	b = append(b, `],"token_logprobs":[`...)
	for k, t := range toks {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, t.Logprob)
	}
	b = append(b, `],"tokens":[`...)
	for k, t := range toks {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendString(b, name(k, t.Token))
	}
	b = append(b, `],"top_logprobs":[`...)
	for k, t := range toks {
		if k > 0 {
			b = append(b, ',')
		}
		if t.Logprob != t.Logprob { // NaN: the first token of a sequence
			b = append(b, "null"...)
			continue
		}
		seen := map[string]bool{}
		b = append(b, '{')
		write := func(key string, lp float64) {
			if seen[key] {
				return
			}
			if len(seen) > 0 {
				b = append(b, ',')
			}
			seen[key] = true
			b = appendString(b, key)
			b = append(b, ':')
			b = appendFloat(b, lp)
		}
		write(name(k, t.Token), t.Logprob)
		for _, a := range t.Top[:min(n, len(t.Top))] {
			write(name(k, a.Token), a.Logprob)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

func (m chatMessage) text() (string, error) { return jsonw.MessageText(m.Content) }

func chatMessages(raw []chatMessage) ([]chat.Message, error) {
	if len(raw) == 0 {
		return nil, badRequest("messages must not be empty")
	}
	out := make([]chat.Message, len(raw))
	for i, m := range raw {
		t, err := m.text()
		if err != nil {
			return nil, badRequest("messages[%d].content: %v", i, err)
		}
		if m.Role == "" {
			return nil, badRequest("messages[%d].role is required", i)
		}
		out[i] = chat.Message{Role: m.Role, Content: t}
	}
	return out, nil
}

type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stop                json.RawMessage `json:"stop"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	sampling
}

func (s *Server) chatCompletions(ctx context.Context, body []byte, w http.ResponseWriter) ([]byte, error) {
	var req chatRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.checkModel(req.Model); err != nil {
		return nil, err
	}
	msgs, err := chatMessages(req.Messages)
	if err != nil {
		return nil, err
	}
	sampler, err := req.sampler()
	if err != nil {
		return nil, err
	}
	stops, err := parseStop(req.Stop)
	if err != nil {
		return nil, err
	}
	_, ids, err := s.e.ChatPrompt(msgs)
	if err != nil {
		return nil, badRequest("chat template: %v", err)
	}
	maxTokens := s.e.MaxModelLen() - len(ids)
	switch {
	case req.MaxCompletionTokens != nil:
		maxTokens = *req.MaxCompletionTokens
	case req.MaxTokens != nil:
		maxTokens = *req.MaxTokens
	}
	if maxTokens < 1 {
		return nil, badRequest("max_tokens must be at least 1, got %d", maxTokens)
	}
	if err := s.contextCheck(len(ids), maxTokens); err != nil {
		return nil, err
	}
	id := s.newID("chatcmpl-")
	created := time.Now().Unix()
	lr := llama.Request{Prompt: ids, MaxTokens: maxTokens, Sampler: sampler, Stop: stops, IgnoreEOS: req.IgnoreEOS}
	if req.Stream {
		return nil, s.streamChat(ctx, w, id, created, lr, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
	}
	res, err := s.e.Complete(ctx, lr)
	if err != nil {
		return nil, s.engineError(err)
	}
	b := append([]byte(`{"id":`), appendString(nil, id)...)
	b = append(b, `,"object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, created, 10)
	b = append(b, `,"model":`...)
	b = appendString(b, s.e.Name())
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	b = appendString(b, res.Text)
	b = append(b, `,"refusal":null,"tool_calls":[],"reasoning_content":null},"logprobs":null,"finish_reason":`...)
	b = appendString(b, res.Finish)
	b = append(b, `,"stop_reason":null}],"usage":`...)
	b = appendUsage(b, len(ids), len(res.Tokens))
	return append(b, '}'), nil
}

// streamChat sends the answer as server-sent events while it is generated.
// Once the first event is out, a failure can only end the stream.
func (s *Server) streamChat(ctx context.Context, w http.ResponseWriter, id string, created int64, lr llama.Request, usage bool) error {
	head := []byte(`data: {"id":`)
	head = appendString(head, id)
	head = append(head, `,"object":"chat.completion.chunk","created":`...)
	head = strconv.AppendInt(head, created, 10)
	head = append(head, `,"model":`...)
	head = appendString(head, s.e.Name())
	fl, _ := w.(http.Flusher)
	started := false
	send := func(delta []byte, finish string) error {
		if !started {
			h := w.Header()
			h.Set("Content-Type", "text/event-stream")
			h.Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusOK)
			started = true
		}
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
		if _, err := w.Write(b); err != nil {
			return err
		}
		if fl != nil {
			fl.Flush()
		}
		return ctx.Err()
	}
	// The role chunk goes first only once the request is known to be
	// good, so a bad one still gets a JSON error with its status.
	first := true
	lr.OnText = func(delta string) error {
		if first {
			first = false
			if err := send([]byte(`{"role":"assistant","content":""}`), ""); err != nil {
				return err
			}
		}
		return send(append(appendString([]byte(`{"content":`), delta), '}'), "")
	}
	res, err := s.e.Complete(ctx, lr)
	if err != nil {
		if started {
			return nil // the stream simply ends
		}
		return s.engineError(err)
	}
	if first {
		if err := send([]byte(`{"role":"assistant","content":""}`), ""); err != nil {
			return nil
		}
	}
	if err := send([]byte(`{}`), res.Finish); err != nil {
		return nil
	}
	if usage {
		b := append([]byte(nil), head...)
		b = append(b, `,"choices":[],"usage":`...)
		b = appendUsage(b, len(lr.Prompt), len(res.Tokens))
		b = append(b, "}\n\n"...)
		if _, err := w.Write(b); err != nil {
			return nil
		}
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
	return nil
}

func (s *Server) models() []byte {
	b := []byte(`{"object":"list","data":[{"id":`)
	b = appendString(b, s.e.Name())
	b = append(b, `,"object":"model","created":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"owned_by":"parity","root":`...)
	b = appendString(b, s.e.Name())
	b = append(b, `,"parent":null,"max_model_len":`...)
	b = strconv.AppendInt(b, int64(s.e.MaxModelLen()), 10)
	return append(b, `}]}`...)
}

type tokenizeRequest struct {
	Model               string        `json:"model"`
	Prompt              *string       `json:"prompt"`
	Messages            []chatMessage `json:"messages"`
	AddSpecialTokens    *bool         `json:"add_special_tokens"`
	AddGenerationPrompt *bool         `json:"add_generation_prompt"`
}

func (s *Server) tokenize(_ context.Context, body []byte, _ http.ResponseWriter) ([]byte, error) {
	var req tokenizeRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.checkModel(req.Model); err != nil {
		return nil, err
	}
	var ids []int
	switch {
	case req.Prompt != nil:
		special := true // vLLM's default for a prompt
		if req.AddSpecialTokens != nil {
			special = *req.AddSpecialTokens
		}
		ids = s.e.Tokenize(*req.Prompt, special)
	case req.Messages != nil:
		msgs, err := chatMessages(req.Messages)
		if err != nil {
			return nil, err
		}
		if _, ids, err = s.e.ChatPrompt(msgs); err != nil {
			return nil, badRequest("chat template: %v", err)
		}
	default:
		return nil, badRequest("either prompt or messages is required")
	}
	b := []byte(`{"count":`)
	b = strconv.AppendInt(b, int64(len(ids)), 10)
	b = append(b, `,"max_model_len":`...)
	b = strconv.AppendInt(b, int64(s.e.MaxModelLen()), 10)
	b = append(b, `,"tokens":`...)
	b = appendInts(b, ids)
	return append(b, `,"token_strs":null}`...), nil
}

func (s *Server) detokenize(_ context.Context, body []byte, _ http.ResponseWriter) ([]byte, error) {
	var req struct {
		Model  string `json:"model"`
		Tokens []int  `json:"tokens"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := s.checkModel(req.Model); err != nil {
		return nil, err
	}
	t, err := s.e.Detokenize(req.Tokens)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	b := []byte(`{"prompt":`)
	b = appendString(b, t)
	return append(b, '}'), nil
}
