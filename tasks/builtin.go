package tasks

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/mathans"
	"github.com/parity-eval/parity/runner"
)

// ResultsFunc is a named Go replacement for an lm-eval process_results
// Python function: it turns one doc's loglikelihood results into metrics.
type ResultsFunc func(doc datasets.Doc, results []runner.LoglikelihoodResult) (map[string]float64, error)

// builtins are the Go ports of the lm-eval Python functions the built-in
// tasks.yaml names. A tasks file may name them without registering them in
// ParseOptions.Functions; functions registered there take precedence.
var goFuncs = struct {
	processDocs map[string]ProcessDocsFunc
	doc         map[string]DocFunc
	results     map[string]ResultsFunc
	genResults  map[string]GenResultsFunc
}{
	processDocs: map[string]ProcessDocsFunc{
		"hellaswag.process_docs":           hellaswagProcessDocs,
		"arc_challenge_llama.process_docs": arcLlamaProcessDocs,
		"leaderboard_math.process_docs":    mathHardProcessDocs,
		// tasks/leaderboard.go
		"leaderboard_gpqa.process_docs_diamond":  gpqaProcessDocs("diamond"),
		"leaderboard_gpqa.process_docs_extended": gpqaProcessDocs("extended"),
		"leaderboard_gpqa.process_docs_main":     gpqaProcessDocs("main"),
	},
	doc: map[string]DocFunc{
		"winogrande.doc_to_text":   winograndeText,
		"winogrande.doc_to_target": winograndeTarget,
		"winogrande.doc_to_choice": winograndeChoice,
		// tasks/leaderboard.go
		"mmlu_pro.doc_to_text":   mmluProText,
		"mmlu_pro.doc_to_choice": mmluProChoice,
		"musr.doc_to_text":       musrText,
	},
	results: map[string]ResultsFunc{
		"truthfulqa.process_results_mc2": truthfulqaMC2,
	},
	genResults: map[string]GenResultsFunc{
		"leaderboard_math.process_results":    mathHardResults(mathans.V2),
		"leaderboard_math.process_results_v1": mathHardResults(mathans.V1),
		"leaderboard_math.process_results_v3": mathHardResults(mathans.V3),
	},
}

// hellaswagBracket is lm-eval's re.sub("\\[.*?\\]", "", text): bracketed
// WikiHow artifacts (no newlines inside, as Python's "." does not match one).
var hellaswagBracket = regexp.MustCompile(`\[.*?\]`)

// hellaswagPreprocess is lm-eval's hellaswag/utils.py preprocess.
func hellaswagPreprocess(text string) string {
	text = pyStrip(text, nil, true, true)
	text = strings.ReplaceAll(text, " [title]", ". ")
	text = hellaswagBracket.ReplaceAllString(text, "")
	return strings.ReplaceAll(text, "  ", " ")
}

// hellaswagProcessDocs is lm-eval's hellaswag process_docs: dataset.map adds
// query, choices and gold to each row (the row's own columns stay).
func hellaswagProcessDocs(docs []datasets.Doc) ([]datasets.Doc, error) {
	out := make([]datasets.Doc, len(docs))
	for i, d := range docs {
		get := func(k string) (string, error) {
			s, ok := d[k].(string)
			if !ok {
				return "", fmt.Errorf("row %d: column %q is %T, want a string", i, k, d[k])
			}
			return s, nil
		}
		label, err := get("activity_label")
		if err != nil {
			return nil, err
		}
		ctxA, err := get("ctx_a")
		if err != nil {
			return nil, err
		}
		ctxB, err := get("ctx_b")
		if err != nil {
			return nil, err
		}
		endings, ok := asList(d["endings"])
		if !ok {
			return nil, fmt.Errorf("row %d: column \"endings\" is %T, want a list", i, d["endings"])
		}
		choices := make([]any, len(endings))
		for j, e := range endings {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("row %d: endings[%d] is %T, want a string", i, j, e)
			}
			choices[j] = hellaswagPreprocess(s)
		}
		ls, err := get("label")
		if err != nil {
			return nil, err
		}
		// int(doc["label"]) fails on the unlabeled test split, as in lm-eval.
		gold, err := pyIntString(ls)
		if err != nil {
			return nil, fmt.Errorf("row %d: int(label): %w", i, err)
		}
		nd := make(datasets.Doc, len(d)+3)
		for k, v := range d {
			nd[k] = v
		}
		nd["query"] = hellaswagPreprocess(label + ": " + ctxA + " " + pyCapitalize(ctxB))
		nd["choices"] = choices
		nd["gold"] = gold
		out[i] = nd
	}
	return out, nil
}

// pyIntString is Python's int(str) for the decimal strings datasets hold
// (surrounding whitespace and one sign allowed, underscores between digits).
func pyIntString(s string) (int, error) {
	t := pyStrip(s, nil, true, true)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	n := 0
	digits := 0
	for i, r := range t {
		if r == '_' && i > 0 && i < len(t)-1 && t[i-1] != '_' {
			continue
		}
		if !unicode.IsDigit(r) {
			return 0, fmt.Errorf("invalid literal for int() with base 10: %s", pyRepr(s))
		}
		n = n*10 + int(digitValue(r))
		digits++
	}
	if digits == 0 {
		return 0, fmt.Errorf("invalid literal for int() with base 10: %s", pyRepr(s))
	}
	if neg {
		n = -n
	}
	return n, nil
}

