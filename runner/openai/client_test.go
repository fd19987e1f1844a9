package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/runner/openai/openaitest"
)

var approx = cmpopts.EquateApprox(0, 1e-9)

func newClient(t testing.TB, s *openaitest.Server, mutate func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:   s.URL(),
		Model:     s.Model(),
		RetryBase: time.Millisecond,
		RetryMax:  5 * time.Millisecond,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// moveSpace is lm-eval's whitespace rule, restated for the tests' ASCII
// inputs.
func moveSpace(ctx, cont string) (string, string) {
	t := strings.TrimRight(ctx, " \n\t")
	return t, ctx[len(t):] + cont
}

// wantTokenize is the result lm-eval's method gives on the fake model: the
// prompt is the context's tokens followed by the tokens of
// context+continuation past the count of the context's tokens, and those
// are scored.
func wantTokenize(s *openaitest.Server, r runner.LoglikelihoodRequest, bos bool) runner.LoglikelihoodResult {
	ctx, cont := moveSpace(r.Context, r.Continuation)
	var prefix []int
	if bos || ctx == "" {
		prefix = []int{openaitest.BOS}
	}
	ctxToks := append(slices.Clone(prefix), s.Tokenize(ctx)...)
	var contToks []int
	if ctx == "" {
		contToks = s.Tokenize(cont)
	} else {
		contToks = append(slices.Clone(prefix), s.Tokenize(ctx+cont)...)[len(ctxToks):]
	}
	lp, greedy := s.Score(ctxToks, contToks)
	return runner.LoglikelihoodResult{LogProb: lp, IsGreedy: greedy, ContinuationTokens: len(contToks), PromptTokens: len(ctxToks) + len(contToks), TokenBoundary: BoundaryTokenize}
}

// wantTextOffset takes the prompt tokens that start inside the
// continuation's characters.
func wantTextOffset(s *openaitest.Server, r runner.LoglikelihoodRequest) runner.LoglikelihoodResult {
	ctx, cont := moveSpace(r.Context, r.Continuation)
	toks := s.PromptTokens(ctx + cont)
	boundary := utf8.RuneCountInString(ctx)
	pos, from := 0, len(toks)
	for i, id := range toks {
		if id == openaitest.BOS {
			continue
		}
		if pos >= boundary && from == len(toks) {
			from = i
		}
		text, _ := s.Detokenize([]int{id})
		pos += utf8.RuneCountInString(text)
	}
	lp, greedy := s.Score(toks[:from], toks[from:])
	return runner.LoglikelihoodResult{LogProb: lp, IsGreedy: greedy, ContinuationTokens: len(toks) - from, PromptTokens: len(toks), TokenBoundary: BoundaryTextOffset}
}

// llCases cover the shapes of loglikelihood requests the tasks produce.
var llCases = []runner.LoglikelihoodRequest{
	{Context: "Question: What is 2+2?\nAnswer:", Continuation: " 4"},
	{Context: "Question: What is 2+2?\nAnswer: ", Continuation: "(A) four"},   // trailing space moves
	{Context: "The capital of France is", Continuation: " Paris, of course."}, // several tokens
	{Context: "Caf\u00e9 au lait, s'il vous pla\u00eet.\n\n", Continuation: "Merci \U0001F600 beaucoup"},
	{Context: "Winogrande: the trophy did not fit because the", Continuation: " suitcase was too small."},
	{Context: "Q:\n", Continuation: "\n\nFalse"},
}

// mergeCase is one where the context's last word and the continuation
// merge into one token, so the two methods part ways, and lm-eval's prompt
// (the context's tokens, then the whole's past their count) is not the
// tokens of context+continuation.
var mergeCase = runner.LoglikelihoodRequest{Context: "The answer is (Hel", Continuation: "lo) world"}

// mergeCases have seams inside a token in other ways: the whole's tokens
// up to the context's count end in another token than the context's.
var mergeCases = []runner.LoglikelihoodRequest{
	mergeCase,
	{Context: "The word is ab", Continuation: "cd."},
	{Context: "Total: 12", Continuation: "34 apples"},
}

func TestLoglikelihoodMatchesModel(t *testing.T) {
	for _, bos := range []bool{false, true} {
		s := openaitest.NewServer(openaitest.Options{AddBOS: bos})
		t.Cleanup(s.Close)
		reqs := append(slices.Clone(llCases), mergeCases...)
		for _, tc := range []struct {
			mode     TokenizeMode
			exactIDs bool
		}{{TokenizeServer, false}, {TokenizeServer, true}, {TokenizeTextOffset, false}} {
			mode := tc.mode
			t.Run(fmt.Sprintf("bos=%t/%s/exact_ids=%t", bos, mode, tc.exactIDs), func(t *testing.T) {
				c := newClient(t, s, func(cfg *Config) { cfg.Tokenize = mode; cfg.ExactIDs = tc.exactIDs })
				got, err := c.Loglikelihood(context.Background(), reqs)
				if err != nil {
					t.Fatal(err)
				}
				want := make([]runner.LoglikelihoodResult, len(reqs))
				for i, r := range reqs {
					if mode == TokenizeServer {
						// add_special_tokens is off, so no BOS even where the
						// tokenizer has one, as in lm-eval by default.
						want[i] = wantTokenize(s, r, false)
					} else {
						want[i] = wantTextOffset(s, r)
					}
				}
				if diff := cmp.Diff(want, got, approx); diff != "" {
					t.Errorf("results (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestModesAgreeWhereTokensAlign checks that the two ways of finding the
// continuation give the same scores when the seam between context and
// continuation is a token boundary, and differ where it is not.
func TestModesAgreeWhereTokensAlign(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{})
	defer s.Close()
	ctx := context.Background()
	byTok, err := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeServer }).Loglikelihood(ctx, append(slices.Clone(llCases), mergeCase))
	if err != nil {
		t.Fatal(err)
	}
	byOff, err := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeTextOffset }).Loglikelihood(ctx, append(slices.Clone(llCases), mergeCase))
	if err != nil {
		t.Fatal(err)
	}
	for i := range llCases {
		a, b := byTok[i], byOff[i]
		a.TokenBoundary, b.TokenBoundary = "", ""
		if diff := cmp.Diff(a, b, approx); diff != "" {
			t.Errorf("case %d: tokenize vs text_offset (-tokenize +text_offset):\n%s", i, diff)
		}
	}
	m := len(llCases)
	if byTok[m].ContinuationTokens == byOff[m].ContinuationTokens {
		t.Errorf("merge case: both methods found %d continuation tokens; the seam should split them", byTok[m].ContinuationTokens)
	}
}

func TestLoglikelihoodGreedy(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{})
	defer s.Close()
	c := newClient(t, s, nil)
	// Build a continuation from the model's own top choices, checking that
	// the tokens survive re-tokenization of the whole prompt.
	ctxText := "Question: pick a letter\nAnswer is"
	toks := s.Tokenize(ctxText)
	greedyCont := ""
	for range 3 {
		next := s.Ranked(toks[len(toks)-1])[0]
		text, err := s.Detokenize([]int{next})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s.Tokenize(ctxText+greedyCont+text), append(slices.Clone(toks), next)) {
			break
		}
		greedyCont += text
		toks = append(toks, next)
	}
	if greedyCont == "" {
		t.Fatal("no greedy continuation aligns with the tokenizer; pick another context")
	}
	second, _ := s.Detokenize([]int{s.Ranked(s.Tokenize(ctxText)[len(s.Tokenize(ctxText))-1])[1]})
	got, err := c.Loglikelihood(context.Background(), []runner.LoglikelihoodRequest{
		{Context: ctxText, Continuation: greedyCont},
		{Context: ctxText, Continuation: second},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].IsGreedy {
		t.Errorf("continuation %q of top choices: is_greedy false", greedyCont)
	}
	if got[1].IsGreedy {
		t.Errorf("continuation %q, the second choice: is_greedy true", second)
	}
}

func TestLoglikelihoodIndependentOfBatch(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		s := openaitest.NewServer(openaitest.Options{ReverseChoices: reverse})
		defer s.Close()
		c := newClient(t, s, nil)
		ctx := context.Background()
		all, err := c.Loglikelihood(ctx, llCases)
		if err != nil {
			t.Fatal(err)
		}
		rev := slices.Clone(llCases)
		slices.Reverse(rev)
		back, err := c.Loglikelihood(ctx, rev)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(back)
		if diff := cmp.Diff(all, back); diff != "" {
			t.Errorf("reverse=%t: batch in reverse order (-forward +reversed):\n%s", reverse, diff)
		}
		for i, r := range llCases {
			one, err := c.Loglikelihood(ctx, []runner.LoglikelihoodRequest{r})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(all[i], one[0]); diff != "" {
				t.Errorf("reverse=%t: request %d alone vs in a batch (-batch +alone):\n%s", reverse, i, diff)
			}
		}
	}
}

func TestTokenizeMemo(t *testing.T) {
	question := "Question: Which gas do plants absorb?\nAnswer:"
	var reqs []runner.LoglikelihoodRequest
	for _, choice := range []string{" oxygen", " carbon dioxide", " nitrogen", " helium"} {
		reqs = append(reqs, runner.LoglikelihoodRequest{Context: question, Continuation: choice})
	}
	for _, tc := range []struct {
		name     string
		exactIDs bool
		want     int // /tokenize calls of the first call
	}{
		{"text prompts", false, 1 + 1},         // the probe, the shared context once
		{"exact ids", true, 1 + 1 + len(reqs)}, // and each choice's whole prompt
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openaitest.NewServer(openaitest.Options{})
			defer s.Close()
			c := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeServer; c.ExactIDs = tc.exactIDs })
			ctx := context.Background()
			if _, err := c.Loglikelihood(ctx, reqs); err != nil {
				t.Fatal(err)
			}
			first := s.Requests()
			if first.Tokenize != tc.want {
				t.Errorf("first call: %d /tokenize requests, want %d", first.Tokenize, tc.want)
			}
			if _, err := c.Loglikelihood(ctx, reqs); err != nil {
				t.Fatal(err)
			}
			second := s.Requests()
			if second.Tokenize != first.Tokenize {
				t.Errorf("second call sent %d more /tokenize requests, want 0", second.Tokenize-first.Tokenize)
			}
			if second.Completions != first.Completions+1 {
				t.Errorf("second call sent %d completions requests, want 1", second.Completions-first.Completions)
			}
		})
	}
}

