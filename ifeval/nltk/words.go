package nltk

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parity-eval/parity/ifeval/internal/pystr"
)

// CountWords is IFEval's count_words: the number of tokens of
// nltk.tokenize.RegexpTokenizer(r"\w+"), that is of runs of Unicode word
// characters (letters, numbers, underscore; not combining marks).
func CountWords(text string) int {
	n, in := 0, false
	for _, r := range text {
		w := pystr.IsWord(r)
		if w && !in {
			n++
		}
		in = w
	}
	return n
}

// WordTokenize is nltk.word_tokenize(text): Punkt English sentences, each
// split by NLTK's improved Treebank word tokenizer (NLTKWordTokenizer, as of
// NLTK 3.8/3.9.1).
func WordTokenize(text string) []string {
	var out []string
	for _, s := range English().Tokenize(text) {
		out = append(out, TreebankWordTokenize(s)...)
	}
	return out
}

// sub is one substitution. need lists characters one of which every match
// contains, so that the regexp runs only on text that can match; tail marks
// patterns anchored at the end whose match must contain the text's last
// period, so that only the text from the character before it is searched.
type sub struct {
	re   *regexp.Regexp
	repl string
	need string
	tail bool
}

// The substitutions of NLTKWordTokenizer.tokenize that Go's regexp engine
// runs exactly (leftmost-first, like Python's); \s and \d are spelled out
// with Python's Unicode sets. The others are functions below.
var (
	startingQuotes = []sub{
		{re: regexp.MustCompile("([«“‘„]|[`]+)"), repl: " ${1} ", need: "«“‘„`"},
		{re: regexp.MustCompile(`^"`), repl: "``", need: `"`},
		{re: regexp.MustCompile("(``)"), repl: " ${1} ", need: "`"},
		{re: regexp.MustCompile(`([ \(\[{<])("|'{2})`), repl: "${1} `` ", need: `"'`},
	}
	punctuation1 = []sub{
		{re: regexp.MustCompile(`([^\.])(\.)([\]\)}>"'»”’ ]*)[` + pystr.SpaceClass + `]*$`), repl: "${1} ${2} ${3} ", need: ".", tail: true},
		{re: regexp.MustCompile(`([:,])([^\p{Nd}])`), repl: " ${1} ${2}", need: ":,"},
	}
	punctuation2 = []sub{
		{re: regexp.MustCompile(`\.{2,}`), repl: " ${0} ", need: "."},
		{re: regexp.MustCompile(`[;@#$%&]`), repl: " ${0} ", need: ";@#$%&"},
		{re: regexp.MustCompile(`([^\.])(\.)([\]\)}>"']*)[` + pystr.SpaceClass + `]*$`), repl: "${1} ${2}${3} ", need: ".", tail: true},
		{re: regexp.MustCompile(`[?!]`), repl: " ${0} ", need: "?!"},
		{re: regexp.MustCompile(`([^'])' `), repl: "${1} ' ", need: "'"},
		{re: regexp.MustCompile(`[*]`), repl: " ${0} ", need: "*"},
		{re: regexp.MustCompile(`[\]\[\(\)\{\}\<\>]`), repl: " ${0} ", need: "[](){}<>"},
		{re: regexp.MustCompile(`--`), repl: " -- ", need: "-"},
	}
	endingQuotes = []sub{
		{re: regexp.MustCompile("([»”’])"), repl: " ${1} ", need: "»”’"},
		{re: regexp.MustCompile(`''`), repl: " '' ", need: "'"},
		{re: regexp.MustCompile(`"`), repl: " '' ", need: `"`},
		{re: regexp.MustCompile(`([^' ])('[sS]|'[mM]|'[dD]|') `), repl: "${1} ${2} ", need: "'"},
		{re: regexp.MustCompile(`([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) `), repl: "${1} ${2} ", need: "'"},
	}
)

func apply(s string, subs []sub) string {
	for _, x := range subs {
		if !strings.ContainsAny(s, x.need) {
			continue
		}
		if !x.tail {
			s = x.re.ReplaceAllString(s, x.repl)
			continue
		}
		// The match ends the text and holds no period after its own, so it
		// can only be the last period with the character before it.
		p := strings.LastIndexByte(s, '.')
		if p < 1 {
			continue
		}
		_, n := utf8.DecodeLastRuneInString(s[:p])
		s = s[:p-n] + x.re.ReplaceAllString(s[p-n:], x.repl)
	}
	return s
}

// TreebankWordTokenize is NLTKWordTokenizer().tokenize(text) (without
// convert_parentheses) for one sentence.
func TreebankWordTokenize(text string) []string {
	s := apply(text, startingQuotes)
	s = splitQuoteLetter(s)
	s = apply(s, punctuation1)
	s = padFinalColon(s)
	s = apply(s, punctuation2)
	s = " " + s + " "
	s = apply(s, endingQuotes)
	for _, c := range contractions2 {
		s = c.apply(s)
	}
	for _, c := range contractions3 {
		s = c.apply(s)
	}
	return pystr.Fields(s)
}

