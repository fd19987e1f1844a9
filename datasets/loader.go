package datasets

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DefaultEndpoint is the Hugging Face Hub.
const DefaultEndpoint = "https://huggingface.co"

// Options configure a Loader. OptionsFromEnv fills them the way the
// Hugging Face tools read their environment.
type Options struct {
	// DataDir is a local mirror laid out <DataDir>/<owner>/<name>/<config>/<split>/*.parquet
	// (the Hub's parquet-conversion layout). It is consulted first when set.
	DataDir string
	// CacheDir receives Hub downloads, in the same layout as DataDir.
	CacheDir string
	// Endpoint is the Hub's base URL (HF_ENDPOINT).
	Endpoint string
	// Token is sent as "Authorization: Bearer" to Endpoint only (HF_TOKEN).
	// It never appears in errors or in the String form of Options.
	Token string
	// Offline forbids network access: only DataDir and CacheDir are read.
	Offline bool
	// HTTPClient makes the Hub requests; nil means a default client.
	HTTPClient *http.Client
}

// String keeps the token out of logs that print the options.
func (o Options) String() string {
	tok := ""
	if o.Token != "" {
		tok = "(set)"
	}
	return fmt.Sprintf("{DataDir:%q CacheDir:%q Endpoint:%q Token:%s Offline:%t}", o.DataDir, o.CacheDir, o.Endpoint, tok, o.Offline)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return "datasets.Options" + o.String() }

// OptionsFromEnv returns Options filled from the environment: HF_ENDPOINT,
// HF_TOKEN (or the older HUGGING_FACE_HUB_TOKEN), HF_HUB_OFFLINE or
// HF_DATASETS_OFFLINE (1/true/yes/on), and a cache under $HF_HOME/parity/hub
// or else the user cache directory. DataDir is left empty.
func OptionsFromEnv() Options {
	o := Options{
		Endpoint: strings.TrimRight(cmp.Or(os.Getenv("HF_ENDPOINT"), DefaultEndpoint), "/"),
		Token:    cmp.Or(os.Getenv("HF_TOKEN"), os.Getenv("HUGGING_FACE_HUB_TOKEN")),
		Offline:  truthy(os.Getenv("HF_HUB_OFFLINE")) || truthy(os.Getenv("HF_DATASETS_OFFLINE")),
		CacheDir: defaultCacheDir(),
	}
	return o
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func defaultCacheDir() string {
	if h := os.Getenv("HF_HOME"); h != "" {
		return filepath.Join(h, "parity", "hub")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "parity", "hub")
	}
	return ""
}

// Loader loads dataset splits from local files, a local mirror, its download
// cache or the Hub. The zero value is not usable; build one with NewLoader.
// A Loader is safe for concurrent use.
type Loader struct {
	opts Options
	// backoff is the first retry delay; tests shorten it.
	backoff time.Duration
	retries int
}

