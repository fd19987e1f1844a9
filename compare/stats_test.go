package compare

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestMcNemarByHand(t *testing.T) {
	// Small cases worked out on paper: p = 2·Σ_{i≤min(b,c)} C(b+c, i) / 2^(b+c).
	tests := []struct {
		b, c int
		want float64
	}{
		{0, 0, 1},                // no discordant pair: no evidence at all
		{0, 5, 2.0 / 32},         // 2·C(5,0)/2^5
		{5, 0, 2.0 / 32},         // symmetric
		{1, 10, 2 * 12.0 / 2048}, // 2·(C(11,0)+C(11,1))/2^11
		{3, 7, 2 * 176.0 / 1024}, // 2·(1+10+45+120)/2^10
		{4, 4, 1},                // doubled tail above 1 is capped
	}
	for _, tt := range tests {
		if got := McNemar(tt.b, tt.c); math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("McNemar(%d, %d) = %.17g, want %.17g", tt.b, tt.c, got, tt.want)
		}
	}
}

// TestMcNemarReference checks against exact big-integer values from
// testdata/reference.py, up to 14,000 discordant documents (an MMLU-sized
// comparison).
func TestMcNemarReference(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "mcnemar.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		B, C int
		P    float64
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 10 {
		t.Fatalf("only %d reference cases", len(cases))
	}
	for _, c := range cases {
		got := McNemar(c.B, c.C)
		if math.Abs(got-c.P) > 1e-12*math.Max(c.P, 1e-300) && math.Abs(got-c.P) > 1e-300 {
			t.Errorf("McNemar(%d, %d) = %.17g, reference %.17g (rel. error %.2g)", c.B, c.C, got, c.P, math.Abs(got-c.P)/c.P)
		}
	}
}

func TestQuantileType7(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	// numpy.percentile(range(1, 11), [0, 2.5, 50, 97.5, 100]) with the
	// default linear method: h = 9p, x[⌊h⌋] + frac(h)·(x[⌊h⌋+1] − x[⌊h⌋]).
	tests := []struct{ p, want float64 }{{0, 1}, {0.025, 1.225}, {0.5, 5.5}, {0.975, 9.775}, {1, 10}}
	for _, tt := range tests {
		if got := quantile(xs, tt.p); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("quantile(%g) = %g, want %g", tt.p, got, tt.want)
		}
	}
	if got := percentileInterval([]float64{1, math.Inf(1)}, 0.05); !math.IsNaN(got[0]) {
		t.Errorf("interval with an infinite replicate = %v, want NaN", got)
	}
}

func TestBootstrapP(t *testing.T) {
	tests := []struct {
		diffs []float64
		want  float64
	}{
		{[]float64{0, 0, 0, 0}, 1},                // no change in any replicate
		{[]float64{-1, -2, -3, -4}, 0},            // every replicate below zero
		{[]float64{-1, -2, -3, 1}, 0.5},           // 2·min(3, 1)/4
		{[]float64{-1, 0, 1, 2, 3, 4, 5, 6}, 0.5}, // 2·min(2, 7)/8
	}
	for _, tt := range tests {
		if got := bootstrapP(tt.diffs); got != tt.want {
			t.Errorf("bootstrapP(%v) = %g, want %g", tt.diffs, got, tt.want)
		}
	}
}

// TestBootstrapReference replays the stratified paired bootstrap of
// testdata/reference.py: the same random.Random(1234) stream, the same
// documents drawn, so every interval and p-value must agree to rounding.
func TestBootstrapReference(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "bootstrap.json"))
	if err != nil {
		t.Fatal(err)
	}
	type interval struct {
		DeltaCI    [2]float64 `json:"delta_ci"`
		RecoveryCI [2]float64 `json:"recovery_ci"`
		P          float64    `json:"p"`
	}
	var ref struct {
		Model     bootModel  `json:"model"`
		Resamples int        `json:"resamples"`
		Seed      int64      `json:"seed"`
		Alpha     float64    `json:"alpha"`
		Columns   []interval `json:"columns"`
		Average   interval   `json:"average"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	res := ref.Model.bootstrap(ref.Resamples, ref.Seed, ref.Alpha)
	var got []interval
	for _, c := range res.Columns {
		got = append(got, interval{c.DeltaCI, c.RecoveryCI, c.P})
	}
	got = append(got, interval{res.Average.DeltaCI, res.Average.RecoveryCI, res.Average.P})
	want := append(ref.Columns, ref.Average)
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("bootstrap differs from the Python reference (-python +go):\n%s", diff)
	}
	// The reference data has real differences: the test is not vacuous.
	if want[0].P >= 0.05 && want[4].P >= 0.05 && want[0].DeltaCI == [2]float64{} {
		t.Fatalf("reference looks degenerate: %+v", want)
	}
}
