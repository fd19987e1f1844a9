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

// Line is one rendered line of samples_<task>.jsonl (JSON without the
// newline) and the document it belongs to.
type Line struct {
	DocID int
	JSON  string
}

// SampleWriter appends sample lines to DIR/samples_<task>.jsonl as documents
// complete, and on Close rewrites the file in doc order.
type SampleWriter struct {
	mu    sync.Mutex
	path  string
	f     *os.File
	w     *bufio.Writer
	lines []Line
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
func (sw *SampleWriter) Add(lines []Line) error {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for _, l := range lines {
		sw.lines = append(sw.lines, l)
		sw.w.WriteString(l.JSON)
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
	sort.SliceStable(sw.lines, func(i, j int) bool { return sw.lines[i].DocID < sw.lines[j].DocID })
	var buf bytes.Buffer
	for _, l := range sw.lines {
		buf.WriteString(l.JSON)
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
