package datasets

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/parity-eval/parity/datasets/zipcrypto"
)

// GPQAPassword is the password of the GPQA authors' dataset.zip, published
// in their README (it keeps the questions out of web crawls, not secret).
const GPQAPassword = "deserted-untie-orchid"

// pandasNA are pandas.read_csv's default NA strings (pandas >= 2.0, which
// added "None"): cells spelled so become null, as in the Hub's parquet
// conversion of a CSV dataset.
var pandasNA = map[string]bool{
	"": true, "#N/A": true, "#N/A N/A": true, "#NA": true, "-1.#IND": true, "-1.#QNAN": true,
	"-NaN": true, "-nan": true, "1.#IND": true, "1.#QNAN": true, "<NA>": true, "N/A": true,
	"NA": true, "NULL": true, "NaN": true, "None": true, "n/a": true, "nan": true, "null": true,
}

// LoadZipCSV reads the CSV member of a zip archive, decrypting it with
// password when it is ZipCrypto-encrypted. Like pandas.read_csv, cells
// holding one of pandas' NA strings become nil; unlike it, every other
// value stays a string (no numeric columns), which is all the text columns
// tasks read need.
func LoadZipCSV(ctx context.Context, zipPath, member string, password []byte) ([]Doc, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != member {
			continue
		}
		b, err := zipcrypto.ReadFile(f, password)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", zipPath, err)
		}
		br := bufio.NewReader(bytes.NewReader(b))
		skipBOM(br)
		docs, err := readCSV(ctx, br)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", zipPath, member, err)
		}
		for _, d := range docs {
			for k, v := range d {
				if s, ok := v.(string); ok && pandasNA[s] {
					d[k] = nil
				}
			}
		}
		return docs, nil
	}
	return nil, fmt.Errorf("%s: no member %q", zipPath, member)
}

// Source is what ZipSource falls back to (a *Loader).
type Source interface {
	Load(ctx context.Context, ref Ref) ([]Doc, error)
}

// ZipSource serves the splits of one dataset from CSV members of a zip
// archive and passes every other Ref to Next. GPQAZip builds the one for
// GPQA, for users without access to the gated Hub dataset.
type ZipSource struct {
	Next     Source
	Zip      string
	Password []byte
	// Dataset is the Hub id the archive stands in for.
	Dataset string
	// Members maps a config to its CSV member (every split of it).
	Members map[string]string
}

// GPQAZip serves Idavidrein/gpqa from the authors' dataset.zip at path.
func GPQAZip(next Source, path string) *ZipSource {
	m := map[string]string{}
	for _, c := range []string{"main", "diamond", "extended", "experts"} {
		m["gpqa_"+c] = "dataset/gpqa_" + c + ".csv"
	}
	return &ZipSource{Next: next, Zip: path, Password: []byte(GPQAPassword), Dataset: "Idavidrein/gpqa", Members: m}
}

// Load implements the tasks' DocSource.
func (z *ZipSource) Load(ctx context.Context, ref Ref) ([]Doc, error) {
	if len(ref.Files) > 0 || !strings.EqualFold(ref.Path, z.Dataset) {
		return z.Next.Load(ctx, ref)
	}
	member, ok := z.Members[ref.config()]
	if !ok {
		return nil, ref.errorf(z.Zip, fmt.Errorf("%w: config %q is not in the archive", ErrNotFound, ref.config()))
	}
	docs, err := LoadZipCSV(ctx, z.Zip, member, z.Password)
	if err != nil {
		return nil, ref.errorf(z.Zip, err)
	}
	return docs, nil
}
