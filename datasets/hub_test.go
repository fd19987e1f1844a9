package datasets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeHub imitates the Hub's parquet-conversion API on loopback: the
// listing endpoints, the /parquet/{config}/{split}/{n}.parquet URLs that
// redirect to resolve/refs%2Fconvert%2Fparquet/..., and the files, whose
// bytes are real parquet files from the shared mirror.
type fakeHub struct {
	t   *testing.T
	srv *httptest.Server
	// fileBase, when set, is where listings point file URLs (a second
	// host, like the Hub's CDN); listingBase overrides the host of listed
	// URLs (to imitate a mirror that lists huggingface.co URLs).
	fileBase    string
	listingBase string

	mu           sync.Mutex
	data         map[string]map[string]map[string][][]byte // repo → config → split → files
	gated        map[string]bool                           // repo → needs "Bearer hf_good"
	fail         map[string]int                            // escaped path → 500s still to send
	truncate     map[string]bool                           // escaped path → send half the body
	hang         bool
	noRetryAfter bool
	requests     []hubRequest
}

type hubRequest struct {
	Path, Auth string
}

const goodToken = "hf_good_secret_token"

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{t: t, data: map[string]map[string]map[string][][]byte{}, gated: map[string]bool{},
		fail: map[string]int{}, truncate: map[string]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHub) add(repo, config, split string, files ...[]byte) {
	if h.data[repo] == nil {
		h.data[repo] = map[string]map[string][][]byte{}
	}
	if h.data[repo][config] == nil {
		h.data[repo][config] = map[string][][]byte{}
	}
	h.data[repo][config][split] = files
}

// set changes the hub's behaviour while its server goroutines run.
func (h *fakeHub) set(change func(h *fakeHub)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	change(h)
}

func (h *fakeHub) log() []hubRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hubRequest(nil), h.requests...)
}

func (h *fakeHub) resetLog() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (h *fakeHub) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	h.mu.Lock()
	h.requests = append(h.requests, hubRequest{Path: path, Auth: r.Header.Get("Authorization")})
	hang, retryAfter := h.hang, !h.noRetryAfter
	fail := h.fail[path]
	if fail > 0 {
		h.fail[path] = fail - 1
	}
	truncate := h.truncate[path]
	h.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	if fail > 0 {
		if retryAfter {
			w.Header().Set("Retry-After", "0")
		}
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Internal Error"})
		return
	}
	// The rest only reads fields that tests set before starting requests
	// or through set; take the lock for the race detector's sake.
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case strings.HasPrefix(path, "/api/datasets/"):
		h.serveAPI(w, r, strings.Split(strings.TrimPrefix(path, "/api/datasets/"), "/"))
	case strings.HasPrefix(path, "/datasets/"):
		// /datasets/{owner}/{name}/resolve/refs%2Fconvert%2Fparquet/{config}/{split}/{NNNN}.parquet
		p := strings.Split(strings.TrimPrefix(path, "/datasets/"), "/")
		if len(p) != 7 || p[2] != "resolve" || p[3] != "refs%2Fconvert%2Fparquet" {
			writeJSON(w, 404, map[string]string{"error": "Entry not found"})
			return
		}
		repo := p[0] + "/" + p[1]
		if !h.authorized(w, r, repo) {
			return
		}
		n, err := strconv.Atoi(strings.TrimSuffix(p[6], ".parquet"))
		files := h.data[repo][p[4]][p[5]]
		if err != nil || n >= len(files) {
			writeJSON(w, 404, map[string]string{"error": "Entry not found"})
			return
		}
		body := files[n]
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if truncate {
			w.Write(body[:len(body)/2]) // the client sees an unexpected EOF
			return
		}
		w.Write(body)
	default:
		http.NotFound(w, r)
	}
}

func (h *fakeHub) authorized(w http.ResponseWriter, r *http.Request, repo string) bool {
	if h.gated[repo] && r.Header.Get("Authorization") != "Bearer "+goodToken {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Access to dataset " + repo + " is restricted. You must have access to it and be authenticated to access it. Please log in."})
		return false
	}
	return true
}

func (h *fakeHub) fileURL(repo, config, split string, n int) string {
	base := h.srv.URL
	if h.listingBase != "" {
		base = h.listingBase
	}
	if h.fileBase != "" {
		base = h.fileBase
	}
	return fmt.Sprintf("%s/api/datasets/%s/parquet/%s/%s/%d.parquet", base, repo, config, split, n)
}

