package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/parity-eval/parity/internal/shareddata"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity/chat"
	"github.com/parity-eval/parity/gguf"
	"github.com/parity-eval/parity/llama"
	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/runner/openai"
)

func modelPath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(shareddata.Dir(t, "models", name), "models", name)
}

var (
	engineOnce sync.Once
	engine     *Engine
	engineErr  error
)

// stories returns an Engine over stories260K with its trained context of
// 512 (shared by the tests; it is safe for concurrent use).
func stories(t testing.TB) *Engine {
	t.Helper()
	p := modelPath(t, "stories260K.gguf")
	engineOnce.Do(func() { engine, _, engineErr = Open(p, EngineOptions{ContextLen: 512}) })
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

func startServer(t testing.TB, o Options) (*httptest.Server, *Engine) {
	e := stories(t)
	ts := httptest.NewServer(NewServer(e, o))
	t.Cleanup(ts.Close)
	return ts, e
}

func post(t testing.TB, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// completion is the part of a /v1/completions answer the tests read.
type completion struct {
	Model   string `json:"model"`
	Choices []struct {
		Index    int    `json:"index"`
		Text     string `json:"text"`
		Logprobs *struct {
			TextOffset    []int                `json:"text_offset"`
			TokenLogprobs []*float64           `json:"token_logprobs"`
			Tokens        []string             `json:"tokens"`
			TopLogprobs   []map[string]float64 `json:"top_logprobs"`
		} `json:"logprobs"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func complete(t testing.TB, url, body string) completion {
	t.Helper()
	code, b := post(t, url+"/v1/completions", body)
	if code != 200 {
		t.Fatalf("status %d: %s", code, b)
	}
	var c completion
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return c
}

// TestClientCheckPasses runs parity's own OpenAI client against the server:
// its start-up check (models, /tokenize, prompt logprobs with echo, text
// prompts with add_special_tokens and return_tokens_as_token_ids) must pass
// without falling back to token-id prompts.
func TestClientCheckPasses(t *testing.T) {
	ts, e := startServer(t, Options{})
	var logs []string
	c, err := openai.New(openai.Config{BaseURL: ts.URL + "/v1", Model: e.Name(), Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := openai.ServerInfo{Models: []string{"stories260K"}, MaxModelLen: 512, HasTokenize: true, TokenBoundary: openai.BoundaryTokenize}
	if d := cmp.Diff(want, info); d != "" {
		t.Errorf("server info (-want +got):\n%s", d)
	}
	if len(logs) > 0 {
		t.Errorf("client complained: %q", logs)
	}
}

var llRequests = []runner.LoglikelihoodRequest{
	{Context: "Once upon a time, there was a little", Continuation: " girl"},
	{Context: "Once upon a time, there was a little", Continuation: " dog"},
	{Context: "Question: What did Lily see?\nAnswer:", Continuation: " a big red ball"},
	{Context: "Tom and Sue went to the ", Continuation: "park."},
	{Context: "", Continuation: "Once upon a time"},
	{Context: "The cat sat on the mat. The dog", Continuation: " ran to the park and played with the ball all day"},
}

// TestHTTPAndInProcessAgree scores and generates the same requests through
// parity's OpenAI client over HTTP and through the in-process Backend: the
// numbers must be the same, since both run the same engine with lm-eval's
// token boundary.
func TestHTTPAndInProcessAgree(t *testing.T) {
	ts, e := startServer(t, Options{})
	ctx := context.Background()
	for _, bos := range []bool{false, true} {
		t.Run(fmt.Sprintf("add_bos=%t", bos), func(t *testing.T) {
			c, err := openai.New(openai.Config{BaseURL: ts.URL + "/v1", Model: e.Name(), AddSpecialTokens: bos})
			if err != nil {
				t.Fatal(err)
			}
			viaHTTP, err := c.Loglikelihood(ctx, llRequests)
			if err != nil {
				t.Fatal(err)
			}
			b := NewBackend(e)
			b.AddBOS = bos
			inProc, err := b.Loglikelihood(ctx, llRequests)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(viaHTTP, inProc, cmpopts.EquateApprox(0, 1e-9)); d != "" {
				t.Errorf("loglikelihood (-http +in-process):\n%s", d)
			}
			for i, r := range inProc {
				if r.LogProb >= 0 || r.ContinuationTokens == 0 {
					t.Errorf("request %d: %+v", i, r)
				}
			}
		})
	}
	gen := []runner.GenerateRequest{
		{Context: "Once upon a time", Until: []string{"."}, MaxTokens: 64},
		{Context: "Lily and Tom", Until: []string{"\n\n", "park"}, MaxTokens: 30},
		{Context: "One day", MaxTokens: 5},
	}
	c, err := openai.New(openai.Config{BaseURL: ts.URL + "/v1", Model: e.Name()})
	if err != nil {
		t.Fatal(err)
	}
	viaHTTP, err := c.Generate(ctx, gen)
	if err != nil {
		t.Fatal(err)
	}
	inProc, err := NewBackend(e).Generate(ctx, gen)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(viaHTTP, inProc); d != "" {
		t.Errorf("generate (-http +in-process):\n%s", d)
	}
	// SOURCE.md: llama.cpp's greedy output from "Once upon a time".
	if want := ", there was a little girl named Lily"; inProc[0].Text != want || inProc[0].FinishReason != "stop" {
		t.Errorf("greedy story: %q (%s), want %q (stop)", inProc[0].Text, inProc[0].FinishReason, want)
	}
	if inProc[2].FinishReason != "length" || inProc[2].CompletionTokens != 5 {
		t.Errorf("max tokens: %+v", inProc[2])
	}
}

// TestEchoMatchesLlamaCpp checks the wire: the echoed prompt logprobs of a
// reference prompt are llama.cpp's, in vLLM's layout.
func TestEchoMatchesLlamaCpp(t *testing.T) {
	ts, e := startServer(t, Options{})
	b, err := os.ReadFile(filepath.Join("..", "llama", "testdata", "stories260K.llamacpp.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Prompts []struct {
			Text          string     `json:"text"`
			Tokens        []int      `json:"tokens"`
			TokenLogprobs []*float64 `json:"token_logprobs"`
		} `json:"prompts"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	p := ref.Prompts[1]
	body, _ := json.Marshal(map[string]any{"model": e.Name(), "prompt": p.Text, "max_tokens": 0, "echo": true, "logprobs": 3, "temperature": 0})
	c := complete(t, ts.URL, string(body))
	ch := c.Choices[0]
	lp := ch.Logprobs
	if ch.Text != p.Text || lp == nil || len(lp.Tokens) != len(p.Tokens) || c.Usage.PromptTokens != len(p.Tokens) || c.Usage.CompletionTokens != 0 {
		t.Fatalf("echo of %q: %+v", p.Text, c)
	}
	if lp.TokenLogprobs[0] != nil || lp.TopLogprobs[0] != nil || lp.Tokens[0] != "<s>" {
		t.Errorf("first token: %v %v %q", lp.TokenLogprobs[0], lp.TopLogprobs[0], lp.Tokens[0])
	}
	for i := 1; i < len(p.Tokens); i++ {
		if d := math.Abs(*lp.TokenLogprobs[i] - *p.TokenLogprobs[i]); d > 1e-3 {
			t.Errorf("token %d: %v, llama.cpp %v", i, *lp.TokenLogprobs[i], *p.TokenLogprobs[i])
		}
		if n := len(lp.TopLogprobs[i]); n < 3 || n > 4 {
			t.Errorf("token %d: %d top logprobs, want 3 or 4", i, n)
		}
		if got := lp.TopLogprobs[i][lp.Tokens[i]]; got != *lp.TokenLogprobs[i] {
			t.Errorf("token %d: top_logprobs[%q] = %v, not its logprob", i, lp.Tokens[i], got)
		}
	}
	// The token strings after BOS spell the text, and text_offset counts
	// their code points.
	if got := strings.Join(lp.Tokens[1:], ""); got != p.Text {
		t.Errorf("tokens join to %q", got)
	}
	off := 0
	for i, s := range lp.Tokens {
		if lp.TextOffset[i] != off {
			t.Fatalf("text_offset[%d] = %d, want %d", i, lp.TextOffset[i], off)
		}
		off += len([]rune(s))
	}
}

func TestCompletionShapes(t *testing.T) {
	ts, e := startServer(t, Options{})
	ids := e.Tokenize("Once upon a time", true)
	idsJSON, _ := json.Marshal(ids)

	// A list of prompts, text and token ids, answer in order, and a
	// token-id prompt answers as its text does.
	c := complete(t, ts.URL, `{"prompt":["Once upon a time","The dog"],"max_tokens":8,"temperature":0}`)
	c2 := complete(t, ts.URL, `{"prompt":`+string(idsJSON)+`,"max_tokens":8,"temperature":0}`)
	c3 := complete(t, ts.URL, `{"prompt":[`+string(idsJSON)+`,`+string(idsJSON)+`],"max_tokens":8,"temperature":0}`)
	if len(c.Choices) != 2 || c.Choices[0].Text != c2.Choices[0].Text || len(c3.Choices) != 2 || c3.Choices[1].Text != c2.Choices[0].Text {
		t.Errorf("prompt shapes disagree: %+v / %+v / %+v", c, c2, c3)
	}
	if c.Choices[1].Index != 1 || c.Usage.CompletionTokens != 16 || c.Model != "stories260K" {
		t.Errorf("usage or indexes: %+v", c)
	}

	// stop cuts the text; finish_reason says why.
	s := complete(t, ts.URL, `{"prompt":"Once upon a time","max_tokens":40,"temperature":0,"stop":[" named"]}`)
	if s.Choices[0].Text != ", there was a little girl" || s.Choices[0].FinishReason != "stop" {
		t.Errorf("stop: %+v", s.Choices[0])
	}

	// The same seed gives the same sample; sampling differs from greedy.
	a := complete(t, ts.URL, `{"prompt":"Once upon a time","max_tokens":30,"temperature":1.0,"seed":7}`)
	b := complete(t, ts.URL, `{"prompt":"Once upon a time","max_tokens":30,"temperature":1.0,"seed":7}`)
	g := complete(t, ts.URL, `{"prompt":"Once upon a time","max_tokens":30,"temperature":0}`)
	if a.Choices[0].Text != b.Choices[0].Text {
		t.Errorf("seeded sampling is not reproducible: %q vs %q", a.Choices[0].Text, b.Choices[0].Text)
	}
	if a.Choices[0].Text == g.Choices[0].Text {
		t.Errorf("temperature 1 gave the greedy text %q", g.Choices[0].Text)
	}

	// Generated tokens' logprobs with return_tokens_as_token_ids.
	l := complete(t, ts.URL, `{"prompt":"Once upon a time","max_tokens":3,"temperature":0,"logprobs":2,"return_tokens_as_token_ids":true}`)
	lp := l.Choices[0].Logprobs
	if lp == nil || len(lp.Tokens) != 3 || !strings.HasPrefix(lp.Tokens[0], "token_id:") || len(lp.TopLogprobs[0]) != 2 {
		t.Errorf("logprobs of generated tokens: %+v", lp)
	}
	for k, tl := range lp.TopLogprobs {
		best := math.Inf(-1)
		for _, v := range tl {
			best = math.Max(best, v)
		}
		if *lp.TokenLogprobs[k] != best {
			t.Errorf("greedy token %d is not the best of %v", k, tl)
		}
	}

	// add_special_tokens=false leaves BOS out.
	n := complete(t, ts.URL, `{"prompt":"Once upon a time","max_tokens":0,"echo":true,"logprobs":0,"add_special_tokens":false}`)
	if n.Usage.PromptTokens != len(ids)-1 || n.Choices[0].Logprobs.Tokens[0] == "<s>" {
		t.Errorf("add_special_tokens=false: %+v", n)
	}
}

func TestErrors(t *testing.T) {
	ts, _ := startServer(t, Options{APIKey: "sekret"})
	long := strings.Repeat("Once upon a time there was a dog. ", 100)
	cases := []struct {
		name, method, path, body string
		auth                     bool
		status                   int
		contains                 string
	}{
		{"no key", "POST", "/v1/completions", `{"prompt":"x"}`, false, 401, "Unauthorized"},
		{"bad json", "POST", "/v1/completions", `{"prompt":`, true, 400, "invalid request body"},
		{"empty body", "POST", "/v1/completions", ``, true, 400, "empty"},
		{"no prompt", "POST", "/v1/completions", `{"max_tokens":3}`, true, 400, "prompt is required"},
		{"unknown model", "POST", "/v1/completions", `{"model":"gpt-9","prompt":"x"}`, true, 404, "does not exist"},
		{"negative max_tokens", "POST", "/v1/completions", `{"prompt":"x","max_tokens":-1}`, true, 400, "max_tokens"},
		{"too many logprobs", "POST", "/v1/completions", `{"prompt":"x","logprobs":21}`, true, 400, "logprobs"},
		{"n=2", "POST", "/v1/completions", `{"prompt":"x","n":2}`, true, 400, "n must be 1"},
		{"bad temperature", "POST", "/v1/completions", `{"prompt":"x","temperature":-1}`, true, 400, "temperature"},
		{"bad stop", "POST", "/v1/completions", `{"prompt":"x","stop":3}`, true, 400, "stop"},
		{"token out of vocab", "POST", "/v1/completions", `{"prompt":[1,99999]}`, true, 400, "vocabulary"},
		{"too long", "POST", "/v1/completions", `{"prompt":"` + long + `","max_tokens":1}`, true, 400, "maximum context length is 512"},
		{"chat no messages", "POST", "/v1/chat/completions", `{"messages":[]}`, true, 400, "messages"},
		{"chat image", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, true, 400, "not supported"},
		{"wrong method", "GET", "/v1/completions", ``, true, 405, "Method Not Allowed"},
		{"unknown path", "GET", "/v2/x", ``, true, 404, "Not Found"},
		{"detokenize bad id", "POST", "/detokenize", `{"tokens":[-1]}`, false, 400, "vocabulary"},
		{"tokenize nothing", "POST", "/tokenize", `{}`, false, 400, "prompt or messages"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
		if c.auth {
			req.Header.Set("Authorization", "Bearer sekret")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.contains) || !json.Valid(b) {
			t.Errorf("%s: %d %s; want %d containing %q", c.name, resp.StatusCode, b, c.status, c.contains)
		}
	}
}

func TestTokenizeAndModels(t *testing.T) {
	ts, e := startServer(t, Options{})
	code, b := post(t, ts.URL+"/tokenize", `{"prompt":"Once upon a time"}`)
	var tok struct {
		Count       int   `json:"count"`
		MaxModelLen int   `json:"max_model_len"`
		Tokens      []int `json:"tokens"`
	}
	if err := json.Unmarshal(b, &tok); code != 200 || err != nil {
		t.Fatalf("%d %s", code, b)
	}
	if d := cmp.Diff(e.Tokenize("Once upon a time", true), tok.Tokens); d != "" || tok.Count != len(tok.Tokens) || tok.MaxModelLen != 512 || tok.Tokens[0] != 1 {
		t.Errorf("tokenize: %s", b)
	}
	idsJSON, _ := json.Marshal(tok.Tokens)
	_, b = post(t, ts.URL+"/detokenize", `{"tokens":`+string(idsJSON)+`}`)
	if string(b) != `{"prompt":"Once upon a time"}` {
		t.Errorf("detokenize: %s", b)
	}
	resp, err := http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var models struct {
		Data []struct {
			ID          string `json:"id"`
			MaxModelLen int    `json:"max_model_len"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&models); err != nil || len(models.Data) != 1 || models.Data[0].ID != "stories260K" || models.Data[0].MaxModelLen != 512 {
		t.Errorf("models: %+v %v", models, err)
	}
}

func TestChat(t *testing.T) {
	ts, _ := startServer(t, Options{})
	body := `{"messages":[{"role":"user","content":"Tell me a story."}],"max_tokens":20,"temperature":0}`
	code, b := post(t, ts.URL+"/v1/chat/completions", body)
	var resp struct {
		Choices []struct {
			Message struct {
				Role, Content string
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(b, &resp); code != 200 || err != nil || len(resp.Choices) != 1 || resp.Choices[0].Message.Role != "assistant" || resp.Choices[0].Message.Content == "" {
		t.Fatalf("%d %s", code, b)
	}
	// Streaming sends the same text in pieces, then the finish reason, the
	// usage and [DONE].
	stream := strings.TrimSuffix(body, "}") + `,"stream":true,"stream_options":{"include_usage":true}}`
	r, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if ct := r.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	var text, finish string
	var chunks, usage int
	done := false
	sc := bufio.NewScanner(r.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("not an event: %q", line)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("%v: %s", err, data)
		}
		if ev.Usage != nil {
			usage = ev.Usage.CompletionTokens
		}
		for _, c := range ev.Choices {
			chunks++
			text += c.Delta.Content
			if c.FinishReason != nil {
				finish = *c.FinishReason
			}
		}
	}
	if text != resp.Choices[0].Message.Content || finish != resp.Choices[0].FinishReason || !done || usage == 0 || chunks < 3 {
		t.Errorf("stream: %q (%s, done %t, usage %d, %d chunks); want %q (%s)", text, finish, done, usage, chunks, resp.Choices[0].Message.Content, resp.Choices[0].FinishReason)
	}
}

// TestConcurrentRequests sends requests from several goroutines at once:
// each answer must be what it is alone.
func TestConcurrentRequests(t *testing.T) {
	ts, _ := startServer(t, Options{})
	prompts := []string{"Once upon a time", "The dog", "Lily and Tom went", "One day, a bird"}
	want := map[string]string{}
	for _, p := range prompts {
		want[p] = complete(t, ts.URL, fmt.Sprintf(`{"prompt":%q,"max_tokens":12,"temperature":0,"echo":true,"logprobs":1}`, p)).Choices[0].Text
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := prompts[i%len(prompts)]
			c := complete(t, ts.URL, fmt.Sprintf(`{"prompt":%q,"max_tokens":12,"temperature":0,"echo":true,"logprobs":1}`, p))
			if c.Choices[0].Text != want[p] {
				errs <- fmt.Errorf("%q: %q, alone %q", p, c.Choices[0].Text, want[p])
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestBackendErrors(t *testing.T) {
	e := stories(t)
	b := NewBackend(e)
	ctx := context.Background()
	_, err := b.Loglikelihood(ctx, []runner.LoglikelihoodRequest{{Context: strings.Repeat("Once upon a time. ", 200), Continuation: " The"}})
	var ce *llama.ContextError
	if !errors.As(err, &ce) || ce.ContextLen != 512 {
		t.Errorf("too long: %v", err)
	}
	if _, err := b.Loglikelihood(ctx, []runner.LoglikelihoodRequest{{Context: "Once", Continuation: ""}}); !errors.Is(err, ErrNoContinuationTokens) {
		t.Errorf("empty continuation: %v", err)
	}
	_, err = b.Generate(ctx, []runner.GenerateRequest{{Context: strings.Repeat("Once upon a time. ", 80), MaxTokens: 256}})
	if !errors.As(err, &ce) {
		t.Errorf("generation past the context: %v", err)
	}
	if !strings.HasPrefix(b.ID(), "gguf:stories260K@sha256:270cba1bd5109f42") {
		t.Errorf("ID %q does not name the file's digest", b.ID())
	}
}

// TestChatTemplateFromGGUF gives stories260K a chat template in its GGUF
// metadata: the chat endpoints and /tokenize render messages with it (the
// Jinja engine of package chat, with the vocabulary's BOS and EOS as
// bos_token and eos_token).
func TestChatTemplateFromGGUF(t *testing.T) {
	f, err := gguf.Open(modelPath(t, "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	var w gguf.Writer
	for _, k := range f.Keys() {
		w.Set(k, f.Metadata[k])
	}
	w.Set("tokenizer.chat_template", "{{ bos_token }}{% for m in messages %}{{ m.role | upper }}: {{ m.content }}{{ eos_token }}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}")
	for _, tn := range f.Tensors {
		w.AddTensor(tn.Name, tn.Type, tn.Dims, tn.Data)
	}
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	e, err := FromBytes(b, EngineOptions{Name: "templated", ContextLen: 512})
	if err != nil {
		t.Fatal(err)
	}
	text, ids, err := e.ChatPrompt([]chat.Message{{Role: "system", Content: "Be nice."}, {Role: "user", Content: "Hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<s>SYSTEM: Be nice.</s>\nUSER: Hi</s>\nASSISTANT:"; text != want {
		t.Errorf("rendered %q, want %q", text, want)
	}
	// The template's own "<s>" and "</s>" are the special tokens, and no
	// second BOS is added.
	if ids[0] != 1 || ids[1] == 1 || countOf(ids, 2) != 2 {
		t.Errorf("chat prompt tokens %v", ids)
	}
	ts := httptest.NewServer(NewServer(e, Options{}))
	defer ts.Close()
	code, body := post(t, ts.URL+"/tokenize", `{"messages":[{"role":"system","content":"Be nice."},{"role":"user","content":"Hi"}]}`)
	var tok struct {
		Tokens []int `json:"tokens"`
	}
	if err := json.Unmarshal(body, &tok); code != 200 || err != nil || !cmp.Equal(tok.Tokens, ids) {
		t.Errorf("/tokenize of messages: %d %s", code, body)
	}
	code, body = post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"temperature":0}`)
	if code != 200 || !strings.Contains(string(body), `"completion_tokens":`) {
		t.Errorf("chat: %d %s", code, body)
	}
}

func countOf(ids []int, id int) int {
	n := 0
	for _, x := range ids {
		if x == id {
			n++
		}
	}
	return n
}
