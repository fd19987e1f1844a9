package openaitest

import (
	"strconv"
	"strings"
)

// rankedPieces are the tokens the fake model likes best; each previous token
// picks MaxTopLogprobs of them, in its own order, as its top alternatives.
var rankedPieces = [16]string{
	" A", " B", " C", " D", " a", " is", " of", ".",
	",", "\n", " 1", " 2", " no", " ye", "s", " it",
}

// MaxTopLogprobs is the most alternatives the fake model ranks at a position;
// a request for more top_logprobs gets this many.
const MaxTopLogprobs = 4

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// Ranked returns the fake model's top alternatives after token prev, best
// first. Ranked(prev)[0] is the greedy choice.
func (s *Server) Ranked(prev int) [MaxTopLogprobs]int { return ranked(prev) }

func ranked(prev int) [MaxTopLogprobs]int {
	h := mix(uint64(prev) + 0x9e3779b97f4a7c15)
	start := int(h % 16)
	step := 2*int((h>>8)%8) + 1 // odd, so the picks are distinct
	var r [MaxTopLogprobs]int
	for k := range r {
		r[k] = pieceID(rankedPieces[(start+k*step)%16])
	}
	return r
}

// LogProb is the fake model's log-probability of token tok after token prev:
// a deterministic value in (-12, -0.01], highest for Ranked(prev)[0]. Values
// are rounded to float32, as vLLM's are.
func (s *Server) LogProb(prev, tok int) float64 { return logProb(prev, tok) }

func logProb(prev, tok int) float64 {
	r := ranked(prev)
	return logProbRanked(prev, tok, &r)
}

// logProbRanked is logProb with ranked(prev) already at hand.
func logProbRanked(prev, tok int, r *[MaxTopLogprobs]int) float64 {
	for k, id := range r {
		if id == tok {
			u := unit(mix(uint64(prev)<<8 ^ uint64(k) ^ 0x5851f42d4c957f2d))
			return float64(float32(-(0.01 + 0.1*float64(k) + 0.09*u)))
		}
	}
	u := unit(mix(uint64(prev)<<32 ^ uint64(tok)))
	return float64(float32(-(0.5 + 11.49*u)))
}

// Score is what a correct client must compute for a loglikelihood request
// whose prompt tokens are ctx followed by cont: the sum of cont's
// log-probabilities and whether each was the model's top choice. ctx must not
// be empty (the first prompt token has no log-probability).
func (s *Server) Score(ctx, cont []int) (logprob float64, greedy bool) {
	greedy = true
	prev := ctx[len(ctx)-1]
	for _, t := range cont {
		logprob += logProb(prev, t)
		if ranked(prev)[0] != t {
			greedy = false
		}
		prev = t
	}
	return logprob, greedy
}

var fakeWords = [...]string{
	"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing",
	"elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore",
}

// Script is the fake model's answer to a prompt when Options.Generate is not
// set: after a prompt ending in "Answer:" a GSM8K-style answer followed by the
// start of a next question; otherwise a few words, a blank line and a few
// more words. It depends only on the prompt.
func Script(prompt string) string {
	h := mix(fnv(prompt))
	if strings.HasSuffix(strings.TrimRight(prompt, " \n"), "Answer:") {
		n := strconv.Itoa(int(h % 100))
		return " The answer is " + n + ".\n#### " + n + "\n\nQuestion:"
	}
	var sb strings.Builder
	for i := 0; i < 4+int(h%4); i++ {
		sb.WriteByte(' ')
		sb.WriteString(fakeWords[mix(h+uint64(i))%uint64(len(fakeWords))])
	}
	sb.WriteString(".\n\n")
	for i := 0; i < 3; i++ {
		sb.WriteByte(' ')
		sb.WriteString(fakeWords[mix(h^uint64(i+100))%uint64(len(fakeWords))])
	}
	return sb.String()
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