func (h *fakeHub) serveAPI(w http.ResponseWriter, r *http.Request, p []string) {
	// p: owner, name, "parquet", [config, [split, [n.parquet]]]
	if len(p) < 3 || p[2] != "parquet" {
		http.NotFound(w, r)
		return
	}
	repo := p[0] + "/" + p[1]
	if !h.authorized(w, r, repo) {
		return
	}
	configs, ok := h.data[repo]
	if !ok {
		writeJSON(w, 404, map[string]string{"error": "Repository not found"})
		return
	}
	switch len(p) {
	case 3:
		out := map[string]map[string][]string{}
		for c, splits := range configs {
			out[c] = map[string][]string{}
			for s, files := range splits {
				for i := range files {
					out[c][s] = append(out[c][s], h.fileURL(repo, c, s, i))
				}
			}
		}
		writeJSON(w, 200, out)
	case 5:
		files, ok := configs[p[3]][p[4]]
		if !ok {
			writeJSON(w, 404, map[string]string{"error": "Not Found"})
			return
		}
		urls := []string{}
		for i := range files {
			urls = append(urls, h.fileURL(repo, p[3], p[4], i))
		}
		writeJSON(w, 200, urls)
	case 6:
		n, _ := strconv.Atoi(strings.TrimSuffix(p[5], ".parquet"))
		http.Redirect(w, r, fmt.Sprintf("/datasets/%s/resolve/refs%%2Fconvert%%2Fparquet/%s/%s/%04d.parquet", repo, p[3], p[4], n), http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// hubTestLoader returns a loader for the fake hub with short retry delays.
func hubTestLoader(h *fakeHub, cache, token string, offline bool) *Loader {
	l := NewLoader(Options{CacheDir: cache, Endpoint: h.srv.URL, Token: token, Offline: offline})
	l.backoff = time.Millisecond
	return l
}

func readShared(t *testing.T, repo, config, split string) []byte {
	t.Helper()
	b, err := os.ReadFile(hubFile(t, repo, config, split))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadShared(t *testing.T, repo, config string, splits ...string) []Doc {
	t.Helper()
	var all []Doc
	for _, s := range splits {
		d, err := LoadFile(context.Background(), hubFile(t, repo, config, s))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, d...)
	}
	return all
}

func TestHubDownloadAndCache(t *testing.T) {
	h := newFakeHub(t)
	// Two shards, to check they are fetched and concatenated in order.
	h.add("allenai/ai2_arc", "ARC-Challenge", "test",
		readShared(t, "allenai/ai2_arc", "ARC-Challenge", "test"),
		readShared(t, "allenai/ai2_arc", "ARC-Challenge", "validation"))
	want := loadShared(t, "allenai/ai2_arc", "ARC-Challenge", "test", "validation")
	ref := Ref{Path: "allenai/ai2_arc", Config: "ARC-Challenge", Split: "test"}
	cache := t.TempDir()

	got, err := hubTestLoader(h, cache, goodToken, false).Load(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("downloaded rows differ (-want +got):\n%s", diff)
	}
	wantReqs := []hubRequest{
		{"/api/datasets/allenai/ai2_arc/parquet/ARC-Challenge/test", "Bearer " + goodToken},
		{"/api/datasets/allenai/ai2_arc/parquet/ARC-Challenge/test/0.parquet", "Bearer " + goodToken},
		{"/datasets/allenai/ai2_arc/resolve/refs%2Fconvert%2Fparquet/ARC-Challenge/test/0000.parquet", "Bearer " + goodToken},
		{"/api/datasets/allenai/ai2_arc/parquet/ARC-Challenge/test/1.parquet", "Bearer " + goodToken},
		{"/datasets/allenai/ai2_arc/resolve/refs%2Fconvert%2Fparquet/ARC-Challenge/test/0001.parquet", "Bearer " + goodToken},
	}
	if diff := cmp.Diff(wantReqs, h.log()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	ents, err := os.ReadDir(filepath.Join(cache, "allenai", "ai2_arc", "ARC-Challenge", "test"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{manifestName, "0000.parquet", "0001.parquet"}, names); diff != "" {
		t.Errorf("cache directory (-want +got):\n%s", diff)
	}

	// A second loader on the same cache, online or offline, makes no request.
	for _, offline := range []bool{false, true} {
		h.resetLog()
		got, err := hubTestLoader(h, cache, "", offline).Load(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("offline=%t: cached rows differ (-want +got):\n%s", offline, diff)
		}
		if n := len(h.log()); n != 0 {
			t.Errorf("offline=%t: cached load made %d requests: %v", offline, n, h.log())
		}
	}
}

func TestHubErrors(t *testing.T) {
	h := newFakeHub(t)
	arc := readShared(t, "allenai/ai2_arc", "ARC-Challenge", "test")
	h.add("allenai/ai2_arc", "ARC-Challenge", "test", arc)
	h.add("allenai/ai2_arc", "ARC-Challenge", "train", arc)
	h.add("Idavidrein/gpqa", "gpqa_main", "train", readShared(t, "Idavidrein/gpqa", "gpqa_main", "train"))
	h.gated["Idavidrein/gpqa"] = true
	tests := []struct {
		name   string
		ref    Ref
		token  string
		is     error
		substr string
	}{
		{"gated without token", Ref{Path: "Idavidrein/gpqa", Config: "gpqa_main", Split: "train"}, "",
			ErrGated, "datasets: Idavidrein/gpqa/gpqa_main/train: gated dataset: set HF_TOKEN"},
		{"gated with wrong token", Ref{Path: "Idavidrein/gpqa", Config: "gpqa_main", Split: "train"}, "hf_wrong_token",
			ErrGated, "Access to dataset Idavidrein/gpqa is restricted"},
		{"missing config", Ref{Path: "allenai/ai2_arc", Config: "ARC-Easy", Split: "test"}, "",
			ErrNotFound, `datasets: allenai/ai2_arc/ARC-Easy/test: not found: config "ARC-Easy" (available: ARC-Challenge)`},
		{"missing split", Ref{Path: "allenai/ai2_arc", Config: "ARC-Challenge", Split: "validation"}, "",
			ErrNotFound, `split "validation" of config "ARC-Challenge" (available: test, train)`},
		{"missing dataset", Ref{Path: "nobody/nothing", Split: "test"}, "",
			ErrNotFound, `datasets: nobody/nothing/default/test: not found: dataset "nobody/nothing" is not on the Hub`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hubTestLoader(h, t.TempDir(), tc.token, false).Load(context.Background(), tc.ref)
			if !errors.Is(err, tc.is) {
				t.Fatalf("got %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("error %q\nlacks %q", err, tc.substr)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error leaks the token: %v", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Dataset != tc.ref.Path {
				t.Errorf("want *Error for %s, got %#v", tc.ref.Path, err)
			}
		})
	}
	t.Run("gated with token", func(t *testing.T) {
		got, err := hubTestLoader(h, t.TempDir(), goodToken, false).Load(context.Background(),
			Ref{Path: "Idavidrein/gpqa", Config: "gpqa_main", Split: "train"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 448 {
			t.Errorf("got %d rows, want 448", len(got))
		}
	})
}

func TestHubRetries(t *testing.T) {
	h := newFakeHub(t)
	h.add("openai/gsm8k", "main", "test", readShared(t, "openai/gsm8k", "main", "test"))
	ref := Ref{Path: "openai/gsm8k", Config: "main", Split: "test"}
	list := "/api/datasets/openai/gsm8k/parquet/main/test"
	file := "/datasets/openai/gsm8k/resolve/refs%2Fconvert%2Fparquet/main/test/0000.parquet"

	t.Run("500 then success", func(t *testing.T) {
		h.resetLog()
		h.set(func(h *fakeHub) { h.fail[list], h.fail[file] = 2, 1 })
		got, err := hubTestLoader(h, t.TempDir(), "", false).Load(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(loadShared(t, "openai/gsm8k", "main", "test"), got); diff != "" {
			t.Errorf("rows differ (-want +got):\n%s", diff)
		}
		counts := map[string]int{}
		for _, r := range h.log() {
			counts[r.Path]++
		}
		if counts[list] != 3 || counts[file] != 2 {
			t.Errorf("requests per path: %v; want 3 listings and 2 file fetches", counts)
		}
	})
	t.Run("500 every time", func(t *testing.T) {
		h.set(func(h *fakeHub) { h.fail[list] = 100 })
		defer h.set(func(h *fakeHub) { delete(h.fail, list) })
		_, err := hubTestLoader(h, t.TempDir(), "", false).Load(context.Background(), ref)
		want := "datasets: openai/gsm8k/main/test: GET " + h.srv.URL + list + ": 500 Internal Server Error: Internal Error (after 4 tries)"
		if err == nil || err.Error() != want {
			t.Errorf("got  %v\nwant %s", err, want)
		}
	})
}

func TestHubInterruptedDownload(t *testing.T) {
	h := newFakeHub(t)
	h.add("openai/gsm8k", "main", "test", readShared(t, "openai/gsm8k", "main", "test"))
	ref := Ref{Path: "openai/gsm8k", Config: "main", Split: "test"}
	file := "/datasets/openai/gsm8k/resolve/refs%2Fconvert%2Fparquet/main/test/0000.parquet"
	cache := t.TempDir()
	h.set(func(h *fakeHub) { h.truncate[file] = true })
	l := hubTestLoader(h, cache, "", false)
	l.retries = 1
	if _, err := l.Load(context.Background(), ref); err == nil {
		t.Fatal("truncated download: no error")
	}
	dir := filepath.Join(cache, "openai", "gsm8k", "main", "test")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("cut download left files behind: %v", ents)
	}
	// Offline, the split is not cached.
	_, err = hubTestLoader(h, cache, "", true).Load(context.Background(), ref)
	if !errors.Is(err, ErrOffline) {
		t.Errorf("offline after failed download: got %v, want ErrOffline", err)
	}
	// Online again, the download completes.
	h.set(func(h *fakeHub) { h.truncate[file] = false })
	got, err := hubTestLoader(h, cache, "", false).Load(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1319 {
		t.Errorf("got %d rows, want 1319", len(got))
	}
}

func TestHubOfflineNotCached(t *testing.T) {
	h := newFakeHub(t)
	cache := t.TempDir()
	_, err := hubTestLoader(h, cache, "", true).Load(context.Background(), Ref{Path: "openai/gsm8k", Config: "main", Split: "test"})
	want := "datasets: openai/gsm8k/main/test: offline: dataset not in cache " + cache
	if !errors.Is(err, ErrOffline) || err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if n := len(h.log()); n != 0 {
		t.Errorf("offline loader made %d requests", n)
	}
}

// TestHubTokenStaysOnHub checks the token goes to the endpoint only: file
// URLs on another host (the Hub's CDN) get no Authorization header.
func TestHubTokenStaysOnHub(t *testing.T) {
	h := newFakeHub(t)
	h.add("openai/gsm8k", "main", "test", readShared(t, "openai/gsm8k", "main", "test"))
	cdn := newFakeHub(t)
	cdn.data = h.data
	h.fileBase = cdn.srv.URL
	if _, err := hubTestLoader(h, t.TempDir(), goodToken, false).Load(context.Background(), Ref{Path: "openai/gsm8k", Config: "main", Split: "test"}); err != nil {
		t.Fatal(err)
	}
	if got := h.log(); len(got) != 1 || got[0].Auth != "Bearer "+goodToken {
		t.Errorf("hub requests: %v, want one listing with the token", got)
	}
	for _, r := range cdn.log() {
		if r.Auth != "" {
			t.Errorf("token sent to another host: %v", r)
		}
	}
	if len(cdn.log()) != 2 {
		t.Errorf("cdn requests: %v, want redirect and file", cdn.log())
	}
}

// TestHubMirrorEndpoint: a Hub mirror (HF_ENDPOINT) that lists
// huggingface.co URLs is still the host the files come from.
func TestHubMirrorEndpoint(t *testing.T) {
	h := newFakeHub(t)
	h.add("openai/gsm8k", "main", "test", readShared(t, "openai/gsm8k", "main", "test"))
	h.listingBase = DefaultEndpoint
	got, err := hubTestLoader(h, t.TempDir(), "", false).Load(context.Background(), Ref{Path: "openai/gsm8k", Config: "main", Split: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1319 || len(h.log()) != 3 {
		t.Errorf("got %d rows with %d requests to the mirror, want 1319 and 3", len(got), len(h.log()))
	}
}

func TestHubContextCancel(t *testing.T) {
	h := newFakeHub(t)
	h.set(func(h *fakeHub) { h.hang = true })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := hubTestLoader(h, t.TempDir(), "", false).Load(ctx, Ref{Path: "openai/gsm8k", Config: "main", Split: "test"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Load returned after %v", d)
	}

	// Cancellation also cuts a retry back-off short.
	h.set(func(h *fakeHub) {
		h.hang, h.noRetryAfter = false, true
		h.fail["/api/datasets/openai/gsm8k/parquet/main/test"] = 100
	})
	l := hubTestLoader(h, t.TempDir(), "", false)
	l.backoff = time.Hour
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := l.Load(ctx2, Ref{Path: "openai/gsm8k", Config: "main", Split: "test"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("during back-off: got %v, want context.DeadlineExceeded", err)
	}
}