func TestTokenizeMemoConcurrent(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{})
	defer s.Close()
	c := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeServer })
	req := []runner.LoglikelihoodRequest{{Context: "shared context", Continuation: " x"}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Loglikelihood(context.Background(), req); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := s.Requests().Tokenize; got != 2 {
		t.Errorf("8 concurrent identical calls sent %d /tokenize requests, want 2 (probe, context)", got)
	}
}

// TestTokenizeFailuresNotKept checks that a failed probe or tokenization
// is tried again by the next call rather than remembered.
func TestTokenizeFailuresNotKept(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{})
	defer s.Close()
	c := newClient(t, s, func(c *Config) { c.MaxRetries = -1 })
	ctx := context.Background()
	s.InjectFaults(openaitest.Faults{Path: "/tokenize", Status: 500, Count: 1})
	if _, err := c.Loglikelihood(ctx, llCases[:1]); err == nil || !strings.Contains(err.Error(), "probing for /tokenize") {
		t.Fatalf("error %v, want the failed probe", err)
	}
	if _, err := c.Loglikelihood(ctx, llCases[1:2]); err != nil {
		t.Fatal(err)
	}
	// Case 1's context is case 0's once its space has moved: take case 2.
	s.InjectFaults(openaitest.Faults{Path: "/tokenize", Status: 400, Count: 1})
	if _, err := c.Loglikelihood(ctx, llCases[2:3]); err == nil || !strings.Contains(err.Error(), "tokenizing") {
		t.Fatalf("error %v, want a failed tokenization", err)
	}
	got, err := c.Loglikelihood(ctx, llCases[2:3])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantTokenize(s, llCases[2], false), got[0], approx); diff != "" {
		t.Errorf("after the faults (-want +got):\n%s", diff)
	}
}

