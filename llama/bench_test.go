package llama

import (
	"context"
	"strings"
	"testing"

	"github.com/parity-eval/parity/gguf"
	"github.com/parity-eval/parity/llama/demomodel"
)

// Throughput on real model files: prompt scoring (one batch of ~400 tokens
// with every token's log-probability and its best alternative, as a
// loglikelihood request needs) and greedy generation (one token at a time
// with the KV cache). Reported as tokens/s.

func benchModel(b *testing.B, name string) *Model {
	if name == "demo.gguf" {
		raw, err := demomodel.GGUF()
		if err != nil {
			b.Fatal(err)
		}
		f, err := gguf.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		m, err := Load(f, Options{})
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	m, err := LoadFile(sharedModelPath(b, name), Options{ContextLen: 512})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

var benchModels = []string{"stories260K.gguf", "TinyStories-656K.f16.gguf", "demo.gguf"}

func BenchmarkPromptScoring(b *testing.B) {
	for _, name := range benchModels {
		b.Run(name, func(b *testing.B) {
			m := benchModel(b, name)
			text := strings.Repeat("Once upon a time, there was a little girl named Lily. She loved to play outside. ", 12)
			p := m.Tok.Encode(text, true, false)
			p = p[:min(len(p), 400)]
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				// A fresh session each time: nothing is reused.
				if _, err := m.NewSession(0).Complete(ctx, Request{Prompt: p, PromptLogprobs: true, TopN: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(p)*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, name := range benchModels {
		b.Run(name, func(b *testing.B) {
			m := benchModel(b, name)
			p := m.Tok.Encode("Once upon a time", true, false)
			ctx := context.Background()
			n := 0
			b.ResetTimer()
			for range b.N {
				r, err := m.NewSession(0).Complete(ctx, Request{Prompt: p, MaxTokens: 200, IgnoreEOS: true})
				if err != nil {
					b.Fatal(err)
				}
				n += len(r.Tokens)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
