package ifeval

import (
	"fmt"
	"strings"

	"github.com/parity-eval/parity/ifeval/internal/pystr"
)

// Checker holds one prompt's compiled instruction checks. It is safe for
// concurrent use.
type Checker struct {
	prompt Prompt
	checks []check
}

// NewChecker compiles the checks of p's instructions. It fails on an unknown
// instruction id, a missing or malformed argument, or an argument the
// instruction does not take.
func NewChecker(p Prompt) (*Checker, error) {
	c := &Checker{prompt: p}
	for i, in := range p.Instructions {
		build, ok := builders[in.ID]
		if !ok {
			return nil, fmt.Errorf("ifeval: prompt %d: instruction %d: unknown id %q", p.Key, i, in.ID)
		}
		a := newArgs(in)
		chk, err := build(a)
		if err == nil {
			err = a.done()
		}
		if err != nil {
			return nil, fmt.Errorf("ifeval: prompt %d: %w", p.Key, err)
		}
		c.checks = append(c.checks, chk)
	}
	return c, nil
}

// Prompt returns the prompt the checker was built for.
func (c *Checker) Prompt() Prompt { return c.prompt }

// Result is the verdict on one response: per instruction, strict and loose.
type Result struct {
	Strict []bool `json:"strict"`
	Loose  []bool `json:"loose"`
}

// PromptStrict is prompt_level_strict_acc for this response: every
// instruction followed.
func (r Result) PromptStrict() bool { return all(r.Strict) }

// PromptLoose is prompt_level_loose_acc for this response.
func (r Result) PromptLoose() bool { return all(r.Loose) }

func all(bs []bool) bool {
	for _, b := range bs {
		if !b {
			return false
		}
	}
	return true
}

// Evaluate checks resp against every instruction, as lm-eval's
// test_instruction_following_strict and _loose do. Strict: the response is
// not blank and the check passes on the raw response. Loose: the check
// passes on any non-blank one of eight variants — the response, and the
// response without its first line, its last line or both (stripped), each
// also with every "*" removed — tried in the reference's order.
func (c *Checker) Evaluate(resp string) (Result, error) {
	r := Result{Strict: make([]bool, len(c.checks)), Loose: make([]bool, len(c.checks))}
	variants := looseVariants(resp)
	for i, chk := range c.checks {
		ok, err := runCheck(chk, resp)
		if err != nil {
			return Result{}, c.errorf(i, err)
		}
		r.Strict[i] = ok
		for _, v := range variants {
			ok, err := runCheck(chk, v)
			if err != nil {
				return Result{}, c.errorf(i, err)
			}
			if ok {
				r.Loose[i] = true
				break
			}
		}
	}
	return r, nil
}

func (c *Checker) errorf(i int, err error) error {
	return fmt.Errorf("ifeval: prompt %d: instruction %s: %w", c.prompt.Key, c.prompt.Instructions[i].ID, err)
}

func runCheck(chk check, s string) (bool, error) {
	if pystr.Strip(s) == "" {
		return false, nil
	}
	return chk(s)
}

// looseVariants are the eight responses of the loose test, in order.
func looseVariants(resp string) []string {
	lines := strings.Split(resp, "\n")
	var first, last, both string
	if len(lines) > 1 {
		first = pystr.Strip(strings.Join(lines[1:], "\n"))
		last = pystr.Strip(strings.Join(lines[:len(lines)-1], "\n"))
	}
	if len(lines) > 2 {
		both = pystr.Strip(strings.Join(lines[1:len(lines)-1], "\n"))
	}
	noStar := func(s string) string { return strings.ReplaceAll(s, "*", "") }
	return []string{resp, noStar(resp), first, last, both, noStar(first), noStar(last), noStar(both)}
}

// Summary accumulates the four headline figures over many responses.
type Summary struct {
	Prompts, Instructions int
	// Followed counts.
	PromptStrict, PromptLoose, InstStrict, InstLoose int
}

// Add counts one response's result.
func (s *Summary) Add(r Result) {
	s.Prompts++
	s.Instructions += len(r.Strict)
	if r.PromptStrict() {
		s.PromptStrict++
	}
	if r.PromptLoose() {
		s.PromptLoose++
	}
	for i := range r.Strict {
		if r.Strict[i] {
			s.InstStrict++
		}
		if r.Loose[i] {
			s.InstLoose++
		}
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// PromptLevelStrictAcc is prompt_level_strict_acc: the share of prompts
// whose every instruction is followed.
func (s Summary) PromptLevelStrictAcc() float64 { return ratio(s.PromptStrict, s.Prompts) }

// InstLevelStrictAcc is inst_level_strict_acc: the share of all
// instructions followed (micro-averaged over prompts).
func (s Summary) InstLevelStrictAcc() float64 { return ratio(s.InstStrict, s.Instructions) }

// PromptLevelLooseAcc is prompt_level_loose_acc.
func (s Summary) PromptLevelLooseAcc() float64 { return ratio(s.PromptLoose, s.Prompts) }

// InstLevelLooseAcc is inst_level_loose_acc.
func (s Summary) InstLevelLooseAcc() float64 { return ratio(s.InstLoose, s.Instructions) }

// String prints the four figures with their counts.
func (s Summary) String() string {
	return fmt.Sprintf("prompt_level_strict_acc %.4f (%d/%d)  inst_level_strict_acc %.4f (%d/%d)  prompt_level_loose_acc %.4f (%d/%d)  inst_level_loose_acc %.4f (%d/%d)",
		s.PromptLevelStrictAcc(), s.PromptStrict, s.Prompts, s.InstLevelStrictAcc(), s.InstStrict, s.Instructions,
		s.PromptLevelLooseAcc(), s.PromptLoose, s.Prompts, s.InstLevelLooseAcc(), s.InstLoose, s.Instructions)
}
