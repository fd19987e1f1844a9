package ifeval

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type checkerGolden struct {
	Responses    []string `json:"responses"`
	Instructions []struct {
		ID     string         `json:"id"`
		Kwargs map[string]any `json:"kwargs"`
		Strict string         `json:"strict"`
		Loose  string         `json:"loose"`
	} `json:"instructions"`
}

func bits(bs []bool) string {
	var b strings.Builder
	for _, x := range bs {
		if x {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// TestCheckersMatchHarness runs every instruction on the hand-written
// responses of testdata/checker_golden.json and on the 600 random ones of
// checker_random_golden.json, whose verdicts come from
// lm-evaluation-harness's own ifeval code (see gen_checker_golden.py).
func TestCheckersMatchHarness(t *testing.T) {
	for _, f := range []string{"checker_golden.json", "checker_random_golden.json"} {
		t.Run(f, func(t *testing.T) { checkGolden(t, filepath.Join("testdata", f)) })
	}
}

func checkGolden(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g checkerGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, in := range g.Instructions {
		seen[in.ID] = true
		p, err := PromptFromDoc(map[string]any{"key": 1, "prompt": "", "instruction_id_list": []any{in.ID}, "kwargs": []any{in.Kwargs}})
		if err != nil {
			t.Fatal(err)
		}
		chk, err := NewChecker(p)
		if err != nil {
			t.Errorf("%s %v: %v", in.ID, in.Kwargs, err)
			continue
		}
		var strict, loose []bool
		for _, resp := range g.Responses {
			r, err := chk.Evaluate(resp)
			if err != nil {
				t.Fatalf("%s %v on %q: %v", in.ID, in.Kwargs, resp, err)
			}
			strict = append(strict, r.Strict[0])
			loose = append(loose, r.Loose[0])
		}
		for mode, pair := range map[string][2]string{"strict": {in.Strict, bits(strict)}, "loose": {in.Loose, bits(loose)}} {
			if pair[0] == pair[1] {
				continue
			}
			reported := 0
			for i := range pair[0] {
				if pair[0][i] != pair[1][i] && reported < 5 {
					reported++
					t.Errorf("%s %v %s on response %d %q: harness %c, parity %c", in.ID, in.Kwargs, mode, i, g.Responses[i], pair[0][i], pair[1][i])
				}
			}
		}
	}
	for _, id := range InstructionIDs() {
		if !seen[id] {
			t.Errorf("no golden cases for %s", id)
		}
	}
}