func TestTokenizeEndpointDiscovery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     openaitest.Options
		mode     TokenizeMode
		want     string
		errorIs  error
		probeLen int
	}{
		{"root", openaitest.Options{}, TokenizeAuto, BoundaryTokenize, nil, 1},
		{"under /v1", openaitest.Options{TokenizeUnderV1: true}, TokenizeAuto, BoundaryTokenize, nil, 1},
		{"none, auto", openaitest.Options{NoTokenize: true}, TokenizeAuto, BoundaryTextOffset, nil, 0},
		{"none, required", openaitest.Options{NoTokenize: true}, TokenizeServer, "", ErrNoTokenize, 0},
		{"text_offset asked", openaitest.Options{}, TokenizeTextOffset, BoundaryTextOffset, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openaitest.NewServer(tc.opts)
			defer s.Close()
			c := newClient(t, s, func(c *Config) { c.Tokenize = tc.mode })
			got, err := c.Loglikelihood(context.Background(), llCases[:1])
			if tc.errorIs != nil {
				if !errors.Is(err, tc.errorIs) {
					t.Fatalf("error %v, want %v", err, tc.errorIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0].TokenBoundary != tc.want {
				t.Errorf("token boundary %q, want %q", got[0].TokenBoundary, tc.want)
			}
		})
	}
}

func TestEmptyContext(t *testing.T) {
	r := runner.LoglikelihoodRequest{Context: "", Continuation: "Hello there"}
	t.Run("bos", func(t *testing.T) {
		s := openaitest.NewServer(openaitest.Options{AddBOS: true})
		defer s.Close()
		for _, mode := range []TokenizeMode{TokenizeServer, TokenizeTextOffset} {
			got, err := newClient(t, s, func(c *Config) { c.Tokenize = mode }).Loglikelihood(context.Background(), []runner.LoglikelihoodRequest{r})
			if err != nil {
				t.Fatalf("%s: %v", mode, err)
			}
			// The continuation is scored after BOS, like lm-eval's prefix token.
			lp, greedy := s.Score([]int{openaitest.BOS}, s.Tokenize(r.Continuation))
			want := runner.LoglikelihoodResult{LogProb: lp, IsGreedy: greedy, ContinuationTokens: len(s.Tokenize(r.Continuation)),
				PromptTokens: 1 + len(s.Tokenize(r.Continuation)), TokenBoundary: got[0].TokenBoundary}
			if diff := cmp.Diff(want, got[0], approx); diff != "" {
				t.Errorf("%s (-want +got):\n%s", mode, diff)
			}
		}
	})
	t.Run("no bos", func(t *testing.T) {
		s := openaitest.NewServer(openaitest.Options{})
		defer s.Close()
		for _, mode := range []TokenizeMode{TokenizeServer, TokenizeTextOffset} {
			_, err := newClient(t, s, func(c *Config) { c.Tokenize = mode; c.MaxRetries = -1 }).Loglikelihood(context.Background(), []runner.LoglikelihoodRequest{r})
			if err == nil {
				t.Errorf("%s: scoring a continuation with no context and no BOS succeeded", mode)
			}
		}
	})
}

func TestAddSpecialTokens(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{AddBOS: true})
	defer s.Close()
	c := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeServer; c.AddSpecialTokens = true })
	got, err := c.Loglikelihood(context.Background(), llCases)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range llCases {
		if diff := cmp.Diff(wantTokenize(s, r, true), got[i], approx); diff != "" {
			t.Errorf("case %d (-want +got):\n%s", i, diff)
		}
	}
	if !strings.Contains(c.ID(), "add_special_tokens=true") {
		t.Errorf("ID %q does not record add_special_tokens", c.ID())
	}
}

