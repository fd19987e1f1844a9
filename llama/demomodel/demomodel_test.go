package demomodel_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parity-eval/parity/gguf"
	"github.com/parity-eval/parity/llama"
	"github.com/parity-eval/parity/llama/demomodel"
)

// The embedded model is the one model/README.md describes, and it runs.
func TestEmbeddedModel(t *testing.T) {
	b, err := demomodel.GGUF()
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	desc, _ := f.String("general.description")
	lic, _ := f.String("general.license")
	if !strings.Contains(desc, "train.py") || !strings.Contains(desc, "GSM8K") || lic != "MIT" {
		t.Errorf("provenance: %q, licence %q", desc, lic)
	}
	m, err := llama.Load(f, llama.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Config
	if m.Params() != 229952 || c.Layers != 4 || c.Dim != 64 || c.Heads != 4 || c.KVHeads != 2 || c.Vocab != 512 || c.ContextLen != 512 || m.WeightType != "Q8_0" {
		t.Errorf("model: %d parameters, %s, %+v", m.Params(), m.WeightType, c)
	}
	p := m.Tok.Encode("Question: Tom has 3 apples and buys 2 more. How many apples does he have?\nAnswer:", true, false)
	res, err := m.NewSession(0).Complete(context.Background(), llama.Request{Prompt: p, MaxTokens: 40, Stop: []string{"Question:"}})
	if err != nil {
		t.Fatal(err)
	}
	// It learned the corpus's layout: an answer with a "####" line.
	if !strings.Contains(res.Text, "####") && !strings.Contains(res.Text, "<<") {
		t.Errorf("the demo model wrote %q", res.Text)
	}
}
