// Package runner sends the requests of an evaluation to a model backend:
// it removes duplicates, answers what it can from the cache, sends the rest
// in batches with bounded concurrency, stores each response the moment it
// arrives and reports progress. It knows nothing about tasks.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parity-eval/parity/runner/cache"
)

// Store is where responses are kept between runs.
type Store interface {
	Get(ctx context.Context, keys []string) (map[string][]byte, error)
	Put(ctx context.Context, entries []cache.Entry) error
}

// Options tune a Runner.
type Options struct {
	// BatchSize is how many loglikelihood requests go in one backend call.
	BatchSize int
	// Concurrency is how many backend calls are in flight at once.
	Concurrency int
	// Store caches responses; nil disables caching.
	Store Store
	// Progress, if set, is told how far the run has come.
	Progress func(Progress)
	// Prepare, if set, runs once before the first request is sent (a server
	// check, say), so a run answered wholly from the cache touches nothing.
	Prepare func(ctx context.Context) error
}

// Progress is a snapshot of a run.
type Progress struct {
	Total, Done, Cached, Failed int
	Elapsed                     time.Duration
	Final                       bool
}

// Stats counts what a run did.
type Stats struct {
	LoglikelihoodRequests int `json:"loglikelihood_requests"`
	GenerateRequests      int `json:"generate_requests"`
	Unique                int `json:"unique_requests"`
	Cached                int `json:"cached"`
	Sent                  int `json:"sent"`
	Failed                int `json:"failed"`
	BackendCalls          int `json:"backend_calls"`
	PromptTokens          int `json:"prompt_tokens"`
	CompletionTokens      int `json:"completion_tokens"`
}

// Work is what a run must answer. Indexes into the slices identify requests
// in the callbacks.
type Work struct {
	Loglikelihood []LoglikelihoodRequest
	Generate      []GenerateRequest
}

// Callbacks receive results as they become available. The runner calls them
// one at a time (never concurrently), from cache hits first, then as batches
// come back. A request that failed is reported through OnError.
type Callbacks struct {
	OnLoglikelihood func(i int, r LoglikelihoodResult)
	OnGenerate      func(i int, r GenerateResult)
	OnError         func(kind string, i int, err error)
}

// Runner runs Work against a Backend.
type Runner struct {
	backend Backend
	opts    Options
}

// New returns a Runner; zero options get defaults (batch 32, concurrency 8).
func New(b Backend, o Options) *Runner {
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	return &Runner{backend: b, opts: o}
}

// FailedError reports requests that could not be answered; the rest of the
// run completed and is cached.
type FailedError struct {
	Failed int
	First  error
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("%d request(s) failed; first: %v", e.Failed, e.First)
}

func (e *FailedError) Unwrap() error { return e.First }

const (
	kindLoglikelihood = "loglikelihood"
	kindGenerate      = "generate_until"
)

// unique is one distinct request and every index that asked for it.
type unique struct {
	key     string
	indexes []int
}

