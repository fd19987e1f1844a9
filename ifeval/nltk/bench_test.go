package nltk

import "testing"

func benchResponses(b *testing.B) []string {
	m := gpt4Responses(b)
	out := make([]string, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	if len(out) != 541 {
		b.Fatalf("%d responses", len(out))
	}
	return out
}

// BenchmarkCountSentences splits GPT-4's 541 reference responses.
func BenchmarkCountSentences(b *testing.B) {
	resps := benchResponses(b)
	p := English()
	n := 0
	for b.Loop() {
		for _, r := range resps {
			p.CountSentences(r)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "responses/s")
}

// BenchmarkWordTokenize tokenizes GPT-4's 541 reference responses.
func BenchmarkWordTokenize(b *testing.B) {
	resps := benchResponses(b)
	English()
	n := 0
	for b.Loop() {
		for _, r := range resps {
			WordTokenize(r)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "responses/s")
}
