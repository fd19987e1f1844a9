package evaluator

import (
	"context"
	"github.com/parity-eval/parity/internal/shareddata"
	"math"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parity-eval/parity"
	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/results"
	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/runner/cache"
	"github.com/parity-eval/parity/runner/openai"
	"github.com/parity-eval/parity/runner/openai/openaitest"
	"github.com/parity-eval/parity/tasks"
)

func hubDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(shareddata.Dir(tb, "hub"), "hub")
}

func buildTask(tb testing.TB, name string, shots, limit int) *tasks.Task {
	tb.Helper()
	reg, err := tasks.Parse("tasks.yaml", parity.TasksYAML, tasks.ParseOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	cfgs, err := reg.Resolve([]string{name})
	if err != nil {
		tb.Fatal(err)
	}
	loader := datasets.NewLoader(datasets.Options{DataDir: hubDir(tb), Offline: true, CacheDir: tb.TempDir()})
	t, err := tasks.Build(context.Background(), cfgs[0], loader, tasks.BuildOptions{NumFewshot: &shots, Limit: limit})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func newClient(tb testing.TB, srv *openaitest.Server) *openai.Client {
	tb.Helper()
	c, err := openai.New(openai.Config{BaseURL: srv.URL(), Model: srv.Model()})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestScoresMatchTheModelDirectly runs ARC through the whole pipeline and
// checks acc and acc_norm against values computed straight from the test
// server's model, without parity's tokenization, batching or decoding.
func TestScoresMatchTheModelDirectly(t *testing.T) {
	ctx := context.Background()
	srv := openaitest.NewServer(openaitest.Options{Model: "m"})
	defer srv.Close()
	task := buildTask(t, "arc_challenge", 2, 40)
	dir := t.TempDir()
	r := runner.New(newClient(t, srv), runner.Options{BatchSize: 7, Concurrency: 3})
	rep, err := Run(ctx, r, []Task{task}, Options{OutputDir: dir})
	if err != nil {
		t.Fatal(err)
	}

	insts, err := task.Instances()
	if err != nil {
		t.Fatal(err)
	}
	var acc, accNorm []float64
	for _, inst := range insts {
		best, bestNorm := -1, -1
		var bestLL, bestNormLL float64
		for i, req := range inst.Loglikelihood {
			// lm-eval's _encode_pair, then the model's own score.
			ctxText, cont := req.Context, req.Continuation
			for len(ctxText) > 0 && ctxText[len(ctxText)-1] == ' ' {
				cont = " " + cont
				ctxText = ctxText[:len(ctxText)-1]
			}
			ctxToks := srv.Tokenize(ctxText)
			whole := srv.Tokenize(ctxText + cont)
			prompt := append(append([]int{}, ctxToks...), whole[len(ctxToks):]...)
			ll := 0.0
			for p := len(ctxToks); p < len(prompt); p++ {
				ll += srv.LogProb(prompt[p-1], prompt[p])
			}
			norm := ll / float64(len([]rune(inst.Choices[i])))
			if best < 0 || ll > bestLL {
				best, bestLL = i, ll
			}
			if bestNorm < 0 || norm > bestNormLL {
				bestNorm, bestNormLL = i, norm
			}
		}
		acc = append(acc, b2f(best == inst.Gold))
		accNorm = append(accNorm, b2f(bestNorm == inst.Gold))
	}
	want := map[string]any{
		"alias":                "arc_challenge",
		"acc,none":             mean(acc),
		"acc_stderr,none":      stderr(acc),
		"acc_norm,none":        mean(accNorm),
		"acc_norm_stderr,none": stderr(accNorm),
	}
	if d := cmp.Diff(want, rep.File.Results["arc_challenge"], cmpopts.EquateApprox(0, 1e-12)); d != "" {
		t.Errorf("pipeline scores differ from the model's (-model +pipeline):\n%s", d)
	}
	f, err := results.Read(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if f.NSamples["arc_challenge"] != (results.NSamples{Original: 1172, Effective: 40}) || f.NShot["arc_challenge"] != 2 || f.Versions["arc_challenge"] != "1.0" {
		t.Errorf("results.json bookkeeping: n-samples %+v, n-shot %d, version %v", f.NSamples["arc_challenge"], f.NShot["arc_challenge"], f.Versions["arc_challenge"])
	}
	samples, err := results.ReadSamples(results.SamplesPath(dir, "arc_challenge"))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 40 {
		t.Fatalf("%d sample lines; want 40", len(samples))
	}
	for i, s := range samples {
		if int(s["doc_id"].(float64)) != i {
			t.Fatalf("sample line %d has doc_id %v; want doc order", i, s["doc_id"])
		}
		if s["acc"].(float64) != acc[i] {
			t.Errorf("doc %d: sample acc %v; want %v", i, s["acc"], acc[i])
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func stderr(xs []float64) float64 {
	m := mean(xs)
	ss := 0.0
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss/float64(len(xs)-1)) / math.Sqrt(float64(len(xs)))
}

// BenchmarkHarness measures parity's own cost per loglikelihood prompt:
// the whole pipeline (requests, cache writes, HTTP, response decoding,
// scoring) against an in-process server that answers from memory (Memo), so
// the time is the harness's, not a model's. Each iteration is a fresh run:
// new cache database, new client (empty tokenize memo).
func BenchmarkHarness(b *testing.B) {
	for _, bc := range []struct {
		name         string
		shots, limit int
	}{
		{"arc-0shot-short", 0, 0},
		{"arc-25shot-long", 25, 200},
	} {
		b.Run(bc.name, func(b *testing.B) {
			benchHarness(b, bc.shots, bc.limit, false)
		})
		b.Run(bc.name+"-cached", func(b *testing.B) {
			benchHarness(b, bc.shots, bc.limit, true)
		})
	}
}

func benchHarness(b *testing.B, shots, limit int, cached bool) {
	ctx := context.Background()
	srv := openaitest.NewServer(openaitest.Options{Model: "m", Memo: true})
	defer srv.Close()
	task := buildTask(b, "arc_challenge", shots, limit)
	insts, err := task.Instances()
	if err != nil {
		b.Fatal(err)
	}
	prompts := 0
	for _, in := range insts {
		prompts += len(in.Loglikelihood)
	}
	// Warm the server's memo (and, for the cached case, the cache).
	warmCache, err := cache.Open(ctx, filepath.Join(b.TempDir(), "warm.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer warmCache.Close()
	if _, err := Run(ctx, runner.New(newClient(b, srv), runner.Options{Store: warmCache}), []Task{task}, Options{}); err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		store := warmCache
		if !cached {
			b.StopTimer()
			c, err := cache.Open(ctx, filepath.Join(b.TempDir(), "c.db"))
			if err != nil {
				b.Fatal(err)
			}
			store = c
			b.StartTimer()
		}
		r := runner.New(newClient(b, srv), runner.Options{BatchSize: 32, Concurrency: 4, Store: store})
		rep, err := Run(ctx, r, []Task{task}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if cached && rep.Stats.Sent != 0 {
			b.Fatalf("cached run sent %d requests", rep.Stats.Sent)
		}
		if !cached {
			b.StopTimer()
			store.Close()
			b.StartTimer()
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	total := float64(prompts) * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds(), "prompts/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/prompt")
}
