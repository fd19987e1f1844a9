package compare

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/parity-eval/parity/results"
)

// A Run is one loaded results file (parity's or lm-eval's) and the
// per-document samples files found beside it.
type Run struct {
	Label string
	// Path is the results file read.
	Path string
	// Kind is "parity" or "lm-eval".
	Kind    string
	Summary *results.Summary
	// Notes say what Load chose where the input left a choice.
	Notes []string

	samplesFiles map[string]string // task → samples file
	samples      map[string]*leafSamples
}

var (
	lmevalResultsName = regexp.MustCompile(`^results_(.+)\.json$`)
	lmevalSamplesName = regexp.MustCompile(`^samples_(.+)_(\d{4}-\d{2}-\d{2}T[0-9.\-]+)\.jsonl$`)
	paritySamplesName = regexp.MustCompile(`^samples_(.+)\.jsonl$`)
)

// Load reads a parity results folder (results.json and samples_<task>.jsonl),
// an lm-eval results_<date>.json (with the samples_<task>_<date>.jsonl files
// of the same run beside it), or a folder holding either — lm-eval's
// --output_path with its one model subfolder included.
func Load(path string) (*Run, error) {
	file, notes, err := findResultsFile(path)
	if err != nil {
		return nil, err
	}
	s, err := results.ReadSummary(file)
	if err != nil {
		return nil, err
	}
	r := &Run{Path: file, Summary: s, Notes: notes, samples: map[string]*leafSamples{}}
	r.Kind = "lm-eval"
	if s.Parity != nil && s.Parity.Version != "" {
		r.Kind = "parity"
	}
	r.Label = defaultLabel(s, file)
	r.samplesFiles, err = findSamples(file)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func findResultsFile(path string) (string, []string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", nil, fmt.Errorf("compare: %w", err)
	}
	if !st.IsDir() {
		return path, nil, nil
	}
	if _, err := os.Stat(filepath.Join(path, "results.json")); err == nil {
		return filepath.Join(path, "results.json"), nil, nil
	}
	matches, _ := filepath.Glob(filepath.Join(path, "results_*.json"))
	if len(matches) > 0 {
		sort.Strings(matches) // lm-eval's names end in an ISO date: the last is the newest
		file := matches[len(matches)-1]
		var notes []string
		if len(matches) > 1 {
			notes = append(notes, fmt.Sprintf("%s holds %d lm-eval results files; using the newest, %s", path, len(matches), filepath.Base(file)))
		}
		return file, notes, nil
	}
	// lm-eval writes OUTPUT_PATH/<model_name_sanitized>/results_<date>.json.
	entries, err := os.ReadDir(path)
	if err != nil {
		return "", nil, fmt.Errorf("compare: %w", err)
	}
	var subs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(path, e.Name())
		if m, _ := filepath.Glob(filepath.Join(sub, "results*.json")); len(m) > 0 {
			subs = append(subs, sub)
		}
	}
	switch len(subs) {
	case 0:
		return "", nil, fmt.Errorf("compare: %s: no results.json or lm-eval results_*.json in this folder", path)
	case 1:
		return findResultsFile(subs[0])
	}
	return "", nil, fmt.Errorf("compare: %s: results of %d models in subfolders (%s); name one", path, len(subs), strings.Join(subs, ", "))
}

// findSamples maps task names to the samples files of the same run as the
// results file: parity's samples_<task>.jsonl beside results.json, or
// lm-eval's samples_<task>_<date>.jsonl with the date of results_<date>.json.
func findSamples(resultsFile string) (map[string]string, error) {
	dir := filepath.Dir(resultsFile)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	out := map[string]string{}
	wantDate := ""
	if m := lmevalResultsName.FindStringSubmatch(filepath.Base(resultsFile)); m != nil {
		wantDate = m[1]
	}
	newest := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		if m := lmevalSamplesName.FindStringSubmatch(name); m != nil {
			task, date := m[1], m[2]
			switch {
			case wantDate != "" && date == wantDate:
				out[task] = filepath.Join(dir, name)
			case wantDate == "" && date > newest[task]:
				newest[task] = date
				out[task] = filepath.Join(dir, name)
			}
			continue
		}
		if wantDate != "" {
			continue
		}
		if m := paritySamplesName.FindStringSubmatch(name); m != nil {
			out[m[1]] = filepath.Join(dir, name)
		}
	}
	return out, nil
}

