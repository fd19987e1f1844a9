package openai

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/runner/openai/openaitest"
)

// arcShot is one worked example in the style of ARC's prompts.
func arcShot(i int) string {
	return fmt.Sprintf("Question: Which of the following statements best explains why a metal spoon (sample %d) feels colder than a wooden spoon at the same room temperature?\nAnswer: Metal conducts heat away from the hand faster than wood does.\n\n", i)
}

// fewShotContext builds a prompt of about the given number of fake tokens.
func fewShotContext(s *openaitest.Server, tokens int) string {
	var sb strings.Builder
	for i := 0; len(s.Tokenize(sb.String())) < tokens; i++ {
		sb.WriteString(arcShot(i))
	}
	sb.WriteString("Question: What is the main source of energy for the water cycle?\nAnswer:")
	return sb.String()
}

// echoBody fetches the raw echo response the server gives for prompts, with
// extra members added to the request.
func echoBody(tb testing.TB, s *openaitest.Server, prompts []string, extra string) []byte {
	tb.Helper()
	var body []byte
	body = append(body, `{"model":"`+s.Model()+`","prompt":[`...)
	for i, p := range prompts {
		if i > 0 {
			body = append(body, ',')
		}
		body = appendString(body, p)
	}
	body = append(body, `],"max_tokens":1,"temperature":0,"logprobs":1,"echo":true`+extra+`}`...)
	resp, err := http.Post(s.URL()+"/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		tb.Fatalf("status %d, %v: %s", resp.StatusCode, err, out)
	}
	return out
}

// BenchmarkDecodeEcho decodes and scores a 25-shot-sized echo response (one
// prompt of ~2,500 tokens, the continuation its last 3): ids is the response
// to a token-id prompt, text to a text prompt with
// return_tokens_as_token_ids, whose tokens are checked against the
// context's.
func BenchmarkDecodeEcho(b *testing.B) {
	s := openaitest.NewServer(openaitest.Options{MaxModelLen: 8192})
	defer s.Close()
	prompt := fewShotContext(s, 2500) + " The Sun."
	n := len(s.Tokenize(prompt))
	ctxIDs := make([]int32, n-3)
	for i, id := range s.Tokenize(prompt)[:n-3] {
		ctxIDs[i] = int32(id)
	}
	reqs := []runner.LoglikelihoodRequest{{Continuation: " The Sun."}}
	out := make([]runner.LoglikelihoodResult, 1)
	c, err := New(Config{BaseURL: s.URL(), Model: s.Model()})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		mode  llMode
		extra string
		plan  llPlan
	}{
		{"ids", modeIDs, "", llPlan{promptTokens: n, from: n - 3}},
		{"text", modeText, `,"return_tokens_as_token_ids":true`, llPlan{ctxIDs: ctxIDs}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			body := echoBody(b, s, []string{prompt}, tc.extra)
			plans := []llPlan{tc.plan}
			b.Logf("response: %d bytes for %d prompt tokens", len(body), n)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.scoreResponse(body, tc.mode, reqs, plans, out); err != nil {
					b.Fatal(err)
				}
			}
			if plans[0].resend || out[0].ContinuationTokens != 3 {
				b.Fatalf("scored %+v (resend %t), want 3 continuation tokens", out[0], plans[0].resend)
			}
		})
	}
}

// arcQuestions are ARC-Challenge-like questions with four answer texts.
var arcQuestions = []struct {
	q       string
	choices [4]string
}{
	{"Which property of a mineral can be determined just by looking at it?", [4]string{"luster", "mass", "weight", "hardness"}},
	{"A student riding a bicycle observes that it moves faster on a smooth road than on a rough road. This happens because the smooth road has", [4]string{"less gravity", "more gravity", "less friction", "more friction"}},
	{"Which of these do scientists offer as the most recent explanation as to why many plants and animals died out at the end of the Mesozoic era?", [4]string{"worldwide disease", "global mountain building", "rise of mammals that preyed upon plants and animals", "impact of an asteroid created dust that blocked the sunlight"}},
	{"Which technology was developed most recently?", [4]string{"cellular telephone", "television", "refrigerator", "airplane"}},
	{"A group of engineers wanted to know how different building designs would respond during an earthquake. They made several models of buildings and tested each for its ability to withstand earthquake conditions. Which will most likely result from testing different building designs?", [4]string{"buildings will be built faster", "buildings will be made safer", "building designs will look nicer", "building materials will be cheaper"}},
	{"Which statement best explains why photosynthesis is the foundation of most food webs?", [4]string{"Sunlight is the source of energy for nearly all ecosystems.", "Most ecosystems are found on land instead of in water.", "Carbon dioxide is more available than other gases.", "The producers in all ecosystems are plants."}},
	{"An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?", [4]string{"Planetary density will decrease.", "Planetary years will become longer.", "Planetary days will become shorter.", "Planetary gravity will become stronger."}},
	{"Hyena packs are made up of related females and their offspring. Which of these would most likely help a pack of hyenas survive in its environment?", [4]string{"hunting alone", "defending their territory", "having few offspring", "living near humans"}},
}