// Run answers w. It returns when every request is answered or has failed,
// or when ctx is cancelled (then with ctx's error; what arrived is cached).
func (r *Runner) Run(ctx context.Context, w Work, cb Callbacks) (Stats, error) {
	start := time.Now()
	st := Stats{LoglikelihoodRequests: len(w.Loglikelihood), GenerateRequests: len(w.Generate)}

	llUniq, err := dedupe(r.backend.ID(), kindLoglikelihood, w.Loglikelihood)
	if err != nil {
		return st, err
	}
	genUniq, err := dedupe(r.backend.ID(), kindGenerate, w.Generate)
	if err != nil {
		return st, err
	}
	st.Unique = len(llUniq) + len(genUniq)

	var mu sync.Mutex // serialises callbacks, progress and stats
	total := len(w.Loglikelihood) + len(w.Generate)
	done, cached, failed := 0, 0, 0
	var firstErr error
	report := func(final bool) {
		if r.opts.Progress != nil {
			r.opts.Progress(Progress{Total: total, Done: done, Cached: cached, Failed: failed, Elapsed: time.Since(start), Final: final})
		}
	}
	deliverLL := func(u unique, res LoglikelihoodResult, fromCache bool) {
		for _, i := range u.indexes {
			if cb.OnLoglikelihood != nil {
				cb.OnLoglikelihood(i, res)
			}
		}
		done += len(u.indexes)
		if fromCache {
			cached += len(u.indexes)
		} else {
			st.PromptTokens += res.PromptTokens
		}
	}
	deliverGen := func(u unique, res GenerateResult, fromCache bool) {
		for _, i := range u.indexes {
			if cb.OnGenerate != nil {
				cb.OnGenerate(i, res)
			}
		}
		done += len(u.indexes)
		if fromCache {
			cached += len(u.indexes)
		} else {
			st.PromptTokens += res.PromptTokens
			st.CompletionTokens += res.CompletionTokens
		}
	}
	fail := func(kind string, us []unique, err error) {
		for _, u := range us {
			for _, i := range u.indexes {
				if cb.OnError != nil {
					cb.OnError(kind, i, err)
				}
			}
			failed += len(u.indexes)
			done += len(u.indexes)
			st.Failed += len(u.indexes)
		}
		if firstErr == nil {
			firstErr = err
		}
	}

	// Cache lookups first, so a resumed run only sends what is missing.
	llMissing, genMissing := llUniq, genUniq
	if r.opts.Store != nil {
		llMissing, err = lookup(ctx, r.opts.Store, llUniq, func(u unique, v []byte) error {
			var res LoglikelihoodResult
			if err := json.Unmarshal(v, &res); err != nil {
				return err
			}
			deliverLL(u, res, true)
			return nil
		})
		if err != nil {
			return st, err
		}
		genMissing, err = lookup(ctx, r.opts.Store, genUniq, func(u unique, v []byte) error {
			var res GenerateResult
			if err := json.Unmarshal(v, &res); err != nil {
				return err
			}
			deliverGen(u, res, true)
			return nil
		})
		if err != nil {
			return st, err
		}
	}
	st.Cached = cached
	report(false)
	if r.opts.Prepare != nil && len(llMissing)+len(genMissing) > 0 {
		if err := r.opts.Prepare(ctx); err != nil {
			return st, err
		}
	}

	// Work items: batches of loglikelihood requests, single generations.
	type job struct {
		kind string
		us   []unique
	}
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		for start := 0; start < len(llMissing); start += r.opts.BatchSize {
			end := min(start+r.opts.BatchSize, len(llMissing))
			select {
			case jobs <- job{kindLoglikelihood, llMissing[start:end]}:
			case <-ctx.Done():
				return
			}
		}
		for i := range genMissing {
			select {
			case jobs <- job{kindGenerate, genMissing[i : i+1]}:
			case <-ctx.Done():
				return
			}
		}
	}()

	var calls, sent atomic.Int64
	var storeErr error
	var wg sync.WaitGroup
	for range r.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					return
				}
				calls.Add(1)
				switch j.kind {
				case kindLoglikelihood:
					reqs := make([]LoglikelihoodRequest, len(j.us))
					for k, u := range j.us {
						reqs[k] = w.Loglikelihood[u.indexes[0]]
					}
					res, err := r.backend.Loglikelihood(ctx, reqs)
					if err == nil && len(res) != len(reqs) {
						err = fmt.Errorf("backend returned %d results for %d requests", len(res), len(reqs))
					}
					if err != nil && len(reqs) > 1 && ctx.Err() == nil {
						// One bad prompt (too long, say) must not sink its
						// batch: send the rest one by one so only it fails.
						r.oneByOne(ctx, j.us, reqs, &calls, &sent, &mu, deliverLL, fail, report, &storeErr)
						continue
					}
					var perr error
					if err == nil {
						// Stored even when the run is being cancelled: it arrived.
						perr = r.store(ctx, j.us, res)
					}
					if ctx.Err() != nil {
						return
					}
					sent.Add(int64(len(reqs)))
					mu.Lock()
					if err != nil {
						fail(j.kind, j.us, fmt.Errorf("loglikelihood request %d: %w", j.us[0].indexes[0], err))
					} else {
						if perr != nil && storeErr == nil {
							storeErr = perr
						}
						for k, u := range j.us {
							deliverLL(u, res[k], false)
						}
					}
					report(false)
					mu.Unlock()
				case kindGenerate:
					reqs := []GenerateRequest{w.Generate[j.us[0].indexes[0]]}
					res, err := r.backend.Generate(ctx, reqs)
					if err == nil && len(res) != 1 {
						err = fmt.Errorf("backend returned %d results for 1 request", len(res))
					}
					var perr error
					if err == nil {
						perr = r.store(ctx, j.us, res)
					}
					if ctx.Err() != nil {
						return
					}
					sent.Add(1)
					mu.Lock()
					if err != nil {
						fail(j.kind, j.us, fmt.Errorf("generation request %d: %w", j.us[0].indexes[0], err))
					} else {
						if perr != nil && storeErr == nil {
							storeErr = perr
						}
						deliverGen(j.us[0], res[0], false)
					}
					report(false)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	st.BackendCalls = int(calls.Load())
	st.Sent = int(sent.Load())
	mu.Lock()
	defer mu.Unlock()
	report(true)
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if storeErr != nil {
		return st, storeErr
	}
	if failed > 0 {
		return st, &FailedError{Failed: failed, First: firstErr}
	}
	return st, nil
}

