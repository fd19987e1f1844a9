package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/parity-eval/parity/compare"
)

const compareUsage = `
Usage: parity compare [flags] BASELINE CANDIDATE [CANDIDATE...]

Lays the runs out as the paper's tables: one table per suite with a row per
model, the suite's average, Recovery % (candidate average / baseline average
× 100) and a column per task (the Open LLM Leaderboard V2 on its normalised
scores, V1 on raw ones), then per-task recovery and, per candidate, the
difference from the baseline.

Each input is a parity results folder, an lm-evaluation-harness
results_<date>.json (its samples_<task>_<date>.jsonl files beside it are
used), or lm-eval's output folder; the first is the baseline. With
per-document samples on both sides the documents are paired: flips right→wrong
and wrong→right, the exact McNemar test (a single binary metric) or a paired
bootstrap p-value, and bootstrap intervals on the difference and on recovery;
~ marks a difference within noise.

Runs whose task versions, few-shot counts, document counts, profile or chat
settings differ are refused (exit 2) unless --allow-mismatch.`

// comparisonFlags are the flags compare, gate and run --gate-baseline share.
type comparisonFlags struct {
	suites        string
	metrics       []string
	allowMismatch bool
	alpha         float64
	resamples     int
	seed          int64
}

// register adds the flags; prefix names the suite and metric flags in
// commands where plain names would be ambiguous (run's --gate-suite).
func (c *comparisonFlags) register(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&c.suites, prefix+"suite", "auto", "suites to show, comma-separated: auto, leaderboard (V2), leaderboard-v1 (the paper's V1 table), openllm (V1), tasks")
	fs.Func(prefix+"metric", "TASK=METRIC,FILTER: score TASK by this metric (repeatable), e.g. gsm8k=exact_match,flexible-extract", func(s string) error {
		c.metrics = append(c.metrics, s)
		return nil
	})
	fs.BoolVar(&c.allowMismatch, "allow-mismatch", false, "compare runs whose settings differ, listing the differences")
	fs.Float64Var(&c.alpha, "alpha", 0.05, "significance level; intervals are (1−alpha) intervals")
	fs.IntVar(&c.resamples, "bootstrap", compare.DefaultResamples, "paired bootstrap resamples (0 turns the bootstrap off)")
	fs.Int64Var(&c.seed, "bootstrap-seed", 1234, "bootstrap seed: replicate b draws from Python's random.Random(seed·2³² + b)")
}

func (c *comparisonFlags) options() (compare.Options, error) {
	o := compare.Options{AllowMismatch: c.allowMismatch, Alpha: c.alpha, Resamples: c.resamples, Seed: c.seed}
	if c.alpha <= 0 || c.alpha >= 1 {
		return o, usagef("--alpha %g: want a level between 0 and 1", c.alpha)
	}
	if c.seed < 0 || c.seed >= 1<<31 {
		return o, usagef("--bootstrap-seed %d: want 0 ≤ seed < 2147483648", c.seed)
	}
	if c.resamples == 0 {
		o.Resamples = -1
	} else if c.resamples < 0 {
		return o, usagef("--bootstrap %d: want a number of resamples ≥ 0", c.resamples)
	}
	o.Suites = splitList(c.suites)
	if len(c.metrics) > 0 {
		o.Metrics = map[string]string{}
	}
	for _, m := range c.metrics {
		task, metric, err := compare.ParseMetricOverride(m)
		if err != nil {
			return o, usagef("%v", err)
		}
		o.Metrics[task] = metric
	}
	return o, nil
}

// loadAndCompare reads the inputs and compares them; every failure is an
// input error (exit 2).
func loadAndCompare(paths []string, labels []string, o compare.Options) (*compare.Report, error) {
	if len(labels) > 0 && len(labels) != len(paths) {
		return nil, usagef("--labels has %d names for %d inputs", len(labels), len(paths))
	}
	var runs []*compare.Run
	for i, p := range paths {
		r, err := compare.Load(p)
		if err != nil {
			return nil, usagef("%v", err)
		}
		if len(labels) > 0 {
			r.Label = labels[i]
		}
		runs = append(runs, r)
	}
	rep, err := compare.Compare(runs, o)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return rep, nil
}

// parseInterspersed parses flags that may come before, between or after the
// positional arguments (parity compare A B --format markdown).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func compareCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf comparisonFlags
	var format, labels string
	fs := newFlagSet("compare", compareUsage, stderr)
	fs.StringVar(&format, "format", "text", "output: "+strings.Join(compare.Formats, ", "))
	fs.StringVar(&labels, "labels", "", "comma-separated row names for the inputs, in order (default: each run's model)")
	cf.register(fs, "")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if len(paths) < 2 {
		return usagef("need a baseline and at least one candidate (see parity compare --help)")
	}
	if !slices.Contains(compare.Formats, format) && format != "md" {
		return usagef("--format %q: want %s", format, strings.Join(compare.Formats, ", "))
	}
	o, err := cf.options()
	if err != nil {
		return err
	}
	rep, err := loadAndCompare(paths, splitList(labels), o)
	if err != nil {
		return err
	}
	if err := rep.Write(stdout, format); err != nil {
		return fmt.Errorf("writing the comparison: %w", err)
	}
	return nil
}
