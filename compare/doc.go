// Package compare turns result files into the paper's recovery tables and
// into a regression gate. It reads parity's results folders and
// lm-evaluation-harness results_<date>.json files alike, lays each suite out
// as the paper does (one row per model, the suite's average, Recovery % =
// candidate average / baseline average × 100, a column per task; the Open
// LLM Leaderboard V2 on its normalised scores, V1 on raw ones), refuses to
// compare runs whose settings differ, and, where both runs kept their
// per-document samples, pairs the documents: flips, the exact McNemar test
// and a seeded paired bootstrap of the difference and of recovery. Gate
// applies recovery and drop thresholds to that comparison.
package compare
