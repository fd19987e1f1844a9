package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/parity-eval/parity/serve"
)

const demoUsage = `
Usage: parity demo [--model FILE.gguf] [--tasks LIST] [--limit N] [flags]

Shows parity end to end on this machine, with nothing else installed: it
starts parity's own model server (the demo model built into the binary, or
--model) on a free loopback port, evaluates it on a short suite (ARC
Challenge, scored by log-likelihood, and GSM8K, generated), prints the
results table and where the files are, and stops the server.

Datasets come from --data-dir (default $PARITY_DATA_DIR, else
../shared/data/hub when it exists), else from the Hugging Face Hub.`

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var ef engineFlags
	var taskList, output, dataDir string
	var limit, fewshot int
	fs := newFlagSet("demo", demoUsage, stderr)
	ef.register(fs)
	fs.StringVar(&taskList, "tasks", "arc_challenge,gsm8k", "tasks to run")
	fs.IntVar(&limit, "limit", 10, "documents per task")
	fs.IntVar(&fewshot, "num-fewshot", 0, "few-shot examples per prompt (0 keeps prompts inside a small model's context)")
	fs.StringVar(&output, "output", "parity-demo", "results folder (its responses.db caches the answers)")
	fs.StringVar(&dataDir, "data-dir", defaultDemoData(), "local dataset mirror in the Hub's parquet layout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	eng, err := ef.open(stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String() + "/v1"
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(sctx, ln, serve.NewServer(eng, serve.Options{})) }()
	fmt.Fprintf(stderr, "parity demo: serving %q at %s\n", eng.Name(), base)

	runArgs := []string{
		"--model-url", base, "--model", eng.Name(), "--tasks", taskList,
		"--limit", strconv.Itoa(limit), "--num-fewshot", strconv.Itoa(fewshot),
		"--output", output, "--cache", filepath.Join(output, "responses.db"),
	}
	if dataDir != "" {
		runArgs = append(runArgs, "--data-dir", dataDir)
	}
	fmt.Fprintf(stderr, "parity demo: parity run %q\n", runArgs)
	runErr := runCmd(ctx, runArgs, stdout, stderr)
	stop()
	if err := <-done; err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return runErr
	}
	abs, _ := filepath.Abs(output)
	fmt.Fprintf(stdout, "\nResults: %s (lm-eval layout) and %s; the server is stopped.\n",
		filepath.Join(abs, "results.json"), filepath.Join(abs, "samples_<task>.jsonl"))
	return nil
}

func defaultDemoData() string {
	if d := os.Getenv("PARITY_DATA_DIR"); d != "" {
		return d
	}
	d := filepath.Join("..", "shared", "data", "hub")
	if _, err := os.Stat(d); err == nil {
		return d
	}
	return ""
}
