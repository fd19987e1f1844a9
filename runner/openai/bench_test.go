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

// echoBody fetches the raw echo response the server gives for prompts.
func echoBody(tb testing.TB, s *openaitest.Server, prompts []string) []byte {
	tb.Helper()
	var body []byte
	body = append(body, `{"model":"`+s.Model()+`","prompt":[`...)
	for i, p := range prompts {
		if i > 0 {
			body = append(body, ',')
		}
		body = appendString(body, p)
	}
	body = append(body, `],"max_tokens":1,"temperature":0,"logprobs":1,"echo":true}`...)
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
// prompt of ~2,500 tokens, the continuation its last 3).
func BenchmarkDecodeEcho(b *testing.B) {
	s := openaitest.NewServer(openaitest.Options{MaxModelLen: 8192})
	defer s.Close()
	prompt := fewShotContext(s, 2500) + " The Sun."
	body := echoBody(b, s, []string{prompt})
	n := len(s.Tokenize(prompt))
	plans := []llPlan{{promptTokens: n, from: n - 3}}
	reqs := []runner.LoglikelihoodRequest{{Continuation: " The Sun."}}
	out := make([]runner.LoglikelihoodResult, 1)
	c, err := New(Config{BaseURL: s.URL(), Model: s.Model()})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("response: %d bytes for %d prompt tokens", len(body), n)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.scoreResponse(body, BoundaryTokenize, reqs, plans, out); err != nil {
			b.Fatal(err)
		}
	}
}

// benchLoglikelihood runs batches of MMLU-shaped requests (one context, four
// choices) against the in-process server and reports prompts per second.
func benchLoglikelihood(b *testing.B, ctxTokens int, mode TokenizeMode) {
	s := openaitest.NewServer(openaitest.Options{MaxModelLen: 8192})
	defer s.Close()
	c, err := New(Config{BaseURL: s.URL(), Model: s.Model(), Tokenize: mode})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	base := fewShotContext(s, ctxTokens)
	const batch = 16
	// Distinct contexts per batch so the memo helps only as it would in a
	// real run (within a question's choices).
	makeBatch := func(k int) []runner.LoglikelihoodRequest {
		reqs := make([]runner.LoglikelihoodRequest, 0, batch)
		for q := 0; q < batch/4; q++ {
			context := fmt.Sprintf("%s\nQuestion %d.%d: pick one.\nAnswer:", base, k, q)
			for _, choice := range []string{" A", " B", " C", " D"} {
				reqs = append(reqs, runner.LoglikelihoodRequest{Context: context, Continuation: choice})
			}
		}
		return reqs
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	k := 0
	for b.Loop() {
		if _, err := c.Loglikelihood(ctx, makeBatch(k)); err != nil {
			b.Fatal(err)
		}
		k++
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(k*batch)/b.Elapsed().Seconds(), "prompts/s")
	// Client and server share the process: this counts both.
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(k*batch), "allocs/prompt")
}

func BenchmarkLoglikelihood(b *testing.B) {
	for _, bc := range []struct {
		name   string
		tokens int
		mode   TokenizeMode
	}{
		{"short/tokenize", 60, TokenizeServer},
		{"short/text_offset", 60, TokenizeTextOffset},
		{"long/tokenize", 2500, TokenizeServer},
		{"long/text_offset", 2500, TokenizeTextOffset},
	} {
		b.Run(bc.name, func(b *testing.B) { benchLoglikelihood(b, bc.tokens, bc.mode) })
	}
}
