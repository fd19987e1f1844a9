package compare

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the fixtures and golden files under testdata")

// lmTask is one task of a fixture in lm-evaluation-harness's layout.
type lmTask struct {
	name       string
	metrics    map[string]float64 // "metric,filter" → value
	nshot      int
	version    any
	docs       int // n-samples (effective)
	original   int // n-samples (original); docs when 0
	outputType string
	filters    []string // filter_list names, in order; none when empty
	config     map[string]any
}

// lmGroup is a group row: its subtasks and, optionally, its own scores.
type lmGroup struct {
	name     string
	subtasks []string
	metrics  map[string]float64
	version  any
}

// lmRun is the run-wide part of a fixture.
type lmRun struct {
	model        string
	chatTemplate *string
	multiturn    bool
	date         float64
}

// lmevalResults builds a results_<date>.json as lm-eval v0.4.5 writes it:
// results and groups keyed "metric,filter" with "_stderr" companions and an
// alias, group_subtasks (leaves map to []), configs per leaf, versions,
// n-shot, higher_is_better, n-samples, the config block, and the tracker's
// run-wide fields.
func lmevalResults(run lmRun, tasks []lmTask, groups []lmGroup) map[string]any {
	res := map[string]any{}
	grp := map[string]any{}
	gsub := map[string]any{}
	configs := map[string]any{}
	versions := map[string]any{}
	nshot := map[string]any{}
	hib := map[string]any{}
	nsamples := map[string]any{}
	row := func(alias string, metrics map[string]float64, n int) map[string]any {
		r := map[string]any{"alias": alias}
		for k, v := range metrics {
			metric, filter, _ := strings.Cut(k, ",")
			r[k] = v
			if n > 1 {
				r[metric+"_stderr,"+filter] = math.Sqrt(v * (1 - v) / float64(n-1))
			} else {
				r[metric+"_stderr,"+filter] = "N/A"
			}
		}
		return r
	}
	parent := map[string]string{}
	for _, g := range groups {
		for _, s := range g.subtasks {
			parent[s] = g.name
		}
	}
	depth := func(name string) int {
		d := 0
		for p, ok := parent[name]; ok; p, ok = parent[p] {
			d++
		}
		return d
	}
	alias := func(name string) string {
		if d := depth(name); d > 0 {
			return strings.Repeat(" ", d-1) + " - " + name
		}
		return name
	}
	for _, t := range tasks {
		res[t.name] = row(alias(t.name), t.metrics, t.docs)
		gsub[t.name] = []string{}
		fl := []any{}
		for _, f := range t.filters {
			fl = append(fl, map[string]any{"name": f, "filter": []any{map[string]any{"function": "take_first"}}})
		}
		cfg := map[string]any{
			"task": t.name, "num_fewshot": t.nshot, "output_type": t.outputType,
			"metadata": map[string]any{"version": t.version},
		}
		if len(fl) > 0 {
			cfg["filter_list"] = fl
		}
		for k, v := range t.config {
			cfg[k] = v
		}
		configs[t.name] = cfg
		versions[t.name] = t.version
		nshot[t.name] = t.nshot
		h := map[string]any{}
		for k := range t.metrics {
			m, _, _ := strings.Cut(k, ",")
			h[m] = true
		}
		hib[t.name] = h
		orig := t.original
		if orig == 0 {
			orig = t.docs
		}
		nsamples[t.name] = map[string]any{"original": orig, "effective": t.docs}
	}
	for _, g := range groups {
		r := row(alias(g.name), g.metrics, 0)
		res[g.name] = r
		grp[g.name] = r
		gsub[g.name] = g.subtasks
		if g.version != nil {
			versions[g.name] = g.version
		}
	}
	out := map[string]any{
		"results": res, "group_subtasks": gsub, "configs": configs, "versions": versions,
		"n-shot": nshot, "higher_is_better": hib, "n-samples": nsamples,
		"config": map[string]any{
			"model": "vllm", "model_args": "pretrained=" + run.model + ",dtype=auto,add_bos_token=True,max_model_len=4096,tensor_parallel_size=1",
			"batch_size": "auto", "batch_sizes": []any{}, "device": nil, "use_cache": nil, "limit": nil,
			"bootstrap_iters": 100000, "gen_kwargs": nil, "random_seed": 0, "numpy_seed": 1234,
			"torch_seed": 1234, "fewshot_seed": 1234,
		},
		"git_hash": "1d4d6c5", "date": run.date, "model_source": "vllm",
		"model_name": run.model, "model_name_sanitized": strings.ReplaceAll(run.model, "/", "__"),
		"system_instruction": nil, "system_instruction_sha": nil,
		"fewshot_as_multiturn": run.multiturn, "chat_template": run.chatTemplate,
		"start_time": 1000.5, "end_time": 2000.25, "total_evaluation_time_seconds": "999.75",
	}
	if len(grp) > 0 {
		out["groups"] = grp
	}
	return out
}

func marshalFixture(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// checkFixture writes data to path with -update, and otherwise fails when
// the file on disk is not what the generator makes (so the checked-in
// fixtures can be reviewed and cannot drift from the code that explains
// them).
func checkFixture(t *testing.T, path string, data []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./compare -update to create the fixtures)", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("%s is not what its generator writes (run go test ./compare -update and review the diff)", path)
	}
}
