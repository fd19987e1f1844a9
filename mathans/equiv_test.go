package mathans

import "testing"

// TestEquiv pins the equivalence rules on hand-made pairs (normalised
// answers, as Score passes them). sympy marks what lm-eval's is_equiv
// would answer where it is known (SymPy's LaTeX parser needs antlr4, which
// this machine lacks, so these are from SymPy's documented grammar, not
// from a run); "" where parity deliberately differs or it is unknown.
func TestEquiv(t *testing.T) {
	tests := []struct {
		a, b  string
		want  bool
		sympy string
	}{
		{`\frac{1}{2}`, `0.5`, true, "yes"},
		{`\frac{1}{2}`, `\dfrac{1}{2}`, true, "yes"},
		{`\tfrac{3}{4}`, `3/4`, true, "yes"},
		{`-\frac{2}{3}`, `\frac{-2}{3}`, true, "yes"},
		{`\frac{2}{3}`, `\frac{3}{2}`, false, "no"},
		{`2\sqrt{2}`, `\sqrt{8}`, true, "yes"},
		{`\sqrt[3]{27}`, `3`, true, "yes"},
		{`\frac{\sqrt{3}}{2}`, `\frac{1}{2}\sqrt{3}`, true, "yes"},
		{`\frac{\sqrt{3}}{3}`, `\frac{1}{\sqrt{3}}`, true, "yes"},
		{`3\pi`, `\pi\cdot3`, true, "yes"},
		{`2^{10}`, `1024`, true, "yes"},
		{`10^5`, `100000`, true, "yes"},
		{`3.2\times10^{5}`, `320000`, true, "yes"},
		{`5!`, `120`, true, "yes"},
		{`\binom{5}{2}`, `10`, true, "yes"},
		{`x^2+2x+1`, `(x+1)^2`, true, "yes"},
		{`x^2+2x+1`, `(x+1)^3`, false, "no"},
		{`2x`, `2y`, false, "no"},
		{`\frac{a}{b}`, `a/b`, true, "yes"},
		{`(2,5)`, `(2,5)`, true, "no: SymPy cannot parse a tuple"},
		{`[2,5)`, `[2,5)`, true, "no: SymPy cannot parse an interval"},
		{`[2,5)`, `[2,5]`, false, "no"},
		{`(1,-2)`, `(-2,1)`, false, "no"},
		{`\le(1,2\right)`, `(1,2)`, true, "no"},
		{`(-\infty,3]`, `(-\infty,3]`, true, "no"},
		{`(-\infty,3]`, `(-\infty,4]`, false, "no"},
		{`1,-2`, `-2,1`, true, "no: parity reads a bare list as a set"},
		{`1,2,3`, `1,2`, false, "no"},
		{`\{1,2\}`, `\{2,1\}`, true, ""},
		{`\begin{pmatrix}1\\2\end{pmatrix}`, `\begin{pmatrix}1\\2\end{pmatrix}`, true, ""},
		{`\begin{pmatrix}1\\2\end{pmatrix}`, `\begin{pmatrix}2\\1\end{pmatrix}`, false, "no"},
		{`50\%`, `50`, true, ""},
		{`12\text{cm}`, `12`, true, ""},
		{`6\frac{1}{4}`, `\frac{25}{4}`, true, "no: SymPy reads 6*(1/4)"},
		{`1000`, `1,000`, true, ""},
		{`1,000.5`, `1000.5`, true, ""},
		{`\alpha+1`, `1+\alpha`, true, "yes"},
		{`(C)`, `(C)`, true, "yes: a symbol"},
		{`A`, `B`, false, "no"},
		{`i`, `i`, true, "yes"},
		{`\sin^2x+\cos^2x`, `1`, true, "yes"},
		{`\ln(e^2)`, `2`, true, "yes"},
		{`|-3|`, `3`, true, "yes"},
		{`5\div2`, `2.5`, true, "yes"},
		{`\text{Devon}`, `\text{Devon}`, false, "no: text"},
		{`x\le5`, `x\le5`, false, "no: relation"},
		{``, ``, false, "no"},
		{`\frac{1}{0}`, `\frac{1}{0}`, true, "zoo-zoo is nan: no"},
		{`(`, `(`, false, "no"},
	}
	for _, tt := range tests {
		if got := Equiv(tt.a, tt.b); got != tt.want {
			t.Errorf("Equiv(%q, %q) = %v, want %v (sympy: %s)", tt.a, tt.b, got, tt.want, tt.sympy)
		}
		if got := Equiv(tt.b, tt.a); got != tt.want {
			t.Errorf("Equiv(%q, %q) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestScore(t *testing.T) {
	const sol = `So the answer is $\boxed{[2,5)}$.`
	gold := GoldAnswer(sol)
	tests := []struct {
		resp string
		v    Version
		want float64
	}{
		{"Final Answer: The final answer is $[2,5)$. I hope it is correct.", V2, 1},
		{"Final Answer: The final answer is $[2, 5)$. I hope it is correct.", V2, 1},
		{"Final Answer: The final answer is $[2,5]$. I hope it is correct.", V2, 0},
		{"The domain is $\\boxed{[2,5)}$.", V2, 0}, // no Minerva sentence: invalid
		{"The domain is $\\boxed{[2,5)}$.", V3, 1},
		{"so it is $[2,5)$", V3, 1},
		{"nothing", V3, 0},
		{"Final Answer: The final answer is $[2,5)$. I hope it is correct.", V1, 1},
		{"Final Answer: The final answer is $[2,5)$.", V2, 0},
	}
	for _, tt := range tests {
		if got := Score(tt.v, tt.resp, gold, sol); got != tt.want {
			t.Errorf("Score(v%d, %q) = %v, want %v", tt.v, tt.resp, got, tt.want)
		}
	}
	// v1 has no string shortcut: an identical answer it cannot subtract
	// (a relation, as for SymPy) scores 0; v2 matches the strings.
	relSol := `$\boxed{x\le5}$`
	const relResp = "Final Answer: The final answer is $x \\le 5$. I hope it is correct."
	if got := Score(V1, relResp, GoldAnswer(relSol), relSol); got != 0 {
		t.Errorf("v1 on an identical relation = %v, want 0", got)
	}
	if got := Score(V2, relResp, GoldAnswer(relSol), relSol); got != 1 {
		t.Errorf("v2 on an identical relation = %v, want 1", got)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{"1": V1, "v2": V2, "": V2, "V3": V3} {
		if got, err := ParseVersion(in); err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseVersion("4"); err == nil {
		t.Error("ParseVersion(4): no error")
	}
}
