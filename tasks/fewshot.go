package tasks

import (
	"fmt"

	"github.com/parity-eval/parity/pyrandom"
)

// fewshot picks the labeled examples of each doc as lm-eval v0.4.5's
// ContextSampler does and renders each pool doc once.
type fewshot struct {
	t      *Task
	rnd    *pyrandom.Random
	blocks []shotBlock // rendered shot per pool doc, filled on first use
}

type shotBlock struct {
	done bool
	shot shot
	err  error
}

// shot is one labeled example: the question as the prompt shows it and its
// answer (hasAnswer is false for an empty target, which lm-eval writes as the
// question alone).
type shot struct {
	text      string
	answer    string
	hasAnswer bool
	// prefix is the task's gen_prefix rendered for this shot ("" if none).
	prefix string
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

// shots returns the labeled examples for doc d and the pool indexes used.
func (f *fewshot) shots(d *docContext) ([]shot, []int, error) {
	idx, err := f.selectShots(d)
	if err != nil {
		return nil, nil, err
	}
	out := make([]shot, len(idx))
	for j, i := range idx {
		if out[j], err = f.shot(i); err != nil {
			return nil, nil, err
		}
	}
	return out, idx, nil
}

func (f *fewshot) shot(i int) (shot, error) {
	bl := &f.blocks[i]
	if !bl.done {
		bl.shot, bl.err = f.render(i)
		bl.done = true
	}
	return bl.shot, bl.err
}

// render resolves pool doc i with fewshot_config's doc_to_* overrides (else
// the task's), as samplers.get_context does.
func (f *fewshot) render(i int) (shot, error) {
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

	var s shot
	text, err := t.res.text(textField, d)
	if err != nil {
		return s, t.docErrorIn(t.poolRef, i, "few-shot doc_to_text", err)
	}
	target, err := t.res.target(targetField, d)
	if err != nil {
		return s, t.docErrorIn(t.poolRef, i, "few-shot doc_to_target", err)
	}
	switch x := text.(type) {
	case string:
		s.text = x
	case int:
		if cfg.DocToChoice == nil {
			return s, t.docErrorIn(t.poolRef, i, "few-shot doc_to_text", fmt.Errorf("int %d without doc_to_choice", x))
		}
		cs, err := getChoices()
		if err != nil {
			return s, t.docErrorIn(t.poolRef, i, "few-shot doc_to_choice", err)
		}
		if s.text, err = indexChoice(cs, x); err != nil {
			return s, t.docErrorIn(t.poolRef, i, "few-shot doc_to_text", err)
		}
	default:
		return s, t.docErrorIn(t.poolRef, i, "few-shot doc_to_text", fmt.Errorf("cannot append %s to the context", abbreviate(pyRepr(text))))
	}
	if cfg.GenPrefix != nil {
		if s.prefix, err = t.res.render(cfg.GenPrefix, d); err != nil {
			return s, t.docErrorIn(t.poolRef, i, "few-shot gen_prefix", err)
		}
	}
	if str, isStr := target.(string); isStr && str == "" {
		return s, nil
	}
	if s.answer, err = targetString(target, cfg.DocToChoice != nil, getChoices); err != nil {
		return s, t.docErrorIn(t.poolRef, i, "few-shot doc_to_target", err)
	}
	s.hasAnswer = true
	return s, nil
}
