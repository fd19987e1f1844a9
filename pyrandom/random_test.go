package pyrandom

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// golden mirrors testdata/golden.json, written by testdata/gen_golden.py from
// CPython's random module.
type golden struct {
	Python string       `json:"python"`
	Cases  []goldenCase `json:"cases"`
}

type goldenCase struct {
	Seed      int64               `json:"seed"`
	Uint32    []uint32            `json:"uint32"`
	Bits      map[string][]uint64 `json:"bits"`
	Random    []float64           `json:"random"`
	RandBelow []struct {
		N int `json:"n"`
		V int `json:"v"`
	} `json:"randbelow"`
	Sample []struct {
		N int   `json:"n"`
		K int   `json:"k"`
		V []int `json:"v"`
	} `json:"sample"`
	SampleSeq [][]int          `json:"sample_seq_1119_25"`
	Shuffle   map[string][]int `json:"shuffle"`
	Choice7   []int            `json:"choice7"`
	RandInt   []int            `json:"randint_m5_5"`
}

func loadGolden(t testing.TB) golden {
	t.Helper()
	data, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("testdata/golden.json: %v", err)
	}
	if len(g.Cases) == 0 {
		t.Fatal("testdata/golden.json has no cases")
	}
	return g
}

func TestAgainstCPython(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Cases {
		t.Run(strconv.FormatInt(c.Seed, 10), func(t *testing.T) {
			r := New(c.Seed)
			got32 := make([]uint32, len(c.Uint32))
			for i := range got32 {
				got32[i] = r.Uint32()
			}
			if d := cmp.Diff(c.Uint32, got32); d != "" {
				t.Errorf("genrand_uint32 (-python +go):\n%s", d)
			}

			for ks, want := range c.Bits {
				k, err := strconv.Atoi(ks)
				if err != nil {
					t.Fatal(err)
				}
				r := New(c.Seed)
				got := make([]uint64, len(want))
				for i := range got {
					got[i] = r.GetRandBits(k)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("getrandbits(%d) (-python +go):\n%s", k, d)
				}
			}

			r = New(c.Seed)
			gotF := make([]float64, len(c.Random))
			for i := range gotF {
				gotF[i] = r.Random()
			}
			// Exact equality on purpose: the formula is deterministic IEEE arithmetic.
			if d := cmp.Diff(c.Random, gotF); d != "" {
				t.Errorf("random() (-python +go):\n%s", d)
			}

			r = New(c.Seed)
			for _, rb := range c.RandBelow {
				if got := r.RandBelow(rb.N); got != rb.V {
					t.Errorf("_randbelow(%d) = %d, python %d", rb.N, got, rb.V)
				}
			}

			for _, s := range c.Sample {
				got, err := New(c.Seed).Sample(s.N, s.K)
				if err != nil {
					t.Fatalf("Sample(%d, %d): %v", s.N, s.K, err)
				}
				if d := cmp.Diff(s.V, got); d != "" {
					t.Errorf("sample(range(%d), %d) (-python +go):\n%s", s.N, s.K, d)
				}
			}

			r = New(c.Seed)
			for i, want := range c.SampleSeq {
				got, err := r.Sample(1119, 25)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("draw %d of successive sample(range(1119), 25) (-python +go):\n%s", i, d)
				}
			}

			for ns, want := range c.Shuffle {
				n, err := strconv.Atoi(ns)
				if err != nil {
					t.Fatal(err)
				}
				x := make([]int, n)
				for i := range x {
					x[i] = i
				}
				New(c.Seed).Shuffle(n, func(i, j int) { x[i], x[j] = x[j], x[i] })
				if d := cmp.Diff(want, x); d != "" {
					t.Errorf("shuffle(range(%d)) (-python +go):\n%s", n, d)
				}
			}

			r = New(c.Seed)
			var choices, ints []int
			for range c.Choice7 {
				choices = append(choices, r.Choice(7))
			}
			for range c.RandInt {
				ints = append(ints, r.RandInt(-5, 5))
			}
			if d := cmp.Diff(c.Choice7, choices); d != "" {
				t.Errorf("choice(range(7)) (-python +go):\n%s", d)
			}
			if d := cmp.Diff(c.RandInt, ints); d != "" {
				t.Errorf("randint(-5, 5) after the choices (-python +go):\n%s", d)
			}
		})
	}
}

func TestSeedKeyMatchesSeed(t *testing.T) {
	tests := []struct {
		seed int64
		key  []uint32
	}{
		{0, nil},
		{0, []uint32{0}},
		{1234, []uint32{1234}},
		{-1234, []uint32{1234}},
		{1 << 40, []uint32{0, 256}},
		{-1 << 63, []uint32{0, 1 << 31}},
	}
	for _, tt := range tests {
		a, b := New(tt.seed), &Random{}
		b.SeedKey(tt.key)
		for i := range 1000 {
			if x, y := a.Uint32(), b.Uint32(); x != y {
				t.Fatalf("seed %d vs key %v: draw %d differs: %d != %d", tt.seed, tt.key, i, x, y)
			}
		}
	}
}

func TestReseedRestartsStream(t *testing.T) {
	r := New(1234)
	first, err := r.Sample(1119, 25)
	if err != nil {
		t.Fatal(err)
	}
	r.Seed(1234)
	again, err := r.Sample(1119, 25)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(first, again); d != "" {
		t.Errorf("re-seeding did not restart the stream (-first +again):\n%s", d)
	}
}

func TestSampleSetSize(t *testing.T) {
	// The values CPython's formula gives; the method switch depends on them.
	tests := []struct{ k, want int }{
		{0, 21}, {5, 21}, {6, 85}, {10, 85}, {11, 85}, {21, 85}, {22, 277}, {25, 277}, {85, 277}, {86, 1045},
	}
	for _, tt := range tests {
		if got := sampleSetSize(tt.k); got != tt.want {
			t.Errorf("sampleSetSize(%d) = %d, want %d", tt.k, got, tt.want)
		}
	}
}

func TestSampleErrors(t *testing.T) {
	for _, tt := range []struct{ n, k int }{{5, 6}, {5, -1}, {-1, 0}} {
		if got, err := New(1).Sample(tt.n, tt.k); err == nil {
			t.Errorf("Sample(%d, %d) = %v, want an error", tt.n, tt.k, got)
		}
	}
}

func TestMisusePanics(t *testing.T) {
	tests := map[string]func(r *Random){
		"RandBelow(0)":    func(r *Random) { r.RandBelow(0) },
		"GetRandBits(65)": func(r *Random) { r.GetRandBits(65) },
		"GetRandBits(-1)": func(r *Random) { r.GetRandBits(-1) },
		"Choice(0)":       func(r *Random) { r.Choice(0) },
		"RandInt(2, 1)":   func(r *Random) { r.RandInt(2, 1) },
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f(New(1))
		})
	}
}

func BenchmarkSample(b *testing.B) {
	for _, bc := range []struct {
		name string
		n, k int
	}{
		{"pool_277_25", 277, 25},
		{"set_1119_25", 1119, 25},
		{"set_7473_5", 7473, 5},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := New(1234)
			for b.Loop() {
				if _, err := r.Sample(bc.n, bc.k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUint32(b *testing.B) {
	r := New(1234)
	for b.Loop() {
		r.Uint32()
	}
}
