package openaitest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestTokenizer(t *testing.T) {
	pieces := func(text string) []string {
		var out []string
		for _, id := range tokenize(text, nil) {
			p, ok := tokenText(id)
			if !ok {
				t.Fatalf("id %d of %q has no text", id, text)
			}
			out = append(out, p)
		}
		return out
	}
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Answer: A", []string{"Ans", "wer", ":", " A"}},
		{" Hello world", []string{" He", "llo", " wo", "rld"}},
		{"Hel", []string{"Hel"}},
		{"Hello", []string{"He", "llo"}},
		{"a  b", []string{"a", " ", " b"}},
		{"x\n\nQuestion", []string{"x", "\n\n", "Qu", "est", "ion"}},
		{"12345.", []string{"12", "345", "."}},
		{"caf\u00e9!", []string{"ca", "f\u00e9", "!"}},
		{"a\U0001F600b", []string{"a", "\U0001F600", "b"}},
		{"", nil},
	} {
		if diff := cmp.Diff(tc.want, pieces(tc.in)); diff != "" {
			t.Errorf("pieces of %q (-want +got):\n%s", tc.in, diff)
		}
	}
}

func FuzzTokenizeRoundTrip(f *testing.F) {
	for _, s := range []string{"Answer: A", "caf\u00e9 \U0001F600\n\n", "a  b\t\tc", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := tokenize(s, nil)
		back, ok := detokenize(ids)
		if !ok || back != s {
			t.Fatalf("detokenize(tokenize(%q)) = %q, %v", s, back, ok)
		}
		for _, id := range ids {
			p, _ := tokenText(id)
			if len(p) > 3 && !(len(p) == 4 && utf8.RuneCountInString(p) == 1) {
				t.Fatalf("piece %q of %q is too long", p, s)
			}
		}
	})
}

func TestLogProb(t *testing.T) {
	s := &Server{}
	for prev := range 500 {
		r := s.Ranked(prev * 7919)
		best := s.LogProb(prev*7919, r[0])
		for tok := range 200 {
			id := pieceID(string(rune('a' + tok%26)))
			if tok >= 26 {
				id = tok * 104729
			}
			lp := s.LogProb(prev*7919, id)
			if lp > -0.01 || lp <= -12 {
				t.Fatalf("LogProb(%d, %d) = %v, outside (-12, -0.01]", prev, id, lp)
			}
			if lp > best {
				t.Fatalf("LogProb(%d, %d) = %v beats the top choice's %v", prev, id, lp, best)
			}
		}
		for k := 1; k < MaxTopLogprobs; k++ {
			if s.LogProb(prev*7919, r[k]) > s.LogProb(prev*7919, r[k-1]) {
				t.Fatalf("ranked alternatives after %d are out of order", prev)
			}
		}
	}
}

