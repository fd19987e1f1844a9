package tokenizer

import (
	"encoding/json"
	"github.com/parity-eval/parity/internal/shareddata"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/gguf"
	"github.com/parity-eval/parity/llama/demomodel"
)

func sharedModel(t *testing.T, name string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(filepath.Join(shareddata.Dir(t, "models", name), "models", name))
	if err != nil {
		t.Fatalf("shared model: %v", err)
	}
	return f
}

// reference is the part of llama/testdata/*.llamacpp.json that concerns
// tokenization (see llamacpp_reference.mjs there).
type reference struct {
	Prompts []struct {
		Text   string `json:"text"`
		Tokens []int  `json:"tokens"`
	} `json:"prompts"`
	Tokenize []struct {
		Text        string `json:"text"`
		Tokens      []int  `json:"tokens"`
		WithSpecial []int  `json:"with_special"`
	} `json:"tokenize"`
}

func TestMatchesLlamaCpp(t *testing.T) {
	demo := func(t *testing.T) *gguf.File {
		b, err := demomodel.GGUF()
		if err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, c := range []struct {
		name, ref string
		open      func(*testing.T) *gguf.File
	}{
		{"stories260K.gguf", "stories260K", nil},
		{"TinyStories-656K.f16.gguf", "TinyStories-656K.f16", nil},
		{"demo.gguf (byte-level BPE)", "parity-demo", demo},
	} {
		t.Run(c.name, func(t *testing.T) {
			var f *gguf.File
			if c.open != nil {
				f = c.open(t)
			} else {
				f = sharedModel(t, c.name)
			}
			tok, err := FromGGUF(f)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join("..", "testdata", c.ref+".llamacpp.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ref reference
			if err := json.Unmarshal(b, &ref); err != nil {
				t.Fatal(err)
			}
			if len(ref.Tokenize) == 0 || len(ref.Prompts) == 0 {
				t.Fatal("reference holds no cases")
			}
			for _, c := range ref.Tokenize {
				if d := cmp.Diff(c.Tokens, tok.Encode(c.Text, false, false), cmp.Comparer(eqInts)); d != "" {
					t.Errorf("Encode(%q) (-llama.cpp +parity):\n%s", c.Text, d)
				}
				if d := cmp.Diff(c.WithSpecial, tok.Encode(c.Text, false, true), cmp.Comparer(eqInts)); d != "" {
					t.Errorf("Encode(%q, parseSpecial) (-llama.cpp +parity):\n%s", c.Text, d)
				}
			}
			for _, p := range ref.Prompts {
				if d := cmp.Diff(p.Tokens, tok.Encode(p.Text, true, false)); d != "" {
					t.Errorf("Encode(%q) with BOS (-llama.cpp +parity):\n%s", p.Text, d)
				}
				// Decoding gives the text back (both vocabularies spell
				// these prompts exactly).
				if got := tok.Decode(p.Tokens, true); got != p.Text {
					t.Errorf("Decode(Encode(%q)) = %q", p.Text, got)
				}
			}
		})
	}
}

func eqInts(a, b []int) bool { return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b)) }
