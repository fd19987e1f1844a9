package runner

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parity-eval/parity/runner/cache"
)

// fakeBackend answers deterministically from the request text and counts
// what it was asked.
type fakeBackend struct {
	mu       sync.Mutex
	llCalls  [][]LoglikelihoodRequest
	genCalls int
	failOn   string // a continuation that makes the whole call fail
	cancel   func() // called on the first call, to simulate Ctrl-C
}

func (f *fakeBackend) ID() string { return "fake|model" }

func (f *fakeBackend) Loglikelihood(ctx context.Context, reqs []LoglikelihoodRequest) ([]LoglikelihoodResult, error) {
	f.mu.Lock()
	f.llCalls = append(f.llCalls, reqs)
	cancel := f.cancel
	f.cancel = nil
	f.mu.Unlock()
	if cancel != nil {
		cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	}
	out := make([]LoglikelihoodResult, len(reqs))
	for i, r := range reqs {
		if r.Continuation == f.failOn {
			return nil, errors.New("server returned 500 after 5 tries")
		}
		out[i] = LoglikelihoodResult{LogProb: -float64(len(r.Context) + len(r.Continuation)), IsGreedy: len(r.Continuation)%2 == 0, ContinuationTokens: 1, PromptTokens: 3}
	}
	return out, nil
}

func (f *fakeBackend) Generate(ctx context.Context, reqs []GenerateRequest) ([]GenerateResult, error) {
	f.mu.Lock()
	f.genCalls++
	f.mu.Unlock()
	out := make([]GenerateResult, len(reqs))
	for i, r := range reqs {
		out[i] = GenerateResult{Text: strings.ToUpper(r.Context), PromptTokens: 2, CompletionTokens: 4}
	}
	return out, nil
}

func work() Work {
	var w Work
	for i := range 10 {
		for _, c := range []string{" A", " B", " C"} {
			w.Loglikelihood = append(w.Loglikelihood, LoglikelihoodRequest{Context: fmt.Sprintf("Q%d", i%5), Continuation: c})
		}
		w.Generate = append(w.Generate, GenerateRequest{Context: fmt.Sprintf("g%d", i%4), Until: []string{"\n"}, MaxTokens: 8})
	}
	return w
}

type collected struct {
	LL  map[int]LoglikelihoodResult
	Gen map[int]GenerateResult
}

func run(t *testing.T, r *Runner, w Work) (collected, Stats, error) {
	t.Helper()
	got := collected{LL: map[int]LoglikelihoodResult{}, Gen: map[int]GenerateResult{}}
	st, err := r.Run(context.Background(), w, Callbacks{
		OnLoglikelihood: func(i int, res LoglikelihoodResult) { got.LL[i] = res },
		OnGenerate:      func(i int, res GenerateResult) { got.Gen[i] = res },
	})
	return got, st, err
}

func TestRunDedupesAndCaches(t *testing.T) {
	ctx := context.Background()
	c, err := cache.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := work()

	fb := &fakeBackend{}
	first, st, err := run(t, New(fb, Options{BatchSize: 4, Concurrency: 3, Store: c}), w)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.LL) != 30 || len(first.Gen) != 10 {
		t.Fatalf("got %d ll and %d gen results; want 30 and 10", len(first.LL), len(first.Gen))
	}
	sentLL := 0
	for _, call := range fb.llCalls {
		if len(call) > 4 {
			t.Errorf("batch of %d exceeds batch size 4", len(call))
		}
		sentLL += len(call)
	}
	// 5 distinct contexts x 3 continuations; 4 distinct generation prompts.
	if sentLL != 15 || fb.genCalls != 4 {
		t.Errorf("sent %d loglikelihood and %d generate requests; want 15 and 4 (duplicates removed)", sentLL, fb.genCalls)
	}
	if st.Unique != 19 || st.Sent != 19 || st.Cached != 0 {
		t.Errorf("stats %+v; want unique 19, sent 19, cached 0", st)
	}

	fb2 := &fakeBackend{}
	second, st2, err := run(t, New(fb2, Options{BatchSize: 4, Concurrency: 3, Store: c}), w)
	if err != nil {
		t.Fatal(err)
	}
	if len(fb2.llCalls) != 0 || fb2.genCalls != 0 {
		t.Errorf("second run reached the backend: %d ll calls, %d gen calls", len(fb2.llCalls), fb2.genCalls)
	}
	if st2.Cached != 40 {
		t.Errorf("second run cached = %d; want 40", st2.Cached)
	}
	if d := cmp.Diff(first, second); d != "" {
		t.Errorf("cached results differ from live ones (-live +cached):\n%s", d)
	}
}

