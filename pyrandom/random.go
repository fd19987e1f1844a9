// Package pyrandom reproduces CPython's random.Random (3.8–3.12) draw for draw:
// the MT19937 generator seeded from an integer the way CPython seeds it, and the
// integer, float, sampling and shuffling methods built on getrandbits. lm-eval
// picks few-shot examples with random.Random(1234).sample, so parity needs the
// identical stream to build identical prompts. Only the integer-seeded, 32-bit
// word API is ported; population elements are addressed by index so callers keep
// their own slices.
package pyrandom

import (
	"fmt"
	"math"
	"math/bits"
)

const (
	n         = 624
	m         = 397
	matrixA   = 0x9908b0df
	upperMask = 0x80000000
	lowerMask = 0x7fffffff
)

// Random is one MT19937 stream. It is not safe for concurrent use; lm-eval
// consumes one generator sequentially per task, and so should callers.
type Random struct {
	mt  [n]uint32
	mti int
}

// New returns a generator seeded like CPython's random.Random(seed).
func New(seed int64) *Random {
	r := &Random{}
	r.Seed(seed)
	return r
}

// Seed re-seeds like random.seed(seed) for an int: the key is abs(seed) split
// into 32-bit words, least significant first, with at least one word (so 0
// gives the key [0]).
func (r *Random) Seed(seed int64) {
	// Converting through uint64 keeps abs(math.MinInt64) = 2^63 exact.
	u := uint64(seed)
	if seed < 0 {
		u = -u
	}
	key := []uint32{uint32(u)}
	if hi := uint32(u >> 32); hi != 0 {
		key = append(key, hi)
	}
	r.initByArray(key)
}

// SeedKey seeds from explicit little-endian 32-bit words, the form CPython
// uses for integers of any size (for example 2**100 is [0, 0, 0, 16]). An
// empty key is treated as [0].
func (r *Random) SeedKey(key []uint32) {
	if len(key) == 0 {
		key = []uint32{0}
	}
	r.initByArray(key)
}

