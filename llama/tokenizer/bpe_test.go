package tokenizer

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/gguf"
)

// tinyBPE is a byte-level BPE vocabulary built by hand: the 256 byte
// characters, nine merges and a control token.
func tinyBPE(t *testing.T, pre string) *Tokenizer {
	t.Helper()
	var toks []string
	for b := range 256 {
		toks = append(toks, string(byteToRune[b]))
	}
	merges := []string{"l l", "H e", "He ll", "Hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"}
	for _, m := range merges {
		var a, b string
		for i := 1; i < len(m); i++ {
			if m[i] == ' ' {
				a, b = m[:i], m[i+1:]
				break
			}
		}
		toks = append(toks, a+b)
	}
	toks = append(toks, "<|endoftext|>")
	types := make([]int32, len(toks))
	for i := range types {
		types[i] = int32(Normal)
	}
	types[len(toks)-1] = int32(Control)
	var w gguf.Writer
	w.Set("tokenizer.ggml.model", "gpt2")
	w.Set("tokenizer.ggml.pre", pre)
	w.Set("tokenizer.ggml.tokens", toks)
	w.Set("tokenizer.ggml.token_type", types)
	w.Set("tokenizer.ggml.merges", merges)
	w.Set("tokenizer.ggml.eos_token_id", uint32(len(toks)-1))
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestBPE(t *testing.T) {
	tok := tinyBPE(t, "gpt-2")
	id := func(piece string) int { return tok.byPiece[piece] }
	bytes := func(s string) []int {
		var out []int
		for i := 0; i < len(s); i++ {
			out = append(out, id(string(byteToRune[s[i]])))
		}
		return out
	}
	eot := tok.VocabSize() - 1
	cases := []struct {
		text string
		want []int
	}{
		{"Hello world", []int{id("Hello"), id("Ġworld")}},
		// GPT-2's pre-tokenizer: "'s" and " 2024" are words of their own, so
		// no merge crosses them; "Hello" after "x" is another word.
		{"it's 2024", bytes("it's 2024")},
		// "xHello" is one word: the merges still find "Hello" in it.
		{"xHello", []int{id("x"), id("Hello")}},
		{"Hello<|endoftext|> world", append([]int{id("Hello"), eot}, id("Ġworld"))},
		{"héllo", append(bytes("hé"), id("ll"), id("o"))},
	}
	for _, c := range cases {
		got := tok.Encode(c.text, false, true)
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("Encode(%q) (-want +got):\n%s", c.text, d)
		}
		if back := tok.Decode(got, false); back != c.text {
			t.Errorf("Decode(Encode(%q)) = %q", c.text, back)
		}
	}
	if !tok.IsEOG(eot) {
		t.Error("<|endoftext|> does not end generation")
	}
	if tok.AddsBOS() {
		t.Error("a BPE vocabulary without add_bos_token adds BOS")
	}
	if _, err := newPreTokenizer("no-such-pre"); err == nil {
		t.Error("unknown pre-tokenizer accepted")
	}
}

func TestPreTokenizers(t *testing.T) {
	cases := []struct {
		pre, text string
		want      []string
	}{
		{"gpt-2", "Hello world,  it's 12345!\n\nOK", []string{"Hello", " world", ",", " ", " it", "'s", " 12345", "!", "\n", "\n", "OK"}},
		{"llama-bpe", "Hello world,  it's 12345!\n\nOK", []string{"Hello", " world", ",", " ", " it", "'s", " ", "123", "45", "!\n\n", "OK"}},
	}
	for _, c := range cases {
		p, err := newPreTokenizer(c.pre)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(c.want, p.split(c.text)); d != "" {
			t.Errorf("%s: split(%q) (-want +got):\n%s", c.pre, c.text, d)
		}
	}
}
