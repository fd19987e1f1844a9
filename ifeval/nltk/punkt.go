package nltk

import (
	"regexp"

	"github.com/parity-eval/parity/ifeval/internal/pystr"
)

// Punkt is a pre-trained Punkt sentence tokenizer (Kiss & Strunk 2006) as
// NLTK's PunktSentenceTokenizer applies it (NLTK 3.6.5 to 3.9.1 split
// identically): candidate breaks after . ? ! are judged from the words
// around them with the model's abbreviations, collocations, frequent
// sentence starters and orthographic contexts. Only tokenization is ported,
// not training. A Punkt is read-only and safe for concurrent use.
type Punkt struct {
	abbrev   map[string]bool
	colloc   map[[2]string]bool
	starters map[string]bool
	ortho    map[string]int
}

// Span is one sentence: the half-open range [Start, End) of code points
// (Python str indices, not bytes) in the text.
type Span struct{ Start, End int }

// Orthographic context flags (bit set per word type).
const (
	orthoBegUC = 1 << 1
	orthoMidUC = 1 << 2
	orthoUnkUC = 1 << 3
	orthoBegLC = 1 << 4
	orthoMidLC = 1 << 5
	orthoUnkLC = 1 << 6
	orthoUC    = orthoBegUC + orthoMidUC + orthoUnkUC
	orthoLC    = orthoBegLC + orthoMidLC + orthoUnkLC
)

// Tokenize splits text into sentences, as PunktSentenceTokenizer.tokenize.
func (p *Punkt) Tokenize(text string) []string {
	rs := []rune(text)
	spans := p.spans(rs)
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = string(rs[s.Start:s.End])
	}
	return out
}

// SpanTokenize returns the sentences' spans, as span_tokenize.
func (p *Punkt) SpanTokenize(text string) []Span { return p.spans([]rune(text)) }

// CountSentences is IFEval's count_sentences: len(tokenizer.tokenize(text)).
func (p *Punkt) CountSentences(text string) int { return len(p.spans([]rune(text))) }

func (p *Punkt) spans(text []rune) []Span {
	return p.realignBoundaries(text, p.slicesFromText(text))
}

// endMatch is one match of PunktLanguageVars.period_context_re: the sentence
// end character at pos, the text after it (the lookahead group after_tok:
// one non-word character, or whitespace and the next token), and where the
// next token starts (-1 when after_tok is punctuation).
type endMatch struct {
	pos, afterEnd, nextTok int
}

func (m endMatch) end() int { return m.pos + 1 }

func isSentEnd(r rune) bool { return r == '.' || r == '?' || r == '!' }

// isNonWord is _re_non_word_chars: characters that cannot appear within
// words.
func isNonWord(r rune) bool {
	switch r {
	case ')', '"', ';', '}', ']', '*', ':', '@', '\'', '(', '{', '[', '?', '!':
		return true
	}
	return false
}

// periodContexts finds every candidate sentence end: . ? or ! followed by a
// non-word character or by whitespace and a token. Each match is one
// character wide, so every candidate is found independently.
func periodContexts(text []rune) []endMatch {
	var out []endMatch
	n := len(text)
	for i := 0; i+1 < n; i++ {
		if !isSentEnd(text[i]) {
			continue
		}
		next := text[i+1]
		if isNonWord(next) {
			out = append(out, endMatch{pos: i, afterEnd: i + 2, nextTok: -1})
			continue
		}
		if !pystr.IsSpace(next) {
			continue
		}
		j := i + 1
		for j < n && pystr.IsSpace(text[j]) {
			j++
		}
		if j == n {
			continue
		}
		k := j
		for k < n && !pystr.IsSpace(text[k]) {
			k++
		}
		out = append(out, endMatch{pos: i, afterEnd: k, nextTok: j})
	}
	return out
}

