package openai

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
)

// ErrNoTokenize is returned in TokenizeServer mode when the server has no
// /tokenize endpoint.
var ErrNoTokenize = errors.New("server has no /tokenize endpoint")

// defaultMemoTokens bounds the memo: past this many stored token ids it
// starts afresh (a 64 MiB ceiling; MMLU's 14k five-shot contexts need ~8M).
const defaultMemoTokens = 16 << 20

type memoKey struct {
	text    string
	special bool
}

// memoEntry is one tokenization, done or under way; done closes when ids
// or err is set.
type memoEntry struct {
	done chan struct{}
	ids  []int32
	err  error
}

// tokenMemo remembers tokenizations for the Client's life, so a context
// shared by several requests (an MMLU question's four choices) is sent to
// /tokenize once, even when those requests arrive concurrently.
type tokenMemo struct {
	mu     sync.Mutex
	m      map[memoKey]*memoEntry
	tokens int
	limit  int
}

// claim returns the entry for k and whether the caller must fill it.
func (m *tokenMemo) claim(k memoKey) (*memoEntry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.m[k]; ok {
		return e, false
	}
	if m.m == nil || m.tokens > m.limit {
		m.m = make(map[memoKey]*memoEntry)
		m.tokens = 0
	}
	e := &memoEntry{done: make(chan struct{})}
	m.m[k] = e
	return e, true
}

// fill completes e; a failed entry is forgotten so a later call tries again.
func (m *tokenMemo) fill(k memoKey, e *memoEntry, ids []int32, err error) {
	e.ids, e.err = ids, err
	m.mu.Lock()
	if err != nil {
		if m.m[k] == e {
			delete(m.m, k)
		}
	} else {
		m.tokens += len(ids)
	}
	m.mu.Unlock()
	close(e.done)
}

