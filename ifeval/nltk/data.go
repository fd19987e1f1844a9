package nltk

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// punktEnglishGz is NLTK's pre-trained Punkt English model (nltk_data
// punkt_tab/english, MIT License, trained by Jan Strunk and Tibor Kiss on the
// Penn Treebank WSJ corpus), one tagged line per parameter; see
// ../internal/gendata.
//
//go:embed punkt_english.gz
var punktEnglishGz []byte

// English returns the Punkt sentence tokenizer with NLTK's English
// parameters, the model that nltk.sent_tokenize and IFEval's count_sentences
// load. It is built once and is safe for concurrent use.
func English() *Punkt { return englishOnce() }

var englishOnce = sync.OnceValue(func() *Punkt {
	p, err := parsePunkt(punktEnglishGz)
	if err != nil {
		// The data is embedded at build time and checked by the tests.
		panic("nltk: embedded Punkt English model: " + err.Error())
	}
	return p
})

func parsePunkt(gz []byte) (*Punkt, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	p := &Punkt{
		abbrev:   map[string]bool{},
		colloc:   map[[2]string]bool{},
		starters: map[string]bool{},
		ortho:    map[string]int{},
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i, line := range lines {
		tag, rest, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("line %d: no tag", i+1)
		}
		switch tag {
		case "a":
			p.abbrev[rest] = true
		case "s":
			p.starters[rest] = true
		case "c":
			a, b, _ := strings.Cut(rest, "\t")
			p.colloc[[2]string{a, b}] = true
		case "o":
			typ, flags, _ := strings.Cut(rest, "\t")
			n, err := strconv.Atoi(flags)
			if err != nil {
				return nil, fmt.Errorf("line %d: ortho context %q: %w", i+1, rest, err)
			}
			p.ortho[typ] = n
		default:
			return nil, fmt.Errorf("line %d: unknown tag %q", i+1, tag)
		}
	}
	return p, nil
}
