// Package demomodel holds parity's own tiny language model, embedded in
// the binary so that `parity demo` and `parity serve` work on a machine
// with nothing else: a Llama-architecture model trained from scratch by
// train.py beside this file (fixed seed and step count; see model/README.md
// for how it was made and how to make it again). Its quality does not
// matter; that it is a real model, served by the real engine, does.
package demomodel

import (
	"embed"
	"errors"
	"io/fs"
)

// The folder always holds README.md, so the build works before a model has
// been trained; model/demo.gguf is embedded when it is there.
//
//go:embed model
var files embed.FS

// FileName is the embedded model's name inside the folder.
const FileName = "model/demo.gguf"

// ErrNotBuilt says this binary was built without a trained model.
var ErrNotBuilt = errors.New("this parity binary has no embedded demo model (train it with llama/demomodel/train.py, see its README)")

// GGUF returns the embedded model file.
func GGUF() ([]byte, error) {
	b, err := files.ReadFile(FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotBuilt
	}
	return b, err
}