// tokenizeAll tokenizes every distinct key in keys (through the memo) with
// at most Concurrency calls in flight, and returns the ids in keys' order.
func (c *Client) tokenizeAll(ctx context.Context, tokURL string, keys []memoKey) ([][]int32, error) {
	out := make([][]int32, len(keys))
	type job struct {
		k memoKey
		e *memoEntry
	}
	entries := make([]*memoEntry, len(keys))
	var jobs []job
	for i, k := range keys {
		e, mine := c.memo.claim(k)
		entries[i] = e
		if mine {
			jobs = append(jobs, job{k, e})
		}
	}
	var (
		errOnce  sync.Once
		firstErr error
	)
	if len(jobs) > 0 {
		jctx, cancel := context.WithCancel(ctx)
		defer cancel()
		sem := make(chan struct{}, c.cfg.Concurrency)
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				ids, err := c.tokenize(jctx, tokURL, j.k.text, j.k.special)
				c.memo.fill(j.k, j.e, ids, err)
				if err != nil {
					errOnce.Do(func() {
						firstErr = fmt.Errorf("tokenizing %s: %w", quoteShort(j.k.text), err)
						cancel()
					})
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
	}
	for i, e := range entries {
		for tries := 0; ; tries++ {
			select {
			case <-e.done:
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
			if e.err == nil {
				out[i] = e.ids
				break
			}
			// Another call's cancellation is not ours: tokenize it here.
			if ctx.Err() == nil && tries < 3 && errors.Is(e.err, context.Canceled) {
				var mine bool
				if e, mine = c.memo.claim(keys[i]); mine {
					ids, err := c.tokenize(ctx, tokURL, keys[i].text, keys[i].special)
					c.memo.fill(keys[i], e, ids, err)
				}
				continue
			}
			return nil, fmt.Errorf("tokenizing %s: %w", quoteShort(keys[i].text), e.err)
		}
	}
	return out, nil
}

// tokenize sends one text to /tokenize.
func (c *Client) tokenize(ctx context.Context, tokURL, text string, special bool) ([]int32, error) {
	bp := c.getReqBuf()
	defer c.putReqBuf(bp)
	body := append((*bp)[:0], `{"model":`...)
	body = appendString(body, c.cfg.Model)
	body = append(body, `,"prompt":`...)
	body = appendString(body, text)
	body = append(body, `,"add_special_tokens":`...)
	if special {
		body = append(body, "true}"...)
	} else {
		body = append(body, "false}"...)
	}
	*bp = body
	var ids []int32
	err := c.post(ctx, tokURL, body, func(b []byte) error {
		var maxLen int
		var err error
		ids, maxLen, err = decodeTokenize(b, len(text)/3)
		if err != nil {
			return &badResponse{err}
		}
		if maxLen > 0 {
			c.maxModelLen.Store(int64(maxLen))
		}
		return nil
	})
	return ids, err
}

// decodeTokenize reads vLLM's {"count":…,"max_model_len":…,"tokens":[…]}.
func decodeTokenize(b []byte, sizeHint int) (ids []int32, maxModelLen int, err error) {
	s := &scanner{b: b}
	if err := s.expect('{'); err != nil {
		return nil, 0, err
	}
	saw := false
	for n := 0; ; n++ {
		key, more, err := s.member(n)
		if err != nil {
			return nil, 0, err
		}
		if !more {
			break
		}
		switch string(key) {
		case "tokens":
			saw = true
			if err := s.expect('['); err != nil {
				return nil, 0, err
			}
			ids = make([]int32, 0, sizeHint+1)
			for k := 0; ; k++ {
				more, err := s.elem(k)
				if err != nil {
					return nil, 0, err
				}
				if !more {
					break
				}
				id, err := s.integer()
				if err != nil {
					return nil, 0, err
				}
				if id < 0 || id > math.MaxInt32 {
					return nil, 0, fmt.Errorf("token id %d out of range", id)
				}
				ids = append(ids, int32(id))
			}
		case "max_model_len":
			if isNull, err := s.null(); err != nil {
				return nil, 0, err
			} else if !isNull {
				if maxModelLen, err = s.integer(); err != nil {
					return nil, 0, err
				}
			}
		default:
			if err := s.skip(); err != nil {
				return nil, 0, err
			}
		}
	}
	if err := s.end(); err != nil {
		return nil, 0, err
	}
	if !saw {
		return nil, 0, errors.New("no tokens in the /tokenize response")
	}
	return ids, maxModelLen, nil
}

// tokenizeURL finds the server's /tokenize once: vLLM serves it at the
// server root, some servers under /v1. It returns "" when neither exists.
func (c *Client) tokenizeURL(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.tokResolved {
		return c.tokURL, nil
	}
	candidates := []string{c.root + "/tokenize"}
	if c.base != c.root {
		candidates = append(candidates, c.base+"/tokenize")
	}
	for _, u := range candidates {
		_, err := c.tokenize(ctx, u, "Hello world", false)
		var apiErr *APIError
		switch {
		case err == nil:
			c.tokURL, c.tokResolved = u, true
			return u, nil
		case errors.As(err, &apiErr) && absentStatus(apiErr.StatusCode):
			continue
		default:
			return "", fmt.Errorf("probing for /tokenize: %w", err)
		}
	}
	c.tokResolved = true
	return "", nil
}

// absentStatus is how servers say an endpoint does not exist.
func absentStatus(code int) bool {
	return code == http.StatusNotFound || code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented
}

// boundary resolves Config.Tokenize to the method Loglikelihood uses and,
// for the tokenize method, the /tokenize URL.
func (c *Client) boundary(ctx context.Context) (string, string, error) {
	if c.cfg.Tokenize == TokenizeTextOffset {
		return BoundaryTextOffset, "", nil
	}
	u, err := c.tokenizeURL(ctx)
	if err != nil {
		return "", "", err
	}
	if u == "" {
		if c.cfg.Tokenize == TokenizeServer {
			return "", "", fmt.Errorf("%s: %w (use text_offset mode)", c.shown, ErrNoTokenize)
		}
		return BoundaryTextOffset, "", nil
	}
	return BoundaryTokenize, u, nil
}

func quoteShort(s string) string {
	if len(s) > 60 {
		// Cut on a rune boundary so the quote stays valid text.
		n := 60
		for n > 0 && s[n]&0xC0 == 0x80 {
			n--
		}
		return fmt.Sprintf("%q…", s[:n])
	}
	return fmt.Sprintf("%q", s)
}
