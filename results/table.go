package results

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// WriteTable prints the results as lm-eval's summary table (Markdown).
func WriteTable(w io.Writer, f *File) error {
	header := []string{"Tasks", "Version", "Filter", "n-shot", "Metric", "Value", "", "Stderr"}
	rows := [][]string{}
	tasks := make([]string, 0, len(f.Results))
	for t := range f.Results {
		tasks = append(tasks, t)
	}
	sort.Strings(tasks)
	for _, t := range tasks {
		res := f.Results[t]
		keys := make([]string, 0, len(res))
		for k := range res {
			if k == "alias" || strings.Contains(k, "_stderr,") || !strings.Contains(k, ",") {
				continue
			}
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			fi, fj := filterOf(keys[i]), filterOf(keys[j])
			if fi != fj {
				return fi < fj
			}
			return keys[i] < keys[j]
		})
		for n, k := range keys {
			metric, filter, _ := strings.Cut(k, ",")
			name, version, shots := "", "", ""
			if n == 0 {
				name = t
				if v, ok := f.Versions[t]; ok && v != nil {
					version = fmt.Sprint(v)
				}
				if n, ok := f.NShot[t]; ok {
					shots = fmt.Sprint(n)
				}
			}
			stderr := ""
			if se, ok := res[metric+"_stderr,"+filter]; ok {
				stderr = formatNumber(se)
			}
			rows = append(rows, []string{name, version, filter, shots, metric, formatNumber(res[k]), "±", stderr})
		}
	}
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	right := map[int]bool{1: true, 3: true, 5: true, 7: true}
	line := func(cells []string) string {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			b.WriteString("|")
		}
		return b.String()
	}
	var sb strings.Builder
	sb.WriteString(line(header) + "\n")
	sep := make([]string, len(header))
	for i := range sep {
		d := strings.Repeat("-", widths[i])
		if right[i] && widths[i] > 0 {
			d = d[:len(d)-1] + ":"
		}
		sep[i] = d
	}
	sb.WriteString(line(sep) + "\n")
	for _, r := range rows {
		sb.WriteString(line(r) + "\n")
	}
	writeLeaderboardV2(&sb, f)
	_, err := io.WriteString(w, sb.String())
	return err
}

// writeLeaderboardV2 appends the Open LLM Leaderboard V2 view (tasks.md
// §4.7) when the run has V2 tasks: each benchmark's raw score (0–1) and its
// normalised score (random baseline 0, perfect 100), and their average.
func writeLeaderboardV2(sb *strings.Builder, f *File) {
	v2 := f.Parity.LeaderboardV2
	if v2 == nil {
		v2 = f.LeaderboardV2()
	}
	if v2 == nil {
		return
	}
	fmt.Fprintf(sb, "\nOpen LLM Leaderboard V2 (normalised: random baseline 0, perfect 100)\n\n")
	fmt.Fprintf(sb, "|%-10s|%6s|%10s|\n|%s|%s:|%s:|\n", "Benchmark", "Raw", "Normalized", strings.Repeat("-", 10), strings.Repeat("-", 5), strings.Repeat("-", 9))
	for _, b := range v2.Benchmarks {
		fmt.Fprintf(sb, "|%-10s|%6.4f|%10.2f|\n", b.Name, b.Raw, b.Normalized)
	}
	if v2.Average != nil {
		fmt.Fprintf(sb, "|%-10s|%6s|%10.2f|\n", "Average", "", *v2.Average)
	} else {
		fmt.Fprintf(sb, "|%-10s|%6s|%10s|\n", "Average", "", "n/a")
		fmt.Fprintf(sb, "(no average: missing %s)\n", strings.Join(v2.Missing, ", "))
	}
}

func filterOf(key string) string {
	_, f, _ := strings.Cut(key, ",")
	return f
}

func formatNumber(v any) string {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) {
			return "N/A"
		}
		return fmt.Sprintf("%.4f", x)
	case nil:
		return "N/A"
	default:
		return fmt.Sprint(x)
	}
}
