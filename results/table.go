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
	_, err := io.WriteString(w, sb.String())
	return err
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
