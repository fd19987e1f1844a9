package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// Summary is what a results file holds that comparing two runs needs, read
// from parity's results.json or from any lm-evaluation-harness v0.4.x
// results_<date>.json. Read cannot take lm-eval's files: their "config" block
// has "batch_size": "auto" and float limits, and Python's json.dump writes
// NaN for a standard error it could not compute.
type Summary struct {
	Results       map[string]map[string]any `json:"results"`
	Groups        map[string]map[string]any `json:"groups"`
	GroupSubtasks map[string][]string       `json:"group_subtasks"`
	Configs       map[string]map[string]any `json:"configs"`
	Versions      map[string]any            `json:"versions"`
	NShot         map[string]any            `json:"n-shot"`
	NSamples      map[string]NSamples       `json:"n-samples"`
	Config        map[string]any            `json:"config"`
	ModelName     string                    `json:"model_name"`
	// ChatTemplate is lm-eval's top-level "chat_template": absent (nil)
	// before v0.4.3, JSON null when no chat template was applied, else the
	// template.
	ChatTemplate       json.RawMessage `json:"chat_template"`
	FewshotAsMultiturn *bool           `json:"fewshot_as_multiturn"`
	SystemInstruction  *string         `json:"system_instruction"`
	// Parity is parity's own block; nil for lm-eval's files.
	Parity *Parity `json:"parity"`
}

// ReadSummary loads a results file written by parity or lm-eval. NaN and
// ±Infinity, which Python writes as bare literals, read as null.
func ReadSummary(path string) (*Summary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(nullPythonSpecials(b), &s); err != nil {
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	if s.Results == nil {
		return nil, fmt.Errorf("results: %s: no \"results\" block: not a parity or lm-eval results file", path)
	}
	return &s, nil
}

// Value is the number stored under results.<task>.<key> (or groups.<task>),
// and whether there is one.
func (s *Summary) Value(task, key string) (float64, bool) {
	for _, m := range []map[string]map[string]any{s.Results, s.Groups} {
		if v, ok := m[task][key].(float64); ok {
			return v, true
		}
	}
	return 0, false
}

// nullPythonSpecials replaces the tokens NaN, Infinity and -Infinity outside
// JSON strings with null, keeping every other byte.
func nullPythonSpecials(b []byte) []byte {
	if !bytes.Contains(b, []byte("NaN")) && !bytes.Contains(b, []byte("Infinity")) {
		return b
	}
	out := make([]byte, 0, len(b))
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			out = append(out, c)
			switch c {
			case '\\':
				if i+1 < len(b) {
					i++
					out = append(out, b[i])
				}
			case '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
			out = append(out, c)
		case bytes.HasPrefix(b[i:], []byte("NaN")):
			out = append(out, "null"...)
			i += len("NaN") - 1
		case bytes.HasPrefix(b[i:], []byte("-Infinity")):
			out = append(out, "null"...)
			i += len("-Infinity") - 1
		case bytes.HasPrefix(b[i:], []byte("Infinity")):
			out = append(out, "null"...)
			i += len("Infinity") - 1
		default:
			out = append(out, c)
		}
	}
	return out
}
