package nltk

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parity-eval/parity/ifeval/internal/pystr"
)

type wordGolden struct {
	Cases []struct {
		Text   string   `json:"text"`
		Tokens []string `json:"tokens"`
	} `json:"cases"`
	Responses []struct {
		Key    int    `json:"key"`
		Tokens int    `json:"tokens"`
		Upper  int    `json:"upper"`
		SHA256 string `json:"sha256"`
	} `json:"responses"`
}

func readWordGolden(t *testing.T) wordGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/word_tokenize_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g wordGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestWordTokenizeCases(t *testing.T) {
	for _, c := range readWordGolden(t).Cases {
		if diff := cmp.Diff(c.Tokens, WordTokenize(c.Text)); diff != "" {
			t.Errorf("word_tokenize(%q) (-nltk +parity):\n%s", c.Text, diff)
		}
	}
}

// pyJSONList is json.dumps(list_of_str, ensure_ascii=False).
func pyJSONList(toks []string) string {
	parts := make([]string, len(toks))
	for i, s := range toks {
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range s {
			switch {
			case r == '"':
				b.WriteString(`\"`)
			case r == '\\':
				b.WriteString(`\\`)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r < 0x20:
				b.WriteString(`\u00` + hex.EncodeToString([]byte{byte(r)}))
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
		parts[i] = b.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// TestWordTokenizeGPT4Responses compares the full token lists (by hash) and
// the capital-word counts on all 541 reference responses.
func TestWordTokenizeGPT4Responses(t *testing.T) {
	responses := gpt4Responses(t)
	g := readWordGolden(t)
	if len(g.Responses) != 541 {
		t.Fatalf("%d golden responses", len(g.Responses))
	}
	for _, want := range g.Responses {
		toks := WordTokenize(responses[want.Key])
		upper := 0
		for _, tok := range toks {
			if pystr.IsUpper(tok) {
				upper++
			}
		}
		h := sha256.Sum256([]byte(pyJSONList(toks)))
		if len(toks) != want.Tokens || upper != want.Upper || hex.EncodeToString(h[:]) != want.SHA256 {
			t.Errorf("key %d: %d tokens (%d upper), nltk %d (%d upper); hashes equal: %v",
				want.Key, len(toks), upper, want.Tokens, want.Upper, hex.EncodeToString(h[:]) == want.SHA256)
		}
	}
}

func TestCountWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"Hello, world!", 2},
		{"don't stop_me now 3.14", 6},
		{"हिंदी भाषा", 4}, // Python's \w excludes the combining vowel signs
		{"日本語のテキスト", 1},
		{"a\u00a0b", 2},
	} {
		if got := CountWords(c.in); got != c.want {
			t.Errorf("CountWords(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}
