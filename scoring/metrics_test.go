package scoring

import (
	"math"
	"testing"
)

func TestArgmax(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		xs   []float64
		want int
	}{
		{nil, -1},
		{[]float64{-3}, 0},
		{[]float64{-3, -1, -2}, 1},
		{[]float64{-1, -3, -1}, 0}, // first index wins ties
		{[]float64{-1, nan, 0, nan}, 1},
		{[]float64{-inf, -inf}, 0},
		{[]float64{-1, inf, inf}, 1},
	}
	for _, tt := range tests {
		if got := Argmax(tt.xs); got != tt.want {
			t.Errorf("Argmax(%v) = %d, want %d", tt.xs, got, tt.want)
		}
	}
}

func TestAcc(t *testing.T) {
	lls := []float64{-10.5, -7.25, -9, -7.25}
	tests := []struct {
		gold int
		want float64
	}{
		{1, 1},
		{3, 0}, // the tie goes to the earlier choice
		{0, 0},
		{-1, 0},
	}
	for _, tt := range tests {
		if got := Acc(lls, tt.gold); got != tt.want {
			t.Errorf("Acc(gold %d) = %v, want %v", tt.gold, got, tt.want)
		}
	}
	anyTests := []struct {
		golds []int
		want  float64
	}{
		{[]int{2, 1}, 1},
		{[]int{0, 2}, 0},
		{[]int{3}, 0},
		{nil, 0},
	}
	for _, tt := range anyTests {
		if got := AccAny(lls, tt.golds); got != tt.want {
			t.Errorf("AccAny(golds %v) = %v, want %v", tt.golds, got, tt.want)
		}
	}
}

func TestAccNorm(t *testing.T) {
	// §2.2's worked example: " Venus", " Mercury", " Earth", " Mars" are scored
	// on the texts without the delimiter, lengths 5, 7, 5, 4.
	choices := []string{"Venus", "Mercury", "Earth", "Mars"}
	tests := []struct {
		name    string
		lls     []float64
		choices []string
		gold    int
		want    float64
	}{
		// raw argmax is Mars (-8); per character Mercury wins: -10/7 > -8/4.
		{"length flips the winner", []float64{-12, -10, -11, -8}, choices, 1, 1},
		{"raw winner loses", []float64{-12, -10, -11, -8}, choices, 3, 0},
		// "é" is one code point but two bytes: -6/5 beats -5/4 only by runes.
		{"code points not bytes", []float64{-6, -5}, []string{"café!", "abcd"}, 0, 1},
		{"empty choice divides by zero", []float64{-1, -2}, []string{"", "ab"}, 1, 1},
		{"zero over zero is NaN and wins", []float64{-1, 0}, []string{"a", ""}, 1, 1},
	}
	for _, tt := range tests {
		if got := AccNorm(tt.lls, tt.choices, tt.gold); got != tt.want {
			t.Errorf("%s: AccNorm = %v, want %v", tt.name, got, tt.want)
		}
		if got := AccNormAny(tt.lls, tt.choices, []int{tt.gold}); got != tt.want {
			t.Errorf("%s: AccNormAny = %v, want %v", tt.name, got, tt.want)
		}
	}
}