// digitValue is the decimal value of a Unicode Nd digit (they come in runs of
// ten starting at a code point whose value is 0).
func digitValue(r rune) rune {
	if r >= '0' && r <= '9' {
		return r - '0'
	}
	z := r
	for z > 0 && unicode.IsDigit(z-1) && r-z < 9 {
		z--
	}
	return r - z
}

// pyCapitalize is Python 3.8+ str.capitalize(): the first character in
// title case, the rest lower-cased (full Unicode mappings, as CPython).
func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	first := string(r)
	if r >= utf8.RuneSelf {
		first = cases.Title(language.Und, cases.NoLower).String(first)
	} else {
		first = strings.ToUpper(first)
	}
	return first + cases.Lower(language.Und).String(s[n:])
}

// winogrande functions: lm-eval's winogrande/preprocess_winogrande.py. The
// gold index is doc_to_text (a multiple-input task), each choice is the
// sentence up to the blank with an option filled in, and the target is the
// rest of the sentence after the blank.

func winograndeText(doc datasets.Doc) (any, error) {
	switch doc["answer"] {
	case "1":
		return 0, nil
	case "2":
		return 1, nil
	}
	return nil, fmt.Errorf("KeyError: answer %s is neither '1' nor '2'", pyRepr(doc["answer"]))
}

func winograndeBlank(doc datasets.Doc) (string, int, error) {
	s, ok := doc["sentence"].(string)
	if !ok {
		return "", 0, fmt.Errorf("column \"sentence\" is %T, want a string", doc["sentence"])
	}
	i := strings.Index(s, "_")
	if i < 0 {
		return "", 0, fmt.Errorf("ValueError: sentence %s has no blank \"_\"", abbreviate(pyRepr(s)))
	}
	return s, i, nil
}

func winograndeTarget(doc datasets.Doc) (any, error) {
	s, i, err := winograndeBlank(doc)
	if err != nil {
		return nil, err
	}
	return pyStrip(s[i+1:], nil, true, true), nil
}

func winograndeChoice(doc datasets.Doc) (any, error) {
	s, i, err := winograndeBlank(doc)
	if err != nil {
		return nil, err
	}
	out := make([]any, 2)
	for j, k := range []string{"option1", "option2"} {
		opt, ok := doc[k].(string)
		if !ok {
			return nil, fmt.Errorf("column %q is %T, want a string", k, doc[k])
		}
		out[j] = s[:i] + opt
	}
	return out, nil
}

// arcLlamaProcessDocs is lm-eval's llama3/instruct/arc_challenge
// process_docs: only rows with exactly four choices, relabelled A-D, with a
// numeric answerKey "1".."4" mapped to its letter.
func arcLlamaProcessDocs(docs []datasets.Doc) ([]datasets.Doc, error) {
	labels := []any{"A", "B", "C", "D"}
	var out []datasets.Doc
	for i, d := range docs {
		ch, ok := d["choices"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("row %d: column \"choices\" is %T, want a mapping", i, d["choices"])
		}
		lab, ok := asList(ch["label"])
		if !ok {
			return nil, fmt.Errorf("row %d: choices.label is %T, want a list", i, ch["label"])
		}
		if len(lab) != 4 {
			continue
		}
		key, ok := d["answerKey"].(string)
		if !ok {
			return nil, fmt.Errorf("row %d: answerKey is %T, want a string", i, d["answerKey"])
		}
		if key != "A" && key != "B" && key != "C" && key != "D" {
			n, err := pyIntString(key)
			if err != nil || n < 1 || n > 4 {
				return nil, fmt.Errorf("row %d: answerKey %s is neither A-D nor 1-4", i, pyRepr(key))
			}
			key = labels[n-1].(string)
		}
		nch := make(map[string]any, len(ch))
		for k, v := range ch {
			nch[k] = v
		}
		nch["label"] = append([]any(nil), labels...)
		// dataset.map keeps the other columns (id) and overwrites these.
		nd := make(datasets.Doc, len(d))
		for k, v := range d {
			nd[k] = v
		}
		nd["choices"] = nch
		nd["answerKey"] = key
		out = append(out, nd)
	}
	return out, nil
}

// truthfulqaMC2 is lm-eval's truthfulqa process_results_mc2: the
// probability mass of the true answers (those before the first label 0),
// normalised over all answers. It is computed with the largest
// log-likelihood factored out, which is the same number (to rounding) but
// does not turn into 0/0 = NaN when every answer's probability underflows,
// as NumPy's exp does below about -745.
func truthfulqaMC2(doc datasets.Doc, results []runner.LoglikelihoodResult) (map[string]float64, error) {
	mc2, ok := doc["mc2_targets"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("mc2_targets is %T, want a mapping", doc["mc2_targets"])
	}
	labels, ok := asList(mc2["labels"])
	if !ok {
		return nil, fmt.Errorf("mc2_targets.labels is %T, want a list", mc2["labels"])
	}
	split := -1
	for i, l := range labels {
		if n, ok := pyInt(l); ok && n == 0 {
			split = i
			break
		}
	}
	if split < 0 {
		return nil, fmt.Errorf("ValueError: 0 is not in mc2_targets.labels")
	}
	if len(results) != len(labels) {
		return nil, fmt.Errorf("%d results for %d mc2 choices", len(results), len(labels))
	}
	top := math.Inf(-1)
	for _, r := range results {
		top = math.Max(top, r.LogProb)
	}
	var pTrue, pAll float64
	for i, r := range results {
		p := math.Exp(r.LogProb - top)
		if i < split {
			pTrue += p
		}
		pAll += p
	}
	return map[string]float64{"acc": pTrue / pAll}, nil
}
