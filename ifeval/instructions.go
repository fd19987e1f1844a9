package ifeval

import (
	"errors"
	"regexp"
	"sort"
	"strings"

	"github.com/parity-eval/parity/ifeval/internal/pystr"
	"github.com/parity-eval/parity/ifeval/langdetect"
	"github.com/parity-eval/parity/ifeval/nltk"
	"github.com/parity-eval/parity/scoring"
)

// check reports whether a response follows one instruction. An error means
// the check could not run (a pattern search that timed out).
type check func(resp string) (bool, error)

type builder func(a *args) (check, error)

// builders are the 25 instructions of IFEval's registry, keyed by id. The
// four classes the registry leaves out (ConstrainedStartChecker,
// RephraseChecker, KeySentenceChecker, RephraseParagraph) are not here.
var builders = map[string]builder{
	"keywords:existence":                            keywordExistence,
	"keywords:frequency":                            keywordFrequency,
	"keywords:forbidden_words":                      forbiddenWords,
	"keywords:letter_frequency":                     letterFrequency,
	"language:response_language":                    responseLanguage,
	"length_constraints:number_sentences":           numberSentences,
	"length_constraints:number_paragraphs":          numberParagraphs,
	"length_constraints:number_words":               numberWords,
	"length_constraints:nth_paragraph_first_word":   nthParagraphFirstWord,
	"detectable_content:number_placeholders":        numberPlaceholders,
	"detectable_content:postscript":                 postscript,
	"detectable_format:number_bullet_lists":         bulletLists,
	"detectable_format:constrained_response":        noArgs(constrainedResponse),
	"detectable_format:number_highlighted_sections": highlightedSections,
	"detectable_format:multiple_sections":           multipleSections,
	"detectable_format:json_format":                 noArgs(jsonFormat),
	"detectable_format:title":                       noArgs(title),
	"combination:two_responses":                     noArgs(twoResponses),
	"combination:repeat_prompt":                     repeatPrompt,
	"startend:end_checker":                          endChecker,
	"change_case:capital_word_frequency":            capitalWordFrequency,
	"change_case:english_capital":                   noArgs(englishCapital),
	"change_case:english_lowercase":                 noArgs(englishLowercase),
	"punctuation:no_comma":                          noArgs(noComma),
	"startend:quotation":                            noArgs(quotation),
}