// arcBatches builds nb batches of 32 requests (8 questions × 4 choices),
// each context being prefix then an ARC-like question. Every question
// differs, so a context is shared only by its own choices.
func arcBatches(prefix string, nb int) [][]runner.LoglikelihoodRequest {
	batches := make([][]runner.LoglikelihoodRequest, nb)
	for k := range batches {
		for q := range 8 {
			aq := arcQuestions[(k+q)%len(arcQuestions)]
			ctx := fmt.Sprintf("%sQuestion: (%d.%d) %s\nAnswer:", prefix, k, q, aq.q)
			for _, ch := range aq.choices {
				batches[k] = append(batches[k], runner.LoglikelihoodRequest{Context: ctx, Continuation: " " + ch})
			}
		}
	}
	return batches
}

// BenchmarkLoglikelihood measures Client.Loglikelihood end to end against a
// memoising fake server, so that the server's cost is a map lookup and a
// write: one untimed pass fills the server's memo, then each timed batch is
// scored with a cold tokenize memo (as each new question is in a run), so
// every /tokenize call a batch needs is made. The client's buffer pools stay
// warm, as in a long run; fresh_client builds a new Client (sharing the HTTP
// connections) for every batch instead.
func BenchmarkLoglikelihood(b *testing.B) {
	for _, size := range []struct {
		name   string
		tokens int // of the few-shot prefix
	}{{"short", 0}, {"long", 2400}} {
		for _, v := range []struct {
			name  string
			mode  TokenizeMode
			exact bool
			fresh bool
		}{
			{"text", TokenizeServer, false, false},
			{"text/fresh_client", TokenizeServer, false, true},
			{"exact_ids", TokenizeServer, true, false},
			{"text_offset", TokenizeTextOffset, false, false},
		} {
			b.Run(size.name+"/"+v.name, func(b *testing.B) {
				benchLoglikelihood(b, size.tokens, v.mode, v.exact, v.fresh)
			})
		}
	}
}

func benchLoglikelihood(b *testing.B, prefixTokens int, mode TokenizeMode, exact, fresh bool) {
	s := openaitest.NewServer(openaitest.Options{MaxModelLen: 8192, Memo: true})
	defer s.Close()
	prefix := ""
	if prefixTokens > 0 {
		prefix = fewShotContext(s, prefixTokens) + " Water.\n\n"
	}
	batches := arcBatches(prefix, 8)
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: t}
	defer t.CloseIdleConnections()
	ctx := context.Background()
	newClient := func() *Client {
		c, err := New(Config{BaseURL: s.URL(), Model: s.Model(), Tokenize: mode, ExactIDs: exact, HTTPClient: hc})
		if err != nil {
			b.Fatal(err)
		}
		// Where /tokenize is is found once per Client; a run has one.
		if _, err := c.tokenizeURL(ctx); err != nil {
			b.Fatal(err)
		}
		return c
	}
	c := newClient()
	var tokens int
	for _, batch := range batches {
		res, err := c.Loglikelihood(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			tokens += r.PromptTokens
		}
	}
	b.Logf("%d batches of %d prompts, %.0f prompt tokens each on average", len(batches), len(batches[0]), float64(tokens)/float64(len(batches)*len(batches[0])))
	s.ResetRequests()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	k, prompts := 0, 0
	for b.Loop() {
		if fresh {
			c = newClient()
		} else {
			c.memo = tokenMemo{limit: defaultMemoTokens}
		}
		batch := batches[k%len(batches)]
		if _, err := c.Loglikelihood(ctx, batch); err != nil {
			b.Fatal(err)
		}
		k++
		prompts += len(batch)
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(prompts)/b.Elapsed().Seconds(), "prompts/s")
	// Client and server share the process: this counts both.
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(prompts), "allocs/prompt")
	b.ReportMetric(float64(s.Requests().Tokenize)/float64(prompts), "tokenize/prompt")
	b.ReportMetric(0, "ns/op")
}