// splitQuoteLetter is (?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b → "\1 \2": a
// quote before a one-letter word gets a space, unless the letter makes a
// clitic ('m 't 's 'd 'n; "re", "ve", "ll" have two letters and cannot be
// one-letter words anyway).
func splitQuoteLetter(s string) string {
	rs := []rune(s)
	var b strings.Builder
	changed := false
	last := 0
	for i := 0; i+1 < len(rs); i++ {
		if rs[i] != '\'' || !pystr.IsWord(rs[i+1]) {
			continue
		}
		if i+2 < len(rs) && pystr.IsWord(rs[i+2]) {
			continue // \b fails after the word character
		}
		if foldsTo(rs[i+1], "mtsdn") {
			continue
		}
		b.WriteString(string(rs[last : i+1]))
		b.WriteByte(' ')
		b.WriteRune(rs[i+1])
		last = i + 2
		i++
		changed = true
	}
	if !changed {
		return s
	}
	b.WriteString(string(rs[last:]))
	return b.String()
}

// padFinalColon is ([:,])$ → " \1 ": Python's $ also matches before a final
// newline, which Go's does not.
func padFinalColon(s string) string {
	n := len(s)
	at := -1
	switch {
	case n >= 1 && (s[n-1] == ':' || s[n-1] == ','):
		at = n - 1
	case n >= 2 && s[n-1] == '\n' && (s[n-2] == ':' || s[n-2] == ','):
		at = n - 2
	}
	if at < 0 {
		return s
	}
	return s[:at] + " " + s[at:at+1] + " " + s[at+1:]
}

// foldsTo reports whether r matches one of the ASCII letters in set under
// Python's re.IGNORECASE (simple case folding, plus Python's extra pairs
// such as ſ ~ s and K ~ k).
func foldsTo(r rune, set string) bool {
	for i := 0; i < len(set); i++ {
		c := rune(set[i])
		for f := unicode.SimpleFold(c); ; f = unicode.SimpleFold(f) {
			if f == r {
				return true
			}
			if f == c {
				break
			}
		}
		if r == c {
			return true
		}
		if c == 'i' && (r == 0x130 || r == 0x131) {
			return true
		}
	}
	return false
}

// contraction is one of MacIntyre's contraction patterns,
// (?i)\b(first)(second)\b → " \1 \2 ", matched case-insensitively with
// Python's Unicode word boundaries. leadingSpace patterns start with a
// literal space instead of \b; lookaheadSpace ones end with (?=\s).
type contraction struct {
	first, second  string
	leadingSpace   bool
	lookaheadSpace bool
}

var contractions2 = []contraction{
	{first: "can", second: "not"},
	{first: "d", second: "'ye"},
	{first: "gim", second: "me"},
	{first: "gon", second: "na"},
	{first: "got", second: "ta"},
	{first: "lem", second: "me"},
	{first: "more", second: "'n"},
	{first: "wan", second: "na", lookaheadSpace: true},
}

var contractions3 = []contraction{
	{first: " 't", second: "is", leadingSpace: true},
	{first: " 't", second: "was", leadingSpace: true},
}

func foldEq(r rune, c byte) bool {
	if r == rune(c) {
		return true
	}
	if c >= 'a' && c <= 'z' {
		return foldsTo(r, string(c))
	}
	return false
}

func (c contraction) matchAt(rs []rune, i int, word string) (end int, ok bool) {
	if i+len(word) > len(rs) {
		return 0, false
	}
	for k := 0; k < len(word); k++ {
		if !foldEq(rs[i+k], word[k]) {
			return 0, false
		}
	}
	if !c.leadingSpace && i > 0 && pystr.IsWord(rs[i-1]) == pystr.IsWord(rs[i]) {
		return 0, false // \b at the start
	}
	end = i + len(word)
	if c.lookaheadSpace {
		return end, end < len(rs) && pystr.IsSpace(rs[end])
	}
	// \b at the end: the last pattern character is a word character.
	lastWord := pystr.IsWord(rs[end-1])
	nextWord := end < len(rs) && pystr.IsWord(rs[end])
	return end, lastWord != nextWord
}

func (c contraction) apply(s string) string {
	// Every match holds the second part's last letter in some case.
	lastLetter := c.second[len(c.second)-1]
	if !strings.ContainsAny(s, string([]byte{lastLetter, lastLetter - 'a' + 'A'})) && !strings.ContainsAny(s, "ſKİı") {
		return s
	}
	word := c.first + c.second
	rs := []rune(s)
	var b strings.Builder
	last, changed := 0, false
	for i := 0; i < len(rs); {
		end, ok := c.matchAt(rs, i, word)
		if !ok {
			i++
			continue
		}
		split := i + len(c.first)
		b.WriteString(string(rs[last:i]))
		b.WriteByte(' ')
		if c.leadingSpace {
			b.WriteString(string(rs[i+1 : split]))
		} else {
			b.WriteString(string(rs[i:split]))
		}
		b.WriteByte(' ')
		b.WriteString(string(rs[split:end]))
		b.WriteByte(' ')
		last, i, changed = end, end, true
	}
	if !changed {
		return s
	}
	b.WriteString(string(rs[last:]))
	return b.String()
}
