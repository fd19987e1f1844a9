package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/evaluator"
	"github.com/parity-eval/parity/ifeval"
	"github.com/parity-eval/parity/results"
	"github.com/parity-eval/parity/tasks"
)

// splitIFEval separates the task names that package ifeval builds
// (leaderboard_ifeval, ifeval): their scoring is code, not tasks.yaml.
func splitIFEval(names []string) (ife, rest []string) {
	for _, n := range names {
		if ifeval.IsTask(n) {
			ife = append(ife, n)
		} else {
			rest = append(rest, n)
		}
	}
	return ife, rest
}

// buildIFEvalTasks builds the named IFEval tasks for parity run with the
// run's build options (limit, chat formatting, system instruction).
func buildIFEvalTasks(ctx context.Context, names []string, loader *datasets.Loader, bopts tasks.BuildOptions) ([]evaluator.Task, error) {
	var out []evaluator.Task
	for _, n := range names {
		t, err := ifeval.Build(ctx, n, loader, bopts)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// scoreIFEval is parity score for the IFEval tasks: predictions are
// {"key"|"doc_id"|"prompt", "completion"|"response"|"output"} lines.
func scoreIFEval(ctx context.Context, task, predPath string, limit int, output, dataDir string, offline bool, stdout, stderr io.Writer) error {
	start := time.Now()
	dopts := datasets.OptionsFromEnv()
	dopts.DataDir = dataDir
	dopts.Offline = dopts.Offline || offline
	t, err := ifeval.Build(ctx, task, datasets.NewLoader(dopts), tasks.BuildOptions{Limit: limit})
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
	sc, err := ifeval.ScorePredictions(ctx, pr, t)
	if err != nil {
		return fmt.Errorf("%s: %w", predPath, err)
	}
	row := sc.Scores.Map()
	row["alias"] = t.Name()
	hib := map[string]bool{}
	for _, m := range sc.Scores.Metrics {
		hib[m.Metric] = m.HigherIsBetter
	}
	version, commit := buildVersion()
	end := time.Now()
	f := &results.File{
		Results:        map[string]map[string]any{t.Name(): row},
		GroupSubtasks:  map[string][]string{t.Name(): {}},
		Configs:        map[string]map[string]any{t.Name(): t.ConfigForResults()},
		Versions:       map[string]any{t.Name(): t.Version()},
		NShot:          map[string]int{t.Name(): 0},
		HigherIsBetter: map[string]map[string]bool{t.Name(): hib},
		NSamples:       map[string]results.NSamples{t.Name(): {Original: t.TotalDocs(), Effective: len(sc.Records)}},
		Config:         results.RunConfig{Model: "predictions", ModelArgs: "predictions=" + predPath, Tasks: []string{t.Name()}},
		Date:           float64(start.UnixNano()) / 1e9,
		ModelName:      predPath,
		TotalTime:      fmt.Sprintf("%.3f", end.Sub(start).Seconds()),
		Parity: results.Parity{Version: version, Commit: commit, Model: predPath, Start: start, End: end,
			Switches: map[string]any{"command": "score", "langdetect_seed": 0, "letter_frequency_non_letter": "count the given character"}},
	}
	if output != "" {
		w, err := results.NewSampleWriter(output, t.Name())
		if err != nil {
			return err
		}
		for _, r := range sc.Records {
			if err := w.Add([]results.Line{{DocID: r.DocID, JSON: r.LMEvalJSON()}}); err != nil {
				w.Close()
				return err
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
		if err := results.Write(output, f); err != nil {
			return err
		}
	}
	if err := results.WriteTable(stdout, f); err != nil {
		return err
	}
	if len(sc.Records) < sc.Docs {
		fmt.Fprintf(stderr, "parity: the predictions cover %d of the %d docs of %s; scores are over those only\n", len(sc.Records), sc.Docs, t.Name())
	}
	fmt.Fprintf(stderr, "parity: %s: %v (%.1f s)\n", t.Name(), sc.Summary, end.Sub(start).Seconds())
	return nil
}
