// Package taskstest provides, for tests and benchmarks, the task data the
// shared Hub mirror lacks: HellaSwag, as invented rows in the Hub schema of
// Rowan/hellaswag (the real dataset could not be obtained), written as
// Hub-layout parquet files so the same loader path serves them.
package taskstest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

// HellaswagRows is the fixture: {"train": [...], "validation": [...]}, each
// row with the Hub's columns except ctx (ctx_a + " " + ctx_b). Its rows
// exercise lm-eval's preprocessing: [title] and other bracketed WikiHow
// artifacts, double spaces, str.capitalize lower-casing the rest of ctx_b,
// an empty ctx_b, surrounding whitespace, non-ASCII text.
//
//go:embed hellaswag_rows.json
var HellaswagRows []byte

// hellaswagRow is one row of Rowan/hellaswag as the Hub's parquet
// conversion stores it: every column optional, endings a LIST of strings.
type hellaswagRow struct {
	Ind           *int32   `parquet:"ind,optional"`
	ActivityLabel *string  `parquet:"activity_label,optional"`
	CtxA          *string  `parquet:"ctx_a,optional"`
	CtxB          *string  `parquet:"ctx_b,optional"`
	Ctx           *string  `parquet:"ctx,optional"`
	Endings       []string `parquet:"endings,optional,list"`
	SourceID      *string  `parquet:"source_id,optional"`
	Split         *string  `parquet:"split,optional"`
	SplitType     *string  `parquet:"split_type,optional"`
	Label         *string  `parquet:"label,optional"`
}

type hellaswagJSON struct {
	Ind           int32    `json:"ind"`
	ActivityLabel string   `json:"activity_label"`
	CtxA          string   `json:"ctx_a"`
	CtxB          string   `json:"ctx_b"`
	Endings       []string `json:"endings"`
	SourceID      string   `json:"source_id"`
	Split         string   `json:"split"`
	SplitType     string   `json:"split_type"`
	Label         string   `json:"label"`
}

// WriteHellaswag writes the fixture as
// DIR/Rowan/hellaswag/default/{train,validation}/0000.parquet.
func WriteHellaswag(dir string) error {
	var splits map[string]json.RawMessage
	if err := json.Unmarshal(HellaswagRows, &splits); err != nil {
		return fmt.Errorf("taskstest: hellaswag fixture: %w", err)
	}
	for _, split := range []string{"train", "validation"} {
		var rows []hellaswagJSON
		if err := json.Unmarshal(splits[split], &rows); err != nil {
			return fmt.Errorf("taskstest: hellaswag fixture %s: %w", split, err)
		}
		out := make([]hellaswagRow, len(rows))
		for i := range rows {
			r := &rows[i]
			ctx := r.CtxA + " " + r.CtxB
			out[i] = hellaswagRow{&r.Ind, &r.ActivityLabel, &r.CtxA, &r.CtxB, &ctx, r.Endings, &r.SourceID, &r.Split, &r.SplitType, &r.Label}
		}
		path := filepath.Join(dir, "Rowan", "hellaswag", "default", split, "0000.parquet")
		if err := writeParquet(path, out); err != nil {
			return fmt.Errorf("taskstest: %w", err)
		}
	}
	return nil
}

func writeParquet(path string, rows []hellaswagRow) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := parquet.NewGenericWriter[hellaswagRow](f)
	if _, err := w.Write(rows); err != nil {
		f.Close()
		return err
	}
	if err := w.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// MirrorWithHellaswag makes DIR a Hub-layout mirror holding everything in
// hubDir (linked, not copied) plus the HellaSwag fixture, and returns DIR.
func MirrorWithHellaswag(hubDir, dir string) (string, error) {
	entries, err := os.ReadDir(hubDir)
	if err != nil {
		return "", fmt.Errorf("taskstest: %w", err)
	}
	abs, err := filepath.Abs(hubDir)
	if err != nil {
		return "", fmt.Errorf("taskstest: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "Rowan" {
			continue
		}
		if err := os.Symlink(filepath.Join(abs, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return "", fmt.Errorf("taskstest: %w", err)
		}
	}
	return dir, WriteHellaswag(dir)
}
