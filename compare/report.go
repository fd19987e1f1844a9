package compare

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Score is a number of a report; NaN (no value) is written as JSON null.
type Score float64

// MarshalJSON writes NaN and ±Inf as null, which encoding/json refuses.
func (s Score) MarshalJSON() ([]byte, error) {
	f := float64(s)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads null as NaN.
func (s *Score) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = Score(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	*s = Score(f)
	return err
}

// Valid reports whether s holds a number.
func (s Score) Valid() bool { return !math.IsNaN(float64(s)) && !math.IsInf(float64(s), 0) }

// Report is the comparison of candidates with a baseline: one table per
// suite, in the paper's layout, and per candidate the paired analysis.
type Report struct {
	Baseline string  `json:"baseline"`
	Inputs   []Input `json:"inputs"`
	Tables   []Table `json:"tables"`
	// Mismatches are what makes the inputs not comparable; a Report has
	// them only when Options.AllowMismatch let the comparison go ahead.
	Mismatches []Mismatch `json:"mismatches,omitempty"`
	Notes      []string   `json:"notes,omitempty"`
	Alpha      float64    `json:"alpha"`
	Resamples  int        `json:"resamples"`
	Seed       int64      `json:"seed"`
}

// Input is one compared results file.
type Input struct {
	Label string `json:"label"`
	Path  string `json:"path"`
	Kind  string `json:"kind"`
}

// Table is one suite's comparison.
type Table struct {
	Suite      string        `json:"suite"`
	Title      string        `json:"title"`
	Normalised bool          `json:"normalised"`
	Columns    []TableColumn `json:"columns"`
	// Missing are the suite's columns the baseline has no scores for.
	Missing []string `json:"missing,omitempty"`
	// Averaged are the IDs of the columns the average is taken over: those
	// every input has.
	Averaged    []string     `json:"averaged"`
	Rows        []Row        `json:"rows"`
	Comparisons []Comparison `json:"comparisons"`
	Notes       []string     `json:"notes,omitempty"`
}

// TableColumn says what a column shows.
type TableColumn struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Sources are the baseline's "task: metric" pairs behind the column.
	Sources []string `json:"sources"`
}

// Row is one input's line of a table.
type Row struct {
	Label    string  `json:"label"`
	Baseline bool    `json:"baseline,omitempty"`
	Scores   []Score `json:"scores"`
	Average  Score   `json:"average"`
	// Recovery is Average / the baseline's Average × 100.
	Recovery     Score   `json:"recovery"`
	TaskRecovery []Score `json:"task_recovery"`
}

// Comparison is one candidate against the baseline within a table.
type Comparison struct {
	Candidate string `json:"candidate"`
	Columns   []Diff `json:"columns"`
	Average   Diff   `json:"average"`
}

// Diff is one column (or the average) of a comparison.
type Diff struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Baseline  Score  `json:"baseline"`
	Candidate Score  `json:"candidate"`
	// Delta is Candidate − Baseline, in table points.
	Delta    Score `json:"delta"`
	Recovery Score `json:"recovery"`
	// Paired is true when both sides' samples were matched per document.
	Paired bool `json:"paired"`
	Docs   int  `json:"docs,omitempty"`
	// RightToWrong and WrongToRight count the documents whose binary score
	// flipped; nil without binary per-document scores on both sides.
	RightToWrong *int `json:"right_to_wrong,omitempty"`
	WrongToRight *int `json:"wrong_to_right,omitempty"`
	// Test is "mcnemar" (a single binary metric), "bootstrap", or "" (no
	// paired data); P is its two-sided p-value.
	Test       string   `json:"test,omitempty"`
	P          Score    `json:"p"`
	DeltaCI    [2]Score `json:"delta_ci"`
	RecoveryCI [2]Score `json:"recovery_ci"`
	// Significant is P < alpha; WithinNoise is a tested difference that is
	// not significant (printed "~", as benchstat does).
	Significant bool `json:"significant"`
	WithinNoise bool `json:"within_noise"`
}

// Mismatch is one way in which a candidate differs from the baseline in a
// setting that changes scores.
type Mismatch struct {
	Input     string `json:"input"`
	Task      string `json:"task,omitempty"`
	What      string `json:"what"`
	Baseline  string `json:"baseline"`
	Candidate string `json:"candidate"`
}

func (m Mismatch) String() string {
	where := "run"
	if m.Task != "" {
		where = m.Task
	}
	return fmt.Sprintf("%s: %s: %s: baseline %s, candidate %s", m.Input, where, m.What, m.Baseline, m.Candidate)
}

// MismatchError is Compare's refusal to compare runs that are not
// comparable.
type MismatchError struct {
	Mismatches []Mismatch
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	b.WriteString("the runs are not comparable:")
	for _, m := range e.Mismatches {
		b.WriteString("\n  " + m.String())
	}
	b.WriteString("\n(--allow-mismatch compares them anyway and lists these differences)")
	return b.String()
}
