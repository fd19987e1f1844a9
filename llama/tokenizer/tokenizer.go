// Package tokenizer turns text into a GGUF model's token ids and back, as
// llama.cpp does for the same file: SentencePiece-style vocabularies
// (tokenizer.ggml.model "llama": score-ordered merges of adjacent pieces,
// a dummy-prefix space, byte fallback) and GPT-2-style byte-level BPE
// ("gpt2": a pre-tokenizer regex, then ranked merges). Special tokens
// written in the text are recognised, as llama.cpp's server does.
package tokenizer

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/parity-eval/parity/gguf"
)

// Kind is the vocabulary type.
type Kind int

const (
	// SPM is SentencePiece's BPE as Llama 1/2 use it.
	SPM Kind = iota
	// BPE is GPT-2's byte-level BPE (Llama 3, Qwen, …).
	BPE
)

func (k Kind) String() string {
	if k == SPM {
		return "llama (SentencePiece)"
	}
	return "gpt2 (byte-level BPE)"
}

// TokenType is a token's role, as GGUF's tokenizer.ggml.token_type says.
type TokenType int32

// Token types.
const (
	Normal      TokenType = 1
	Unknown     TokenType = 2
	Control     TokenType = 3
	UserDefined TokenType = 4
	Unused      TokenType = 5
	Byte        TokenType = 6
)

// Tokenizer encodes and decodes one model's vocabulary. It is immutable
// and safe for concurrent use.
type Tokenizer struct {
	kind    Kind
	pieces  []string
	scores  []float32
	types   []TokenType
	byPiece map[string]int
	ranks   map[[2]string]int // BPE merges by rank

	bos, eos, unk  int // -1 when the vocabulary has none
	addBOS, addEOS bool
	addSpacePrefix bool
	eog            map[int]bool

	specials []int // control, user-defined and unknown tokens, longest text first
	byteTok  [256]int
	pre      *preTokenizer
	preName  string
}