// NewLoader returns a Loader for o. An empty Endpoint means the Hub, an
// empty CacheDir the default cache directory, a nil HTTPClient a default
// client. Token and Offline are taken as given (see OptionsFromEnv).
func NewLoader(o Options) *Loader {
	o.Endpoint = strings.TrimRight(cmp.Or(o.Endpoint, DefaultEndpoint), "/")
	if o.CacheDir == "" {
		o.CacheDir = defaultCacheDir()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	return &Loader{opts: o, backoff: 500 * time.Millisecond, retries: 4}
}

// Load returns the rows of ref's split in dataset order. With ref.Files set
// it reads those files and nothing else. Otherwise it looks in the mirror
// (Options.DataDir), then the download cache, then downloads the Hub's
// parquet conversion of the split unless offline. Errors are *Error and wrap
// ErrNotFound, ErrGated or ErrOffline where those apply.
func (l *Loader) Load(ctx context.Context, ref Ref) ([]Doc, error) {
	if len(ref.Files) > 0 {
		return loadFiles(ctx, ref, ref.Files)
	}
	if err := ref.validate(); err != nil {
		return nil, ref.errorf("", err)
	}
	if dir := l.mirrorDir(ref); dir != "" {
		files, err := splitFiles(dir)
		if err != nil {
			return nil, ref.errorf(dir, err)
		}
		return loadFiles(ctx, ref, files)
	}
	if files, ok := l.cachedFiles(ref); ok {
		return loadFiles(ctx, ref, files)
	}
	if l.opts.Offline {
		return nil, ref.errorf("", fmt.Errorf("%w: %s", ErrOffline, l.whereLooked(ref)))
	}
	files, err := l.download(ctx, ref)
	if err != nil {
		return nil, err
	}
	return loadFiles(ctx, ref, files)
}

func loadFiles(ctx context.Context, ref Ref, files []string) ([]Doc, error) {
	var all []Doc
	for _, f := range files {
		docs, err := loadFile(ctx, f)
		if err != nil {
			return nil, wrapFileError(ref, f, err)
		}
		if all == nil {
			all = docs
		} else {
			all = append(all, docs...)
		}
	}
	if all == nil {
		all = []Doc{}
	}
	return all, nil
}

// validate rejects names that would escape the mirror or cache directory
// when joined into a path.
func (r Ref) validate() error {
	if r.Path == "" {
		return errors.New("no dataset path")
	}
	if r.Split == "" {
		return errors.New("no split")
	}
	parts := strings.Split(r.Path, "/")
	if len(parts) > 2 {
		return fmt.Errorf("dataset path %q: want owner/name", r.Path)
	}
	for _, p := range append(parts, r.config(), r.Split) {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "/\\\x00") {
			return fmt.Errorf("bad name %q in dataset reference", p)
		}
	}
	return nil
}

func (l *Loader) mirrorDir(ref Ref) string {
	if l.opts.DataDir == "" {
		return ""
	}
	dir := filepath.Join(l.opts.DataDir, filepath.FromSlash(ref.Path), ref.config(), ref.Split)
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	return ""
}

// splitFiles lists the parquet files of a split directory in name order,
// with numbers compared by value so 2.parquet sorts before 10.parquet.
func splitFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".parquet") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no .parquet files in the directory", ErrNotFound)
	}
	slices.SortFunc(names, naturalCompare)
	for i, n := range names {
		names[i] = filepath.Join(dir, n)
	}
	return names, nil
}

// naturalCompare orders strings with digit runs compared as numbers.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na := strings.TrimLeft(a[:da], "0")
			nb := strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// whereLooked describes, for an offline miss, what the mirror and cache
// hold for the dataset, so a typo in a config or split name shows.
func (l *Loader) whereLooked(ref Ref) string {
	var parts []string
	for _, root := range []struct{ kind, dir string }{{"mirror", l.opts.DataDir}, {"cache", l.opts.CacheDir}} {
		if root.dir == "" {
			continue
		}
		ds := filepath.Join(root.dir, filepath.FromSlash(ref.Path))
		configs := subdirs(ds)
		switch {
		case len(configs) == 0:
			parts = append(parts, fmt.Sprintf("dataset not in %s %s", root.kind, root.dir))
		case !slices.Contains(configs, ref.config()):
			parts = append(parts, fmt.Sprintf("config %q not in %s %s (configs there: %s)", ref.config(), root.kind, root.dir, strings.Join(configs, ", ")))
		default:
			splits := subdirs(filepath.Join(ds, ref.config()))
			if slices.Contains(splits, ref.Split) {
				parts = append(parts, fmt.Sprintf("download into %s %s incomplete", root.kind, root.dir))
				break
			}
			parts = append(parts, fmt.Sprintf("split %q not in %s %s (splits there: %s)", ref.Split, root.kind, root.dir, strings.Join(splits, ", ")))
		}
	}
	if len(parts) == 0 {
		return "no mirror or cache directory is set"
	}
	return strings.Join(parts, "; ")
}

func subdirs(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
			if !strings.HasPrefix(e.Name(), ".") {
				out = append(out, e.Name())
			}
		}
	}
	return out
}
