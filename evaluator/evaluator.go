// Package evaluator runs built tasks end to end: it gathers every task's
// requests into one runner pass, scores each document the moment its last
// response arrives, appends its sample lines, and aggregates the scores into
// an lm-evaluation-harness-style results file.
package evaluator

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/parity-eval/parity/results"
	"github.com/parity-eval/parity/runner"
	"github.com/parity-eval/parity/tasks"
)

// Task is what the evaluator needs of a task. *tasks.Task is the generic
// implementation; tasks whose logic is code (HumanEval, say) provide their
// own, reusing the tasks package's Instance and SampleRecord values.
type Task interface {
	Name() string
	Version() string
	NumFewshot() int
	// TotalDocs is the number of docs before --limit.
	TotalDocs() int
	Instances() ([]tasks.Instance, error)
	Score(inst tasks.Instance, ll []runner.LoglikelihoodResult, gen []runner.GenerateResult) ([]tasks.SampleRecord, error)
	Aggregate(records []tasks.SampleRecord) (tasks.Scores, error)
	ConfigForResults() map[string]any
}

// Options say where results go and what to record about the run.
type Options struct {
	// OutputDir receives results.json and samples_<task>.jsonl; "" writes nothing.
	OutputDir string
	// RunConfig and Parity are copied into results.json.
	RunConfig results.RunConfig
	Parity    results.Parity
	// Datasets describes where each task's docs came from (for the record).
	Datasets map[string]any
	// Groups are the groups the run asked for (nested ones included): their
	// subtasks are listed and, where they define one, their aggregate
	// score is reported as lm-eval does, under "groups" and "results".
	Groups []*tasks.Group
}

// Report is a finished (or interrupted) evaluation.
type Report struct {
	File  *results.File
	Stats runner.Stats
}

type docState struct {
	task    int
	inst    int
	pending int
	ll      []runner.LoglikelihoodResult
	gen     []runner.GenerateResult
	failed  error
}

type ref struct {
	doc    int // index into docs
	choice int
}

