package datasets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Hub serves every public dataset converted to parquet on the
// refs/convert/parquet branch. Its API lists the files:
//
//	GET {endpoint}/api/datasets/{repo}/parquet                  → {config: {split: [url, ...]}}
//	GET {endpoint}/api/datasets/{repo}/parquet/{config}/{split} → [url, ...]
//
// and each URL ({endpoint}/api/datasets/{repo}/parquet/{config}/{split}/{n}.parquet)
// redirects to the file. Downloads land in
// <CacheDir>/<repo>/<config>/<split>/NNNN.parquet, named by their position
// in the listing so that name order is dataset order, and a manifest written
// last marks the split complete.

const manifestName = ".parity-complete.json"

type manifest struct {
	Files []string `json:"files"`
	URLs  []string `json:"urls"`
}

func (l *Loader) cacheDir(ref Ref) string {
	if l.opts.CacheDir == "" {
		return ""
	}
	return filepath.Join(l.opts.CacheDir, filepath.FromSlash(ref.Path), ref.config(), ref.Split)
}

// cachedFiles returns the files of a completely downloaded split.
func (l *Loader) cachedFiles(ref Ref) ([]string, bool) {
	dir := l.cacheDir(ref)
	if dir == "" {
		return nil, false
	}
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, false
	}
	var m manifest
	if json.Unmarshal(b, &m) != nil {
		return nil, false
	}
	files := make([]string, len(m.Files))
	for i, f := range m.Files {
		if f != filepath.Base(f) {
			return nil, false
		}
		files[i] = filepath.Join(dir, f)
		if _, err := os.Stat(files[i]); err != nil {
			return nil, false
		}
	}
	return files, true
}

// download fetches the split's parquet files into the cache and returns
// their paths.
func (l *Loader) download(ctx context.Context, ref Ref) ([]string, error) {
	dir := l.cacheDir(ref)
	if dir == "" {
		return nil, ref.errorf("", errors.New("no cache directory for downloads (set HF_HOME or Options.CacheDir)"))
	}
	urls, err := l.listSplit(ctx, ref)
	if err != nil {
		return nil, err
	}
	if len(urls) == 0 {
		return nil, ref.errorf("", fmt.Errorf("%w: the Hub lists no parquet files for the split", ErrNotFound))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, ref.errorf("", err)
	}
	m := manifest{URLs: urls}
	files := make([]string, len(urls))
	for i, u := range urls {
		name := fmt.Sprintf("%04d.parquet", i)
		files[i] = filepath.Join(dir, name)
		m.Files = append(m.Files, name)
		if err := l.downloadFile(ctx, u, files[i]); err != nil {
			return nil, wrapFileError(ref, u, err)
		}
	}
	b, _ := json.Marshal(m)
	if err := writeAtomic(filepath.Join(dir, manifestName), bytes.NewReader(b), nil); err != nil {
		return nil, ref.errorf("", err)
	}
	return files, nil
}

