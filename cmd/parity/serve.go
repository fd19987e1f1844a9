package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/parity-eval/parity/llama/demomodel"
	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/serve"
)

const serveUsage = `
Usage: parity serve [--model FILE.gguf] [--addr 127.0.0.1:8000] [flags]

Serves a GGUF model (Llama architecture; F32, F16, BF16, Q8_0 or Q4_0
weights) over the OpenAI API as vLLM does: /v1/completions with echo,
prompt logprobs and token-id prompts, /v1/chat/completions (streaming too),
/v1/models, /tokenize and /detokenize. It is parity's pure-Go reference
engine: right for small models and for checking a setup without a GPU, not
a fast server for large models (use vLLM for those). Without --model it
serves the demo model built into this binary.

Evaluate it with:
  parity run --model-url http://127.0.0.1:8000/v1 --tasks arc_challenge --limit 20`

type engineFlags struct {
	model, name    string
	ctxLen, parall int
}

func (e *engineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&e.model, "model", "", "GGUF model file (default: the demo model built into parity)")
	fs.StringVar(&e.name, "served-model-name", "", "model name clients use (default: the file's base name)")
	fs.IntVar(&e.ctxLen, "ctx", 0, "context length cap (default: the model's; stories260K was trained on 512)")
	fs.IntVar(&e.parall, "parallel", 0, "completions evaluated at once (default: the number of CPUs)")
}

// open loads the engine and says what was loaded.
func (e *engineFlags) open(stderr io.Writer) (*serve.Engine, error) {
	start := time.Now()
	o := serve.EngineOptions{Name: e.name, ContextLen: e.ctxLen, Parallel: e.parall}
	var eng *serve.Engine
	var err error
	var size int
	from := e.model
	if e.model == "" {
		b, gerr := demomodel.GGUF()
		if gerr != nil {
			return nil, usagef("--model is required: %v", gerr)
		}
		if o.Name == "" {
			o.Name = "parity-demo"
		}
		size, from = len(b), "built-in demo model"
		eng, err = serve.FromBytes(b, o)
	} else {
		var st serve.Stats
		eng, st, err = serve.Open(e.model, o)
		size = st.Bytes
	}
	if err != nil {
		return nil, err
	}
	m := eng.Model()
	c := m.Config
	fmt.Fprintf(stderr, "parity: loaded %s: %q, %d parameters (%s), %d layers, dim %d, vocab %d (%s), context %d; %.1f MB in %s\n",
		from, eng.Name(), m.Params(), m.WeightType, c.Layers, c.Dim, c.Vocab, m.Tok.Kind(), c.ContextLen,
		float64(size)/1e6, time.Since(start).Round(time.Millisecond))
	return eng, nil
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var ef engineFlags
	var addr, apiKeyEnv string
	fs := newFlagSet("serve", serveUsage, stderr)
	ef.register(fs)
	fs.StringVar(&addr, "addr", "127.0.0.1:8000", "address to listen on")
	fs.StringVar(&apiKeyEnv, "api-key-env", "", "environment variable holding an API key that /v1 requests must present (default: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	var key string
	if apiKeyEnv != "" {
		if key = os.Getenv(apiKeyEnv); key == "" {
			return usagef("--api-key-env %s: the variable is empty", apiKeyEnv)
		}
	}
	eng, err := ef.open(stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "parity: "+format+"\n", a...) }
	fmt.Fprintf(stdout, "parity serve: %q on http://%s/v1 (Ctrl-C to stop)\n", eng.Name(), ln.Addr())
	return serveUntilDone(ctx, ln, serve.NewServer(eng, serve.Options{APIKey: key, Logf: logf}))
}

// serveUntilDone serves until ctx ends, then lets requests in flight finish
// for a few seconds.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return nil
}

// inProcessBackend opens --model-url gguf:FILE.gguf[?ctx=N&parallel=N&name=X]
// as an in-process backend; for any other URL it returns nil.
func inProcessBackend(modelURL string, addBOS bool, stderr io.Writer) (runner.Backend, string, error) {
	rest, ok := strings.CutPrefix(modelURL, "gguf:")
	if !ok {
		return nil, "", nil
	}
	path, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, "", usagef("--model-url %s: %v", modelURL, err)
	}
	ef := engineFlags{model: path, name: q.Get("name")}
	for key, dst := range map[string]*int{"ctx": &ef.ctxLen, "parallel": &ef.parall} {
		if v := q.Get(key); v != "" {
			if *dst, err = strconv.Atoi(v); err != nil || *dst <= 0 {
				return nil, "", usagef("--model-url %s: %s=%q is not a positive number", modelURL, key, v)
			}
		}
	}
	if path == "" {
		return nil, "", usagef("--model-url gguf: needs a file, e.g. gguf:model.gguf")
	}
	if ef.parall == 0 {
		ef.parall = runtime.GOMAXPROCS(0)
	}
	eng, err := ef.open(stderr)
	if err != nil {
		return nil, "", err
	}
	b := serve.NewBackend(eng)
	b.AddBOS = addBOS
	return b, eng.Name(), nil
}