func TestRunReportsFailuresAndKeepsTheRest(t *testing.T) {
	ctx := context.Background()
	c, err := cache.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := Work{Loglikelihood: []LoglikelihoodRequest{
		{Context: "a", Continuation: " ok"}, {Context: "b", Continuation: " bad"}, {Context: "c", Continuation: " ok"},
	}}
	fb := &fakeBackend{failOn: " bad"}
	var failedIdx []int
	got := map[int]LoglikelihoodResult{}
	// One batch of 3 fails as a whole; the runner retries its requests one
	// by one so that only the bad one fails.
	_, err = New(fb, Options{BatchSize: 3, Concurrency: 1, Store: c}).Run(ctx, w, Callbacks{
		OnLoglikelihood: func(i int, r LoglikelihoodResult) { got[i] = r },
		OnError:         func(kind string, i int, err error) { failedIdx = append(failedIdx, i) },
	})
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Failed != 1 || !strings.Contains(err.Error(), "loglikelihood request 1") {
		t.Fatalf("err = %v; want a FailedError for request 1", err)
	}
	if d := cmp.Diff([]int{1}, failedIdx); d != "" {
		t.Errorf("failed indexes (-want +got):\n%s", d)
	}
	if len(got) != 2 {
		t.Errorf("got %d results; want the 2 that succeeded", len(got))
	}
	if len(fb.llCalls) != 4 {
		t.Errorf("backend got %d calls; want 4 (the batch, then each request alone)", len(fb.llCalls))
	}
	n, _ := c.Len(ctx)
	if n != 2 {
		t.Errorf("cache holds %d entries; want 2", n)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fb := &fakeBackend{cancel: cancel}
	w := work()
	_, err := New(fb, Options{BatchSize: 2, Concurrency: 1}).Run(ctx, w, Callbacks{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	if len(fb.llCalls) != 1 {
		t.Errorf("backend got %d calls after cancel; want 1", len(fb.llCalls))
	}
}

func TestPrepareRunsOnlyWhenSomethingIsSent(t *testing.T) {
	ctx := context.Background()
	c, err := cache.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	prepared := 0
	opts := Options{Store: c, Prepare: func(context.Context) error { prepared++; return nil }}
	if _, _, err := run(t, New(&fakeBackend{}, opts), work()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, New(&fakeBackend{}, opts), work()); err != nil {
		t.Fatal(err)
	}
	if prepared != 1 {
		t.Errorf("Prepare ran %d times; want 1 (the second run is all cached)", prepared)
	}
	opts.Prepare = func(context.Context) error { return errors.New("server down") }
	w := work()
	w.Generate = append(w.Generate, GenerateRequest{Context: "new"})
	if _, _, err := run(t, New(&fakeBackend{}, opts), w); err == nil || err.Error() != "server down" {
		t.Errorf("err = %v; want Prepare's error", err)
	}
}

func TestFormatProgress(t *testing.T) {
	got := FormatProgress("arc", Progress{Total: 200, Done: 100, Cached: 50, Elapsed: 5e9})
	want := "arc: requests 100/200 (50.0%), 50 from cache, 10.0 req/s, ETA 10s, elapsed 5s"
	if got != want {
		t.Errorf("FormatProgress = %q; want %q", got, want)
	}
}

func TestRevisionSeparatesCacheEntries(t *testing.T) {
	ctx := context.Background()
	c, err := cache.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if WithRevision(&fakeBackend{}, "").ID() != (&fakeBackend{}).ID() {
		t.Error("an empty revision changed the ID")
	}
	if _, _, err := run(t, New(WithRevision(&fakeBackend{}, "ckpt-1"), Options{Store: c}), work()); err != nil {
		t.Fatal(err)
	}
	fb := &fakeBackend{}
	_, st, err := run(t, New(WithRevision(fb, "ckpt-2"), Options{Store: c}), work())
	if err != nil {
		t.Fatal(err)
	}
	if st.Cached != 0 || st.Sent != 19 {
		t.Errorf("a new revision was served from the old one's cache: %+v", st)
	}
}