func (l *Loader) apiURL(parts ...string) string {
	var b strings.Builder
	b.WriteString(l.opts.Endpoint)
	b.WriteString("/api/datasets/")
	b.WriteString(escapeRepo(parts[0]))
	b.WriteString("/parquet")
	for _, p := range parts[1:] {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

func escapeRepo(repo string) string {
	parts := strings.Split(repo, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// listSplit asks the Hub for the URLs of the split's parquet files. On a
// 404 it fetches the dataset-level listing to say which configs or splits
// exist.
func (l *Loader) listSplit(ctx context.Context, ref Ref) ([]string, error) {
	u := l.apiURL(ref.Path, ref.config(), ref.Split)
	var urls []string
	err := l.getJSON(ctx, u, &urls)
	if errors.Is(err, ErrNotFound) {
		return nil, ref.errorf("", l.explainNotFound(ctx, ref))
	}
	if err != nil {
		return nil, ref.errorf("", err)
	}
	for i, s := range urls {
		urls[i] = l.rewriteHost(s)
	}
	return urls, nil
}

func (l *Loader) explainNotFound(ctx context.Context, ref Ref) error {
	var all map[string]map[string][]string
	if err := l.getJSON(ctx, l.apiURL(ref.Path), &all); err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: dataset %q is not on the Hub (or has no parquet conversion)", ErrNotFound, ref.Path)
		}
		return fmt.Errorf("%w: config %q or split %q (listing the dataset also failed: %v)", ErrNotFound, ref.config(), ref.Split, err)
	}
	splits, ok := all[ref.config()]
	if !ok {
		return fmt.Errorf("%w: config %q (available: %s)", ErrNotFound, ref.config(), strings.Join(sortedKeys(all), ", "))
	}
	if _, ok := splits[ref.Split]; !ok {
		return fmt.Errorf("%w: split %q of config %q (available: %s)", ErrNotFound, ref.Split, ref.config(), strings.Join(sortedKeys(splits), ", "))
	}
	return fmt.Errorf("%w: the Hub lists %s/%s but its file listing returned 404", ErrNotFound, ref.config(), ref.Split)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// rewriteHost points listing URLs at the configured endpoint: mirrors of
// the Hub return file URLs on huggingface.co, which a machine that can only
// reach the mirror cannot download.
func (l *Loader) rewriteHost(s string) string {
	if l.opts.Endpoint != DefaultEndpoint && strings.HasPrefix(s, DefaultEndpoint+"/") {
		return l.opts.Endpoint + strings.TrimPrefix(s, DefaultEndpoint)
	}
	return s
}

func (l *Loader) getJSON(ctx context.Context, u string, v any) error {
	resp, err := l.get(ctx, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: bad JSON: %w", u, err)
	}
	return nil
}

func (l *Loader) downloadFile(ctx context.Context, u, dst string) error {
	resp, err := l.get(ctx, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return writeAtomic(dst, resp.Body, func(f *os.File, n int64) error {
		if resp.ContentLength >= 0 && n != resp.ContentLength {
			return fmt.Errorf("download cut short: %d of %d bytes", n, resp.ContentLength)
		}
		if n < 12 {
			return errors.New("downloaded file is not parquet (too short)")
		}
		var head, tail [4]byte
		if _, err := f.ReadAt(head[:], 0); err != nil {
			return err
		}
		if _, err := f.ReadAt(tail[:], n-4); err != nil {
			return err
		}
		if !bytes.Equal(head[:], parquetMagic) || !bytes.Equal(tail[:], parquetMagic) {
			return errors.New("downloaded file is not a complete parquet file (bad magic)")
		}
		return nil
	})
}

// writeAtomic copies r into a temporary file next to dst, runs check on it
// and renames it to dst, so an interrupted download never leaves a partial
// file under the final name.
func writeAtomic(dst string, r io.Reader, check func(*os.File, int64) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-"+filepath.Base(dst)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, r)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(f, n); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), dst)
}

// get performs a GET with retries on transport errors, 429 and 5xx, and maps
// 401/403 to ErrGated and 404 to ErrNotFound. The caller closes the body of
// the 200 response.
func (l *Loader) get(ctx context.Context, u string) (*http.Response, error) {
	delay := l.backoff
	for attempt := 1; ; attempt++ {
		resp, err := l.try(ctx, u)
		retry, wait := false, delay
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			retry = true
		case resp.StatusCode == http.StatusOK:
			return resp, nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			retry = true
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 {
				wait = min(time.Duration(s)*time.Second, 30*time.Second)
			}
			err = statusError(u, resp)
		default:
			err = statusError(u, resp)
		}
		if resp != nil {
			resp.Body.Close()
		}
		if !retry || attempt >= l.retries {
			if retry {
				return nil, fmt.Errorf("%w (after %d tries)", err, attempt)
			}
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay *= 2
	}
}

func (l *Loader) try(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "parity-datasets")
	if l.opts.Token != "" && sameHost(u, l.opts.Endpoint) {
		req.Header.Set("Authorization", "Bearer "+l.opts.Token)
	}
	resp, err := l.opts.HTTPClient.Do(req)
	if err != nil {
		// The URL may be echoed in transport errors; it never holds the token.
		return nil, err
	}
	return resp, nil
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}

// statusError describes a failed response, with the Hub's own message
// (its JSON "error" field) when it gives one.
func statusError(u string, resp *http.Response) error {
	msg := ""
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = ": " + e.Error
	}
	base := fmt.Sprintf("GET %s: %s%s", u, resp.Status, msg)
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%w (or the dataset does not exist): %s", ErrGated, base)
	case http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, base)
	}
	return errors.New(base)
}
