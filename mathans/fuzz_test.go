package mathans

import (
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"Final Answer: The final answer is $5$. I hope it is correct.",
	`\boxed{\frac{\sqrt{3}}{2}}`, `\boxed 5$`, `\fbox{`, `}}\boxed}{x}`,
	`(-\infty,3]`, `\begin{pmatrix}1\\2\end{pmatrix}`, `6\frac{1}{4}`, `|x|`, `\sin^2x`,
	`((((((((((`, `^^^^`, `\sqrt[`, `5!!`, `\frac`, "frac\n", `1,000.5`, `\{1,2\}`,
}

// FuzzExtract: the extractors and the normaliser never panic, and what they
// return is consistent (a boxed string starts with its command).
func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if b, ok := LastBoxedOnlyString(s); ok {
			if !strings.HasPrefix(b, `\boxed`) && !strings.HasPrefix(b, `\fbox`) {
				t.Fatalf("LastBoxedOnlyString(%q) = %q", s, b)
			}
			RemoveBoxed(b)
		}
		u := UnnormalizedAnswer(s)
		NormalizeFinalAnswer(u)
		GoldAnswer(s)
		V3Prediction(s)
	})
}

// FuzzEquiv: equivalence never panics and is symmetric.
func FuzzEquiv(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "5")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if Equiv(a, b) != Equiv(b, a) {
			t.Fatalf("Equiv(%q, %q) is not symmetric", a, b)
		}
		for _, v := range []Version{V1, V2, V3} {
			Score(v, a, b, b)
		}
	})
}
