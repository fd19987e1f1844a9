package tokenizer

import (
	"container/heap"
	"fmt"
	"strings"

	"github.com/dlclark/regexp2"
)

// byteToRune is GPT-2's reversible map of bytes to printable characters:
// printable Latin-1 bytes stand for themselves, the rest for U+0100 onward.
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := make(map[rune]byte, 256)
	next := rune(256)
	for b := range 256 {
		r := rune(b)
		if !((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
			r = next
			next++
		}
		b2r[b] = r
		r2b[r] = byte(b)
	}
	return b2r, r2b
}()

// ByteLevel maps text's bytes to GPT-2's byte-level alphabet, the form in
// which byte-level BPE vocabularies and merges are written.
func ByteLevel(text string) string {
	var sb strings.Builder
	for i := 0; i < len(text); i++ {
		sb.WriteRune(byteToRune[text[i]])
	}
	return sb.String()
}

// preTokenizer splits text into words before BPE, applying each regex in
// turn to the pieces the previous one left (matches and the text between
// them both become pieces), as llama.cpp's unicode_regex_split does.
type preTokenizer struct {
	regexes      []*regexp2.Regexp
	ignoreMerges bool // a word that is a whole token is not split (Llama 3)
}

// GPT-2's pattern, and Llama 3's.
const (
	gpt2Pattern   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

func newPreTokenizer(name string) (*preTokenizer, error) {
	var pats []string
	p := &preTokenizer{}
	switch name {
	case "gpt-2", "gpt2", "phi-2", "":
		pats = []string{gpt2Pattern}
	case "default":
		// llama.cpp's default splits punctuation runs and long numbers
		// first.
		pats = []string{`[\p{P}\$\+<=>\^~\|]+`, gpt2Pattern, `\p{N}+`, `[0-9][0-9][0-9]`}
	case "llama3", "llama-bpe", "llama-v3":
		pats = []string{llama3Pattern}
		p.ignoreMerges = true
	default:
		return nil, fmt.Errorf("pre-tokenizer %q is not supported (parity knows gpt-2, default and llama-bpe)", name)
	}
	for _, s := range pats {
		re, err := regexp2.Compile(s, regexp2.None)
		if err != nil {
			return nil, fmt.Errorf("pre-tokenizer %q: %w", name, err)
		}
		p.regexes = append(p.regexes, re)
	}
	return p, nil
}

func (p *preTokenizer) split(text string) []string {
	words := []string{text}
	for _, re := range p.regexes {
		var next []string
		for _, w := range words {
			rs := []rune(w)
			last := 0
			m, _ := re.FindRunesMatch(rs)
			for m != nil {
				if m.Index > last {
					next = append(next, string(rs[last:m.Index]))
				}
				if m.Length > 0 {
					next = append(next, string(rs[m.Index:m.Index+m.Length]))
				}
				last = m.Index + m.Length
				m, _ = re.FindNextMatch(m)
			}
			if last < len(rs) {
				next = append(next, string(rs[last:]))
			}
		}
		words = next
	}
	return words
}

// bpeQueue pops the lowest merge rank first and, on ties, the leftmost
// pair, as llama.cpp's llm_bigram_bpe comparator orders them.
type bpeQueue []bigram

func (q bpeQueue) Len() int { return len(q) }
func (q bpeQueue) Less(i, j int) bool {
	if q[i].rank != q[j].rank {
		return q[i].rank < q[j].rank
	}
	return q[i].left < q[j].left
}
func (q bpeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *bpeQueue) Push(x any)   { *q = append(*q, x.(bigram)) }
func (q *bpeQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// encodeBPE is llama.cpp's llm_tokenizer_bpe_session: pre-tokenize, map
// each word's bytes to the byte-level alphabet, merge by rank, and emit
// each symbol's token (or its characters' tokens where the symbol is none).
func (t *Tokenizer) encodeBPE(text string, out []int) []int {
	for _, word := range t.pre.split(text) {
		w := ByteLevel(word)
		if t.pre.ignoreMerges {
			if id, ok := t.byPiece[w]; ok {
				out = append(out, id)
				continue
			}
		}
		syms := splitRunes(w)
		if len(syms) == 0 {
			continue
		}
		q := &bpeQueue{}
		try := func(l, r int) {
			if l < 0 || r < 0 {
				return
			}
			left := w[syms[l].start : syms[l].start+syms[l].n]
			right := w[syms[r].start : syms[r].start+syms[r].n]
			rank, ok := t.ranks[[2]string{left, right}]
			if !ok {
				return
			}
			heap.Push(q, bigram{left: l, right: r, rank: rank, size: len(left) + len(right)})
		}
		for i := 1; i < len(syms); i++ {
			try(i-1, i)
		}
		for q.Len() > 0 {
			b := heap.Pop(q).(bigram)
			l, r := &syms[b.left], &syms[b.right]
			if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
				continue
			}
			l.n += r.n
			r.n = 0
			l.next = r.next
			if r.next >= 0 {
				syms[r.next].prev = b.left
			}
			try(l.prev, b.left)
			try(b.left, l.next)
		}
		for i := 0; i != -1; i = syms[i].next {
			s := w[syms[i].start : syms[i].start+syms[i].n]
			if id, ok := t.byPiece[s]; ok {
				out = append(out, id)
				continue
			}
			for k := 0; k < len(s); k++ {
				if id, ok := t.byPiece[s[k:k+1]]; ok {
					out = append(out, id)
				}
			}
		}
	}
	return out
}