func TestContextTooLong(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{MaxModelLen: 32})
	defer s.Close()
	long := runner.LoglikelihoodRequest{Context: strings.Repeat("many words here ", 20), Continuation: " end"}
	longCtx := len(s.Tokenize(strings.TrimSpace(long.Context)))
	// edge's context fits with one more token, but its whole prompt does not.
	edge := runner.LoglikelihoodRequest{Continuation: " and a few more words"}
	for n := 1; len(s.Tokenize(edge.Context)) < 30; n++ {
		edge.Context = strings.Repeat("word ", n)
	}
	edge.Context = strings.TrimSpace(edge.Context)
	edgeWhole := len(s.Tokenize(edge.Context + edge.Continuation))
	for _, tc := range []struct {
		name     string
		exactIDs bool
		req      runner.LoglikelihoodRequest
		want     *ContextTooLongError // nil: the server's 400
	}{
		{"text prompt", false, long, &ContextTooLongError{Request: 1, Tokens: longCtx + 1, MaxModelLen: 32, AtLeast: true}},
		{"exact ids", true, long, &ContextTooLongError{Request: 1, Tokens: len(s.Tokenize(long.Context + long.Continuation)), MaxModelLen: 32}},
		{"text prompt, context fits", false, edge, nil},
		{"exact ids, context fits", true, edge, &ContextTooLongError{Request: 1, Tokens: edgeWhole, MaxModelLen: 32}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.ResetRequests()
			c := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeServer; c.ExactIDs = tc.exactIDs })
			_, err := c.Loglikelihood(context.Background(), []runner.LoglikelihoodRequest{llCases[0], tc.req})
			if tc.want == nil {
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || s.Requests().Completions != 1 {
					t.Fatalf("error %v after %d completions requests, want the server's 400 after 1", err, s.Requests().Completions)
				}
				return
			}
			var tooLong *ContextTooLongError
			if !errors.As(err, &tooLong) {
				t.Fatalf("error %v, want a *ContextTooLongError", err)
			}
			if diff := cmp.Diff(tc.want, tooLong); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if n := s.Requests().Completions; n != 0 {
				t.Errorf("%d completions requests, want none", n)
			}
		})
	}
	// Without /tokenize the server's own 400 says so, and is not retried.
	s.ResetRequests()
	_, err := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeTextOffset }).Loglikelihood(context.Background(), []runner.LoglikelihoodRequest{long})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Message, "maximum context length is 32") {
		t.Fatalf("error %v, want the server's 400 about the context length", err)
	}
	if n := s.Requests().Completions; n != 1 {
		t.Errorf("%d completions requests for a permanent 400, want 1", n)
	}
}

func TestRetries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		faults    openaitest.Faults
		retries   int
		wantErr   string // empty: success
		wantCalls int
	}{
		{"500 then ok", openaitest.Faults{Path: "/v1/completions", Status: 500, Count: 2}, 5, "", 3},
		{"503 then ok", openaitest.Faults{Path: "/v1/completions", Status: 503, Count: 1}, 5, "", 2},
		{"dropped connection", openaitest.Faults{Path: "/v1/completions", Drop: 2}, 5, "", 3},
		{"truncated JSON", openaitest.Faults{Path: "/v1/completions", Truncate: 1}, 5, "", 2},
		{"gives up", openaitest.Faults{Path: "/v1/completions", Status: 502, Count: 100}, 2, "gave up after 3 tries", 3},
		{"truncated every time", openaitest.Faults{Path: "/v1/completions", Truncate: 100}, 1, "invalid response", 2},
		{"400 is final", openaitest.Faults{Path: "/v1/completions", Status: 400, Count: 1}, 5, "400 Bad Request: injected fault", 1},
		{"404 is final", openaitest.Faults{Path: "/v1/completions", Status: 404, Count: 1}, 5, "404 Not Found", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openaitest.NewServer(openaitest.Options{})
			defer s.Close()
			var notices []string
			var mu sync.Mutex
			c := newClient(t, s, func(c *Config) {
				c.APIKey = "sk-never-logged-42"
				c.MaxRetries = tc.retries
				c.Tokenize = TokenizeTextOffset
				c.Logf = func(f string, a ...any) { mu.Lock(); notices = append(notices, fmt.Sprintf(f, a...)); mu.Unlock() }
			})
			s.InjectFaults(tc.faults)
			got, err := c.Loglikelihood(context.Background(), llCases[:2])
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(wantTextOffset(s, llCases[1]), got[1], approx); diff != "" {
					t.Errorf("result after retries (-want +got):\n%s", diff)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if n := s.Requests().Completions; n != tc.wantCalls {
				t.Errorf("%d completions requests, want %d", n, tc.wantCalls)
			}
			if len(notices) != tc.wantCalls-1 {
				t.Errorf("%d retry notices, want %d: %q", len(notices), tc.wantCalls-1, notices)
			}
			for _, n := range append(notices, fmt.Sprint(err)) {
				if strings.Contains(n, "sk-never-logged-42") {
					t.Errorf("%q contains the API key", n)
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{})
	defer s.Close()
	c := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeTextOffset })
	s.InjectFaults(openaitest.Faults{Path: "/v1/completions", Status: 429, Count: 1, RetryAfter: "1"})
	start := time.Now()
	if _, err := c.Loglikelihood(context.Background(), llCases[:1]); err != nil {
		t.Fatal(err)
	}
	// Back-off alone would wait at most 5ms.
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After asked for 1s", d)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {" 2 ", 2 * time.Second}, {"0.5", 500 * time.Millisecond}, {"-1", 0},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"86400", maxRetryAfter}, {"soon", 0},
	} {
		if got := retryAfter(tc.in, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCancellation(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{})
	defer s.Close()
	c := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeTextOffset })
	s.InjectFaults(openaitest.Faults{Delay: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Loglikelihood(ctx, llCases[:1])
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	// Cancelled during back-off too.
	s.InjectFaults(openaitest.Faults{Status: 503, Count: 100})
	slow := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeTextOffset; c.RetryBase = time.Hour; c.RetryMax = time.Hour })
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := slow.Generate(ctx, []runner.GenerateRequest{{Context: "x"}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation during back-off took %v", d)
	}
}

func TestPerRequestTimeout(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{})
	defer s.Close()
	c := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeTextOffset; c.Timeout = 50 * time.Millisecond; c.MaxRetries = 1 })
	s.InjectFaults(openaitest.Faults{Delay: time.Second})
	_, err := c.Loglikelihood(context.Background(), llCases[:1])
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("error %v, want a timeout", err)
	}
	if n := s.Requests().Completions; n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

