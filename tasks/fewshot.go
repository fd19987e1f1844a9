package tasks

import (
	"fmt"
	"strings"

	"github.com/parity-eval/parity/pyrandom"
)

// fewshot assembles the few-shot part of each context as lm-eval v0.4.5's
// ContextSampler.get_context does.
type fewshot struct {
	t      *Task
	rnd    *pyrandom.Random
	blocks []shotBlock // rendered shot per pool doc, filled on first use
}

type shotBlock struct {
	done bool
	text string
	err  error
}

func (t *Task) newFewshot() *fewshot {
	return &fewshot{t: t, rnd: pyrandom.New(t.seed), blocks: make([]shotBlock, len(t.pool))}
}

// drawCount is how many docs the sampler draws per eval doc: one extra when
// the config's fewshot_split equals its test_split, None == None included
// (the extra one replaces the eval doc itself if drawn).
func (t *Task) drawCount() int {
	if t.cfg.FewshotSplit == t.cfg.TestSplit {
		return t.numFewshot + 1
	}
	return t.numFewshot
}

// selectShots returns the pool indexes of the shots for doc d, consuming the
// random stream exactly as lm-eval does.
func (f *fewshot) selectShots(d *docContext) ([]int, error) {
	t := f.t
	n := t.drawCount()
	var drawn []int
	if t.cfg.Fewshot.Sampler == "first_n" {
		if n > len(t.pool) {
			return nil, fmt.Errorf("first_n: %d docs requested, %s has %d", n, t.poolName, len(t.pool))
		}
		drawn = make([]int, n)
		for i := range drawn {
			drawn[i] = i
		}
	} else {
		var err error
		if drawn, err = f.rnd.Sample(len(t.pool), n); err != nil {
			return nil, fmt.Errorf("sampling %d of %d docs of %s: %w", n, len(t.pool), t.poolName, err)
		}
	}
	// v0.4.5 drops any drawn doc equal to the eval doc, whatever the splits.
	shots := make([]int, 0, t.numFewshot)
	for _, i := range drawn {
		if len(shots) == t.numFewshot {
			break
		}
		if pyEqual(t.pool[i].doc, d.doc) {
			continue
		}
		shots = append(shots, i)
	}
	return shots, nil
}

// context returns the labeled examples for doc d and the pool indexes used.
func (f *fewshot) context(d *docContext) (string, []int, error) {
	shots, err := f.selectShots(d)
	if err != nil {
		return "", nil, err
	}
	blocks := make([]string, len(shots))
	size := 0
	for j, i := range shots {
		if blocks[j], err = f.block(i); err != nil {
			return "", nil, err
		}
		size += len(blocks[j])
	}
	var b strings.Builder
	b.Grow(size)
	for _, s := range blocks {
		b.WriteString(s)
	}
	return b.String(), shots, nil
}

// block renders pool doc i as "text TD target FD" (an empty target leaves
// out TD, target and FD).
func (f *fewshot) block(i int) (string, error) {
	bl := &f.blocks[i]
	if !bl.done {
		bl.text, bl.err = f.render(i)
		bl.done = true
	}
	return bl.text, bl.err
}

func (f *fewshot) render(i int) (string, error) {
	t := f.t
	cfg := t.cfg
	d := t.pool[i]
	textField, targetField, choiceField := cfg.DocToText, cfg.DocToTarget, cfg.DocToChoice
	if cfg.Fewshot.DocToText != nil {
		textField = cfg.Fewshot.DocToText
	}
	if cfg.Fewshot.DocToTarget != nil {
		targetField = cfg.Fewshot.DocToTarget
	}
	if cfg.Fewshot.DocToChoice != nil {
		choiceField = cfg.Fewshot.DocToChoice
	}
	var choices []string
	getChoices := func() ([]string, error) {
		if choices != nil {
			return choices, nil
		}
		if choiceField == nil {
			return nil, fmt.Errorf("no doc_to_choice")
		}
		var err error
		choices, err = t.res.choice(choiceField, d)
		return choices, err
	}

	text, err := t.res.text(textField, d)
	if err != nil {
		return "", t.docErrorIn(t.poolRef, i, "few-shot doc_to_text", err)
	}
	target, err := t.res.target(targetField, d)
	if err != nil {
		return "", t.docErrorIn(t.poolRef, i, "few-shot doc_to_target", err)
	}
	var b strings.Builder
	switch x := text.(type) {
	case string:
		b.WriteString(x)
	case int:
		if cfg.DocToChoice == nil {
			return "", t.docErrorIn(t.poolRef, i, "few-shot doc_to_text", fmt.Errorf("int %d without doc_to_choice", x))
		}
		cs, err := getChoices()
		if err != nil {
			return "", t.docErrorIn(t.poolRef, i, "few-shot doc_to_choice", err)
		}
		s, err := indexChoice(cs, x)
		if err != nil {
			return "", t.docErrorIn(t.poolRef, i, "few-shot doc_to_text", err)
		}
		b.WriteString(s)
	default:
		return "", t.docErrorIn(t.poolRef, i, "few-shot doc_to_text", fmt.Errorf("cannot append %s to the context", abbreviate(pyRepr(text))))
	}
	if s, isStr := target.(string); isStr && s == "" {
		return b.String(), nil
	}
	a, err := targetString(target, cfg.DocToChoice != nil, getChoices)
	if err != nil {
		return "", t.docErrorIn(t.poolRef, i, "few-shot doc_to_target", err)
	}
	b.WriteString(cfg.TargetDelimiter)
	b.WriteString(a)
	b.WriteString(cfg.FewshotDelimiter)
	return b.String(), nil
}