// InstructionIDs lists the instruction ids parity checks, sorted.
func InstructionIDs() []string {
	out := make([]string, 0, len(builders))
	for id := range builders {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func noArgs(f func(string) bool) builder {
	return func(*args) (check, error) {
		return func(resp string) (bool, error) { return f(resp), nil }, nil
	}
}

// pyRegex compiles a pattern that comes from the data (keywords, section
// splitters) with Python's re semantics.
func pyRegex(a *args, pattern string) (*scoring.Regex, error) {
	re, err := scoring.CompileRegex(pattern)
	if err != nil {
		return nil, a.errorf("%v", err)
	}
	return re, nil
}

func searches(re *scoring.Regex, resp string) (bool, error) {
	m, err := re.FindAll(resp)
	return len(m) > 0, err
}

// keywordExistence: every keyword, used as a case-insensitive regular
// expression, is found somewhere (no word boundaries).
func keywordExistence(a *args) (check, error) {
	kws, err := a.strs("keywords")
	if err != nil {
		return nil, err
	}
	if len(kws) == 0 {
		return nil, a.missing("keywords")
	}
	sort.Strings(kws)
	res := make([]*scoring.Regex, len(kws))
	for i, kw := range kws {
		if res[i], err = pyRegex(a, "(?i)"+kw); err != nil {
			return nil, err
		}
	}
	return func(resp string) (bool, error) {
		for _, re := range res {
			ok, err := searches(re, resp)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}, nil
}

// keywordFrequency: the number of non-overlapping case-insensitive matches of
// the stripped keyword compared with the frequency.
func keywordFrequency(a *args) (check, error) {
	kw, err := a.str("keyword")
	if err != nil {
		return nil, err
	}
	freq, err := a.nonNegInt("frequency")
	if err != nil {
		return nil, err
	}
	rel, err := a.relation("relation")
	if err != nil {
		return nil, err
	}
	re, err := pyRegex(a, "(?i)"+pystr.Strip(kw))
	if err != nil {
		return nil, err
	}
	return func(resp string) (bool, error) {
		m, err := re.FindAll(resp)
		return rel.holds(len(m), freq), err
	}, nil
}

// forbiddenWords: none of the words occurs between word boundaries, in any
// case.
func forbiddenWords(a *args) (check, error) {
	words, err := a.strs("forbidden_words")
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, a.missing("forbidden_words")
	}
	sort.Strings(words)
	words = compactStrings(words)
	res := make([]*scoring.Regex, len(words))
	for i, w := range words {
		if res[i], err = pyRegex(a, `(?i)\b`+w+`\b`); err != nil {
			return nil, err
		}
	}
	return func(resp string) (bool, error) {
		for _, re := range res {
			found, err := searches(re, resp)
			if err != nil || found {
				return false, err
			}
		}
		return true, nil
	}, nil
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// letterFrequency counts one character in the lower-cased response.
//
// The reference takes the letter only when it is a single character whose
// lower case is an ASCII letter a–z; for anything else ("#", "!") it counts
// a letter drawn from an unseeded random.choice(string.ascii_letters), so
// its verdict changes from run to run. Parity is deterministic instead: it
// counts the character the prompt asks for, letter.strip().lower(), when
// that is one character, and refuses the instruction otherwise.
func letterFrequency(a *args) (check, error) {
	letter, err := a.str("letter")
	if err != nil {
		return nil, err
	}
	freq, err := a.nonNegInt("let_frequency")
	if err != nil {
		return nil, err
	}
	rel, err := a.relation("let_relation")
	if err != nil {
		return nil, err
	}
	want := []rune(pystr.Lower(letter))
	if !(len([]rune(letter)) == 1 && len(want) == 1 && want[0] >= 'a' && want[0] <= 'z') {
		want = []rune(pystr.Lower(pystr.Strip(letter)))
		if len(want) != 1 {
			return nil, a.errorf("letter %q is not one character", letter)
		}
	}
	return func(resp string) (bool, error) {
		n := 0
		for _, r := range pystr.Lower(resp) {
			if r == want[0] {
				n++
			}
		}
		return rel.holds(n, freq), nil
	}, nil
}

// detectLanguage is langdetect.detect with seed 0; ok is false when the text
// has no features (langdetect raises, and IFEval counts the instruction as
// followed).
func detectLanguage(resp string) (lang string, ok bool) {
	lang, err := langdetect.Detect(resp)
	if errors.Is(err, langdetect.ErrNoFeatures) {
		return "", false
	}
	return lang, err == nil
}

func responseLanguage(a *args) (check, error) {
	want, err := a.str("language")
	if err != nil {
		return nil, err
	}
	return func(resp string) (bool, error) {
		lang, ok := detectLanguage(resp)
		return !ok || lang == want, nil
	}, nil
}

func numberSentences(a *args) (check, error) {
	n, err := a.nonNegInt("num_sentences")
	if err != nil {
		return nil, err
	}
	rel, err := a.relation("relation")
	if err != nil {
		return nil, err
	}
	punkt := nltk.English()
	return func(resp string) (bool, error) {
		return rel.holds(punkt.CountSentences(resp), n), nil
	}, nil
}

var paragraphDivider = regexp.MustCompile(`[` + pystr.SpaceClass + `]?\*\*\*[` + pystr.SpaceClass + `]?`)

// numberParagraphs: paragraphs are separated by *** (with an optional
// whitespace character either side); an empty paragraph other than the
// first or last fails.
func numberParagraphs(a *args) (check, error) {
	want, err := a.nonNegInt("num_paragraphs")
	if err != nil {
		return nil, err
	}
	return func(resp string) (bool, error) {
		parts := paragraphDivider.Split(resp, -1)
		n := len(parts)
		for i, p := range parts {
			if pystr.Strip(p) == "" {
				if i == 0 || i == len(parts)-1 {
					n--
				} else {
					return false, nil
				}
			}
		}
		return n == want, nil
	}, nil
}

func numberWords(a *args) (check, error) {
	n, err := a.nonNegInt("num_words")
	if err != nil {
		return nil, err
	}
	rel, err := a.relation("relation")
	if err != nil {
		return nil, err
	}
	return func(resp string) (bool, error) {
		return rel.holds(nltk.CountWords(resp), n), nil
	}, nil
}

// nthParagraphFirstWord: paragraphs are separated by "\n\n"; the count
// leaves out blank ones, but the nth paragraph is taken from the raw list.
func nthParagraphFirstWord(a *args) (check, error) {
	num, err := a.nonNegInt("num_paragraphs")
	if err != nil {
		return nil, err
	}
	nth, err := a.nonNegInt("nth_paragraph")
	if err != nil {
		return nil, err
	}
	if nth == 0 || nth > num {
		return nil, a.errorf("nth_paragraph %d is outside 1..num_paragraphs (%d); the reference would draw a random one", nth, num)
	}
	fw, err := a.str("first_word")
	if err != nil {
		return nil, err
	}
	firstWord := pystr.Lower(fw)
	return func(resp string) (bool, error) {
		paras := strings.Split(resp, "\n\n")
		n := len(paras)
		for _, p := range paras {
			if pystr.Strip(p) == "" {
				n--
			}
		}
		if nth > n {
			return false, nil
		}
		p := pystr.Strip(paras[nth-1])
		if p == "" {
			return false, nil
		}
		word := pystr.Strip(pystr.Fields(p)[0])
		word = strings.TrimLeft(strings.TrimLeft(word, "'"), `"`)
		var b strings.Builder
		for _, r := range word {
			if strings.ContainsRune(`.,?!'"`, r) {
				break
			}
			b.WriteString(pystr.Lower(string(r)))
		}
		return n == num && b.String() == firstWord, nil
	}, nil
}

var placeholder = regexp.MustCompile(`\[.*?\]`)

func numberPlaceholders(a *args) (check, error) {
	n, err := a.nonNegInt("num_placeholders")
	if err != nil {
		return nil, err
	}
	return func(resp string) (bool, error) {
		return len(placeholder.FindAllStringIndex(resp, -1)) >= n, nil
	}, nil
}

var (
	ppsMarker = regexp.MustCompile(`(?m)[` + pystr.SpaceClass + `]*p\.[` + pystr.SpaceClass + `]?p\.[` + pystr.SpaceClass + `]?s.*$`)
	psMarker  = regexp.MustCompile(`(?m)[` + pystr.SpaceClass + `]*p\.[` + pystr.SpaceClass + `]?s\..*$`)
)

// postscript: the marker occurs anywhere in the lower-cased response.
func postscript(a *args) (check, error) {
	marker, err := a.str("postscript_marker")
	if err != nil {
		return nil, err
	}
	marker = pystr.Strip(marker)
	var search func(string) (bool, error)
	switch marker {
	case "P.P.S":
		search = func(s string) (bool, error) { return ppsMarker.MatchString(s), nil }
	case "P.S.":
		search = func(s string) (bool, error) { return psMarker.MatchString(s), nil }
	default:
		re, err := pyRegex(a, `(?m)\s*`+pystr.Lower(marker)+`.*$`)
		if err != nil {
			return nil, err
		}
		search = func(s string) (bool, error) { return searches(re, s) }
	}
	return func(resp string) (bool, error) { return search(pystr.Lower(resp)) }, nil
}

var (
	starBullet = regexp.MustCompile(`(?m)^[` + pystr.SpaceClass + `]*\*[^\*].*$`)
	dashBullet = regexp.MustCompile(`(?m)^[` + pystr.SpaceClass + `]*-.*$`)
)

// bulletLists: exactly num_bullets lines (as the two patterns count them)
// start with "* " or "-".
func bulletLists(a *args) (check, error) {
	n, err := a.nonNegInt("num_bullets")
	if err != nil {
		return nil, err
	}
	return func(resp string) (bool, error) {
		got := len(starBullet.FindAllStringIndex(resp, -1)) + len(dashBullet.FindAllStringIndex(resp, -1))
		return got == n, nil
	}, nil
}

func constrainedResponse(resp string) bool {
	v := pystr.Strip(resp)
	for _, opt := range []string{"My answer is yes.", "My answer is no.", "My answer is maybe."} {
		if strings.Contains(v, opt) {
			return true
		}
	}
	return false
}

var (
	singleHighlight = regexp.MustCompile(`\*[^\n\*]*\*`)
	doubleHighlight = regexp.MustCompile(`\*\*[^\n\*]*\*\*`)
)

func highlightedSections(a *args) (check, error) {
	want, err := a.nonNegInt("num_highlights")
	if err != nil {
		return nil, err
	}
	return func(resp string) (bool, error) {
		n := 0
		for _, h := range singleHighlight.FindAllString(resp, -1) {
			if pystr.Strip(strings.Trim(h, "*")) != "" {
				n++
			}
		}
		for _, h := range doubleHighlight.FindAllString(resp, -1) {
			if pystr.Strip(strings.TrimSuffix(strings.TrimPrefix(h, "**"), "**")) != "" {
				n++
			}
		}
		return n >= want, nil
	}, nil
}

// multipleSections: the number of matches of \s?SPLITTER\s?\d+\s? (the
// splitter inserted into the pattern unescaped, case-sensitive), which is
// len(re.split(...)) - 1. A splitter with capture groups, where re.split
// would also return the groups, is counted by matches only.
func multipleSections(a *args) (check, error) {
	splitter, err := a.str("section_spliter")
	if err != nil {
		return nil, err
	}
	splitter = pystr.Strip(splitter)
	want, err := a.nonNegInt("num_sections")
	if err != nil {
		return nil, err
	}
	var count func(string) (int, error)
	if regexp.QuoteMeta(splitter) == splitter {
		re := regexp.MustCompile(`[` + pystr.SpaceClass + `]?` + splitter + `[` + pystr.SpaceClass + `]?\p{Nd}+[` + pystr.SpaceClass + `]?`)
		count = func(s string) (int, error) { return len(re.FindAllStringIndex(s, -1)), nil }
	} else {
		re, err := pyRegex(a, `\s?`+splitter+`\s?\d+\s?`)
		if err != nil {
			return nil, err
		}
		count = func(s string) (int, error) {
			m, err := re.FindAll(s)
			return len(m), err
		}
	}
	return func(resp string) (bool, error) {
		n, err := count(resp)
		return n >= want, err
	}, nil
}

// jsonFormat: after stripping code fences the response parses as JSON
// (Python's json.loads, which also takes NaN and Infinity).
func jsonFormat(resp string) bool {
	v := pystr.Strip(resp)
	for _, p := range []string{"```json", "```Json", "```JSON", "```"} {
		v = strings.TrimPrefix(v, p)
	}
	v = pystr.Strip(strings.TrimSuffix(v, "```"))
	return pyJSONValid(v)
}

var titleRE = regexp.MustCompile(`<<[^\n]+>>`)

func title(resp string) bool {
	for _, t := range titleRE.FindAllString(resp, -1) {
		if pystr.Strip(strings.TrimRight(strings.TrimLeft(t, "<"), ">")) != "" {
			return true
		}
	}
	return false
}

func twoResponses(resp string) bool {
	parts := strings.Split(resp, "******")
	var kept []string
	for i, p := range parts {
		if pystr.Strip(p) == "" {
			if i != 0 && i != len(parts)-1 {
				return false
			}
		} else {
			kept = append(kept, p)
		}
	}
	return len(kept) == 2 && pystr.Strip(kept[0]) != pystr.Strip(kept[1])
}

func repeatPrompt(a *args) (check, error) {
	p, err := a.str("prompt_to_repeat")
	if err != nil {
		return nil, err
	}
	prefix := pystr.Lower(pystr.Strip(p))
	return func(resp string) (bool, error) {
		return strings.HasPrefix(pystr.Lower(pystr.Strip(resp)), prefix), nil
	}, nil
}

func endChecker(a *args) (check, error) {
	p, err := a.str("end_phrase")
	if err != nil {
		return nil, err
	}
	suffix := pystr.Lower(pystr.Strip(p))
	return func(resp string) (bool, error) {
		v := pystr.Lower(strings.Trim(pystr.Strip(resp), `"`))
		return strings.HasSuffix(v, suffix), nil
	}, nil
}

// capitalWordFrequency counts the nltk.word_tokenize tokens that are
// str.isupper().
func capitalWordFrequency(a *args) (check, error) {
	a.seen["capital_frequency"] = true
	v, ok := a.m["capital_frequency"]
	if !ok {
		return nil, a.missing("capital_frequency")
	}
	freq, ok := toInt(v)
	if !ok {
		return nil, a.errorf("argument \"capital_frequency\" is %v (%T), not an integer", v, v)
	}
	rel, err := a.relation("capital_relation")
	if err != nil {
		return nil, err
	}
	return func(resp string) (bool, error) {
		n := 0
		for _, tok := range nltk.WordTokenize(resp) {
			if pystr.IsUpper(tok) {
				n++
			}
		}
		return rel.holds(n, freq), nil
	}, nil
}

func englishCapital(resp string) bool {
	if !pystr.IsUpper(resp) {
		return false
	}
	lang, ok := detectLanguage(resp)
	return !ok || lang == "en"
}

func englishLowercase(resp string) bool {
	if !pystr.IsLower(resp) {
		return false
	}
	lang, ok := detectLanguage(resp)
	return !ok || lang == "en"
}

func noComma(resp string) bool { return !strings.Contains(resp, ",") }

func quotation(resp string) bool {
	v := pystr.Strip(resp)
	return len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"'
}
