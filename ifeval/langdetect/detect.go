package langdetect

import (
	"errors"
	"math"
	"sort"

	"github.com/parity-eval/parity/ifeval/internal/pystr"
	"github.com/parity-eval/parity/pyrandom"
)

// ErrNoFeatures is langdetect's LangDetectException "No features in text.":
// nothing in the text is an n-gram of any profile (only digits and
// punctuation, say).
var ErrNoFeatures = errors.New("langdetect: no features in text")

// Detector constants of langdetect 1.0.9.
const (
	alphaDefault   = 0.5
	alphaWidth     = 0.05
	iterationLimit = 1000
	probThreshold  = 0.1
	convThreshold  = 0.99999
	baseFreq       = 10000
	nTrial         = 7
	maxTextLength  = 10000
)

// Language is one detected language and its probability.
type Language struct {
	Lang string
	Prob float64
}

// Detect is langdetect.detect(text) with DetectorFactory.seed = 0 on the
// default model: the most probable language, "unknown" when none has
// probability above 0.1, or ErrNoFeatures.
func Detect(text string) (string, error) { return Default().Detect(text, 0) }

// Detect returns the most probable language with the random stream seeded
// by seed (Python's random.seed(seed)).
func (m *Model) Detect(text string, seed int64) (string, error) {
	langs, err := m.Probabilities(text, seed)
	if err != nil {
		return "", err
	}
	if len(langs) == 0 {
		return "unknown", nil
	}
	return langs[0].Lang, nil
}

// Probabilities is Detector.get_probabilities: the languages with
// probability above 0.1, most probable first (ties keep model order).
func (m *Model) Probabilities(text string, seed int64) ([]Language, error) {
	ngrams := m.extractNGrams(m.cleanText(m.prepare(text)))
	if len(ngrams) == 0 {
		return nil, ErrNoFeatures
	}
	n := len(m.langs)
	langprob := make([]float64, n)
	rng := &random{r: pyrandom.New(seed)}
	prob := make([]float64, n)
	for range nTrial {
		for i := range prob {
			prob[i] = 1.0 / float64(n)
		}
		alpha := alphaDefault + rng.gauss()*alphaWidth
		for i := 0; ; i++ {
			m.updateLangProb(prob, ngrams[rng.r.Choice(len(ngrams))], alpha)
			if i%5 == 0 {
				if normalizeProb(prob) > convThreshold || i >= iterationLimit {
					break
				}
			}
		}
		for j := range langprob {
			langprob[j] += prob[j] / nTrial
		}
	}
	var out []Language
	for i, p := range langprob {
		if p > probThreshold {
			out = append(out, Language{m.langs[i], p})
		}
	}
	// Python's list.sort(reverse=True) is stable: equal probabilities keep
	// their order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Prob > out[j].Prob })
	return out, nil
}

// updateLangProb multiplies each language's probability by alpha/BASE_FREQ
// plus the n-gram's frequency in that language.
func (m *Model) updateLangProb(prob []float64, gram string, alpha float64) {
	weight := alpha / baseFreq
	k := 0
	entries := m.grams[gram]
	for i := range prob {
		p := 0.0
		if k < len(entries) && entries[k].lang == i {
			p = entries[k].p
			k++
		}
		prob[i] *= weight + p
	}
}

// normalizeProb divides by the sum (added left to right, as CPython 3.11's
// sum() does) and returns the largest probability.
func normalizeProb(prob []float64) float64 {
	sum := 0.0
	for _, p := range prob {
		sum += p
	}
	maxp := 0.0
	for i, p := range prob {
		p /= sum
		if maxp < p {
			maxp = p
		}
		prob[i] = p
	}
	return maxp
}

// random is random.Random with the gauss() state that langdetect uses: each
// call to gauss draws two numbers and keeps the second for the next call.
type random struct {
	r         *pyrandom.Random
	gaussNext float64
	haveNext  bool
}

