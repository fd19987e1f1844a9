package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenPrompts pins the exact requests of the first docs of each task
// setting. The files are written by parity (go test -update) and were checked
// by hand against the worked examples of tasks.md §2.2 and §2.6; the
// prompts' bytes are also checked independently by TestFewshotMatchesLMEval.
func TestGoldenPrompts(t *testing.T) {
	reg := registry(t)
	tests := []struct {
		file, request, task string
		numFewshot          *int
	}{
		{"arc_challenge_0shot.txt", "arc_challenge", "arc_challenge", nil},
		{"arc_challenge_25shot.txt", "arc_challenge", "arc_challenge", intp(25)},
		{"openllm_arc_challenge_25shot.txt", "openllm", "arc_challenge", nil},
		{"gsm8k_5shot.txt", "gsm8k", "gsm8k", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cfg := resolveOne(t, reg, tt.request, tt.task)
			task, err := Build(context.Background(), cfg, hub(t), BuildOptions{NumFewshot: tt.numFewshot, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			insts, err := task.Instances()
			if err != nil {
				t.Fatal(err)
			}
			writeOrCompare(t, filepath.Join("testdata", "golden", tt.file), []byte(renderInstances(task, insts)))
		})
	}
}

// renderInstances prints instances for review: the context verbatim between
// markers, everything else as JSON strings.
func renderInstances(task *Task, insts []Instance) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# task %s (group %q), version %s, %d-shot, seed %d\n", task.Name(), task.Config().Group, task.Version(), task.NumFewshot(), task.FewshotSeed())
	q := func(v any) string {
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		return strings.TrimSuffix(out.String(), "\n")
	}
	for _, in := range insts {
		fmt.Fprintf(&b, "\n=== doc %d\n", in.DocID)
		fmt.Fprintf(&b, "fewshot pool indexes: %s\n", q(in.Fewshot))
		fmt.Fprintf(&b, "target: %s\n", q(in.Target))
		ctx := ""
		if in.Generate != nil {
			ctx = in.Generate.Context
		} else {
			ctx = in.Loglikelihood[0].Context
			for i, r := range in.Loglikelihood {
				if r.Context != ctx {
					fmt.Fprintf(&b, "context %d differs: %s\n", i, q(r.Context))
				}
			}
			fmt.Fprintf(&b, "gold: %d\n", in.Gold)
			for i, r := range in.Loglikelihood {
				fmt.Fprintf(&b, "continuation %d: %s\n", i, q(r.Continuation))
			}
		}
		if g := in.Generate; g != nil {
			fmt.Fprintf(&b, "until: %s\nmax_tokens: %d\ntemperature: %v\n", q(g.Until), g.MaxTokens, g.Temperature)
		}
		fmt.Fprintf(&b, "context (%d bytes, ends %s):\n", len(ctx), q(ctx[max(0, len(ctx)-12):]))
		b.WriteString("<<<\n")
		b.WriteString(ctx)
		b.WriteString("\n>>>\n")
	}
	return b.String()
}