// FromGGUF builds the tokenizer a GGUF file describes.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	model, err := f.String("tokenizer.ggml.model")
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	pieces, ok := f.Metadata["tokenizer.ggml.tokens"].([]string)
	if !ok || len(pieces) == 0 {
		return nil, errors.New("tokenizer: tokenizer.ggml.tokens missing or not a list of strings")
	}
	t := &Tokenizer{pieces: pieces, byPiece: make(map[string]int, len(pieces)), bos: -1, eos: -1, unk: -1, eog: map[int]bool{}}
	n := len(pieces)
	if s, ok := f.Metadata["tokenizer.ggml.scores"].([]float32); ok {
		if len(s) != n {
			return nil, fmt.Errorf("tokenizer: %d scores for %d tokens", len(s), n)
		}
		t.scores = s
	} else {
		t.scores = make([]float32, n)
	}
	t.types = make([]TokenType, n)
	if tt, ok := f.Metadata["tokenizer.ggml.token_type"].([]int32); ok {
		if len(tt) != n {
			return nil, fmt.Errorf("tokenizer: %d token types for %d tokens", len(tt), n)
		}
		for i, v := range tt {
			t.types[i] = TokenType(v)
		}
	} else {
		for i := range t.types {
			t.types[i] = Normal
		}
	}
	for i, p := range pieces {
		t.byPiece[p] = i // a later duplicate wins, as in llama.cpp
	}
	switch model {
	case "llama":
		t.kind = SPM
		t.bos, t.eos, t.unk = 1, 2, 0
		t.addBOS, t.addSpacePrefix = true, true
	case "gpt2":
		t.kind = BPE
		merges, ok := f.Metadata["tokenizer.ggml.merges"].([]string)
		if !ok {
			return nil, errors.New("tokenizer: gpt2 vocabulary without tokenizer.ggml.merges")
		}
		t.ranks = make(map[[2]string]int, len(merges))
		for i, m := range merges {
			// The separator is the first space after the first character,
			// so a merge of " " with "x" reads as written.
			if k := strings.IndexByte(m[min(1, len(m)):], ' '); k >= 0 {
				k += min(1, len(m))
				key := [2]string{m[:k], m[k+1:]}
				if _, dup := t.ranks[key]; !dup {
					t.ranks[key] = i
				}
			}
		}
		t.preName, _ = f.String("tokenizer.ggml.pre")
		if t.pre, err = newPreTokenizer(t.preName); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	default:
		return nil, fmt.Errorf("tokenizer: tokenizer.ggml.model %q is not supported (want llama or gpt2)", model)
	}
	id := func(key string, dst *int) error {
		v, err := f.Int(key)
		if errors.Is(err, gguf.ErrMissing) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tokenizer: %w", err)
		}
		if v < 0 || v >= int64(n) {
			*dst = -1 // llama.cpp ignores out-of-range ids (e.g. 0xFFFFFFFF)
			return nil
		}
		*dst = int(v)
		return nil
	}
	flag := func(key string, dst *bool) error {
		v, err := f.Bool(key)
		if errors.Is(err, gguf.ErrMissing) {
			return nil
		}
		*dst = v
		return err
	}
	eot, eom := -1, -1
	for _, e := range []error{
		id("tokenizer.ggml.bos_token_id", &t.bos), id("tokenizer.ggml.eos_token_id", &t.eos),
		id("tokenizer.ggml.unknown_token_id", &t.unk), id("tokenizer.ggml.eot_token_id", &eot),
		id("tokenizer.ggml.eom_token_id", &eom),
		flag("tokenizer.ggml.add_bos_token", &t.addBOS), flag("tokenizer.ggml.add_eos_token", &t.addEOS),
		flag("tokenizer.ggml.add_space_prefix", &t.addSpacePrefix),
	} {
		if e != nil {
			return nil, e
		}
	}
	if t.bos >= n {
		t.bos = -1
	}
	if t.eos >= n {
		t.eos = -1
	}
	if t.unk >= n {
		t.unk = -1
	}
	for _, e := range []int{t.eos, eot, eom} {
		if e >= 0 {
			t.eog[e] = true
		}
	}
	for i, p := range pieces {
		switch t.types[i] {
		case Control, UserDefined, Unknown:
			t.specials = append(t.specials, i)
			if t.types[i] == Control && eogTexts[p] {
				t.eog[i] = true
			}
		}
	}
	sort.SliceStable(t.specials, func(a, b int) bool { return len(pieces[t.specials[a]]) > len(pieces[t.specials[b]]) })
	for b := range t.byteTok {
		t.byteTok[b] = -1
	}
	if t.kind == SPM {
		for b := range 256 {
			if i, ok := t.byPiece[fmt.Sprintf("<0x%02X>", b)]; ok {
				t.byteTok[b] = i
			}
		}
	} else {
		for b := range 256 {
			if i, ok := t.byPiece[string(byteToRune[b])]; ok {
				t.byteTok[b] = i
			}
		}
	}
	return t, nil
}

// eogTexts are control tokens that end a generation in chat models, which
// llama.cpp also recognises by their text.
var eogTexts = map[string]bool{
	"<|eot_id|>": true, "<|im_end|>": true, "<|end|>": true, "<end_of_turn>": true,
	"<|endoftext|>": true, "<|eom_id|>": true, "<EOT>": true, "<|end_of_text|>": true,
}

// Kind is the vocabulary type.
func (t *Tokenizer) Kind() Kind { return t.kind }

// VocabSize is the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.pieces) }

// BOS is the beginning-of-sequence token, or -1.
func (t *Tokenizer) BOS() int { return t.bos }

// EOS is the end-of-sequence token, or -1.
func (t *Tokenizer) EOS() int { return t.eos }

// AddsBOS says whether Encode with special tokens puts BOS first.
func (t *Tokenizer) AddsBOS() bool { return t.addBOS && t.bos >= 0 }

// IsEOG says whether id ends a generation (EOS, EOT and their kin).
func (t *Tokenizer) IsEOG(id int) bool { return t.eog[id] }

// IsSpecial says whether id is a control token (BOS, EOS, …), whose text
// decoding leaves out.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.types) && t.types[id] == Control
}

// Piece is the vocabulary's text of id, as stored (SentencePiece's "▁" for
// a space; byte-level BPE's mapped bytes).
func (t *Tokenizer) Piece(id int) string {
	if id < 0 || id >= len(t.pieces) {
		return ""
	}
	return t.pieces[id]
}

// Valid reports whether id is in the vocabulary.
func (t *Tokenizer) Valid(id int) bool { return id >= 0 && id < len(t.pieces) }

