// Command gendata turns the NLTK Punkt English parameters and langdetect's
// language profiles in shared/data/nlp into the compact files that the
// ifeval/nltk and ifeval/langdetect packages embed. It checks every input
// against the folder's SHA256SUMS first, and writes gzip streams without
// timestamps, so the same inputs always give the same bytes.
//
//	go generate ./ifeval   (runs: go run ./internal/gendata -nlp ../../shared/data/nlp -out .)
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	nlp := flag.String("nlp", "../../shared/data/nlp", "shared/data/nlp folder")
	out := flag.String("out", ".", "the ifeval package folder")
	flag.Parse()
	if err := run(*nlp, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

func run(nlp, out string) error {
	sums, err := readSums(filepath.Join(nlp, "SHA256SUMS"))
	if err != nil {
		return err
	}
	read := func(rel string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(nlp, rel))
		if err != nil {
			return nil, err
		}
		want, ok := sums["./"+rel]
		if !ok {
			return nil, fmt.Errorf("%s: not listed in SHA256SUMS", rel)
		}
		h := sha256.Sum256(b)
		if got := hex.EncodeToString(h[:]); got != want {
			return nil, fmt.Errorf("%s: sha256 %s, SHA256SUMS says %s", rel, got, want)
		}
		return b, nil
	}
	punkt, err := punktData(read)
	if err != nil {
		return err
	}
	if err := writeGzip(filepath.Join(out, "nltk", "punkt_english.gz"), punkt); err != nil {
		return err
	}
	ld, err := langdetectData(read, filepath.Join(nlp, "langdetect", "profiles"))
	if err != nil {
		return err
	}
	if err := writeGzip(filepath.Join(out, "langdetect", "profiles.gz"), ld); err != nil {
		return err
	}
	for _, f := range []string{"LICENSE", "NOTICE"} {
		b, err := read("langdetect/" + f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "langdetect", f), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func readSums(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			return nil, fmt.Errorf("%s: bad line %q", path, line)
		}
		out[name] = sum
	}
	return out, nil
}

// punktData is one line per parameter, tagged by kind: "a" abbreviation
// type, "c" collocation (two types, tab-separated), "s" sentence starter, "o"
// orthographic context (type, tab, flags). Entries stay byte-exact (the
// abbreviation ". . " ends in a space).
func punktData(read func(string) ([]byte, error)) ([]byte, error) {
	var b bytes.Buffer
	for _, f := range []struct{ tag, file string }{
		{"a", "abbrev_types.txt"}, {"c", "collocations.tab"}, {"s", "sent_starters.txt"}, {"o", "ortho_context.tab"},
	} {
		data, err := read("punkt_tab/english/" + f.file)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.ContainsAny(line, "\r") {
				return nil, fmt.Errorf("%s: unexpected carriage return in %q", f.file, line)
			}
			if f.tag == "c" || f.tag == "o" {
				if strings.Count(line, "\t") != 1 {
					return nil, fmt.Errorf("%s: want two tab-separated fields in %q", f.file, line)
				}
			}
			fmt.Fprintf(&b, "%s %s\n", f.tag, line)
		}
	}
	return b.Bytes(), nil
}

type profile struct {
	Name   string         `json:"name"`
	Freq   map[string]int `json:"freq"`
	NWords []int          `json:"n_words"`
}

// langdetectData holds the character tables of messages.properties that the
// n-gram normaliser uses, then every profile: a header line
// "profile NAME N1 N2 N3 COUNT" and COUNT lines "GRAM<TAB>FREQ". Profiles are
// in name order and grams in byte order.
func langdetectData(read func(string) ([]byte, error), dir string) ([]byte, error) {
	props, err := read("langdetect/utils/messages.properties")
	if err != nil {
		return nil, err
	}
	msgs := map[string]string{}
	var kanji []string
	sc := bufio.NewScanner(bytes.NewReader(props))
	for sc.Scan() {
		key, val, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		v, err := javaUnescape(val)
		if err != nil {
			return nil, fmt.Errorf("messages.properties: %s: %w", key, err)
		}
		msgs[key] = v
		if strings.HasPrefix(key, "NGram.KANJI_") {
			kanji = append(kanji, key)
		}
	}
	var b bytes.Buffer
	put := func(tag string, vals ...string) error {
		for _, v := range vals {
			if strings.ContainsAny(v, "\t\n") {
				return fmt.Errorf("%s: value contains a tab or newline", tag)
			}
		}
		fmt.Fprintf(&b, "%s\t%s\n", tag, strings.Join(vals, "\t"))
		return nil
	}
	for _, k := range []string{"NGram.LATIN1_EXCLUDE", "TO_NORMALIZE_VI_CHARS", "DMARK_CLASS"} {
		if err := put(k, msgs[k]); err != nil {
			return nil, err
		}
	}
	vi := []string{}
	for _, k := range []string{"0300", "0301", "0303", "0309", "0323"} {
		vi = append(vi, msgs["NORMALIZED_VI_CHARS_"+k])
	}
	if err := put("NORMALIZED_VI_CHARS", vi...); err != nil {
		return nil, err
	}
	for _, k := range kanji {
		if err := put("KANJI", msgs[k]); err != nil {
			return nil, err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		data, err := read("langdetect/profiles/" + name)
		if err != nil {
			return nil, err
		}
		var p profile
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("profile %s: %w", name, err)
		}
		if p.Name != name || len(p.NWords) != 3 {
			return nil, fmt.Errorf("profile %s: name %q, %d n_words", name, p.Name, len(p.NWords))
		}
		grams := make([]string, 0, len(p.Freq))
		for g := range p.Freq {
			if strings.ContainsAny(g, "\t\n") {
				return nil, fmt.Errorf("profile %s: n-gram %q contains a tab or newline", name, g)
			}
			grams = append(grams, g)
		}
		sort.Strings(grams)
		fmt.Fprintf(&b, "profile\t%s\t%d\t%d\t%d\t%d\n", p.Name, p.NWords[0], p.NWords[1], p.NWords[2], len(grams))
		for _, g := range grams {
			fmt.Fprintf(&b, "%s\t%d\n", g, p.Freq[g])
		}
	}
	return b.Bytes(), nil
}

// javaUnescape decodes the \uXXXX escapes of a .properties value (the only
// escapes langdetect's file uses, which Python's unicode_escape also reads).
func javaUnescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+6 > len(s) || s[i+1] != 'u' {
			return "", fmt.Errorf("unsupported escape at byte %d", i)
		}
		n, err := strconv.ParseUint(s[i+2:i+6], 16, 32)
		if err != nil {
			return "", err
		}
		b.WriteRune(rune(n))
		i += 5
	}
	return b.String(), nil
}

func writeGzip(path string, data []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
