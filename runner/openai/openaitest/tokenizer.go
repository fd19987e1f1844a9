package openaitest

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Special token ids. Ordinary ids are never this small: they carry their
// piece's bytes (see pieceID), so the vocabulary needs no table and is the
// same in every Server, whatever order texts arrive in.
const (
	BOS = 1
	EOS = 2
)

const (
	bosText = "<s>"
	eosText = "</s>"
	// A piece of one to three bytes is stored as len<<24 | bytes; a lone
	// four-byte rune as runeBase + rune.
	runeBase = 4 << 24
	maxID    = runeBase + unicode.MaxRune
)

// tokenize splits text the way GPT-2's pre-tokenizer does in spirit (a word
// takes one leading space, punctuation runs and digit runs are words of their
// own, newlines stand apart) and then cuts each word into pieces of at most
// three bytes from its end, never inside a rune. So "Answer: A" is
// [Ans wer : ␠A], and joining two texts can change the tokens before the
// seam, as real tokenizers do.
func tokenize(text string, out []int) []int {
	for len(text) > 0 {
		n := wordLen(text)
		out = appendPieces(out, text[:n])
		text = text[n:]
	}
	return out
}

type class uint8

const (
	classSpace class = iota
	classNewline
	classLetter
	classDigit
	classOther
)

// asciiClass holds classOf for ASCII, the common case.
var asciiClass = func() (t [utf8.RuneSelf]class) {
	for r := range t {
		t[r] = classOfSlow(rune(r))
	}
	return t
}()

func classOf(r rune) class {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	return classOfSlow(r)
}

func classOfSlow(r rune) class {
	switch {
	case r == '\n' || r == '\r':
		return classNewline
	case unicode.IsSpace(r):
		return classSpace
	case unicode.IsLetter(r) || r == '_':
		return classLetter
	case unicode.IsDigit(r):
		return classDigit
	default:
		return classOther
	}
}

// wordLen returns the byte length of the pre-token at the start of s.
func wordLen(s string) int {
	r, size := utf8.DecodeRuneInString(s)
	c := classOf(r)
	if r == ' ' && len(s) > size {
		// One space joins the word after it.
		r2, size2 := utf8.DecodeRuneInString(s[size:])
		if c2 := classOf(r2); c2 >= classLetter {
			return size + size2 + runLen(s[size+size2:], c2)
		}
	}
	if c == classSpace {
		n := size + runLen(s[size:], classSpace)
		// Leave a final space to the word that follows, as GPT-2 does.
		if n > 1 && n < len(s) && s[n-1] == ' ' {
			if r2, _ := utf8.DecodeRuneInString(s[n:]); classOf(r2) >= classLetter {
				n--
			}
		}
		return n
	}
	return size + runLen(s[size:], c)
}

func runLen(s string, c class) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if classOf(r) != c {
			break
		}
		n += size
	}
	return n
}

// appendPieces cuts a pre-token into pieces of at most three bytes, from
// its end: so "Hel" is one piece but "Hello" is "He"+"llo", and a word's
// pieces depend on what follows, as BPE merges do.
func appendPieces(out []int, w string) []int {
	first := len(out)
	for end := len(w); end > 0; {
		start := end
		for start > 0 {
			_, size := utf8.DecodeLastRuneInString(w[:start])
			if size == 4 {
				if start == end {
					start -= 4 // a four-byte rune is a piece of its own
				}
				break
			}
			if end-(start-size) > 3 {
				break
			}
			start -= size
		}
		out = append(out, pieceID(w[start:end]))
		end = start
	}
	slices.Reverse(out[first:]) // cut from the end, emitted from the start
	return out
}

func pieceID(p string) int {
	if len(p) == 4 {
		r, _ := utf8.DecodeRuneInString(p)
		return runeBase + int(r)
	}
	id := len(p) << 24
	for i := 0; i < len(p); i++ {
		id |= int(p[i]) << (16 - 8*i)
	}
	return id
}

// tokenText returns the text of a token id, and false for an id that no text
// tokenizes to.
func tokenText(id int) (string, bool) {
	var buf [4]byte
	p, ok := appendToken(buf[:0], id)
	return string(p), ok
}

// appendToken appends the text of a token id to b without allocating.
func appendToken(b []byte, id int) ([]byte, bool) {
	switch {
	case id == BOS:
		return append(b, bosText...), true
	case id == EOS:
		return append(b, eosText...), true
	case id >= runeBase && id <= maxID:
		r := rune(id - runeBase)
		if utf8.RuneLen(r) != 4 {
			return b, false
		}
		return utf8.AppendRune(b, r), true
	case id >= 1<<24 && id < runeBase:
		n := id >> 24
		for i := 0; i < n; i++ {
			b = append(b, byte(id>>(16-8*i)))
		}
		return b, true
	}
	return b, false
}

func detokenize(ids []int) (string, bool) {
	var sb strings.Builder
	for _, id := range ids {
		t, ok := tokenText(id)
		if !ok {
			return "", false
		}
		sb.WriteString(t)
	}
	return sb.String(), true
}
