package mathans

import (
	"fmt"
	"regexp"
	"strings"
)

// Version selects one of the historical scoring rules of the leaderboard
// MATH task (tasks.md §4.3.4).
type Version int

const (
	// V1 is lm-eval v0.4.3–v0.4.5: exact_match = is_equiv(model, gold) with
	// no string shortcut and no invalid check. lm-eval needs SymPy to parse
	// both sides, so identical answers SymPy cannot parse score 0; parity
	// uses Equiv, which fails on the same broad classes (text, malformed
	// LaTeX, relations) but also parses forms SymPy rejects (intervals,
	// tuples, bare lists, matrices), so v1 here is an approximation that
	// errs on the generous side for structured answers.
	V1 Version = 1
	// V2 is lm-eval v0.4.6–v0.4.8 (HEAD's exact_match_original): 0 for an
	// invalid answer, else 1 if the stripped strings are equal or Equiv
	// holds. This is parity's default.
	V2 Version = 2
	// V3 approximates lm-eval 2025+ (math_verify.verify on the raw gold
	// solution and raw response): the gold is the solution's last \boxed
	// answer, the prediction the response's last \boxed answer, else its
	// Minerva "Final Answer", else its last $…$ span; both are normalised
	// and compared as in V2. math_verify's own LaTeX parser and SymPy
	// simplification are not reproduced.
	V3 Version = 3
)

// ParseVersion reads "1", "2", "3", "v1"… as a Version.
func ParseVersion(s string) (Version, error) {
	switch strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "v") {
	case "1":
		return V1, nil
	case "2", "":
		return V2, nil
	case "3":
		return V3, nil
	}
	return 0, fmt.Errorf("mathans: unknown scoring version %q (want 1, 2 or 3)", s)
}

// Score is the task's process_results for one response: 1 when the
// response's final answer matches gold (the doc's normalised "answer")
// under version v, else 0. solution is the doc's full solution, which only
// V3 reads.
func Score(v Version, response, gold, solution string) float64 {
	switch v {
	case V1:
		return boolFloat(Equiv(NormalizeFinalAnswer(UnnormalizedAnswer(response)), gold))
	case V3:
		pred := V3Prediction(response)
		if pred == Invalid {
			return 0
		}
		g := GoldAnswer(solution)
		return boolFloat(pyStrip(pred) == pyStrip(g) || Equiv(pred, g))
	default:
		raw := UnnormalizedAnswer(response)
		if raw == Invalid {
			return 0
		}
		a := NormalizeFinalAnswer(raw)
		return boolFloat(pyStrip(a) == pyStrip(gold) || Equiv(a, gold))
	}
}

var lastMath = regexp.MustCompile(`\$([^$]+)\$`)

// V3Prediction is the normalised answer V3 takes from a response: the last
// \boxed{…}, else the Minerva final answer, else the last $…$ span, else
// Invalid.
func V3Prediction(response string) string {
	if b, ok := LastBoxedOnlyString(response); ok {
		if r, ok := RemoveBoxed(b); ok {
			return NormalizeFinalAnswer(r)
		}
	}
	if raw := UnnormalizedAnswer(response); raw != Invalid {
		return NormalizeFinalAnswer(raw)
	}
	if ms := lastMath.FindAllStringSubmatch(response, -1); len(ms) > 0 {
		return NormalizeFinalAnswer(ms[len(ms)-1][1])
	}
	return Invalid
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
