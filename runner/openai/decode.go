package openai

import (
	"errors"
	"fmt"
	"math"
)

// arrayRef locates an array of a response: the byte offsets where its
// elements start are starts[off : off+n].
type arrayRef struct {
	off, n  int32
	present bool
}

// llChoice is what a first pass over one choice of an echo response learns:
// its index and where the elements of its logprobs arrays start. Values are
// parsed later, only at the positions that scoring needs.
type llChoice struct {
	index      int
	hasIndex   bool
	lp, top    arrayRef // token_logprobs, top_logprobs
	offs, toks arrayRef // text_offset, tokens (text-offset mode only)
}

type usage struct {
	prompt, completion int
	present            bool
}

// completionDecoder decodes /v1/completions echo responses. It is reused
// from a pool so that decoding a response allocates nothing once warm.
type completionDecoder struct {
	sc          scanner
	wantOffsets bool // record text_offset
	wantTokens  bool // record tokens
	starts      []int32
	choices     []llChoice
	usage       usage
}

// decode runs the first pass over body, recording the arrays that scoring
// in mode reads. Errors are *SyntaxError for malformed JSON and plain errors
// for well-formed JSON of the wrong shape.
func (d *completionDecoder) decode(body []byte, mode llMode) error {
	if len(body) > math.MaxInt32 {
		return fmt.Errorf("response of %d bytes is too large", len(body))
	}
	d.sc = scanner{b: body}
	d.wantOffsets = mode == modeTextOffset
	d.wantTokens = mode != modeIDs
	d.starts = d.starts[:0]
	d.choices = d.choices[:0]
	d.usage = usage{}
	s := &d.sc
	if err := s.expect('{'); err != nil {
		return err
	}
	sawChoices := false
	for n := 0; ; n++ {
		key, more, err := s.member(n)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		switch string(key) {
		case "choices":
			sawChoices = true
			err = d.choicesArray()
		case "usage":
			d.usage, err = readUsage(s)
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
	if err := s.end(); err != nil {
		return err
	}
	if !sawChoices {
		return errors.New("response has no choices")
	}
	return nil
}

func (d *completionDecoder) choicesArray() error {
	s := &d.sc
	if err := s.expect('['); err != nil {
		return err
	}
	for n := 0; ; n++ {
		more, err := s.elem(n)
		if err != nil || !more {
			return err
		}
		c, err := d.choice()
		if err != nil {
			return fmt.Errorf("choices[%d]: %w", n, err)
		}
		d.choices = append(d.choices, c)
	}
}

func (d *completionDecoder) choice() (llChoice, error) {
	s := &d.sc
	var c llChoice
	if err := s.expect('{'); err != nil {
		return c, err
	}
	for n := 0; ; n++ {
		key, more, err := s.member(n)
		if err != nil || !more {
			return c, err
		}
		switch string(key) {
		case "index":
			c.index, err = s.integer()
			c.hasIndex = true
		case "logprobs":
			err = d.logprobs(&c)
		default:
			err = s.skip()
		}
		if err != nil {
			return c, err
		}
	}
}

func (d *completionDecoder) logprobs(c *llChoice) error {
	s := &d.sc
	if isNull, err := s.null(); isNull || err != nil {
		return err
	}
	if err := s.expect('{'); err != nil {
		return err
	}
	for n := 0; ; n++ {
		key, more, err := s.member(n)
		if err != nil || !more {
			return err
		}
		switch string(key) {
		case "token_logprobs":
			c.lp, err = d.record()
		case "top_logprobs":
			c.top, err = d.record()
		case "text_offset":
			if d.wantOffsets {
				c.offs, err = d.record()
			} else {
				err = s.skip()
			}
		case "tokens":
			if d.wantTokens {
				c.toks, err = d.record()
			} else {
				err = s.skip()
			}
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}

// record skips an array (or null), noting where each element starts.
func (d *completionDecoder) record() (arrayRef, error) {
	s := &d.sc
	if isNull, err := s.null(); isNull || err != nil {
		return arrayRef{}, err
	}
	if err := s.expect('['); err != nil {
		return arrayRef{}, err
	}
	ref := arrayRef{off: int32(len(d.starts)), present: true}
	for n := 0; ; n++ {
		more, err := s.elem(n)
		if err != nil {
			return ref, err
		}
		if !more {
			break
		}
		d.starts = append(d.starts, int32(s.i))
		if err := s.skipDepth(1); err != nil {
			return ref, err
		}
	}
	ref.n = int32(len(d.starts)) - ref.off
	return ref, nil
}

func readUsage(s *scanner) (usage, error) {
	var u usage
	if isNull, err := s.null(); isNull || err != nil {
		return u, err
	}
	if err := s.expect('{'); err != nil {
		return u, err
	}
	u.present = true
	for n := 0; ; n++ {
		key, more, err := s.member(n)
		if err != nil || !more {
			return u, err
		}
		switch string(key) {
		case "prompt_tokens":
			u.prompt, err = s.integer()
		case "completion_tokens":
			u.completion, err = s.integer()
		default:
			err = s.skip()
		}
		if err != nil {
			return u, err
		}
	}
}

// at returns a scanner positioned at the k-th element of ref.
func (d *completionDecoder) at(ref arrayRef, k int) scanner {
	return scanner{b: d.sc.b, i: int(d.starts[int(ref.off)+k])}
}

// logprobAt parses token_logprobs[k]; null comes back as isNull.
func (d *completionDecoder) logprobAt(c *llChoice, k int) (float64, bool, error) {
	s := d.at(c.lp, k)
	return s.float()
}

// topMaxAt returns the largest value of the top_logprobs[k] dict.
func (d *completionDecoder) topMaxAt(c *llChoice, k int) (m float64, isNull bool, err error) {
	s := d.at(c.top, k)
	if isNull, err := s.null(); isNull || err != nil {
		return 0, isNull, err
	}
	if err := s.expect('{'); err != nil {
		return 0, false, err
	}
	m = math.Inf(-1)
	for n := 0; ; n++ {
		_, _, more, err := s.memberRaw(n)
		if err != nil {
			return 0, false, err
		}
		if !more {
			if n == 0 {
				return 0, true, nil // an empty dict says no more than null
			}
			return m, false, nil
		}
		v, null, err := s.float()
		if err != nil {
			return 0, false, err
		}
		if !null && v > m {
			m = v
		}
	}
}

// offsetAt parses text_offset[k].
func (d *completionDecoder) offsetAt(c *llChoice, k int) (int, error) {
	s := d.at(c.offs, k)
	return s.integer()
}

// tokenIDPrefix starts each token of a response to
// return_tokens_as_token_ids.
const tokenIDPrefix = "token_id:"

// tokenIDAt parses tokens[k] written as "token_id:<id>"; any other token
// is errTokensNotIDs.
func (d *completionDecoder) tokenIDAt(c *llChoice, k int) (int32, error) {
	s := d.at(c.toks, k)
	raw, escaped, err := s.stringSpan()
	if err != nil {
		return 0, err
	}
	digits := raw[min(len(raw), len(tokenIDPrefix)):]
	if escaped || string(raw[:len(raw)-len(digits)]) != tokenIDPrefix || len(digits) == 0 || len(digits) > 10 {
		return 0, fmt.Errorf("%w: tokens[%d] is %s", errTokensNotIDs, k, quoteShort(string(raw)))
	}
	var id int64
	for _, b := range digits {
		if b < '0' || b > '9' {
			return 0, fmt.Errorf("%w: tokens[%d] is %s", errTokensNotIDs, k, quoteShort(string(raw)))
		}
		id = id*10 + int64(b-'0')
	}
	if id > math.MaxInt32 {
		return 0, fmt.Errorf("tokens[%d]: token id %d out of range", k, id)
	}
	return int32(id), nil
}

// tokenRunesAt is the length in code points of tokens[k], the unit vLLM's
// text_offset counts in (Python's len of the decoded token).
func (d *completionDecoder) tokenRunesAt(c *llChoice, k int) (int, error) {
	s := d.at(c.toks, k)
	raw, _, err := s.stringSpan()
	if err != nil {
		return 0, err
	}
	return runeLen(raw), nil
}

// score sums token_logprobs over positions [from, to) and checks that each
// token is the top choice at its position, as lm-eval does: the token's
// logprob is at least every value of top_logprobs there.
func (d *completionDecoder) score(c *llChoice, from, to int) (sum float64, greedy bool, err error) {
	greedy = true
	for p := from; p < to; p++ {
		lp, isNull, err := d.logprobAt(c, p)
		if err != nil {
			return 0, false, err
		}
		if isNull {
			return 0, false, fmt.Errorf("prompt position %d has no logprob (the first token of a prompt never does)", p)
		}
		if math.IsNaN(lp) {
			return 0, false, fmt.Errorf("prompt position %d has logprob NaN", p)
		}
		if !c.top.present {
			return 0, false, errors.New("response has no top_logprobs")
		}
		m, isNull, err := d.topMaxAt(c, p)
		if err != nil {
			return 0, false, err
		}
		if isNull {
			return 0, false, fmt.Errorf("prompt position %d has no top_logprobs", p)
		}
		if lp < m {
			greedy = false
		}
		sum += lp
	}
	return sum, greedy, nil
}

// genChoice is one choice of a generation response.
type genChoice struct {
	index    int
	hasIndex bool
	text     string
	hasText  bool
	finish   string
}

// decodeGeneration reads the choices and usage of a /v1/completions or (with
// chat) /v1/chat/completions response.
func decodeGeneration(body []byte, chat bool) ([]genChoice, usage, error) {
	s := &scanner{b: body}
	var (
		out        []genChoice
		u          usage
		sawChoices bool
	)
	if err := s.expect('{'); err != nil {
		return nil, u, err
	}
	for n := 0; ; n++ {
		key, more, err := s.member(n)
		if err != nil {
			return nil, u, err
		}
		if !more {
			break
		}
		switch string(key) {
		case "choices":
			sawChoices = true
			if err := s.expect('['); err != nil {
				return nil, u, err
			}
			for k := 0; ; k++ {
				more, err := s.elem(k)
				if err != nil {
					return nil, u, err
				}
				if !more {
					break
				}
				c, err := genChoiceAt(s, chat)
				if err != nil {
					return nil, u, fmt.Errorf("choices[%d]: %w", k, err)
				}
				out = append(out, c)
			}
		case "usage":
			u, err = readUsage(s)
		default:
			err = s.skip()
		}
		if err != nil {
			return nil, u, err
		}
	}
	if err := s.end(); err != nil {
		return nil, u, err
	}
	if !sawChoices {
		return nil, u, errors.New("response has no choices")
	}
	return out, u, nil
}

func genChoiceAt(s *scanner, chat bool) (genChoice, error) {
	var c genChoice
	if err := s.expect('{'); err != nil {
		return c, err
	}
	for n := 0; ; n++ {
		key, more, err := s.member(n)
		if err != nil || !more {
			return c, err
		}
		switch k := string(key); {
		case k == "index":
			c.index, err = s.integer()
			c.hasIndex = true
		case k == "finish_reason":
			var isNull bool
			if isNull, err = s.null(); !isNull && err == nil {
				c.finish, err = s.str()
			}
		case k == "text" && !chat:
			c.text, err = s.str()
			c.hasText = true
		case k == "message" && chat:
			c.text, c.hasText, err = messageContent(s)
		default:
			err = s.skip()
		}
		if err != nil {
			return c, err
		}
	}
}

// messageContent reads a chat message's content; null content (a refusal
// or a tool call) reads as empty text.
func messageContent(s *scanner) (text string, ok bool, err error) {
	if err := s.expect('{'); err != nil {
		return "", false, err
	}
	for n := 0; ; n++ {
		key, more, err := s.member(n)
		if err != nil || !more {
			return text, ok, err
		}
		if string(key) == "content" {
			ok = true
			var isNull bool
			if isNull, err = s.null(); !isNull && err == nil {
				text, err = s.str()
			}
		} else {
			err = s.skip()
		}
		if err != nil {
			return "", false, err
		}
	}
}