// lastWhitespaceIndex is _get_last_whitespace_index: the index of the last
// string.whitespace character, or 0 when there is none (so a whitespace at
// index 0 also reads as none, as in NLTK).
func lastWhitespaceIndex(text []rune) int {
	for i := len(text) - 1; i >= 0; i-- {
		if pystr.IsASCIIWhitespace(text[i]) {
			return i
		}
	}
	return 0
}

type endContext struct {
	m       endMatch
	context []rune
}

// potentialEndContexts is _match_potential_end_contexts: each candidate with
// the word before it and the text after it, dropping a candidate when the
// next one's preceding word overlaps it (as in "acting!!! I", where only the
// last "!" is judged, with the context "acting!!! I").
func potentialEndContexts(text []rune) []endContext {
	var out []endContext
	prevStart, prevStop := 0, 0
	var prev *endMatch
	emit := func(m endMatch, start, stop int) {
		ctx := make([]rune, 0, stop-start+1+m.afterEnd-m.end())
		ctx = append(ctx, text[start:stop]...)
		ctx = append(ctx, text[m.pos])
		ctx = append(ctx, text[m.end():m.afterEnd]...)
		out = append(out, endContext{m: m, context: ctx})
	}
	for _, m := range periodContexts(text) {
		before := text[prevStop:m.pos]
		idx := lastWhitespaceIndex(before)
		if idx != 0 {
			idx += prevStop + 1
		} else {
			idx = prevStart
		}
		if prev != nil && prevStop <= idx {
			emit(*prev, prevStart, prevStop)
		}
		mm := m
		prev = &mm
		prevStart, prevStop = idx, m.pos
	}
	if prev != nil {
		emit(*prev, prevStart, prevStop)
	}
	return out
}

// slicesFromText is _slices_from_text.
func (p *Punkt) slicesFromText(text []rune) []Span {
	var out []Span
	lastBreak := 0
	for _, c := range potentialEndContexts(text) {
		if p.textContainsSentbreak(c.context) {
			out = append(out, Span{lastBreak, c.m.end()})
			if c.m.nextTok >= 0 {
				lastBreak = c.m.nextTok
			} else {
				lastBreak = c.m.end()
			}
		}
	}
	end := len(text)
	for end > 0 && pystr.IsSpace(text[end-1]) {
		end--
	}
	return append(out, Span{lastBreak, end})
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', ')', ']', '}':
		return true
	}
	return false
}

// realignMatch is re_boundary_realignment.match on s:
// ["\')\]}]+?(?:\s+|(?=--)|$) with MULTILINE. It returns the length of the
// closing punctuation and of the whole match.
func realignMatch(s []rune) (closers, end int, ok bool) {
	for i := 0; i < len(s) && isCloser(s[i]); {
		i++
		switch {
		case i < len(s) && pystr.IsSpace(s[i]):
			j := i
			for j < len(s) && pystr.IsSpace(s[j]) {
				j++
			}
			return i, j, true
		case i+1 < len(s) && s[i] == '-' && s[i+1] == '-':
			return i, i, true
		case i == len(s) || s[i] == '\n':
			return i, i, true
		}
	}
	return 0, 0, false
}

// realignBoundaries is _realign_boundaries: closing quotes and brackets
// that follow a break move into the sentence before it.
func (p *Punkt) realignBoundaries(text []rune, slices []Span) []Span {
	var out []Span
	realign := 0
	for i, s1 := range slices {
		s1.Start += realign
		if i+1 == len(slices) {
			if s1.Start < s1.End {
				out = append(out, s1)
			}
			continue
		}
		s2 := slices[i+1]
		var sub []rune
		if s2.Start < s2.End {
			sub = text[s2.Start:s2.End]
		}
		if closers, end, ok := realignMatch(sub); ok {
			out = append(out, Span{s1.Start, s2.Start + closers})
			realign = end
		} else {
			realign = 0
			if s1.Start < s1.End {
				out = append(out, s1)
			}
		}
	}
	return out
}

// token is PunktToken: a word with its annotations.
type token struct {
	tok         []rune
	typ         string
	periodFinal bool
	parastart   bool
	linestart   bool
	sentbreak   bool
	abbr        bool
	ellipsis    bool
}

