package scoring

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gsm8kSources is the order of the per-source lists in gsm8k_golden.jsonl.
var gsm8kSources = []string{"gold", "6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"}

type gsm8kGoldenRow struct {
	Row       int       `json:"row"`
	GoldNorm  string    `json:"gold_norm"`
	StrictRaw []string  `json:"strict_raw"`
	Strict    []string  `json:"strict"`
	Flex      []string  `json:"flex"`
	EMStrict  []float64 `json:"em_strict"`
	EMFlex    []float64 `json:"em_flex"`
}

type gsm8kSolution struct {
	IsCorrect bool   `json:"is_correct"`
	Solution  string `json:"solution"`
}

// gsm8kTexts holds, per test row, the gold answer and the four model
// solutions in gsm8kSources order, plus the solutions' correctness flags.
type gsm8kTexts struct {
	texts [][]string
	flags [][]bool
}

func loadGSM8K(t testing.TB) gsm8kTexts {
	t.Helper()
	data := sharedData(t)
	test := readJSONL[struct{ Answer string }](t, filepath.Join(data, "gsm8k", "test.jsonl"))
	sols := readJSONL[map[string]any](t, filepath.Join(data, "reference", "gsm8k", "example_model_solutions.jsonl"))
	if len(test) != 1319 || len(sols) != len(test) {
		t.Fatalf("gsm8k: %d test rows and %d solution rows, want 1319 each", len(test), len(sols))
	}
	var g gsm8kTexts
	for i := range test {
		texts := []string{test[i].Answer}
		var flags []bool
		for _, src := range gsm8kSources[1:] {
			s, ok := sols[i][src].(map[string]any)
			if !ok {
				t.Fatalf("solutions row %d: no %q object", i, src)
			}
			texts = append(texts, s["solution"].(string))
			flags = append(flags, s["is_correct"].(bool))
		}
		g.texts = append(g.texts, texts)
		g.flags = append(g.flags, flags)
	}
	return g
}

// toHashes rewrites the solutions' final "A: n" line into test.jsonl's
// "#### n" form so that strict-match applies. On this file the same rewrite
// turns every ground_truth into the test.jsonl answer.
func toHashes(s string) string { return strings.ReplaceAll(s, "\nA: ", "\n#### ") }

// TestGSM8KRealData runs both GSM8K filters and exact_match on the 1319 gold
// answers and 5276 OpenAI model solutions, requiring Python's per-row results
// exactly, then measures how often exact_match agrees with OpenAI's own
// correctness flags.
func TestGSM8KRealData(t *testing.T) {
	g := loadGSM8K(t)
	golden := readJSONL[gsm8kGoldenRow](t, filepath.Join("testdata", "gsm8k_golden.jsonl"))
	if len(golden) != len(g.texts) {
		t.Fatalf("golden has %d rows, data %d", len(golden), len(g.texts))
	}
	strict := mustRegexFilter(t, gsm8kStrict, 0)
	flex := mustRegexFilter(t, gsm8kFlexible, -1)
	em, err := NewExactMatcher(ExactMatchOptions{IgnoreCase: true, RegexesToIgnore: []string{",", `\$`, "(?s).*#### ", `\.$`}})
	if err != nil {
		t.Fatal(err)
	}
	extract := func(f *RegexFilter, s string) string {
		v, err := f.Extract(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	score := func(p, r string) float64 {
		v, err := em.Score(p, r)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	var agreeStrict, agreeFlex, solutions int
	for i, texts := range g.texts {
		want := golden[i]
		gold := texts[0]
		got := gsm8kGoldenRow{Row: i}
		if got.GoldNorm, err = em.Normalize(gold); err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			s := extract(strict, toHashes(text))
			f := extract(flex, text)
			got.StrictRaw = append(got.StrictRaw, extract(strict, text))
			got.Strict = append(got.Strict, s)
			got.Flex = append(got.Flex, f)
			got.EMStrict = append(got.EMStrict, score(s, gold))
			got.EMFlex = append(got.EMFlex, score(f, gold))
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("test row %d (-python +go):\n%s", i, d)
		}
		for j, flag := range g.flags[i] {
			solutions++
			if (got.EMStrict[j+1] == 1) == flag {
				agreeStrict++
			}
			if (got.EMFlex[j+1] == 1) == flag {
				agreeFlex++
			}
		}
	}
	t.Logf("exact_match agrees with OpenAI's is_correct on %d/%d solutions (%.2f%%) with strict-match, %d/%d (%.2f%%) with flexible-extract",
		agreeStrict, solutions, 100*float64(agreeStrict)/float64(solutions),
		agreeFlex, solutions, 100*float64(agreeFlex)/float64(solutions))
	// The flag compares the number after "A: " with the gold number, which is
	// what strict-match plus exact_match computes; only formatting such as a
	// trailing unit may separate them.
	if agreeStrict < solutions*99/100 {
		t.Errorf("strict-match agreement %d/%d is below 99%%", agreeStrict, solutions)
	}
}

func BenchmarkGSM8KFilters(b *testing.B) {
	g := loadGSM8K(b)
	var raw, hashes []string
	for _, texts := range g.texts {
		for _, s := range texts[1:] {
			raw = append(raw, s)
			hashes = append(hashes, toHashes(s))
		}
	}
	for _, bc := range []struct {
		name, pattern string
		group         int
		inputs        []string
	}{
		{"strict", gsm8kStrict, 0, hashes},
		{"flexible", gsm8kFlexible, -1, raw},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f, err := NewRegexFilter(bc.pattern, bc.group, DefaultFallback)
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				if _, err := f.Extract(bc.inputs[i%len(bc.inputs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("exact_match", func(b *testing.B) {
		m, err := NewExactMatcher(ExactMatchOptions{IgnoreCase: true, RegexesToIgnore: []string{",", `\$`, "(?s).*#### ", `\.$`}})
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			texts := g.texts[i%len(g.texts)]
			if _, err := m.Score("1,234.", texts[0]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