// oneByOne sends a failed batch's requests singly, delivering what succeeds.
func (r *Runner) oneByOne(ctx context.Context, us []unique, reqs []LoglikelihoodRequest, calls, sent *atomic.Int64, mu *sync.Mutex,
	deliver func(unique, LoglikelihoodResult, bool), fail func(string, []unique, error), report func(bool), storeErr *error) {
	for k := range reqs {
		if ctx.Err() != nil {
			return
		}
		calls.Add(1)
		res, err := r.backend.Loglikelihood(ctx, reqs[k:k+1])
		if err == nil && len(res) != 1 {
			err = fmt.Errorf("backend returned %d results for 1 request", len(res))
		}
		var perr error
		if err == nil {
			perr = r.store(ctx, us[k:k+1], res)
		}
		if ctx.Err() != nil {
			return
		}
		sent.Add(1)
		mu.Lock()
		if err != nil {
			fail(kindLoglikelihood, us[k:k+1], fmt.Errorf("loglikelihood request %d: %w", us[k].indexes[0], err))
		} else {
			if perr != nil && *storeErr == nil {
				*storeErr = perr
			}
			deliver(us[k], res[0], false)
		}
		report(false)
		mu.Unlock()
	}
}

func dedupe[T any](backendID, kind string, reqs []T) ([]unique, error) {
	byKey := make(map[string]int, len(reqs))
	var out []unique
	for i, req := range reqs {
		b, err := json.Marshal(req)
		if err != nil {
			return nil, fmt.Errorf("%s request %d: %w", kind, i, err)
		}
		k := cache.Key(backendID, kind, b)
		if j, ok := byKey[k]; ok {
			out[j].indexes = append(out[j].indexes, i)
			continue
		}
		byKey[k] = len(out)
		out = append(out, unique{key: k, indexes: []int{i}})
	}
	return out, nil
}

// lookup answers what the store has and returns the rest.
func lookup(ctx context.Context, s Store, us []unique, hit func(unique, []byte) error) ([]unique, error) {
	const chunk = 4096
	var missing []unique
	for start := 0; start < len(us); start += chunk {
		part := us[start:min(start+chunk, len(us))]
		keys := make([]string, len(part))
		for i, u := range part {
			keys[i] = u.key
		}
		got, err := s.Get(ctx, keys)
		if err != nil {
			return nil, err
		}
		for _, u := range part {
			v, ok := got[u.key]
			if !ok {
				missing = append(missing, u)
				continue
			}
			if err := hit(u, v); err != nil {
				// A damaged entry is sent again rather than trusted.
				missing = append(missing, u)
			}
		}
	}
	return missing, nil
}

func (r *Runner) store(ctx context.Context, us []unique, results any) error {
	if r.opts.Store == nil {
		return nil
	}
	entries := make([]cache.Entry, len(us))
	switch res := results.(type) {
	case []LoglikelihoodResult:
		for k, u := range us {
			b, err := json.Marshal(res[k])
			if err != nil {
				return err
			}
			entries[k] = cache.Entry{Key: u.key, Value: b}
		}
	case []GenerateResult:
		for k, u := range us {
			b, err := json.Marshal(res[k])
			if err != nil {
				return err
			}
			entries[k] = cache.Entry{Key: u.key, Value: b}
		}
	default:
		return errors.New("runner: unknown result type")
	}
	return r.opts.Store.Put(ctx, entries)
}
