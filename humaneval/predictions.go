package humaneval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/parity-eval/parity/scoring"
	"github.com/parity-eval/parity/tasks"
)

// Prediction is one line of a predictions file: EvalPlus's and human-eval's
// samples format, {"task_id", "completion"} (appended to the prompt) or
// {"task_id", "solution"} (a whole program). Several lines per task make
// the n of pass@k.
type Prediction struct {
	TaskID     string  `json:"task_id"`
	Completion *string `json:"completion"`
	Solution   *string `json:"solution"`
	// Line is where it was read, for messages.
	Line int `json:"-"`
}

// ReadPredictions reads a JSON-lines predictions file.
func ReadPredictions(r io.Reader, name string) ([]Prediction, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var out []Prediction
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if s := strings.TrimSpace(string(b)); s != "" {
			var p Prediction
			if jerr := json.Unmarshal([]byte(s), &p); jerr != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, line, jerr)
			}
			if p.TaskID == "" {
				return nil, fmt.Errorf("%s:%d: task_id missing", name, line)
			}
			if p.Completion == nil && p.Solution == nil {
				return nil, fmt.Errorf("%s:%d: neither completion nor solution", name, line)
			}
			p.Line = line
			out = append(out, p)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
}

// ScoreOptions tune ScorePredictions.
type ScoreOptions struct {
	// Sanitize runs EvalPlus's sanitizer on each program first (evalplus
	// evaluate does not; its codegen does).
	Sanitize bool
	// Progress, if set, is called after each program is tested.
	Progress func(done, total int)
}

// ProblemScore is one problem's samples and verdicts.
type ProblemScore struct {
	Problem  *Problem
	DocID    int
	Samples  []string
	Outcomes []Outcome
	Notes    []string
	N, C     int
	PassAtK  map[int]float64
}

// ScoreReport is the result of ScorePredictions.
type ScoreReport struct {
	Task     string
	Ks       []int
	PassAtK  map[int]float64
	Problems []*ProblemScore
	// Unknown counts predictions whose task_id is not a problem of the task
	// (EvalPlus warns and skips them).
	Unknown int
}

// ScorePredictions tests every prediction. Like EvalPlus, every problem of
// the task must have at least one prediction (--limit narrows the task).
func (t *Task) ScorePredictions(ctx context.Context, preds []Prediction, o ScoreOptions) (*ScoreReport, error) {
	byID := map[string]*ProblemScore{}
	var order []*ProblemScore
	for i, p := range t.problems {
		ps := &ProblemScore{Problem: p, DocID: i}
		byID[p.TaskID] = ps
		order = append(order, ps)
	}
	rep := &ScoreReport{Task: t.name, PassAtK: map[int]float64{}}
	type item struct {
		ps *ProblemScore
		i  int
	}
	var items []item
	for _, pr := range preds {
		ps, ok := byID[pr.TaskID]
		if !ok {
			rep.Unknown++
			continue
		}
		sol := ""
		if pr.Solution != nil {
			sol = *pr.Solution
		} else {
			sol = ps.Problem.Prompt + *pr.Completion
		}
		items = append(items, item{ps, len(ps.Samples)})
		ps.Samples = append(ps.Samples, sol)
	}
	var missing []string
	for _, ps := range order {
		if len(ps.Samples) == 0 {
			missing = append(missing, ps.Problem.TaskID)
		}
		ps.Outcomes = make([]Outcome, len(ps.Samples))
		ps.Notes = make([]string, len(ps.Samples))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("humaneval: %d problems of %s have no prediction (%s); use --limit to score a prefix", len(missing), t.name, abbreviate(missing))
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The executor bounds how many programs run at once; these goroutines
	// only wait on it.
	work := make(chan item)
	for range max(1, cap(t.o.Executor.sem)*2) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				sol := it.ps.Samples[it.i]
				var note string
				var err error
				if o.Sanitize && t.o.Profile == EvalPlus {
					sol, note, err = t.o.Executor.Sanitize(ctx, sol, it.ps.Problem.EntryPoint)
				}
				var out Outcome
				if err == nil {
					out, err = t.Test(ctx, it.ps.Problem, sol)
				}
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("%s sample %d: %w", it.ps.Problem.TaskID, it.i, err)
						cancel()
					}
				} else {
					it.ps.Samples[it.i], it.ps.Outcomes[it.i], it.ps.Notes[it.i] = sol, out, note
					done++
					if o.Progress != nil {
						o.Progress(done, len(items))
					}
				}
				mu.Unlock()
			}
		}()
	}
	// Longest problems first keeps both workers busy to the end.
	sorted := append([]item(nil), items...)
	sort.SliceStable(sorted, func(a, b int) bool {
		return sorted[a].ps.Problem.NPlus > sorted[b].ps.Problem.NPlus
	})