// Encode tokenizes text. With addSpecial, BOS (and EOS) are added as the
// vocabulary asks (tokenizer.ggml.add_bos_token; SentencePiece vocabularies
// add BOS by default). Special tokens written in the text (e.g. "<s>",
// "<|eot_id|>") become their ids when parseSpecial is set; user-defined
// tokens always do, as in llama.cpp.
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) []int {
	var out []int
	if addSpecial && t.addBOS && t.bos >= 0 {
		out = append(out, t.bos)
	}
	prevSpecial := true // SentencePiece's dummy prefix goes after a special token too
	for _, fr := range t.partition(text, parseSpecial) {
		if fr.token >= 0 {
			out = append(out, fr.token)
			prevSpecial = true
			continue
		}
		switch t.kind {
		case SPM:
			s := fr.text
			if t.addSpacePrefix && prevSpecial {
				s = " " + s
			}
			out = t.encodeSPM(strings.ReplaceAll(s, " ", "\u2581"), out)
		case BPE:
			out = t.encodeBPE(fr.text, out)
		}
		prevSpecial = false
	}
	if addSpecial && t.addEOS && t.eos >= 0 {
		out = append(out, t.eos)
	}
	return out
}

// fragment is a run of raw text, or a special token (token >= 0).
type fragment struct {
	text  string
	token int
}

// partition splits text at the special tokens written in it, longest
// first, as llama.cpp's tokenizer_st_partition does.
func (t *Tokenizer) partition(text string, parseSpecial bool) []fragment {
	frags := []fragment{{text: text, token: -1}}
	if text == "" {
		return nil
	}
	for _, id := range t.specials {
		if !parseSpecial && t.types[id] != UserDefined {
			continue
		}
		sp := t.pieces[id]
		if sp == "" {
			continue
		}
		var next []fragment
		changed := false
		for _, fr := range frags {
			if fr.token >= 0 || !strings.Contains(fr.text, sp) {
				next = append(next, fr)
				continue
			}
			changed = true
			rest := fr.text
			for {
				k := strings.Index(rest, sp)
				if k < 0 {
					break
				}
				if k > 0 {
					next = append(next, fragment{text: rest[:k], token: -1})
				}
				next = append(next, fragment{token: id})
				rest = rest[k+len(sp):]
			}
			if rest != "" {
				next = append(next, fragment{text: rest, token: -1})
			}
		}
		if changed {
			frags = next
		}
	}
	return frags
}

// Decode joins the tokens' text. Control tokens are left out when
// skipSpecial is set. A SentencePiece vocabulary's dummy-prefix space is
// removed from the first token, as Hugging Face's and llama.cpp's
// detokenizers do. The result may hold invalid UTF-8 where byte tokens
// split a character.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	var b []byte
	atStart := true
	for _, id := range ids {
		if !t.Valid(id) || (skipSpecial && t.types[id] == Control) {
			continue
		}
		b = append(b, t.Text(id, atStart)...)
		if t.types[id] != Control {
			atStart = false
		}
	}
	return string(b)
}

// Text is the text token id adds to a decoded sequence: its piece, less
// the dummy-prefix space when it is the first text token of a SentencePiece
// sequence (atStart).
func (t *Tokenizer) Text(id int, atStart bool) string {
	piece := t.AppendPiece(nil, id)
	if atStart && t.kind == SPM && t.addSpacePrefix && len(piece) > 0 && piece[0] == ' ' && t.types[id] == Normal {
		piece = piece[1:]
	}
	return string(piece)
}

// AppendPiece appends the bytes token id stands for: "▁" becomes a space,
// byte tokens their byte, byte-level BPE pieces their bytes; a control
// token its written form.
func (t *Tokenizer) AppendPiece(b []byte, id int) []byte {
	if !t.Valid(id) {
		return b
	}
	p := t.pieces[id]
	switch t.types[id] {
	case Byte:
		if t.kind == SPM && len(p) == 6 && strings.HasPrefix(p, "<0x") {
			var v byte
			if _, err := fmt.Sscanf(p[3:5], "%02X", &v); err == nil {
				return append(b, v)
			}
		}
	case Control, UserDefined, Unknown:
		return append(b, p...)
	}
	if t.kind == SPM {
		return append(b, strings.ReplaceAll(p, "\u2581", " ")...)
	}
	for _, r := range p {
		if c, ok := runeToByte[r]; ok {
			b = append(b, c)
		} else {
			b = append(b, string(r)...)
		}
	}
	return b
}
