// Package ifeval scores IFEval (Zhou et al. 2023, "Instruction-Following
// Evaluation for Large Language Models") as lm-evaluation-harness's ifeval and
// leaderboard_ifeval tasks do: the 25 instruction checkers of Google's
// reference, each verdict strict (the raw response) and loose (any of eight
// trimmed variants), aggregated as prompt-level and instruction-level
// accuracy.
//
// The checkers reproduce the reference's Python behaviour: its regular
// expressions with Python's Unicode classes, NLTK's Punkt sentence splitter
// and word tokenizer (package nltk) and the langdetect language detector
// (package langdetect), both ported with their data embedded.
//
// Two places where the reference is random are made deterministic:
// langdetect runs seeded with 0 (the reference leaves it unseeded, so
// borderline texts can flip between runs), and a letter-frequency
// instruction whose "letter" is not an ASCII letter (IFEval keys 1122 "#" and
// 1129 "!") counts that very character, where the reference counts a letter
// drawn at random for every evaluation. Arguments that the reference would
// replace by random values when absent are required.
package ifeval

//go:generate go run ./internal/gendata -nlp ../../shared/data/nlp -out .
