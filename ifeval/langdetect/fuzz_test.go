package langdetect

import (
	"errors"
	"testing"
)

// FuzzDetect: any text gives languages with probabilities in (0.1, 1],
// most probable first, or ErrNoFeatures; nothing panics.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{"Hello world", "12345", "Đây là một câu tiếng Việt", "日本語と中文", "mail a@b.cd http://x.y/z", "\xff\xfe"} {
		f.Add(s)
	}
	m := Default()
	f.Fuzz(func(t *testing.T, s string) {
		langs, err := m.Probabilities(s, 0)
		if err != nil {
			if !errors.Is(err, ErrNoFeatures) {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		for i, l := range langs {
			if l.Prob <= probThreshold || l.Prob > 1+1e-9 || (i > 0 && l.Prob > langs[i-1].Prob) {
				t.Fatalf("%q: %v", s, langs)
			}
		}
	})
}
