package datasets

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors a caller may branch on with errors.Is. They are wrapped
// inside *Error, which says which dataset and file they concern.
var (
	// ErrNotFound: the dataset, config or split does not exist (Hub 404, or
	// nothing in the mirror and cache while offline).
	ErrNotFound = errors.New("not found")
	// ErrGated: the Hub refused access (401/403); a token is needed or the
	// token lacks access to the dataset.
	ErrGated = errors.New("gated dataset: set HF_TOKEN")
	// ErrOffline: the split is not cached and the loader may not download.
	ErrOffline = errors.New("offline")
)

// Error is the error type of this package. It names the dataset split and,
// when one is involved, the file.
type Error struct {
	Dataset string // Hub repo id or a local name; may be empty for LoadFile
	Config  string
	Split   string
	File    string // local path or URL; empty when no single file is at fault
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("datasets: ")
	if id := e.splitID(); id != "" {
		b.WriteString(id)
		b.WriteString(": ")
	}
	if e.File != "" {
		b.WriteString("file ")
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("unknown error")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// splitID renders "repo/config/split", leaving out the parts that are unknown.
func (e *Error) splitID() string {
	if e.Dataset == "" && e.Config == "" && e.Split == "" {
		return ""
	}
	parts := make([]string, 0, 3)
	for _, p := range []string{e.Dataset, e.Config, e.Split} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// ColumnError reports a row that lacks a column the caller needs.
type ColumnError struct {
	Row    int
	Column string
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("row %d: column %q missing", e.Row, e.Column)
}

// MissingColumn builds the error a consumer of Load's rows returns when row
// docID of ref has no column named column, e.g.
// `datasets: cais/mmlu/all/test: row 12: column "answer" missing`.
// Match it with errors.As and *ColumnError.
func MissingColumn(ref Ref, docID int, column string) error {
	return ref.errorf("", &ColumnError{Row: docID, Column: column})
}

// errorf wraps err in an *Error for ref (and file, when set).
func (r Ref) errorf(file string, err error) *Error {
	e := &Error{Dataset: r.Path, Config: r.Config, Split: r.Split, File: file, Err: err}
	if r.Path != "" {
		e.Config = r.config()
	}
	return e
}

// config returns the config name with "" spelled as the Hub spells it.
func (r Ref) config() string {
	if r.Config == "" {
		return "default"
	}
	return r.Config
}