func defaultLabel(s *results.Summary, file string) string {
	if s.Parity != nil && s.Parity.Model != "" {
		return s.Parity.Model
	}
	if s.ModelName != "" {
		return s.ModelName
	}
	switch a := s.Config["model_args"].(type) {
	case string:
		for _, kv := range strings.Split(a, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if k == "pretrained" || k == "model" {
				return v
			}
		}
	case map[string]any:
		for _, k := range []string{"pretrained", "model"} {
			if v, ok := a[k].(string); ok {
				return v
			}
		}
	}
	return filepath.Base(filepath.Dir(file))
}

// isGroup reports whether task is a group with subtasks in this file.
func (r *Run) isGroup(task string) bool { return len(r.Summary.GroupSubtasks[task]) > 0 }

// leaves are the leaf tasks under task (task itself when it is a leaf): from
// the file's group_subtasks, else known (the suite's list of a group's
// subtasks) when the file has results for every one of them.
func (r *Run) leaves(task string, known []string) []string {
	if r.isGroup(task) {
		var out []string
		var walk func(string, int)
		walk = func(t string, depth int) {
			if depth > 16 { // a cycle in a malformed file
				return
			}
			subs := r.Summary.GroupSubtasks[t]
			if len(subs) == 0 {
				out = append(out, t)
				return
			}
			for _, s := range subs {
				walk(s, depth+1)
			}
		}
		walk(task, 0)
		sort.Strings(out)
		return out
	}
	if len(known) == 0 {
		return []string{task}
	}
	for _, l := range known {
		if _, ok := r.Summary.Results[l]; !ok {
			return []string{task}
		}
	}
	return append([]string(nil), known...)
}

// value is a component's raw score: the file's row for the task or group,
// else for a group the micro average of its subtasks' rows (Σ score·n / Σ n
// over n-samples, what lm-eval's weight_by_size aggregation and the
// leaderboard compute).
func (r *Run) value(c Component) (float64, bool) {
	if v, ok := r.Summary.Value(c.Task, c.Metric); ok {
		return v, true
	}
	leaves := r.leaves(c.Task, c.Leaves)
	if len(leaves) == 1 && leaves[0] == c.Task {
		return 0, false
	}
	var sum, n float64
	for _, l := range leaves {
		v, ok := r.Summary.Value(l, c.Metric)
		ns, okN := r.Summary.NSamples[l]
		if !ok || !okN || ns.Effective == 0 {
			return 0, false
		}
		sum += v * float64(ns.Effective)
		n += float64(ns.Effective)
	}
	return sum / n, true
}

// metricsOf lists the "metric,filter" keys of a task's row.
func (r *Run) metricsOf(task string) []string {
	row := r.Summary.Results[task]
	if row == nil {
		row = r.Summary.Groups[task]
	}
	var out []string
	for k, v := range row {
		if _, isNum := v.(float64); !isNum || !strings.Contains(k, ",") || strings.Contains(k, "_stderr,") {
			continue
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// settings are the run-wide switches that change scores.
type settings struct {
	profile   string
	chat      *bool
	multiturn *bool
	system    *string
}

func (r *Run) settings() settings {
	var st settings
	s := r.Summary
	if s.Parity != nil {
		sw := s.Parity.Switches
		if p, ok := sw["profile"].(string); ok {
			st.profile = p
		}
		// --chat sends generations to /v1/chat/completions, where the server
		// applies the chat template: the same prompts as lm-eval's
		// --apply_chat_template.
		a, okA := sw["apply_chat_template"].(bool)
		c, okC := sw["chat"].(bool)
		if okA || okC {
			v := a || c
			st.chat = &v
		}
		if m, ok := sw["fewshot_as_multiturn"].(bool); ok {
			st.multiturn = &m
		}
		if si, ok := sw["system_instruction"].(string); ok {
			st.system = &si
		}
		return st
	}
	if s.ChatTemplate != nil {
		v := string(s.ChatTemplate) != "null"
		st.chat = &v
	}
	st.multiturn = s.FewshotAsMultiturn
	st.system = s.SystemInstruction
	return st
}

// versionString prints a task version so that parity's "1.0" and lm-eval's
// 1.0 (a JSON number) compare equal.
func versionString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return x
	}
	return fmt.Sprint(v)
}

func nshotString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
