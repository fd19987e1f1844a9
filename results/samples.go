package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Sample is one line of samples_<task>.jsonl, as lm-eval's --log_samples
// writes it; metric values are added as top-level fields.
type Sample struct {
	DocID         int                `json:"doc_id"`
	Doc           any                `json:"doc"`
	Target        any                `json:"target"`
	Arguments     any                `json:"arguments"`
	Resps         any                `json:"resps"`
	FilteredResps any                `json:"filtered_resps"`
	Filter        string             `json:"filter"`
	Metrics       []string           `json:"metrics"`
	DocHash       string             `json:"doc_hash"`
	PromptHash    string             `json:"prompt_hash"`
	TargetHash    string             `json:"target_hash"`
	Error         string             `json:"error,omitempty"`
	Values        map[string]float64 `json:"-"`
}

// MarshalJSON puts the metric values beside the fixed fields.
func (s Sample) MarshalJSON() ([]byte, error) {
	type plain Sample
	b, err := json.Marshal(plain(s))
	if err != nil {
		return nil, err
	}
	if len(s.Values) == 0 {
		return b, nil
	}
	keys := make([]string, 0, len(s.Values))
	for k := range s.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(s.Values[k])
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", k, err)
		}
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// SampleWriter appends sample lines to DIR/samples_<task>.jsonl as documents
// complete, and on Close rewrites the file in doc order.
type SampleWriter struct {
	mu    sync.Mutex
	path  string
	f     *os.File
	w     *bufio.Writer
	lines []sampleLine
}

type sampleLine struct {
	docID  int
	filter string
	b      []byte
}

// SamplesPath is where a task's samples go.
func SamplesPath(dir, task string) string {
	return filepath.Join(dir, "samples_"+task+".jsonl")
}

// NewSampleWriter starts a fresh samples file for task in dir.
func NewSampleWriter(dir, task string) (*SampleWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	path := SamplesPath(dir, task)
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return &SampleWriter{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// Add appends the lines of one completed document.
func (sw *SampleWriter) Add(samples []Sample) error {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for _, s := range samples {
		b, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("results: sample %d of %s: %w", s.DocID, sw.path, err)
		}
		sw.lines = append(sw.lines, sampleLine{s.DocID, s.Filter, b})
		sw.w.Write(b)
		sw.w.WriteByte('\n')
	}
	// Flushed per document so that a killed run leaves whole lines behind.
	if err := sw.w.Flush(); err != nil {
		return fmt.Errorf("results: %s: %w", sw.path, err)
	}
	return nil
}

// Close rewrites the file sorted by doc id (then filter order of arrival) and
// closes it.
func (sw *SampleWriter) Close() error {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if err := sw.w.Flush(); err != nil {
		sw.f.Close()
		return err
	}
	if err := sw.f.Close(); err != nil {
		return err
	}
	sort.SliceStable(sw.lines, func(i, j int) bool { return sw.lines[i].docID < sw.lines[j].docID })
	var buf bytes.Buffer
	for _, l := range sw.lines {
		buf.Write(l.b)
		buf.WriteByte('\n')
	}
	return writeAtomic(sw.path, buf.Bytes())
}

// ReadSamples loads a samples file.
func ReadSamples(path string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	line := 0
	for sc.Scan() {
		line++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("results: %s:%d: %w", path, line, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	return out, nil
}