func (r *Random) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < n; i++ {
		prev := r.mt[i-1]
		r.mt[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	r.mti = n
}

func (r *Random) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	for k := max(n, len(key)); k > 0; k-- {
		prev := r.mt[i-1]
		r.mt[i] = (r.mt[i] ^ ((prev ^ (prev >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := n - 1; k > 0; k-- {
		prev := r.mt[i-1]
		r.mt[i] = (r.mt[i] ^ ((prev ^ (prev >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000 // guarantees a non-zero initial state
	r.mti = n
}

// Uint32 returns the next raw MT19937 output (genrand_uint32).
func (r *Random) Uint32() uint32 {
	if r.mti >= n {
		r.generate()
	}
	y := r.mt[r.mti]
	r.mti++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

func (r *Random) generate() {
	mag := func(y uint32) uint32 { return (y & 1) * matrixA }
	var kk int
	for ; kk < n-m; kk++ {
		y := (r.mt[kk] & upperMask) | (r.mt[kk+1] & lowerMask)
		r.mt[kk] = r.mt[kk+m] ^ (y >> 1) ^ mag(y)
	}
	for ; kk < n-1; kk++ {
		y := (r.mt[kk] & upperMask) | (r.mt[kk+1] & lowerMask)
		r.mt[kk] = r.mt[kk+(m-n)] ^ (y >> 1) ^ mag(y)
	}
	y := (r.mt[n-1] & upperMask) | (r.mt[0] & lowerMask)
	r.mt[n-1] = r.mt[m-1] ^ (y >> 1) ^ mag(y)
	r.mti = 0
}

// GetRandBits returns getrandbits(k) for 0 ≤ k ≤ 64. For k > 32 CPython fills
// 32-bit words from the least significant end, truncating the last word drawn
// (the most significant) to the bits still needed.
func (r *Random) GetRandBits(k int) uint64 {
	if k < 0 || k > 64 {
		panic(fmt.Sprintf("pyrandom: GetRandBits(%d): k must be in [0, 64]", k))
	}
	if k == 0 {
		return 0
	}
	if k <= 32 {
		return uint64(r.Uint32() >> (32 - k))
	}
	lo := uint64(r.Uint32())
	hi := uint64(r.Uint32() >> (64 - k))
	return hi<<32 | lo
}

// RandBelow returns _randbelow(n): a uniform int in [0, n) by rejection
// sampling on n.bit_length() bits. n must be positive (CPython loops forever
// on 0; here that is a programming error).
func (r *Random) RandBelow(n int) int {
	if n <= 0 {
		panic(fmt.Sprintf("pyrandom: RandBelow(%d): n must be positive", n))
	}
	k := bits.Len64(uint64(n))
	v := r.GetRandBits(k)
	for v >= uint64(n) {
		v = r.GetRandBits(k)
	}
	return int(v)
}

// Random returns random(): a float64 in [0, 1) with 53 random bits.
func (r *Random) Random() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(a)*67108864.0 + float64(b)) * (1.0 / 9007199254740992.0)
}

// Sample returns the indexes that sample(population, k) would pick from a
// population of size n, in selection order. Like CPython it switches from a
// partial Fisher-Yates over a pool to rejection against a set of picked
// indexes when n is larger than the set's memory estimate; the two methods
// consume the stream differently, so the switch point must match exactly.
func (r *Random) Sample(n, k int) ([]int, error) {
	if n < 0 || k < 0 || k > n {
		return nil, fmt.Errorf("pyrandom: sample of %d from a population of %d: sample larger than population or is negative", k, n)
	}
	result := make([]int, k)
	if n <= sampleSetSize(k) {
		pool := make([]int, n)
		for i := range pool {
			pool[i] = i
		}
		for i := range k {
			j := r.RandBelow(n - i)
			result[i] = pool[j]
			pool[j] = pool[n-i-1]
		}
		return result, nil
	}
	selected := make(map[int]struct{}, k)
	for i := range k {
		j := r.RandBelow(n)
		for {
			if _, dup := selected[j]; !dup {
				break
			}
			j = r.RandBelow(n)
		}
		selected[j] = struct{}{}
		result[i] = j
	}
	return result, nil
}

// sampleSetSize is CPython's `21 + 4 ** ceil(log(3k, 4))` for k > 5, else 21.
// The exponent is computed in integers: 3k is never a power of four, so the
// ceiling is the smallest e with 4^e > 3k, which equals the float formula for
// every k where the float logarithm is accurate (any k below ~10^14).
func sampleSetSize(k int) int {
	size := 21
	if k > 5 {
		p := 1
		for p <= 3*k {
			if p > math.MaxInt/8 {
				// No slice can be that large, so every n takes the pool branch.
				return math.MaxInt
			}
			p *= 4
		}
		size += p
	}
	return size
}

// Shuffle permutes n elements like shuffle(x), calling swap(i, j) for each
// exchange x[i], x[j] = x[j], x[i] in CPython's order.
func (r *Random) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i >= 1; i-- {
		j := r.RandBelow(i + 1)
		swap(i, j)
	}
}

// Choice returns the index choice(seq) would pick from a sequence of length n.
// n must be positive (CPython raises IndexError).
func (r *Random) Choice(n int) int {
	if n <= 0 {
		panic(fmt.Sprintf("pyrandom: Choice(%d): cannot choose from an empty sequence", n))
	}
	return r.RandBelow(n)
}

// RandInt returns randint(a, b), a uniform int in [a, b]. a must not exceed b
// (CPython raises ValueError).
func (r *Random) RandInt(a, b int) int {
	if b < a {
		panic(fmt.Sprintf("pyrandom: RandInt(%d, %d): empty range", a, b))
	}
	return a + r.RandBelow(b-a+1)
}
