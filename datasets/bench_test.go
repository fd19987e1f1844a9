package datasets

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkLoad loads real splits from the shared mirror and reports rows/s.
func BenchmarkLoad(b *testing.B) {
	l := NewLoader(Options{DataDir: filepath.Join(sharedData(b), "hub"), CacheDir: b.TempDir(), Offline: true})
	for _, ref := range []Ref{
		{Path: "openai/gsm8k", Config: "main", Split: "train"},
		{Path: "cais/mmlu", Config: "all", Split: "test"},
		{Path: "allenai/ai2_arc", Config: "ARC-Challenge", Split: "test"},
		{Path: "TIGER-Lab/MMLU-Pro", Config: "default", Split: "test"},
		{Path: "allenai/winogrande", Config: "winogrande_xl", Split: "train"},
	} {
		b.Run(ref.Path+"/"+ref.Split, func(b *testing.B) {
			rows := 0
			for b.Loop() {
				docs, err := l.Load(context.Background(), ref)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(docs)
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkLoadJSONL is the same gsm8k train split from its original JSONL.
func BenchmarkLoadJSONL(b *testing.B) {
	path := filepath.Join(sharedData(b), "gsm8k", "train.jsonl")
	rows := 0
	for b.Loop() {
		docs, err := LoadFile(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		rows = len(docs)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
