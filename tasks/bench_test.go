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

// BenchmarkInstancesLeaderboardV1 builds every prompt of the paper's V1
// suite (all docs: 2 × 14,042 MMLU, 1,172 ARC, 1,319 GSM8K, 1,267
// Winogrande, 817 TruthfulQA, the HellaSwag fixture), plain and as Llama-3.1
// multi-turn chats rendered with the template; the docs are loaded once,
// outside the loop.
func BenchmarkInstancesLeaderboardV1(b *testing.B) {
	reg := registry(b)
	suite, err := reg.Suite("leaderboard-v1", ProfilePaper)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		chat *ChatOptions
	}{{"plain", nil}, {"chat", &ChatOptions{Template: llamaTemplate(b), FewshotAsMultiturn: true}}} {
		b.Run(mode.name, func(b *testing.B) {
			var built []*Task
			for _, cfg := range suite.Leaves() {
				task, err := Build(context.Background(), cfg, hub(b), BuildOptions{Chat: mode.chat})
				if err != nil {
					b.Fatal(err)
				}
				built = append(built, task)
			}
			b.ResetTimer()
			prompts := 0
			for b.Loop() {
				prompts = 0
				for _, task := range built {
					insts, err := task.Instances()
					if err != nil {
						b.Fatal(err)
					}
					prompts += len(insts)
				}
			}
			b.ReportMetric(float64(prompts), "docs/op")
		})
	}
}
