package compare

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Formats are the output formats of Report.Write.
var Formats = []string{"text", "markdown", "csv", "json"}

// Write prints the report as "text" (aligned columns for a terminal),
// "markdown", "csv" (one line per input, table and column, for
// spreadsheets) or "json" (the Report itself).
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "text", "":
		return r.writeGrids(w, false)
	case "markdown", "md":
		return r.writeGrids(w, true)
	case "csv":
		return r.writeCSV(w)
	case "json":
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	return fmt.Errorf("compare: unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

const dash = "—"

func fmtScore(s Score) string {
	if !s.Valid() {
		return dash
	}
	return strconv.FormatFloat(float64(s), 'f', 2, 64)
}

func fmtDelta(s Score) string {
	if !s.Valid() {
		return dash
	}
	return fmt.Sprintf("%+.2f", float64(s))
}

func fmtP(s Score) string {
	switch {
	case !s.Valid():
		return dash
	case s < 0.001:
		return fmt.Sprintf("%.1e", float64(s))
	}
	return fmt.Sprintf("%.3f", float64(s))
}

func fmtInterval(ci [2]Score, f func(Score) string) string {
	if !ci[0].Valid() || !ci[1].Valid() {
		return dash
	}
	return "[" + f(ci[0]) + ", " + f(ci[1]) + "]"
}

func fmtCount(p *int) string {
	if p == nil {
		return dash
	}
	return strconv.Itoa(*p)
}

// grid is a table of cells; right marks right-aligned columns.
type grid struct {
	header []string
	right  []bool
	rows   [][]string
}

func (g *grid) write(w io.Writer, markdown bool) error {
	width := make([]int, len(g.header))
	for _, row := range append([][]string{g.header}, g.rows...) {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	pad := func(c string, i int) string {
		p := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
		if g.right[i] {
			return p + c
		}
		return c + p
	}
	var b strings.Builder
	line := func(cells []string) {
		if markdown {
			b.WriteString("|")
			for i, c := range cells {
				b.WriteString(" " + pad(strings.ReplaceAll(c, "|", `\|`), i) + " |")
			}
		} else {
			for i, c := range cells {
				if i > 0 {
					b.WriteString("  ")
				}
				b.WriteString(pad(c, i))
			}
		}
		b.WriteString("\n")
	}
	line(g.header)
	if markdown {
		b.WriteString("|")
		for i := range g.header {
			d := strings.Repeat("-", max(width[i], 3))
			if g.right[i] {
				d = d[:len(d)-1] + ":"
			}
			b.WriteString(" " + d + " |")
		}
		b.WriteString("\n")
	}
	for _, r := range g.rows {
		line(r)
	}
	// Text lines lose their trailing blanks; Markdown cells keep them.
	out := b.String()
	if !markdown {
		lines := strings.Split(out, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(l, " ")
		}
		out = strings.Join(lines, "\n")
	}
	_, err := io.WriteString(w, out)
	return err
}

func (r *Report) writeGrids(w io.Writer, markdown bool) error {
	var b strings.Builder
	heading := func(level int, s string) {
		if markdown {
			b.WriteString(strings.Repeat("#", level) + " " + s + "\n\n")
		} else {
			b.WriteString(s + "\n")
			if level <= 2 {
				b.WriteString(strings.Repeat("=", utf8.RuneCountInString(s)) + "\n")
			}
			b.WriteString("\n")
		}
	}
	flush := func(g *grid) error {
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		b.Reset()
		if err := g.write(w, markdown); err != nil {
			return err
		}
		b.WriteString("\n")
		return nil
	}
	bullets := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		b.WriteString(title + "\n\n")
		for _, n := range items {
			b.WriteString("- " + n + "\n")
		}
		b.WriteString("\n")
	}
	for _, t := range r.Tables {
		heading(2, fmt.Sprintf("%s [%s]", t.Title, t.Suite))
		g := &grid{header: []string{"Model", "Recovery %", "Average"}, right: []bool{false, true, true}}
		for _, c := range t.Columns {
			g.header = append(g.header, c.Title)
			g.right = append(g.right, true)
		}
		for _, row := range t.Rows {
			cells := []string{row.Label, fmtScore(row.Recovery), fmtScore(row.Average)}
			for _, s := range row.Scores {
				cells = append(cells, fmtScore(s))
			}
			g.rows = append(g.rows, cells)
		}
		if err := flush(g); err != nil {
			return err
		}
		if len(t.Rows) > 1 {
			heading(3, "Recovery % per task")
			g := &grid{header: []string{"Model"}, right: []bool{false}}
			for _, c := range t.Columns {
				g.header = append(g.header, c.Title)
				g.right = append(g.right, true)
			}
			for _, row := range t.Rows[1:] {
				cells := []string{row.Label}
				for _, s := range row.TaskRecovery {
					cells = append(cells, fmtScore(s))
				}
				g.rows = append(g.rows, cells)
			}
			if err := flush(g); err != nil {
				return err
			}
		}
		for _, c := range t.Comparisons {
			heading(3, fmt.Sprintf("%s vs %s", c.Candidate, r.Baseline))
			level := fmt.Sprintf("%g%%", 100*(1-r.Alpha))
			g := &grid{
				header: []string{"Task", "Baseline", "Candidate", "Δ", level + " CI Δ", "Recovery %", level + " CI recovery", "R→W", "W→R", "p", "test"},
				right:  []bool{false, true, true, true, false, true, false, true, true, true, false},
			}
			for _, d := range append(append([]Diff(nil), c.Columns...), c.Average) {
				delta := fmtDelta(d.Delta)
				if d.WithinNoise {
					delta += " ~"
				} else if d.Test != "" {
					delta += "  "
				}
				g.rows = append(g.rows, []string{
					d.Title, fmtScore(d.Baseline), fmtScore(d.Candidate), delta,
					fmtInterval(d.DeltaCI, fmtDelta), fmtScore(d.Recovery), fmtInterval(d.RecoveryCI, fmtScore),
					fmtCount(d.RightToWrong), fmtCount(d.WrongToRight), fmtP(d.P), d.Test,
				})
			}
			if err := flush(g); err != nil {
				return err
			}
			b.WriteString(pairingLegend(c, r) + "\n\n")
		}
		bullets("Notes:", t.Notes)
	}
	var mm []string
	for _, m := range r.Mismatches {
		mm = append(mm, m.String())
	}
	bullets("Compared despite these differences (--allow-mismatch):", mm)
	bullets("Inputs:", r.inputLines())
	bullets("Notes:", r.Notes)
	_, err := io.WriteString(w, strings.TrimRight(b.String(), "\n")+"\n")
	return err
}

func (r *Report) inputLines() []string {
	var out []string
	for i, in := range r.Inputs {
		role := "candidate"
		if i == 0 {
			role = "baseline"
		}
		out = append(out, fmt.Sprintf("%s (%s): %s (%s)", in.Label, role, in.Path, in.Kind))
	}
	return out
}

func pairingLegend(c Comparison, r *Report) string {
	paired := 0
	for _, d := range c.Columns {
		if d.Paired {
			paired++
		}
	}
	if paired == 0 {
		return "No per-document samples on both sides: no flips, test or interval."
	}
	s := fmt.Sprintf("Paired per document on %d of %d columns", paired, len(c.Columns))
	if r.Resamples > 0 {
		s += fmt.Sprintf("; percentile intervals from a stratified paired bootstrap (%d resamples, seed %d)", r.Resamples, r.Seed)
	}
	s += fmt.Sprintf("; p from the exact McNemar test (single binary metric) or the bootstrap; ~ marks a difference within noise (p ≥ %g).", r.Alpha)
	return s
}

func csvNum(s Score) string {
	if !s.Valid() {
		return ""
	}
	return strconv.FormatFloat(float64(s), 'f', -1, 64)
}

func (r *Report) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"suite", "model", "role", "column", "title", "score", "baseline_score", "delta", "recovery",
		"paired", "docs", "right_to_wrong", "wrong_to_right", "test", "p", "delta_lo", "delta_hi", "recovery_lo", "recovery_hi", "within_noise"})
	count := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	for _, t := range r.Tables {
		base := t.Rows[0]
		for ci, c := range t.Columns {
			cw.Write([]string{t.Suite, base.Label, "baseline", c.ID, c.Title, csvNum(base.Scores[ci]), csvNum(base.Scores[ci]), "0", csvNum(100),
				"", "", "", "", "", "", "", "", "", "", ""})
		}
		cw.Write([]string{t.Suite, base.Label, "baseline", "average", "Average", csvNum(base.Average), csvNum(base.Average), "0", csvNum(100),
			"", "", "", "", "", "", "", "", "", "", ""})
		for _, cmp := range t.Comparisons {
			for _, d := range append(append([]Diff(nil), cmp.Columns...), cmp.Average) {
				docs := ""
				if d.Paired {
					docs = strconv.Itoa(d.Docs)
				}
				cw.Write([]string{t.Suite, cmp.Candidate, "candidate", d.ID, d.Title, csvNum(d.Candidate), csvNum(d.Baseline), csvNum(d.Delta), csvNum(d.Recovery),
					strconv.FormatBool(d.Paired), docs, count(d.RightToWrong), count(d.WrongToRight), d.Test, csvNum(d.P),
					csvNum(d.DeltaCI[0]), csvNum(d.DeltaCI[1]), csvNum(d.RecoveryCI[0]), csvNum(d.RecoveryCI[1]), strconv.FormatBool(d.WithinNoise)})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