// Run evaluates ts with r. When some requests fail, Run still writes the
// samples of every document that completed, and returns an error; the cache
// keeps every response, so the same command resumes.
func Run(ctx context.Context, r *runner.Runner, ts []Task, o Options) (*Report, error) {
	start := time.Now()
	var work runner.Work
	var llRefs, genRefs []ref
	var docs []docState
	instances := make([][]tasks.Instance, len(ts))
	for ti, t := range ts {
		insts, err := t.Instances()
		if err != nil {
			return nil, fmt.Errorf("task %q: %w", t.Name(), err)
		}
		instances[ti] = insts
		for ii, inst := range insts {
			d := len(docs)
			st := docState{task: ti, inst: ii}
			for ci, req := range inst.Loglikelihood {
				work.Loglikelihood = append(work.Loglikelihood, req)
				llRefs = append(llRefs, ref{d, ci})
			}
			st.ll = make([]runner.LoglikelihoodResult, len(inst.Loglikelihood))
			if inst.Generate != nil {
				work.Generate = append(work.Generate, *inst.Generate)
				genRefs = append(genRefs, ref{d, 0})
				st.gen = make([]runner.GenerateResult, 1)
			}
			st.pending = len(st.ll) + len(st.gen)
			docs = append(docs, st)
		}
	}

	writers := make([]*results.SampleWriter, len(ts))
	if o.OutputDir != "" {
		for ti, t := range ts {
			w, err := results.NewSampleWriter(o.OutputDir, t.Name())
			if err != nil {
				return nil, err
			}
			writers[ti] = w
		}
	}
	records := make([][][]tasks.SampleRecord, len(ts))
	for ti := range ts {
		records[ti] = make([][]tasks.SampleRecord, len(instances[ti]))
	}
	// Scoring runs in its own workers, off the runner's callback path, so a
	// slow scorer (code execution, say) never holds up the requests.
	var (
		scoreMu  sync.Mutex
		scoreErr error
		scoreWG  sync.WaitGroup
	)
	toScore := make(chan int, 1024)
	for range runtime.GOMAXPROCS(0) {
		scoreWG.Add(1)
		go func() {
			defer scoreWG.Done()
			for d := range toScore {
				st := &docs[d]
				t := ts[st.task]
				inst := instances[st.task][st.inst]
				recs, err := t.Score(inst, st.ll, st.gen)
				if err == nil {
					records[st.task][st.inst] = recs
					if w := writers[st.task]; w != nil {
						err = w.Add(sampleLines(recs))
					}
				} else {
					err = fmt.Errorf("task %q doc %d: %w", t.Name(), inst.DocID, err)
				}
				if err != nil {
					scoreMu.Lock()
					if scoreErr == nil {
						scoreErr = err
					}
					scoreMu.Unlock()
				}
			}
		}()
	}
	complete := func(d int) {
		if docs[d].failed == nil {
			toScore <- d
		}
	}
	stats, runErr := r.Run(ctx, work, runner.Callbacks{
		OnLoglikelihood: func(i int, res runner.LoglikelihoodResult) {
			rf := llRefs[i]
			docs[rf.doc].ll[rf.choice] = res
			if docs[rf.doc].pending--; docs[rf.doc].pending == 0 {
				complete(rf.doc)
			}
		},
		OnGenerate: func(i int, res runner.GenerateResult) {
			rf := genRefs[i]
			docs[rf.doc].gen[rf.choice] = res
			if docs[rf.doc].pending--; docs[rf.doc].pending == 0 {
				complete(rf.doc)
			}
		},
		OnError: func(kind string, i int, err error) {
			rf := llRefs
			if kind != "loglikelihood" {
				rf = genRefs
			}
			d := rf[i].doc
			if docs[d].failed == nil {
				docs[d].failed = err
			}
			docs[d].pending--
		},
	})
	close(toScore)
	scoreWG.Wait()
	for _, w := range writers {
		if w != nil {
			if err := w.Close(); err != nil && scoreErr == nil {
				scoreErr = err
			}
		}
	}
	if runErr != nil {
		return &Report{Stats: stats}, runErr
	}
	if scoreErr != nil {
		return &Report{Stats: stats}, scoreErr
	}

	f := &results.File{
		Results:        map[string]map[string]any{},
		GroupSubtasks:  map[string][]string{},
		Configs:        map[string]map[string]any{},
		Versions:       map[string]any{},
		NShot:          map[string]int{},
		HigherIsBetter: map[string]map[string]bool{},
		NSamples:       map[string]results.NSamples{},
		Config:         o.RunConfig,
		Date:           float64(start.UnixNano()) / 1e9,
		ModelName:      o.Parity.Model,
		Parity:         o.Parity,
	}
	taskScores := map[string]tasks.Scores{}
	for ti, t := range ts {
		var all []tasks.SampleRecord
		for _, recs := range records[ti] {
			all = append(all, recs...)
		}
		scores, err := t.Aggregate(all)
		if err != nil {
			return &Report{Stats: stats}, fmt.Errorf("task %q: %w", t.Name(), err)
		}
		taskScores[t.Name()] = scores
		row := scores.Map()
		row["alias"] = t.Name()
		hib := map[string]bool{}
		for _, m := range scores.Metrics {
			hib[m.Metric] = m.HigherIsBetter
		}
		f.Results[t.Name()] = row
		f.GroupSubtasks[t.Name()] = []string{}
		f.Configs[t.Name()] = t.ConfigForResults()
		f.Versions[t.Name()] = t.Version()
		f.NShot[t.Name()] = t.NumFewshot()
		f.HigherIsBetter[t.Name()] = hib
		f.NSamples[t.Name()] = results.NSamples{Original: t.TotalDocs(), Effective: len(instances[ti])}
	}
	if err := addGroups(f, o.Groups, taskScores); err != nil {
		return &Report{Stats: stats}, err
	}
	f.Parity.LeaderboardV2 = f.LeaderboardV2()
	end := time.Now()
	f.Parity.Start, f.Parity.End = start, end
	f.Parity.Requests = stats
	f.Parity.Datasets = o.Datasets
	f.TotalTime = fmt.Sprintf("%.3f", end.Sub(start).Seconds())
	if o.OutputDir != "" {
		if err := results.Write(o.OutputDir, f); err != nil {
			return &Report{File: f, Stats: stats}, err
		}
	}
	return &Report{File: f, Stats: stats}, nil
}

func sampleLines(recs []tasks.SampleRecord) []results.Line {
	out := make([]results.Line, len(recs))
	for i := range recs {
		out[i] = results.Line{DocID: recs[i].DocID, JSON: recs[i].LMEvalJSON()}
	}
	return out
}

// addGroups writes each group's subtasks and, for groups with an
// aggregate_metric_list, its score over its leaf tasks (a size-weighted or
// plain mean with the pooled standard error, lm-eval's
// consolidate_group_results).
func addGroups(f *results.File, groups []*tasks.Group, scores map[string]tasks.Scores) error {
	for _, g := range groups {
		f.GroupSubtasks[g.Name] = append([]string{}, g.Subtasks()...)
		s, ok, err := g.Aggregate(scores)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		row := s.Map()
		row["alias"] = g.Name
		if g.Alias != "" {
			row["alias"] = g.Alias
		}
		if f.Groups == nil {
			f.Groups = map[string]map[string]any{}
		}
		f.Groups[g.Name] = row
		f.Results[g.Name] = row
		if v := g.Version(); v != "" {
			f.Versions[g.Name] = v
		}
		hib := map[string]bool{}
		for _, m := range s.Metrics {
			hib[m.Metric] = m.HigherIsBetter
		}
		f.HigherIsBetter[g.Name] = hib
		shots := -1
		for _, l := range g.Leaves() {
			if n, ok := f.NShot[l.Name]; ok && (shots == -1 || shots == n) {
				shots = n
			} else {
				shots = -2
			}
		}
		if shots >= 0 {
			f.NShot[g.Name] = shots
		}
	}
	return nil
}
