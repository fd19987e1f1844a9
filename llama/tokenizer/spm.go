package tokenizer

import (
	"container/heap"
	"unicode/utf8"
)

// symbol is a run of text in the merge chain; n == 0 once merged away.
type symbol struct {
	start, n   int
	prev, next int
}

// bigram is a candidate merge of two adjacent symbols.
type bigram struct {
	left, right int
	score       float32 // SPM: the merged piece's score (higher first)
	rank        int     // BPE: the merge's rank (lower first)
	size        int
}

// spmQueue pops the highest score first and, on ties, the leftmost pair,
// as llama.cpp's llm_bigram_spm comparator orders them.
type spmQueue []bigram

func (q spmQueue) Len() int { return len(q) }
func (q spmQueue) Less(i, j int) bool {
	if q[i].score != q[j].score {
		return q[i].score > q[j].score
	}
	return q[i].left < q[j].left
}
func (q spmQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *spmQueue) Push(x any)   { *q = append(*q, x.(bigram)) }
func (q *spmQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// splitRunes makes one symbol per UTF-8 character (an invalid byte is a
// character of its own, as llama.cpp's unicode_len_utf8 treats it).
func splitRunes(text string) []symbol {
	syms := make([]symbol, 0, len(text))
	for off := 0; off < len(text); {
		_, n := utf8.DecodeRuneInString(text[off:])
		syms = append(syms, symbol{start: off, n: n, prev: len(syms) - 1, next: len(syms) + 1})
		off += n
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms
}

// encodeSPM is llama.cpp's llm_tokenizer_spm_session: merge the adjacent
// pair whose union is the best-scoring vocabulary piece until none is left,
// then emit each symbol's token, or its bytes as byte tokens.
func (t *Tokenizer) encodeSPM(text string, out []int) []int {
	syms := splitRunes(text)
	if len(syms) == 0 {
		return out
	}
	q := &spmQueue{}
	revMerge := map[string][2]int{}
	try := func(l, r int) {
		if l < 0 || r < 0 {
			return
		}
		s := text[syms[l].start : syms[l].start+syms[l].n+syms[r].n]
		id, ok := t.byPiece[s]
		if !ok {
			return
		}
		heap.Push(q, bigram{left: l, right: r, score: t.scores[id], size: len(s)})
		revMerge[s] = [2]int{l, r}
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
	var resegment func(s symbol)
	resegment = func(s symbol) {
		piece := text[s.start : s.start+s.n]
		if id, ok := t.byPiece[piece]; ok {
			out = append(out, id)
			return
		}
		if m, ok := revMerge[piece]; ok {
			resegment(syms[m[0]])
			resegment(syms[m[1]])
			return
		}
		for k := 0; k < len(piece); k++ {
			if id := t.byteTok[piece[k]]; id >= 0 {
				out = append(out, id)
			} else if t.unk >= 0 {
				// llama.cpp aborts here; a vocabulary without byte tokens
				// gets the unknown token instead.
				out = append(out, t.unk)
			}
		}
	}
	for i := 0; i != -1; i = syms[i].next {
		resegment(syms[i])
	}
	return out
}