func TestAPIKey(t *testing.T) {
	const key, wrong = "sk-right-0123456789", "sk-wrong-9876543210"
	s := openaitest.NewServer(openaitest.Options{APIKey: key})
	defer s.Close()
	good := newClient(t, s, func(c *Config) { c.APIKey = key })
	if _, err := good.Loglikelihood(context.Background(), llCases[:1]); err != nil {
		t.Fatal(err)
	}
	bad := newClient(t, s, func(c *Config) { c.APIKey = wrong })
	_, err := bad.Loglikelihood(context.Background(), llCases[:1])
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Message != "Unauthorized" {
		t.Fatalf("error %v, want vLLM's 401 Unauthorized", err)
	}
	for _, text := range []string{err.Error(), bad.ID(), good.ID()} {
		if strings.Contains(text, wrong) || strings.Contains(text, key) {
			t.Errorf("%q contains the API key", text)
		}
	}
}

// TestAPIKeyNeverEchoed uses a server that puts the Authorization header in
// its error message.
func TestAPIKeyNeverEchoed(t *testing.T) {
	const key = "sk-echoed-5555"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"error":{"message":"bad header %s","type":"auth"}}`, r.Header.Get("Authorization"))
	}))
	defer ts.Close()
	c, err := New(Config{BaseURL: "http://user:pass@" + strings.TrimPrefix(ts.URL, "http://") + "/v1", Model: "m", APIKey: key, Tokenize: TokenizeTextOffset})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Loglikelihood(context.Background(), llCases[:1])
	if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "pass") {
		t.Fatalf("error %v: want an error without the key or URL password", err)
	}
	if strings.Contains(c.ID(), "pass") {
		t.Errorf("ID %q contains the URL password", c.ID())
	}
}

func TestErrorBodies(t *testing.T) {
	for _, tc := range []struct {
		body, msg string
	}{
		{`{"error":{"message":"model x missing","type":"NotFoundError","code":404}}`, "model x missing"},
		{`{"object":"error","message":"old vLLM style","type":"BadRequestError","code":400}`, "old vLLM style"},
		{`{"error":"Unauthorized"}`, "Unauthorized"},
		{`{"detail":"Not Found"}`, "Not Found"},
		{`{"detail":[{"loc":["body"],"msg":"field required"}]}`, `[{"loc":["body"],"msg":"field required"}]`},
		{`<html>Bad Gateway</html>`, "<html>Bad Gateway</html>"},
	} {
		c := newTestClient(t)
		if got := c.apiError("POST", c.base+"/completions", 400, []byte(tc.body)).Message; got != tc.msg {
			t.Errorf("message of %s = %q, want %q", tc.body, got, tc.msg)
		}
	}
}

func TestGenerate(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{})
	defer s.Close()
	var mu sync.Mutex
	var bodies []map[string]any
	obs := openaitest.NewServer(openaitest.Options{Observe: func(path string, b []byte) {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			mu.Lock()
			bodies = append(bodies, m)
			mu.Unlock()
		}
	}})
	defer obs.Close()
	gsm := "Question: Tom has 3 apples and eats one. How many are left?\nAnswer:"
	script := openaitest.Script(gsm)
	cut := func(text string, stops ...string) string {
		for _, st := range stops {
			if k := strings.Index(text, st); k >= 0 {
				text = text[:k]
			}
		}
		return text
	}
	c := newClient(t, s, nil)
	got, err := c.Generate(context.Background(), []runner.GenerateRequest{
		{Context: gsm, Until: []string{"Question:", "\n\n"}, MaxTokens: 256},
		{Context: gsm, Until: []string{"Question:"}, MaxTokens: 3},
		{Context: "Tell me something.", Until: []string{"\n\n"}, MaxTokens: 100, Temperature: 0.7},
	})
	if err != nil {
		t.Fatal(err)
	}
	first := cut(script, "Question:", "\n\n")
	short, _ := s.Detokenize(s.Tokenize(script)[:3])
	other := cut(openaitest.Script("Tell me something."), "\n\n")
	want := []runner.GenerateResult{
		{Text: first, FinishReason: "stop", PromptTokens: len(s.PromptTokens(gsm)), CompletionTokens: len(s.Tokenize(first))},
		{Text: short, FinishReason: "length", PromptTokens: len(s.PromptTokens(gsm)), CompletionTokens: 3},
		{Text: other, FinishReason: "stop", PromptTokens: len(s.PromptTokens("Tell me something.")), CompletionTokens: len(s.Tokenize(other))},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}

	// Temperature 0 is sent, not dropped; only four stop strings are sent,
	// and the answer is still cut at a fifth.
	oc := newClient(t, obs, nil)
	until := []string{"zz1", "zz2", "zz3", "zz4", " answer"}
	got, err = oc.Generate(context.Background(), []runner.GenerateRequest{{Context: gsm, Until: until, MaxTokens: 50}})
	if err != nil {
		t.Fatal(err)
	}
	if want := cut(script, " answer"); got[0].Text != want || got[0].FinishReason != "stop" {
		t.Errorf("with a fifth stop string: got %q (%s), want %q", got[0].Text, got[0].FinishReason, want)
	}
	if len(bodies) != 1 {
		t.Fatalf("%d requests seen, want 1", len(bodies))
	}
	temp, ok := bodies[0]["temperature"]
	if !ok || temp != 0.0 {
		t.Errorf("temperature sent as %v (present %t), want 0", temp, ok)
	}
	if diff := cmp.Diff([]any{"zz1", "zz2", "zz3", "zz4"}, bodies[0]["stop"]); diff != "" {
		t.Errorf("stop sent (-want +got):\n%s", diff)
	}
}

func TestGenerateStopKeptByServer(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{IncludeStopInOutput: true})
	defer s.Close()
	gsm := "Question: 2+2?\nAnswer:"
	got, err := newClient(t, s, nil).Generate(context.Background(), []runner.GenerateRequest{{Context: gsm, Until: []string{"\n"}, MaxTokens: 50}})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := strings.Cut(openaitest.Script(gsm), "\n")
	if got[0].Text != want {
		t.Errorf("text %q, want %q (cut before the stop string)", got[0].Text, want)
	}
}

func TestGenerateChat(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{Generate: func(p string) string { return "ECHO[" + p + "]" }})
	defer s.Close()
	c := newClient(t, s, func(c *Config) { c.Chat = true })
	got, err := c.Generate(context.Background(), []runner.GenerateRequest{
		{Messages: []runner.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi \"there\""}}, MaxTokens: 200},
		{Context: "Just text", MaxTokens: 200, Until: []string{"text"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{got[0].Text, got[1].Text}
	want := []string{
		"ECHO[<|system|>\nBe brief.\n<|user|>\nHi \"there\"\n<|assistant|>\n]",
		"ECHO[<|user|>\nJust ",
	}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Errorf("texts (-want +got):\n%s", diff)
	}
	if got[0].PromptTokens == 0 || got[0].CompletionTokens == 0 {
		t.Errorf("usage not recorded: %+v", got[0])
	}
	if _, err := newClient(t, s, nil).Generate(context.Background(), []runner.GenerateRequest{{Messages: []runner.Message{{Role: "user", Content: "x"}}}}); err == nil {
		t.Error("messages sent to a client not in chat mode: no error")
	}
}

func TestGenerateFailsWhole(t *testing.T) {
	s := openaitest.NewServer(openaitest.Options{})
	defer s.Close()
	s.InjectFaults(openaitest.Faults{Status: 400, Count: 1})
	_, err := newClient(t, s, nil).Generate(context.Background(), []runner.GenerateRequest{{Context: "a"}, {Context: "b"}})
	if err == nil || !strings.Contains(err.Error(), "generate: request") {
		t.Fatalf("error %v, want one naming the request", err)
	}
}

func TestCheck(t *testing.T) {
	vllm := ServerInfo{Models: []string{"parity-test"}, MaxModelLen: 4096, HasTokenize: true, TokenBoundary: BoundaryTokenize}
	ids := vllm
	ids.ExactIDs = true
	for _, tc := range []struct {
		name     string
		opts     openaitest.Options
		mode     TokenizeMode
		model    string
		exactIDs bool
		want     ServerInfo
		errIs    error
		errText  string
		wantLog  string // in the one line Logf hears; "" for none
	}{
		{"vllm", openaitest.Options{MaxModelLen: 2048}, TokenizeAuto, "", false,
			ServerInfo{Models: []string{"parity-test"}, MaxModelLen: 2048, HasTokenize: true, TokenBoundary: BoundaryTokenize}, nil, "", ""},
		{"vllm with bos", openaitest.Options{AddBOS: true}, TokenizeServer, "", false, vllm, nil, "", ""},
		{"exact ids asked", openaitest.Options{}, TokenizeAuto, "", true, ids, nil, "", ""},
		{"ignores add_special_tokens", openaitest.Options{AddBOS: true, IgnoreAddSpecialTokens: true}, TokenizeAuto, "", false,
			ids, nil, "", "tokenizes a text prompt to %d tokens where /tokenize gives %d"},
		// Without BOS the field changes nothing, so ignoring it is harmless.
		{"ignores add_special_tokens, no bos", openaitest.Options{IgnoreAddSpecialTokens: true}, TokenizeAuto, "", false, vllm, nil, "", ""},
		{"ignores return_tokens_as_token_ids", openaitest.Options{IgnoreTokensAsIDs: true}, TokenizeAuto, "", false,
			ids, nil, "", "ignores return_tokens_as_token_ids"},
		{"no tokenize", openaitest.Options{NoTokenize: true}, TokenizeAuto, "", false,
			ServerInfo{Models: []string{"parity-test"}, MaxModelLen: 4096, TokenBoundary: BoundaryTextOffset}, nil, "", ""},
		{"text_offset with bos", openaitest.Options{AddBOS: true}, TokenizeTextOffset, "", false,
			ServerInfo{Models: []string{"parity-test"}, MaxModelLen: 4096, HasTokenize: true, TokenBoundary: BoundaryTextOffset}, nil, "", ""},
		{"no prompt logprobs", openaitest.Options{NoPromptLogprobs: true}, TokenizeAuto, "", false,
			vllm, ErrNoPromptLogprobs, "does not return prompt logprobs with echo=true (got 0 of %d)", ""},
		{"no prompt logprobs, text", openaitest.Options{NoPromptLogprobs: true, NoTokenize: true}, TokenizeAuto, "", false,
			ServerInfo{Models: []string{"parity-test"}, MaxModelLen: 4096, TokenBoundary: BoundaryTextOffset},
			ErrNoPromptLogprobs, "(got 0 of %d)", ""},
		{"unknown model", openaitest.Options{}, TokenizeAuto, "llama", false,
			ServerInfo{Models: []string{"parity-test"}}, ErrUnknownModel, `serves "parity-test", not "llama"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openaitest.NewServer(tc.opts)
			defer s.Close()
			var logs []string
			c := newClient(t, s, func(c *Config) {
				c.Tokenize = tc.mode
				c.ExactIDs = tc.exactIDs
				if tc.model != "" {
					c.Model = tc.model
				}
				c.Logf = func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
			})
			got, err := c.Check(context.Background())
			if tc.errIs == nil && err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tc.errText, "%d") {
				// Every prompt token but the first should have a logprob.
				tc.errText = fmt.Sprintf(tc.errText, len(s.Tokenize(checkPrompt))-1)
			}
			if tc.errIs != nil && (!errors.Is(err, tc.errIs) || !strings.Contains(err.Error(), tc.errText)) {
				t.Fatalf("error %v, want %v containing %q", err, tc.errIs, tc.errText)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
			if strings.Contains(tc.wantLog, "%d") {
				// The server's tokens are /tokenize's plus BOS.
				n := len(s.Tokenize(checkPrompt))
				tc.wantLog = fmt.Sprintf(tc.wantLog, n+1, n)
			}
			switch {
			case tc.wantLog == "" && len(logs) > 0:
				t.Errorf("Logf heard %q, want nothing", logs)
			case tc.wantLog != "" && (len(logs) != 1 || !strings.Contains(logs[0], tc.wantLog)):
				t.Errorf("Logf heard %q, want one line containing %q", logs, tc.wantLog)
			}
		})
	}
}

