package runner

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ProgressPrinter renders Progress snapshots: a live bar redrawn in place on
// a terminal, or a plain line every Interval otherwise (logs, CI).
type ProgressPrinter struct {
	W        io.Writer
	Terminal bool
	Interval time.Duration
	Label    string

	mu       sync.Mutex
	last     time.Time
	lastDone int
}

// Print is a runner.Options.Progress function.
func (p *ProgressPrinter) Print(pr Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	interval := p.Interval
	if interval == 0 {
		interval = 10 * time.Second
		if p.Terminal {
			interval = 100 * time.Millisecond
		}
	}
	if !pr.Final && now.Sub(p.last) < interval {
		return
	}
	if !p.Terminal && !pr.Final && pr.Done == p.lastDone && !p.last.IsZero() {
		return
	}
	p.last, p.lastDone = now, pr.Done
	line := FormatProgress(p.Label, pr)
	if p.Terminal {
		const width = 24
		filled := 0
		if pr.Total > 0 {
			filled = width * pr.Done / pr.Total
		}
		bar := "[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "] "
		fmt.Fprintf(p.W, "\r\x1b[K%s%s", bar, line)
		if pr.Final {
			fmt.Fprintln(p.W)
		}
		return
	}
	fmt.Fprintln(p.W, line)
}

// FormatProgress is one human line: done/total, rate, ETA.
func FormatProgress(label string, pr Progress) string {
	var b strings.Builder
	if label != "" {
		b.WriteString(label)
		b.WriteString(": ")
	}
	pct := 100.0
	if pr.Total > 0 {
		pct = 100 * float64(pr.Done) / float64(pr.Total)
	}
	fmt.Fprintf(&b, "requests %d/%d (%.1f%%)", pr.Done, pr.Total, pct)
	if pr.Cached > 0 {
		fmt.Fprintf(&b, ", %d from cache", pr.Cached)
	}
	if pr.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", pr.Failed)
	}
	live := pr.Done - pr.Cached
	secs := pr.Elapsed.Seconds()
	if live > 0 && secs > 0 {
		rate := float64(live) / secs
		fmt.Fprintf(&b, ", %.1f req/s", rate)
		if left := pr.Total - pr.Done; left > 0 && !pr.Final {
			eta := time.Duration(float64(left) / rate * float64(time.Second)).Round(time.Second)
			fmt.Fprintf(&b, ", ETA %s", eta)
		}
	}
	fmt.Fprintf(&b, ", elapsed %s", pr.Elapsed.Round(100*time.Millisecond))
	return b.String()
}