// numericRE is PunktToken._RE_NUMERIC with Python's Unicode \d.
var numericRE = regexp.MustCompile(`^-?[\.,]?\p{Nd}[\p{Nd},\.\-]*\.?$`)

func newToken(tok []rune) *token {
	lower := pystr.Lower(string(tok))
	typ := lower
	if numericRE.MatchString(lower) {
		typ = "##number##"
	}
	return &token{tok: tok, typ: typ, periodFinal: tok[len(tok)-1] == '.'}
}

func (t *token) typeNoPeriod() string {
	if len(t.typ) > 1 && t.typ[len(t.typ)-1] == '.' {
		return t.typ[:len(t.typ)-1]
	}
	return t.typ
}

func (t *token) typeNoSentperiod() string {
	if t.sentbreak {
		return t.typeNoPeriod()
	}
	return t.typ
}

func (t *token) firstUpper() bool { return pystr.IsUpper(string(t.tok[0])) }
func (t *token) firstLower() bool { return pystr.IsLower(string(t.tok[0])) }

// isEllipsis is _RE_ELLIPSIS (\.\.+$) matched at the start.
func (t *token) isEllipsis() bool {
	if len(t.tok) < 2 {
		return false
	}
	for _, r := range t.tok {
		if r != '.' {
			return false
		}
	}
	return true
}

// isInitial is _RE_INITIAL ([^\W\d]\.$) matched at the start: one letter
// (a \w character that is not a digit) and a period.
func (t *token) isInitial() bool {
	return len(t.tok) == 2 && t.tok[1] == '.' && pystr.IsWord(t.tok[0]) && !pystr.IsDecimal(t.tok[0])
}

func (t *token) is(s string) bool { return string(t.tok) == s }

// tokenizeWords is _tokenize_words: the text's lines are split into word
// tokens; the first token of a line is marked linestart, and parastart when
// blank lines precede it.
func tokenizeWords(text []rune) []*token {
	var out []*token
	parastart := false
	start := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && text[i] != '\n' {
			continue
		}
		line := text[start:i]
		start = i + 1
		blank := true
		for _, r := range line {
			if !pystr.IsSpace(r) {
				blank = false
				break
			}
		}
		if blank {
			parastart = true
			continue
		}
		first := true
		for _, w := range wordTokenizeLine(line) {
			t := newToken(w)
			if first {
				t.parastart, t.linestart = parastart, true
				parastart, first = false, false
			}
			out = append(out, t)
		}
	}
	return out
}

// wordStartExcluded is the complement of _re_word_start.
func wordStartExcluded(r rune) bool {
	switch r {
	case '(', '"', '`', '{', '[', ':', ';', '&', '#', '*', '@', ')', '}', ']', '-', ',':
		return true
	}
	return false
}

// multiChar is _re_multi_char_punct (\-{2,}|\.{2,}|(?:\.\s){2,}\.) matched
// at i: the match length, or 0.
func multiChar(s []rune, i int) int {
	if i >= len(s) {
		return 0
	}
	run := func(c rune) int {
		j := i
		for j < len(s) && s[j] == c {
			j++
		}
		return j - i
	}
	if n := run('-'); n >= 2 {
		return n
	}
	if n := run('.'); n >= 2 {
		return n
	}
	k := 0
	for j := i; j+1 < len(s) && s[j] == '.' && pystr.IsSpace(s[j+1]); j += 2 {
		k++
	}
	if k < 2 {
		return 0
	}
	if i+2*k < len(s) && s[i+2*k] == '.' {
		return 2*k + 1
	}
	if k >= 3 {
		return 2*k - 1
	}
	return 0
}

// wordEnd is the lookahead that ends a word in _word_tokenize_fmt:
// whitespace, the end, a non-word character, multi-character punctuation,
// or a comma that is itself followed by one of those.
func wordEnd(s []rune, i int) bool {
	if i >= len(s) || pystr.IsSpace(s[i]) || isNonWord(s[i]) || multiChar(s, i) > 0 {
		return true
	}
	if s[i] == ',' {
		j := i + 1
		return j >= len(s) || pystr.IsSpace(s[j]) || isNonWord(s[j]) || multiChar(s, j) > 0
	}
	return false
}