feed:
	for _, it := range sorted {
		select {
		case work <- it:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ns := make([]int, len(order))
	for i, ps := range order {
		ps.N = len(ps.Samples)
		for _, oc := range ps.Outcomes {
			if oc.Passed() {
				ps.C++
			}
		}
		ns[i] = ps.N
	}
	rep.Ks = ReportedKs(ns)
	for _, ps := range order {
		ps.PassAtK = map[int]float64{}
		for _, k := range rep.Ks {
			ps.PassAtK[k] = PassAtK(ps.N, ps.C, k)
		}
	}
	for _, k := range rep.Ks {
		xs := make([]float64, len(order))
		for i, ps := range order {
			xs[i] = ps.PassAtK[k]
		}
		rep.PassAtK[k] = scoring.Mean(xs)
	}
	rep.Problems = order
	return rep, nil
}

func abbreviate(xs []string) string {
	if len(xs) > 5 {
		return strings.Join(xs[:5], ", ") + fmt.Sprintf(", ... %d more", len(xs)-5)
	}
	return strings.Join(xs, ", ")
}

// Records turns a report into sample records (one per problem, lm-eval's
// layout for repeats) for samples_<task>.jsonl.
func (t *Task) Records(rep *ScoreReport) []tasks.SampleRecord {
	out := make([]tasks.SampleRecord, 0, len(rep.Problems))
	for _, ps := range rep.Problems {
		resps := make([]any, len(ps.Samples))
		verdicts := make([]any, len(ps.Samples))
		for i, s := range ps.Samples {
			resps[i] = s
			v := ps.Outcomes[i].extra()
			v["passed"] = ps.Outcomes[i].Passed()
			if ps.Notes[i] != "" {
				v["sanitize_error"] = ps.Notes[i]
			}
			verdicts[i] = v
		}
		metrics := map[string]float64{}
		for _, k := range rep.Ks {
			metrics[fmt.Sprintf("pass@%d", k)] = ps.PassAtK[k]
		}
		out = append(out, tasks.SampleRecord{
			DocID: ps.DocID, Doc: ps.Problem.Doc, Target: ps.Problem.Test + "\ncheck(" + ps.Problem.EntryPoint + ")",
			Arguments:     [][2]any{{t.Request(ps.Problem).Context, map[string]any{}}},
			Resps:         [][]any{resps},
			FilteredResps: []any{resps},
			Filter:        t.filterName(),
			Metrics:       metrics,
			Extra:         map[string]any{"n": ps.N, "correct": ps.C, "verdicts": verdicts},
		})
	}
	return out
}

// Scores is the report as aggregated scores (mean pass@k over problems
// with its standard error).
func (t *Task) Scores(rep *ScoreReport) tasks.Scores {
	s := tasks.Scores{N: len(rep.Problems)}
	for _, k := range rep.Ks {
		xs := make([]float64, len(rep.Problems))
		for i, ps := range rep.Problems {
			xs[i] = ps.PassAtK[k]
		}
		ms := tasks.MetricScore{Metric: fmt.Sprintf("pass@%d", k), Filter: t.filterName(), Value: rep.PassAtK[k], Stderr: math.NaN(), HigherIsBetter: true}
		if len(xs) > 1 {
			ms.Stderr = scoring.MeanStderr(xs)
		}
		s.Metrics = append(s.Metrics, ms)
	}
	return s
}
