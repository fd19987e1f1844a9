package langdetect

import (
	"path/filepath"
	"testing"

	"github.com/parity-eval/parity/ifeval/internal/shared"
)

// BenchmarkDetect detects the language of GPT-4's 541 IFEval reference
// responses.
func BenchmarkDetect(b *testing.B) {
	type response struct {
		Response string `json:"response"`
	}
	rows := readJSONL[response](b, filepath.Join(shared.Path(b, "reference/ifeval"), "input_response_data_gpt4_20231107_145030.jsonl"))
	m := Default()
	n := 0
	for b.Loop() {
		for _, r := range rows {
			_, _ = m.Detect(r.Response, 0)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "responses/s")
}
