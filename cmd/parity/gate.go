package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/parity-eval/parity/compare"
)

const gateUsage = `
Usage: parity gate --baseline B --candidate C [--min-recovery 99]
                   [--min-task-recovery 97] [--max-drop TASK=POINTS,...]
                   [--alpha 0.05] [--junit FILE] [--summary FILE]

Decides whether the candidate kept the baseline's accuracy, for a nightly job
or a CI pipeline. B and C are what parity compare takes (parity results
folders, lm-eval results files or folders). Every suite's average must
recover at least --min-recovery percent of the baseline, every task column
--min-task-recovery percent, and a column named in --max-drop may lose at most
that many points. A broken threshold fails the gate only when the drop is
significant at --alpha where both runs kept per-document samples (exact
McNemar test, or a paired bootstrap); without samples the threshold alone
decides.

Prints a Markdown summary (also written to --summary) and writes a JUnit XML
report with --junit (a test suite per parity suite, a test case per task and
one for the suite's average).

Exit status: 0 the candidate passes, 1 it regressed, 2 usage or input errors
(unreadable or incomparable results: see --allow-mismatch).`

type gateFlags struct {
	comparisonFlags
	minRecovery, minTaskRecovery float64
	maxDrop                      map[string]float64
	junit, summary               string
}

func (g *gateFlags) register(fs *flag.FlagSet, prefix string) {
	g.comparisonFlags.register(fs, prefix)
	g.maxDrop = map[string]float64{}
	fs.Float64Var(&g.minRecovery, "min-recovery", 99, "least recovery (percent) of each suite's average (0 turns it off)")
	fs.Float64Var(&g.minTaskRecovery, "min-task-recovery", 97, "least recovery (percent) of each task column (0 turns it off)")
	fs.Func("max-drop", "TASK=POINTS[,TASK=POINTS...]: the most points a task (column id or title; \"average\" for suite averages; * for every task) may drop (repeatable)", func(s string) error {
		return compare.ParseMaxDrop(s, g.maxDrop)
	})
	fs.StringVar(&g.junit, "junit", "", "write a JUnit XML report to FILE")
	fs.StringVar(&g.summary, "summary", "", "write the Markdown summary to FILE as well as to stdout")
}

func gateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var g gateFlags
	var baseline, candidate string
	fs := newFlagSet("gate", gateUsage, stderr)
	fs.StringVar(&baseline, "baseline", "", "baseline results (required)")
	fs.StringVar(&candidate, "candidate", "", "candidate results (required)")
	g.register(fs, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q (name the runs with --baseline and --candidate)", fs.Args())
	}
	if baseline == "" || candidate == "" {
		return usagef("--baseline and --candidate are required")
	}
	return runGate(&g, baseline, candidate, stdout, stderr)
}

// regressedError is a candidate that failed the gate (exit 1).
type regressedError struct{ summary string }

func (e *regressedError) Error() string { return e.summary }

// runGate compares, decides and writes the reports. Input problems are usage
// errors (exit 2) so that exit 1 always means a regression.
func runGate(g *gateFlags, baseline, candidate string, stdout, stderr io.Writer) error {
	if g.minRecovery < 0 || g.minTaskRecovery < 0 {
		return usagef("--min-recovery and --min-task-recovery must be ≥ 0")
	}
	o, err := g.options()
	if err != nil {
		return err
	}
	rep, err := loadAndCompare([]string{baseline, candidate}, nil, o)
	if err != nil {
		return err
	}
	v, err := compare.Gate(rep, compare.Thresholds{MinRecovery: g.minRecovery, MinTaskRecovery: g.minTaskRecovery, MaxDrop: g.maxDrop})
	if err != nil {
		return usagef("%v", err)
	}
	var md bytes.Buffer
	if err := v.WriteMarkdown(&md); err != nil {
		return err
	}
	if _, err := stdout.Write(md.Bytes()); err != nil {
		return err
	}
	if g.summary != "" {
		if err := os.WriteFile(g.summary, md.Bytes(), 0o644); err != nil {
			return usagef("--summary: %v", err)
		}
	}
	if g.junit != "" {
		var x bytes.Buffer
		if err := v.WriteJUnit(&x); err != nil {
			return err
		}
		if err := os.WriteFile(g.junit, x.Bytes(), 0o644); err != nil {
			return usagef("--junit: %v", err)
		}
	}
	if v.Regressed {
		return &regressedError{v.Summary()}
	}
	fmt.Fprintln(stderr, "parity gate: "+v.Summary())
	return nil
}