// TestTextPromptsMatchExactIDs checks that sending context+continuation as
// text, with only contexts tokenized, gives exactly the results of lm-eval's
// token-id prompts, seams inside a token included, and costs one /tokenize
// call per distinct context (plus one per whole text whose seam merges
// tokens, sent again as ids).
func TestTextPromptsMatchExactIDs(t *testing.T) {
	// Each merge case really has a seam inside a token on the fake
	// tokenizer; otherwise this test proves nothing about them.
	probe := openaitest.NewServer(openaitest.Options{})
	for _, r := range mergeCases {
		ctx, cont := moveSpace(r.Context, r.Continuation)
		ct, whole := probe.Tokenize(ctx), probe.Tokenize(ctx+cont)
		if len(whole) <= len(ct) || slices.Equal(whole[:len(ct)], ct) {
			t.Fatalf("merge case %q+%q: the whole's tokens %v begin with the context's %v", ctx, cont, whole, ct)
		}
	}
	probe.Close()
	// Four choices a question, as MMLU and ARC ask.
	var mc []runner.LoglikelihoodRequest
	for q := range 3 {
		for _, choice := range []string{" A", " B", " C", " D"} {
			mc = append(mc, runner.LoglikelihoodRequest{Context: fmt.Sprintf("Question %d: which letter?\nAnswer:", q), Continuation: choice})
		}
	}
	distinct := func(reqs []runner.LoglikelihoodRequest, whole bool) int {
		seen := map[string]bool{}
		for _, r := range reqs {
			ctx, cont := moveSpace(r.Context, r.Continuation)
			if whole {
				ctx += "\x00" + cont
			}
			seen[ctx] = true
		}
		return len(seen)
	}
	for _, tc := range []struct {
		name    string
		reqs    []runner.LoglikelihoodRequest
		merges  int // prompts sent again as ids
		bos     bool
		special bool
	}{
		{"aligned", llCases, 0, false, false},
		{"four choices", mc, 0, false, false},
		{"merged", mergeCases, len(mergeCases), false, false},
		{"mixed", append(slices.Clone(mc), mergeCases...), len(mergeCases), false, false},
		{"mixed, bos tokenizer", append(slices.Clone(llCases), mergeCases...), len(mergeCases), true, false},
		{"mixed, bos added", append(slices.Clone(llCases), mergeCases...), len(mergeCases), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openaitest.NewServer(openaitest.Options{AddBOS: tc.bos})
			defer s.Close()
			ctx := context.Background()
			run := func(exactIDs bool) ([]runner.LoglikelihoodResult, openaitest.RequestCounts) {
				c := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeServer; c.AddSpecialTokens = tc.special; c.ExactIDs = exactIDs })
				if _, err := c.tokenizeURL(ctx); err != nil {
					t.Fatal(err)
				}
				s.ResetRequests()
				got, err := c.Loglikelihood(ctx, tc.reqs)
				if err != nil {
					t.Fatalf("exact_ids=%t: %v", exactIDs, err)
				}
				return got, s.Requests()
			}
			text, textCalls := run(false)
			exact, exactCalls := run(true)
			if diff := cmp.Diff(exact, text); diff != "" {
				t.Errorf("results (-exact_ids +text prompts):\n%s", diff)
			}
			for i, r := range tc.reqs {
				if diff := cmp.Diff(wantTokenize(s, r, tc.special), text[i], approx); diff != "" {
					t.Errorf("request %d against lm-eval's prompt (-want +got):\n%s", i, diff)
				}
			}
			wantText := openaitest.RequestCounts{Tokenize: distinct(tc.reqs, false) + tc.merges, Completions: 1, PromptCount: len(tc.reqs) + tc.merges}
			if tc.merges > 0 {
				wantText.Completions++
			}
			wantExact := openaitest.RequestCounts{Tokenize: distinct(tc.reqs, false) + distinct(tc.reqs, true), Completions: 1, PromptCount: len(tc.reqs)}
			if diff := cmp.Diff(wantText, textCalls); diff != "" {
				t.Errorf("requests with text prompts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantExact, exactCalls); diff != "" {
				t.Errorf("requests with exact ids (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTextPromptFallback checks servers that ignore vLLM's fields when
// Check was not called: results stay lm-eval's either way.
func TestTextPromptFallback(t *testing.T) {
	reqs := append(slices.Clone(llCases), mergeCases...)
	for _, tc := range []struct {
		name            string
		opts            openaitest.Options
		wantLog         string
		wantCompletions int // of the first call
	}{
		// Tokens as text cannot be checked: the batch goes again as ids,
		// and so does every later one.
		{"tokens as text", openaitest.Options{IgnoreTokensAsIDs: true}, "ignores return_tokens_as_token_ids", 2},
		// BOS in front of every text prompt: no prompt's tokens begin with
		// its context's, so all go again as ids.
		{"add_special_tokens ignored", openaitest.Options{AddBOS: true, IgnoreAddSpecialTokens: true}, "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openaitest.NewServer(tc.opts)
			defer s.Close()
			var logs []string
			c := newClient(t, s, func(c *Config) {
				c.Tokenize = TokenizeServer
				c.Logf = func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }
			})
			got, err := c.Loglikelihood(context.Background(), reqs)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range reqs {
				if diff := cmp.Diff(wantTokenize(s, r, false), got[i], approx); diff != "" {
					t.Errorf("request %d (-want +got):\n%s", i, diff)
				}
			}
			if n := s.Requests().Completions; n != tc.wantCompletions {
				t.Errorf("%d completions requests, want %d", n, tc.wantCompletions)
			}
			switch {
			case tc.wantLog == "" && len(logs) > 0:
				t.Errorf("Logf heard %q, want nothing", logs)
			case tc.wantLog != "" && (len(logs) != 1 || !strings.Contains(logs[0], tc.wantLog)):
				t.Errorf("Logf heard %q, want one line containing %q", logs, tc.wantLog)
			}
		})
	}
}

func TestNoContinuationTokens(t *testing.T) {
	for _, r := range []runner.LoglikelihoodRequest{
		{Context: "Hello", Continuation: ""},
		// " a"+"b" is the one token " ab".
		{Context: "The cat a", Continuation: "b"},
	} {
		for _, exactIDs := range []bool{false, true} {
			s := openaitest.NewServer(openaitest.Options{})
			c := newClient(t, s, func(c *Config) { c.Tokenize = TokenizeServer; c.ExactIDs = exactIDs })
			_, err := c.Loglikelihood(context.Background(), []runner.LoglikelihoodRequest{llCases[0], r})
			if !errors.Is(err, ErrNoContinuationTokens) || !strings.Contains(err.Error(), "request 1 ") {
				t.Errorf("%q+%q, exact_ids=%t: error %v, want ErrNoContinuationTokens for request 1", r.Context, r.Continuation, exactIDs, err)
			}
			// Not a transient failure: nothing is sent more than once.
			if n := s.Requests().Completions; n > 1 {
				t.Errorf("%q+%q, exact_ids=%t: %d completions requests, want at most 1", r.Context, r.Continuation, exactIDs, n)
			}
			s.Close()
		}
	}
}

func TestConfig(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "http://x/v1"},
		{BaseURL: "ftp://x/v1", Model: "m"},
		{BaseURL: "not a url", Model: "m"},
		{BaseURL: "http://x/v1", Model: "m", Tokenize: 7},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	for _, s := range []string{"auto", "server", "text_offset"} {
		m, err := ParseTokenizeMode(s)
		if err != nil || m.String() != s {
			t.Errorf("ParseTokenizeMode(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseTokenizeMode("bpe"); err == nil {
		t.Error("ParseTokenizeMode(bpe) succeeded")
	}
	a, _ := New(Config{BaseURL: "http://h:8000/v1/", Model: "m"})
	b, _ := New(Config{BaseURL: "http://h:8000/v1", Model: "m", Chat: true})
	if a.ID() == b.ID() {
		t.Errorf("chat and completions clients share ID %q", a.ID())
	}
}
