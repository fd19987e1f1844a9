// Command parity evaluates language models served over an OpenAI-compatible
// API with lm-evaluation-harness's tasks and prompts. This package only parses
// flags and wires the library packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// exit codes
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitCanceled = 130
)

// usageError marks bad flags or arguments (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"compare": {"recovery tables of candidates against a baseline", compareCmd},
		"gate":    {"pass or fail a candidate against a baseline (CI, nightly)", gateCmd},
		"run":     {"evaluate a model on tasks or suites", runCmd},
		"score":   {"score code completions made elsewhere (HumanEval, HumanEval+) in the sandbox", scoreCmd},
		"serve":   {"serve a GGUF model over the OpenAI API (pure Go, CPU)", serveCmd},
		"demo":    {"serve the built-in model and evaluate it on a short suite", demoCmd},
		"tasks":   {"list the registered tasks and suites", tasksCmd},
		"version": {"print parity's version", versionCmd},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(realMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		mainUsage(stderr, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "parity: unknown command %q\n\n", args[0])
		mainUsage(stderr, cmds)
		return exitUsage
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(*usageError)):
		fmt.Fprintf(stderr, "parity %s: %v\n", args[0], err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "parity %s: interrupted; every response received so far is in the cache: run the same command again to resume\n", args[0])
		return exitCanceled
	default:
		fmt.Fprintf(stderr, "parity %s: %v\n", args[0], err)
		return exitFailed
	}
}

func mainUsage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, `parity measures how much accuracy a (quantized) model keeps, with the prompts,
few-shot examples and scoring of lm-evaluation-harness, against any
OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp, OpenAI).

Usage: parity COMMAND [flags]

Commands:`)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, `
Run "parity COMMAND --help" for the flags of a command.

Example:
  parity run --model-url http://127.0.0.1:8000/v1 --model meta-llama/Llama-3.1-8B-Instruct \
             --tasks arc_challenge,gsm8k --limit 100 --output out/llama`)
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("parity "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, strings.TrimSpace(usage))
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