func (g *random) gauss() float64 {
	if g.haveNext {
		g.haveNext = false
		return g.gaussNext
	}
	x2pi := g.r.Random() * 2 * math.Pi
	g2rad := math.Sqrt(-2.0 * math.Log(1.0-g.r.Random()))
	g.gaussNext, g.haveNext = math.Sin(x2pi)*g2rad, true
	return math.Cos(x2pi) * g2rad
}

// prepare is Detector.append: URLs and e-mail addresses become spaces,
// Vietnamese letters with a combining mark are composed, runs of spaces
// collapse to one, and only the first 10,000 characters are kept.
func (m *Model) prepare(text string) []rune {
	rs := replaceMails(replaceURLs([]rune(text)))
	rs = m.normalizeVI(rs)
	if len(rs) > maxTextLength {
		rs = rs[:maxTextLength]
	}
	out := make([]rune, 0, len(rs))
	var pre rune = -1
	for _, r := range rs {
		if r != ' ' || pre != ' ' {
			out = append(out, r)
		}
		pre = r
	}
	return out
}

// cleanText is Detector.cleaning_text: when non-Latin characters are more
// than twice the Latin ones, the Latin ones are dropped. (langdetect compares
// a block number with a block name there, so every character from U+0300
// on counts as non-Latin, Latin Extended Additional included; kept as is.)
func (m *Model) cleanText(text []rune) []rune {
	latin, nonLatin := 0, 0
	for _, r := range text {
		switch {
		case r >= 'A' && r <= 'z':
			latin++
		case r >= 0x300:
			nonLatin++
		}
	}
	if latin*2 >= nonLatin {
		return text
	}
	out := text[:0:0]
	for _, r := range text {
		if r < 'A' || r > 'z' {
			out = append(out, r)
		}
	}
	return out
}

