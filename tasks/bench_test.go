package tasks

import (
	"context"
	"testing"
)

// BenchmarkInstancesARC25 builds all 1172 arc_challenge 25-shot prompts (the
// openllm setting); the docs are loaded once, outside the loop.
func BenchmarkInstancesARC25(b *testing.B) {
	cfg := resolveOne(b, registry(b), "openllm", "arc_challenge")
	task, err := Build(context.Background(), cfg, hub(b), BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		insts, err := task.Instances()
		if err != nil {
			b.Fatal(err)
		}
		if len(insts) != 1172 {
			b.Fatalf("%d instances", len(insts))
		}
	}
}

// BenchmarkInstancesGSM8K5 builds all 1319 gsm8k 5-shot prompts.
func BenchmarkInstancesGSM8K5(b *testing.B) {
	cfg, _ := registry(b).Task("gsm8k")
	task, err := Build(context.Background(), cfg, hub(b), BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := task.Instances(); err != nil {
			b.Fatal(err)
		}
	}
}
