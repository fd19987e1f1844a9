package tasks

import (
	"fmt"
	"strings"

	"github.com/parity-eval/parity/datasets"
	"github.com/parity-eval/parity/pyrandom"
)

// Go ports of the Python functions of lm-eval's Open LLM Leaderboard V2
// tasks (lm_eval/tasks/leaderboard, v0.4.5; tasks.md §4).

// docString reads a string column of a doc.
func docString(doc datasets.Doc, col string) (string, error) {
	s, ok := doc[col].(string)
	if !ok {
		return "", fmt.Errorf("column %q is %T, want a string", col, doc[col])
	}
	return s, nil
}

// docList reads a list column of a doc.
func docList(doc datasets.Doc, col string) ([]any, error) {
	l, ok := asList(doc[col])
	if !ok {
		return nil, fmt.Errorf("column %q is %T, want a list", col, doc[col])
	}
	return l, nil
}

const asciiUppercase = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// mmluProText is leaderboard/mmlu_pro/utils.py doc_to_text: the question,
// one "L. option" line per option, then "Answer:".
func mmluProText(doc datasets.Doc) (any, error) {
	q, err := docString(doc, "question")
	if err != nil {
		return nil, err
	}
	opts, err := docList(doc, "options")
	if err != nil {
		return nil, err
	}
	if len(opts) > len(asciiUppercase) {
		return nil, fmt.Errorf("IndexError: %d options, more than the %d letters", len(opts), len(asciiUppercase))
	}
	var b strings.Builder
	b.WriteString(q)
	b.WriteByte('\n')
	for i, o := range opts {
		fmt.Fprintf(&b, "%c. %s\n", asciiUppercase[i], pyStr(o))
	}
	b.WriteString("Answer:")
	return b.String(), nil
}

// mmluProChoice is leaderboard/mmlu_pro/utils.py doc_to_choice: one letter
// per option.
func mmluProChoice(doc datasets.Doc) (any, error) {
	opts, err := docList(doc, "options")
	if err != nil {
		return nil, err
	}
	if len(opts) > len(asciiUppercase) {
		return nil, fmt.Errorf("IndexError: %d options, more than the %d letters", len(opts), len(asciiUppercase))
	}
	out := make([]string, len(opts))
	for i := range opts {
		out[i] = asciiUppercase[i : i+1]
	}
	return out, nil
}

// musrText is leaderboard/musr/utils.py doc_to_text: narrative, question,
// the numbered choices ("1 - choice"), then "Answer:".
func musrText(doc datasets.Doc) (any, error) {
	narrative, err := docString(doc, "narrative")
	if err != nil {
		return nil, err
	}
	question, err := docString(doc, "question")
	if err != nil {
		return nil, err
	}
	raw, err := docString(doc, "choices")
	if err != nil {
		return nil, err
	}
	v, err := pyLiteralEval(raw)
	if err != nil {
		return nil, err
	}
	choices, ok := asList(v)
	if !ok {
		return nil, fmt.Errorf("column \"choices\" holds %s, want a list literal", abbreviate(pyRepr(v)))
	}
	var b strings.Builder
	for i, c := range choices {
		fmt.Fprintf(&b, "%d - %s\n", i+1, pyStr(c))
	}
	return narrative + "\n\n" + question + "\n\n" + b.String() + "\n" + "Answer:", nil
}

// gpqaPreprocess is leaderboard/gpqa/utils.py preprocess (None → " ").
func gpqaPreprocess(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return " ", nil
	case pyNone:
		return " ", nil
	case string:
		return hellaswagPreprocess(t), nil
	}
	return "", fmt.Errorf("answer is %T, want a string or null", v)
}

// gpqaConfigOrder is the order in which a `lm_eval --tasks leaderboard_gpqa`
// run processes the configs (alphabetical task names), with each config's
// row count: parity's shuffle of a config first draws (and discards) the
// shuffles of the configs before it, so each task's permutation equals
// that of one shared random.Random(0) running through all three, and does
// not depend on which of them a run includes. A shuffle of four items
// consumes the generator independently of their contents.
var gpqaConfigOrder = []struct {
	name string
	rows int
}{{"diamond", 198}, {"extended", 546}, {"main", 448}}

// gpqaShuffleSeed seeds the shuffle: simple_evaluate's random.seed(0).
const gpqaShuffleSeed = 0

// gpqaProcessDocs returns leaderboard/gpqa/utils.py process_docs for one
// config: four preprocessed choices (three incorrect, then the correct one)
// shuffled, choice1..choice4 and answer "(X)" added to each row.
func gpqaProcessDocs(config string) ProcessDocsFunc {
	return func(docs []datasets.Doc) ([]datasets.Doc, error) {
		rng := pyrandom.New(gpqaShuffleSeed)
		found := false
		for _, c := range gpqaConfigOrder {
			if c.name == config {
				found = true
				break
			}
			for range c.rows {
				rng.Shuffle(4, func(int, int) {})
			}
		}
		if !found {
			return nil, fmt.Errorf("gpqa: unknown config %q", config)
		}
		out := make([]datasets.Doc, len(docs))
		for i, d := range docs {
			var choices [4]string
			cols := [4]string{"Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3", "Correct Answer"}
			for k, col := range cols {
				s, err := gpqaPreprocess(d[col])
				if err != nil {
					return nil, fmt.Errorf("row %d: column %q: %w", i, col, err)
				}
				choices[k] = s
			}
			correct := choices[3]
			rng.Shuffle(4, func(a, b int) { choices[a], choices[b] = choices[b], choices[a] })
			idx := 0
			for choices[idx] != correct { // list.index: the first equal choice
				idx++
			}
			nd := make(datasets.Doc, len(d)+5)
			for k, v := range d {
				nd[k] = v
			}
			for k := range choices {
				nd[fmt.Sprintf("choice%d", k+1)] = choices[k]
			}
			nd["answer"] = "(" + asciiUppercase[idx:idx+1] + ")"
			out[i] = nd
		}
		return out, nil
	}
}