// extractNGrams is Detector._extract_ngrams: the 1-, 2- and 3-grams ending
// at each character that some profile knows, skipping words in capitals.
func (m *Model) extractNGrams(text []rune) []string {
	var out []string
	grams := []rune{' '}
	capital := false
	for _, ch := range text {
		ch = m.normalize(ch)
		last := grams[len(grams)-1]
		if last == ' ' {
			grams = grams[:1]
			grams[0] = ' '
			capital = false
			if ch == ' ' {
				continue
			}
		} else if len(grams) >= 3 {
			grams = append(grams[:0], grams[1:]...)
		}
		grams = append(grams, ch)
		if pystr.IsUpper(string(ch)) {
			if pystr.IsUpper(string(last)) {
				capital = true
			}
		} else {
			capital = false
		}
		if capital {
			continue
		}
		for n := 1; n <= 3 && n <= len(grams); n++ {
			w := grams[len(grams)-n:]
			if n == 1 && w[0] == ' ' {
				continue
			}
			s := string(w)
			if _, ok := m.grams[s]; ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// normalize is NGram.normalize: the character classes that the profiles
// were built with.
func (m *Model) normalize(ch rune) rune {
	switch {
	case ch <= 0x7f:
		if ch < 'A' || (ch > 'Z' && ch < 'a') || ch > 'z' {
			return ' '
		}
	case ch <= 0xff:
		if m.latin1Exclude[ch] {
			return ' '
		}
	case ch >= 0x180 && ch <= 0x24f: // Latin Extended-B: Romanian comma-below letters
		switch ch {
		case 0x219:
			return 0x15f
		case 0x21b:
			return 0x163
		}
	case ch >= 0x2000 && ch <= 0x206f: // General Punctuation
		return ' '
	case ch >= 0x600 && ch <= 0x6ff: // Arabic: Farsi yeh → Arabic yeh
		if ch == 0x6cc {
			return 0x64a
		}
	case ch >= 0x1e00 && ch <= 0x1eff: // Latin Extended Additional
		if ch >= 0x1ea0 {
			return 0x1ec3
		}
	case ch >= 0x3040 && ch <= 0x309f:
		return 0x3042
	case ch >= 0x30a0 && ch <= 0x30ff:
		return 0x30a2
	case (ch >= 0x3100 && ch <= 0x312f) || (ch >= 0x31a0 && ch <= 0x31bf):
		return 0x3105
	case ch >= 0x4e00 && ch <= 0x9fff:
		if r, ok := m.cjk[ch]; ok {
			return r
		}
	case ch >= 0xac00 && ch <= 0xd7af:
		return 0xac00
	}
	return ch
}

// normalizeVI is NGram.normalize_vi: a Vietnamese base letter followed by a
// combining diacritic becomes the precomposed letter.
func (m *Model) normalizeVI(rs []rune) []rune {
	var out []rune
	for i := 0; i < len(rs); i++ {
		if i+1 < len(rs) {
			if base, ok := m.viIndex[rs[i]]; ok {
				if mark := indexRune(m.viMark, rs[i+1]); mark >= 0 {
					if out == nil {
						out = append(make([]rune, 0, len(rs)), rs[:i]...)
					}
					out = append(out, m.viComposed[mark][base])
					i++
					continue
				}
			}
		}
		if out != nil {
			out = append(out, rs[i])
		}
	}
	if out == nil {
		return rs
	}
	return out
}

func indexRune(rs []rune, r rune) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}

func urlChar(r rune) bool {
	return r == '-' || r == '_' || r == '.' || r == '?' || r == '&' || r == '~' || r == ';' ||
		r == '+' || r == '=' || r == '/' || r == '#' ||
		(r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')
}

func hasPrefix(rs []rune, i int, p string) bool {
	if i+len(p) > len(rs) {
		return false
	}
	for k := 0; k < len(p); k++ {
		if rs[i+k] != rune(p[k]) {
			return false
		}
	}
	return true
}

// replaceURLs is URL_RE.sub(" ", text) with
// URL_RE = https?://[-_.?&~;+=/#0-9A-Za-z]{1,2076}.
func replaceURLs(rs []rune) []rune {
	var out []rune
	last := 0
	for i := 0; i < len(rs); i++ {
		var start int
		switch {
		case hasPrefix(rs, i, "https://"):
			start = i + 8
		case hasPrefix(rs, i, "http://"):
			start = i + 7
		default:
			continue
		}
		end := start
		for end < len(rs) && end-start < 2076 && urlChar(rs[end]) {
			end++
		}
		if end == start {
			continue
		}
		out = append(out, rs[last:i]...)
		out = append(out, ' ')
		last = end
		i = end - 1
	}
	if out == nil {
		return rs
	}
	return append(out, rs[last:]...)
}

func mailLocal(r rune) bool {
	return r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')
}

func mailHost(r rune) bool { return r != '.' && mailLocal(r) }

// runLengths[i] is the length of the run of characters satisfying f that
// starts at i.
func runLengths(rs []rune, f func(rune) bool) []int {
	out := make([]int, len(rs)+1)
	for i := len(rs) - 1; i >= 0; i-- {
		if f(rs[i]) {
			out[i] = out[i+1] + 1
		}
	}
	return out
}

// replaceMails is MAIL_RE.sub(" ", text) with MAIL_RE =
// [-_.0-9A-Za-z]{1,64}@[-_0-9A-Za-z]{1,255}[-_.0-9A-Za-z]{1,255}, worked out
// in closed form: the local part must run unbroken up to the "@" (no more
// than 64 characters), and after it the greedy host part gives back what
// the last part needs.
func replaceMails(rs []rune) []rune {
	hasAt := false
	for _, r := range rs {
		if r == '@' {
			hasAt = true
			break
		}
	}
	if !hasAt {
		return rs
	}
	local := runLengths(rs, mailLocal)
	host := runLengths(rs, mailHost)
	var out []rune
	last := 0
	for i := 0; i < len(rs); i++ {
		a := local[i]
		if a == 0 || a > 64 || i+a >= len(rs) || rs[i+a] != '@' {
			continue
		}
		q := i + a + 1
		b, c := host[q], local[q]
		j := min(b, 255, c-1)
		if j < 1 {
			continue
		}
		end := q + j + min(c-j, 255)
		out = append(out, rs[last:i]...)
		out = append(out, ' ')
		last = end
		i = end - 1
	}
	if out == nil {
		return rs
	}
	return append(out, rs[last:]...)
}
