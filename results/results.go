// Package results writes and reads evaluation results in
// lm-evaluation-harness's layout: results.json (results.<task>."metric,filter",
// configs, versions, n-shot, n-samples) with parity's own block beside it, and
// samples_<task>.jsonl with one line per document and filter, appended as
// documents complete.
package results

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/parity-eval/parity/scoring"
)

// File is results.json.
type File struct {
	Results        map[string]map[string]any  `json:"results"`
	Groups         map[string]map[string]any  `json:"groups,omitempty"`
	GroupSubtasks  map[string][]string        `json:"group_subtasks"`
	Configs        map[string]map[string]any  `json:"configs"`
	Versions       map[string]any             `json:"versions"`
	NShot          map[string]int             `json:"n-shot"`
	HigherIsBetter map[string]map[string]bool `json:"higher_is_better"`
	NSamples       map[string]NSamples        `json:"n-samples"`
	Config         RunConfig                  `json:"config"`
	Date           float64                    `json:"date"`
	ModelName      string                     `json:"model_name"`
	TotalTime      string                     `json:"total_evaluation_time_seconds"`
	Parity         Parity                     `json:"parity"`
}

// NSamples is lm-eval's count of documents before and after --limit.
type NSamples struct {
	Original  int `json:"original"`
	Effective int `json:"effective"`
}

// RunConfig mirrors lm-eval's top-level "config" block.
type RunConfig struct {
	Model      string   `json:"model"`
	ModelArgs  string   `json:"model_args"`
	BatchSize  int      `json:"batch_size"`
	Limit      *int     `json:"limit"`
	NumFewshot *int     `json:"num_fewshot"`
	Tasks      []string `json:"tasks"`
}

// Parity is parity's own block: what a reader needs to reproduce the run.
type Parity struct {
	Version    string         `json:"version"`
	Commit     string         `json:"commit,omitempty"`
	Model      string         `json:"model"`
	Server     string         `json:"server"`
	Switches   map[string]any `json:"switches"`
	Start      time.Time      `json:"start"`
	End        time.Time      `json:"end"`
	Requests   any            `json:"requests"`
	Datasets   map[string]any `json:"datasets,omitempty"`
	Incomplete bool           `json:"incomplete,omitempty"`
	// LeaderboardV2 is the Open LLM Leaderboard V2 normalisation of the
	// run's V2 tasks (raw and normalised per benchmark), when it has any.
	LeaderboardV2 *scoring.LeaderboardV2 `json:"leaderboard_v2,omitempty"`
}

// Write stores f as DIR/results.json atomically (a reader never sees half a
// file).
func Write(dir string, f *File) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return writeAtomic(filepath.Join(dir, "results.json"), append(b, '\n'))
}

// Read loads a results.json written by parity or lm-eval.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	return &f, nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("results: write %s: %w", path, err)
	}
	return nil
}

// Hash is lm-eval's hash_string: the hex SHA-256 of the UTF-8 bytes.
func Hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// LeaderboardV2 computes the Open LLM Leaderboard V2 view of f's results
// (nil when it has no V2 task), with the document counts of n-samples.
func (f *File) LeaderboardV2() *scoring.LeaderboardV2 {
	docs := make(map[string]int, len(f.NSamples))
	for t, n := range f.NSamples {
		docs[t] = n.Effective
	}
	return scoring.NormalizeLeaderboardV2(f.Results, docs)
}