func post(t *testing.T, url, body string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
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

type logprobs struct {
	TextOffset    []int                 `json:"text_offset"`
	TokenLogprobs []*float64            `json:"token_logprobs"`
	Tokens        []string              `json:"tokens"`
	TopLogprobs   []map[string]*float64 `json:"top_logprobs"`
}

type completion struct {
	Object  string `json:"object"`
	Choices []struct {
		Index        int       `json:"index"`
		Text         string    `json:"text"`
		Logprobs     *logprobs `json:"logprobs"`
		FinishReason string    `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

// TestEchoShape checks an echo response the way vLLM shapes it: one entry
// per prompt token plus the generated one, the first null, offsets counting
// code points of the tokens, and each token among its top_logprobs.
func TestEchoShape(t *testing.T) {
	s := NewServer(Options{AddBOS: true})
	defer s.Close()
	text := "Caf\u00e9 \U0001F600 question:\nAnswer:"
	ids := s.PromptTokens("x y")
	var resp completion
	for _, prompt := range []string{`[` + mustJSON(t, text) + `,` + mustJSON(t, "x y") + `]`, mustJSON(t, [][]int{s.PromptTokens(text), ids})} {
		code, b := post(t, s.URL()+"/completions", `{"model":"parity-test","prompt":`+prompt+`,"max_tokens":1,"temperature":0,"logprobs":2,"echo":true}`)
		if code != 200 {
			t.Fatalf("status %d: %s", code, b)
		}
		var r completion
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if resp.Choices != nil {
			if diff := cmp.Diff(resp, r); diff != "" {
				t.Errorf("text and token-id prompts answer differently (-text +ids):\n%s", diff)
			}
		}
		resp = r
	}
	wantPrompt := []int{len(s.PromptTokens(text)), len(ids)}
	for i, ch := range resp.Choices {
		lp := ch.Logprobs
		n := wantPrompt[i] + 1
		if len(lp.TokenLogprobs) != n || len(lp.Tokens) != n || len(lp.TextOffset) != n || len(lp.TopLogprobs) != n {
			t.Fatalf("choice %d: lengths %d/%d/%d/%d, want %d", i, len(lp.TokenLogprobs), len(lp.Tokens), len(lp.TextOffset), len(lp.TopLogprobs), n)
		}
		if lp.TokenLogprobs[0] != nil || lp.TopLogprobs[0] != nil || lp.Tokens[0] != bosText {
			t.Errorf("choice %d: first entry %v %v %q, want null, null, BOS", i, lp.TokenLogprobs[0], lp.TopLogprobs[0], lp.Tokens[0])
		}
		off := 0
		for k := range n {
			if lp.TextOffset[k] != off {
				t.Fatalf("choice %d: text_offset[%d] = %d, want %d", i, k, lp.TextOffset[k], off)
			}
			off += utf8.RuneCountInString(lp.Tokens[k])
			if k == 0 {
				continue
			}
			if v, ok := lp.TopLogprobs[k][lp.Tokens[k]]; !ok || *v != *lp.TokenLogprobs[k] {
				t.Fatalf("choice %d position %d: token %q not in top_logprobs %v", i, k, lp.Tokens[k], lp.TopLogprobs[k])
			}
		}
		if !strings.HasPrefix(ch.Text, strings.TrimPrefix(strings.Join(lp.Tokens[:wantPrompt[i]], ""), bosText)) {
			t.Errorf("choice %d: echoed text %q does not start with the prompt", i, ch.Text)
		}
	}
	if resp.Usage.PromptTokens != wantPrompt[0]+wantPrompt[1] || resp.Usage.CompletionTokens != 2 {
		t.Errorf("usage %+v", resp.Usage)
	}
}

// TestEchoWithoutGeneration checks max_tokens 0, which vLLM answers with the
// prompt alone.
func TestEchoWithoutGeneration(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	code, b := post(t, s.URL()+"/completions", `{"prompt":"One two three","max_tokens":0,"logprobs":1,"echo":true}`)
	var resp completion
	if code != 200 || json.Unmarshal(b, &resp) != nil {
		t.Fatalf("%d %s", code, b)
	}
	ch := resp.Choices[0]
	if n := len(s.Tokenize("One two three")); len(ch.Logprobs.TokenLogprobs) != n || ch.Text != "One two three" || resp.Usage.CompletionTokens != 0 {
		t.Errorf("got %d entries, text %q, usage %+v; want %d entries and the prompt alone", len(ch.Logprobs.TokenLogprobs), ch.Text, resp.Usage, n)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestErrors(t *testing.T) {
	s := NewServer(Options{APIKey: "k", MaxModelLen: 16})
	defer s.Close()
	auth := []string{"Authorization", "Bearer k"}
	for _, tc := range []struct {
		name, path, body string
		header           []string
		status           int
		contains         string
	}{
		{"no key", "/v1/completions", `{"prompt":"x"}`, nil, 401, `{"error":"Unauthorized"}`},
		{"bad body", "/v1/completions", `{"prompt":`, auth, 400, `"type":"BadRequestError"`},
		{"unknown model", "/v1/completions", `{"model":"other","prompt":"x"}`, auth, 404, "The model `other` does not exist."},
		{"too long", "/v1/completions", `{"prompt":"` + strings.Repeat("word ", 20) + `","max_tokens":1}`, auth, 400, "maximum context length is 16 tokens"},
		{"empty prompt", "/v1/completions", `{"prompt":[]}`, auth, 400, "must not be empty"},
		{"n=2", "/v1/completions", `{"prompt":"x","n":2}`, auth, 400, "n=1"},
		{"bad token id", "/v1/completions", `{"prompt":[5]}`, auth, 400, "out of vocabulary"},
		{"unknown path", "/v1/embeddings", `{}`, auth, 404, `{"detail":"Not Found"}`},
		{"tokenize without key", "/tokenize", `{"prompt":"x"}`, nil, 200, `"tokens":[`},
		{"chat without messages", "/v1/chat/completions", `{"messages":[]}`, auth, 400, "messages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b := post(t, s.Root()+tc.path, tc.body, tc.header...)
			if code != tc.status || !bytes.Contains(b, []byte(tc.contains)) {
				t.Errorf("%d %s, want %d containing %s", code, b, tc.status, tc.contains)
			}
			if !json.Valid(b) {
				t.Errorf("body is not JSON: %s", b)
			}
		})
	}
}

func TestTokenizeEndpoint(t *testing.T) {
	s := NewServer(Options{AddBOS: true, MaxModelLen: 123})
	defer s.Close()
	for _, tc := range []struct {
		body string
		want []int
	}{
		{`{"prompt":"Hi there"}`, append([]int{BOS}, s.Tokenize("Hi there")...)}, // vLLM adds special tokens by default
		{`{"model":"parity-test","prompt":"Hi there","add_special_tokens":false}`, s.Tokenize("Hi there")},
		{`{"messages":[{"role":"user","content":"Hi"}]}`, s.Tokenize("<|user|>\nHi\n<|assistant|>\n")},
	} {
		code, b := post(t, s.Root()+"/tokenize", tc.body)
		var resp struct {
			Count       int   `json:"count"`
			MaxModelLen int   `json:"max_model_len"`
			Tokens      []int `json:"tokens"`
		}
		if code != 200 || json.Unmarshal(b, &resp) != nil {
			t.Fatalf("%s: %d %s", tc.body, code, b)
		}
		if diff := cmp.Diff(tc.want, resp.Tokens); diff != "" || resp.Count != len(tc.want) || resp.MaxModelLen != 123 {
			t.Errorf("%s: count %d, max %d, tokens (-want +got):\n%s", tc.body, resp.Count, resp.MaxModelLen, diff)
		}
		code, b = post(t, s.Root()+"/detokenize", `{"tokens":`+mustJSON(t, resp.Tokens)+`}`)
		var back struct{ Prompt string }
		if code != 200 || json.Unmarshal(b, &back) != nil {
			t.Fatalf("detokenize: %d %s", code, b)
		}
		want, _ := detokenize(tc.want)
		if back.Prompt != want {
			t.Errorf("detokenize = %q, want %q", back.Prompt, want)
		}
	}
	if n := s.Requests(); n.Tokenize != 3 || n.Detokenize != 3 {
		t.Errorf("counts %+v", n)
	}
}

func TestGeneration(t *testing.T) {
	s := NewServer(Options{RecordPrompts: true})
	defer s.Close()
	prompt := "Question: 3+4?\nAnswer:"
	script := Script(prompt)
	cut, _, _ := strings.Cut(script, "\n\n")
	for _, tc := range []struct {
		name, body   string
		text, finish string
	}{
		{"stop", `{"prompt":` + mustJSON(t, prompt) + `,"max_tokens":100,"stop":["\n\n"],"temperature":0}`, cut, "stop"},
		{"stop string", `{"prompt":` + mustJSON(t, prompt) + `,"max_tokens":100,"stop":"\n\n"}`, cut, "stop"},
		{"length", `{"prompt":` + mustJSON(t, prompt) + `,"max_tokens":2}`, func() string { d, _ := detokenize(tokenize(script, nil)[:2]); return d }(), "length"},
		{"whole script", `{"prompt":` + mustJSON(t, prompt) + `,"max_tokens":100}`, script, "stop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b := post(t, s.URL()+"/completions", tc.body)
			var resp completion
			if code != 200 || json.Unmarshal(b, &resp) != nil {
				t.Fatalf("%d %s", code, b)
			}
			ch := resp.Choices[0]
			if ch.Text != tc.text || ch.FinishReason != tc.finish || ch.Logprobs != nil {
				t.Errorf("got %q (%s), want %q (%s)", ch.Text, ch.FinishReason, tc.text, tc.finish)
			}
		})
	}
	if got := s.Requests(); got.PromptCount != 4 || len(got.Prompts) != 4 || got.Prompts[0] != prompt {
		t.Errorf("recorded %+v", got)
	}
}

// TestChatStream checks that the streamed answer adds up to the plain one.
func TestChatStream(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	body := `{"model":"parity-test","messages":[{"role":"user","content":"Say something."}],"max_tokens":50,"stop":["\n\n"]`
	code, b := post(t, s.URL()+"/chat/completions", body+`}`)
	var plain struct {
		Choices []struct {
			Message      struct{ Content string }
			FinishReason string `json:"finish_reason"`
		}
	}
	if code != 200 || json.Unmarshal(b, &plain) != nil {
		t.Fatalf("%d %s", code, b)
	}
	resp, err := http.Post(s.URL()+"/chat/completions", "application/json", strings.NewReader(body+`,"stream":true,"stream_options":{"include_usage":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var text, finish string
	var done, usage bool
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if line == "[DONE]" {
			done = true
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta        struct{ Content string }
				FinishReason *string `json:"finish_reason"`
			}
			Usage *struct{ CompletionTokens int } `json:"usage"`
		}
		if err := json.Unmarshal([]byte(line), &chunk); err != nil {
			t.Fatalf("chunk %s: %v", line, err)
		}
		for _, c := range chunk.Choices {
			text += c.Delta.Content
			if c.FinishReason != nil {
				finish = *c.FinishReason
			}
		}
		usage = usage || chunk.Usage != nil
	}
	want := plain.Choices[0]
	if text != want.Message.Content || finish != want.FinishReason || !done || !usage {
		t.Errorf("stream %q (%s, done %t, usage %t), plain %q (%s)", text, finish, done, usage, want.Message.Content, want.FinishReason)
	}
}

func TestFaults(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	models := s.URL() + "/models"
	s.InjectFaults(Faults{Path: "/v1/models", Status: 429, Count: 1, RetryAfter: "7"})
	resp, err := http.Get(models)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	s.InjectFaults(Faults{Path: "/v1/models", Truncate: 1})
	resp, err = http.Get(models)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if json.Valid(b) {
		t.Errorf("truncated body is valid JSON: %s", b)
	}
	s.InjectFaults(Faults{Path: "/v1/models", Drop: 1})
	resp, err = http.Get(models)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("dropped connection read without error")
	}
	resp, err = http.Get(models)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !json.Valid(b) || !bytes.Contains(b, []byte(`"max_model_len":4096`)) {
		t.Errorf("after the faults: %s", b)
	}
	if got := s.Requests().Models; got != 4 {
		t.Errorf("%d models requests counted, want 4", got)
	}
}

// TestCompletionsTextPromptOptions checks vLLM's add_special_tokens and
// return_tokens_as_token_ids on text prompts, and the options that make the
// server ignore them.
func TestCompletionsTextPromptOptions(t *testing.T) {
	const text = "Hi there, friend"
	plain := tokenize(text, nil)
	withBOS := append([]int{BOS}, plain...)
	asText := func(ids []int) []string {
		var out []string
		for _, id := range ids {
			p, _ := tokenText(id)
			out = append(out, p)
		}
		return out
	}
	asIDs := func(ids []int) []string {
		var out []string
		for _, id := range ids {
			out = append(out, "token_id:"+strconv.Itoa(id))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		opts   Options
		extra  string
		tokens []string // the prompt's tokens as echoed
	}{
		{"default adds BOS", Options{AddBOS: true}, ``, asText(withBOS)},
		{"add_special_tokens false", Options{AddBOS: true}, `,"add_special_tokens":false`, asText(plain)},
		{"add_special_tokens true", Options{AddBOS: true}, `,"add_special_tokens":true`, asText(withBOS)},
		{"no BOS in the tokenizer", Options{}, `,"add_special_tokens":true`, asText(plain)},
		{"ignored add_special_tokens", Options{AddBOS: true, IgnoreAddSpecialTokens: true}, `,"add_special_tokens":false`, asText(withBOS)},
		{"token ids", Options{}, `,"return_tokens_as_token_ids":true`, asIDs(plain)},
		{"token ids with BOS", Options{AddBOS: true}, `,"return_tokens_as_token_ids":true`, asIDs(withBOS)},
		{"ignored token ids", Options{IgnoreTokensAsIDs: true}, `,"return_tokens_as_token_ids":true`, asText(plain)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(tc.opts)
			defer s.Close()
			code, b := post(t, s.URL()+"/completions", `{"prompt":`+mustJSON(t, text)+`,"max_tokens":1,"logprobs":1,"echo":true`+tc.extra+`}`)
			var resp completion
			if code != 200 || json.Unmarshal(b, &resp) != nil {
				t.Fatalf("%d %s", code, b)
			}
			lp := resp.Choices[0].Logprobs
			got := lp.Tokens[:len(lp.Tokens)-1] // the last is the generated token
			if diff := cmp.Diff(tc.tokens, got); diff != "" {
				t.Errorf("prompt tokens (-want +got):\n%s", diff)
			}
			if resp.Usage.PromptTokens != len(tc.tokens) {
				t.Errorf("usage.prompt_tokens %d, want %d", resp.Usage.PromptTokens, len(tc.tokens))
			}
			// Each position's own token is among its top_logprobs, under
			// the same name, and offsets count the names' code points.
			off := 0
			for k, tok := range lp.Tokens {
				if lp.TextOffset[k] != off {
					t.Fatalf("text_offset[%d] = %d, want %d", k, lp.TextOffset[k], off)
				}
				off += utf8.RuneCountInString(tok)
				if k == 0 {
					continue
				}
				if _, ok := lp.TopLogprobs[k][tok]; !ok {
					t.Fatalf("position %d: token %q not among top_logprobs %v", k, tok, lp.TopLogprobs[k])
				}
			}
		})
	}
}

// TestMemo checks that a memoising server answers a repeated request with
// the same bytes, still counts it, records its prompts and applies faults.
func TestMemo(t *testing.T) {
	s := NewServer(Options{Memo: true, RecordPrompts: true})
	defer s.Close()
	req := `{"prompt":["one two","three"],"max_tokens":1,"logprobs":1,"echo":true}`
	code, first := post(t, s.URL()+"/completions", req)
	if code != 200 {
		t.Fatalf("%d %s", code, first)
	}
	code, again := post(t, s.URL()+"/completions", req)
	if code != 200 || !bytes.Equal(first, again) {
		t.Fatalf("repeat: %d, same body %t", code, bytes.Equal(first, again))
	}
	code, other := post(t, s.URL()+"/completions", strings.Replace(req, "three", "four", 1))
	if code != 200 || bytes.Equal(first, other) {
		t.Fatalf("another request: %d, same body as the first %t", code, bytes.Equal(first, other))
	}
	code, tok := post(t, s.Root()+"/tokenize", `{"prompt":"three"}`)
	if code != 200 || !bytes.Contains(tok, []byte(`"tokens":[`)) {
		t.Fatalf("tokenize: %d %s", code, tok)
	}
	s.InjectFaults(Faults{Path: "/v1/completions", Truncate: 1})
	if _, b := post(t, s.URL()+"/completions", req); json.Valid(b) {
		t.Errorf("a truncating fault did not apply to a remembered answer")
	}
	got := s.Requests()
	want := RequestCounts{
		Completions: 4, Tokenize: 1, PromptCount: 8,
		Prompts: []string{"one two", "three", "one two", "three", "one two", "four", "one two", "three"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