// wordTokenizeLine is PunktLanguageVars.word_tokenize: findall of
// multi-character punctuation | a word up to its end | any other
// non-space character.
func wordTokenizeLine(s []rune) [][]rune {
	var out [][]rune
	for i := 0; i < len(s); {
		if n := multiChar(s, i); n > 0 {
			out = append(out, s[i:i+n])
			i += n
			continue
		}
		if pystr.IsSpace(s[i]) {
			i++
			continue
		}
		if wordStartExcluded(s[i]) {
			out = append(out, s[i:i+1])
			i++
			continue
		}
		e := i + 1
		for !wordEnd(s, e) {
			e++
		}
		out = append(out, s[i:e])
		i = e
	}
	return out
}

// firstPass is _first_pass_annotation.
func (p *Punkt) firstPass(t *token) {
	switch {
	case t.is(".") || t.is("?") || t.is("!"):
		t.sentbreak = true
	case t.isEllipsis():
		t.ellipsis = true
	case t.periodFinal && !(len(t.tok) >= 2 && t.tok[len(t.tok)-2] == '.'):
		stem := pystr.Lower(string(t.tok[:len(t.tok)-1]))
		last := stem
		for i := len(stem) - 1; i >= 0; i-- {
			if stem[i] == '-' {
				last = stem[i+1:]
				break
			}
		}
		if p.abbrev[stem] || p.abbrev[last] {
			t.abbr = true
		} else {
			t.sentbreak = true
		}
	}
}

type ortho int

const (
	orthoFalse ortho = iota
	orthoTrue
	orthoUnknown
)

// orthoHeuristic is _ortho_heuristic: does the token start a sentence?
func (p *Punkt) orthoHeuristic(t *token) ortho {
	switch string(t.tok) {
	case ";", ":", ",", ".", "!", "?":
		return orthoFalse
	}
	ctx := p.ortho[t.typeNoSentperiod()]
	if t.firstUpper() && ctx&orthoLC != 0 && ctx&orthoMidUC == 0 {
		return orthoTrue
	}
	if t.firstLower() && (ctx&orthoUC != 0 || ctx&orthoBegLC == 0) {
		return orthoFalse
	}
	return orthoUnknown
}

// secondPass is _second_pass_annotation of t1 given the next token t2.
func (p *Punkt) secondPass(t1, t2 *token) {
	if !t1.periodFinal {
		return
	}
	typ := t1.typeNoPeriod()
	next := t2.typeNoSentperiod()
	initial := t1.isInitial()
	if p.colloc[[2]string{typ, next}] {
		t1.sentbreak, t1.abbr = false, true
		return
	}
	if (t1.abbr || t1.ellipsis) && !initial {
		if p.orthoHeuristic(t2) == orthoTrue {
			t1.sentbreak = true
			return
		}
		if t2.firstUpper() && p.starters[next] {
			t1.sentbreak = true
			return
		}
	}
	if initial || typ == "##number##" {
		h := p.orthoHeuristic(t2)
		if h == orthoFalse {
			t1.sentbreak, t1.abbr = false, true
			return
		}
		if h == orthoUnknown && initial && t2.firstUpper() && p.ortho[next]&orthoLC == 0 {
			t1.sentbreak, t1.abbr = false, true
		}
	}
}

// textContainsSentbreak is text_contains_sentbreak: after both annotation
// passes, is some token that is not the last one a sentence break?
func (p *Punkt) textContainsSentbreak(text []rune) bool {
	toks := tokenizeWords(text)
	for _, t := range toks {
		p.firstPass(t)
	}
	for i, t := range toks {
		if i+1 == len(toks) {
			break
		}
		p.secondPass(t, toks[i+1])
		if t.sentbreak {
			return true
		}
	}
	return false
}
