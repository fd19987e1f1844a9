package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/evaluator"
	"github.com/parity-eval/parity/results"
	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/tasks"
)

// scoreRegistryTask scores completions made elsewhere for a generative task
// of the registry (gsm8k, the MATH tasks, ...): the predictions answer the
// task's own generation requests, and the task's filters and metrics score
// them exactly as in a live run.
func scoreRegistryTask(ctx context.Context, name, predPath string, limit, numFewshot int, tasksFile, output, dataDir string, offline bool, stdout, stderr io.Writer) error {
	reg, _, err := loadRegistry(tasksFile)
	if err != nil {
		return err
	}
	cfg, ok := reg.Task(name)
	if !ok {
		return usagef("--task %q: not a task (see parity tasks; groups are scored one task at a time)", name)
	}
	if cfg.OutputType != tasks.GenerateUntil {
		return usagef("--task %q is %s: only generative tasks can be scored from completions", name, cfg.OutputType)
	}
	dopts := datasets.OptionsFromEnv()
	dopts.DataDir = dataDir
	dopts.Offline = dopts.Offline || offline
	bopts := tasks.BuildOptions{Limit: limit}
	if numFewshot >= 0 {
		bopts.NumFewshot = &numFewshot
	}
	t, err := tasks.Build(ctx, cfg, datasets.NewLoader(dopts), bopts)
	if err != nil {
		return err
	}
	prompts, n, err := evaluator.PromptIndex(t)
	if err != nil {
		return err
	}
	var pr io.Reader = os.Stdin
	if predPath != "-" {
		f, err := os.Open(predPath)
		if err != nil {
			return err
		}
		defer f.Close()
		pr = f
	}
	preds, err := evaluator.ReadPredictions(pr, predPath, prompts, n)
	if err != nil {
		return err
	}
	backend, err := evaluator.NewPredictionBackend(t, preds)
	if err != nil {
		return err
	}
	version, commit := buildVersion()
	rep, err := evaluator.Run(ctx, runner.New(backend, runner.Options{}), []evaluator.Task{t}, evaluator.Options{
		OutputDir: output,
		RunConfig: results.RunConfig{Model: "predictions", ModelArgs: "predictions=" + predPath, Tasks: []string{name}},
		Parity:    results.Parity{Version: version, Commit: commit, Model: "predictions", Server: predPath, Switches: map[string]any{"limit": limit, "num_fewshot": bopts.NumFewshot}},
	})
	if err != nil {
		return err
	}
	if err := results.WriteTable(stdout, rep.File); err != nil {
		return err
	}
	if output != "" {
		fmt.Fprintf(stderr, "parity: %d predictions scored; results in %s\n", len(preds), output)
	}
	return nil
}
