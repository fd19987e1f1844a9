#!/usr/bin/env python3
"""Writes leaderboard_math_algebra_hard.jsonl: model generations for the
first ten docs of lighteval/MATH-Hard algebra and the exact_match lm-eval
v0.4.6+'s process_results gives them (tasks.md §4.3.4 v2: 0 for an invalid
answer, else string equality after normalize_final_answer, or is_equiv).

Extraction and normalisation are mathans/testdata/gen_expected.py's
stdlib transcription of lm-eval's utils (not parity's Go). is_equiv needs
SymPy's parse_latex, which needs antlr4, which this machine lacks: the few
pairs that are not string-equal are decided by hand in SYMPY_EQUIV from
SymPy's LaTeX grammar (\\dfrac is \\frac; a float minus the equal rational
simplifies to 0).

It also writes leaderboard_math_hard_group.jsonl: docs 0 and 1 of every
subject, doc 0 answered with its own boxed answer (string-equal: 1), doc 1
answered correctly in algebra and without the Minerva sentence elsewhere
(invalid: 0); the group is the size-weighted mean with lm-eval's pooled
stderr (lm_eval/evaluator_utils.py).

Run from the repo root:
  python3 tasks/testdata/conformance/make_math_conformance.py
"""
import importlib.util
import json
import math
import os

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "gen_expected", os.path.join(HERE, "..", "..", "..", "mathans", "testdata", "gen_expected.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

# Gold answers of docs 0-9 (normalised boxed answers of their solutions, as
# mathans/testdata/golds.jsonl lists them).
GOLDS = ["i", "-\\frac{1}{8}", "-15", "\\frac{11}{2}", "18", "[0,\\iny)", "12106", "5", "105", "-13.5"]

GENERATIONS = [
    " We have $i^5 = i$ and so on.\nFinal Answer: The final answer is $i$. I hope it is correct.",
    " So $x = -\\frac18$.\nFinal Answer: The final answer is $-\\dfrac{1}{8}$. I hope it is correct.",
    " The sum is $-15$.\nFinal Answer: The final answer is $-15$.",
    " Final Answer: The final answer is $5.5$. I hope it is correct.",
    " Final Answer: The final answer is $18$ dollars. I hope it is correct.",
    " Final Answer: The final answer is $[0, \\infty)$. I hope it is correct.",
    " Final Answer: The final answer is $12, 10, 6$. I hope it is correct.",
    " Final Answer: The final answer is $x = 5$. I hope it is correct.",
    " Final Answer: The final answer is $\\boxed{104}$. I hope it is correct.",
    " Final Answer: The final answer is $-\\frac{27}{2}$. I hope it is correct",
]

SYMPY_EQUIV = {
    ("-\\dfrac{1}{8}", "-\\frac{1}{8}"): True,
    ("5.5", "\\frac{11}{2}"): True,
    ("104", "105"): False,
    ("-\\frac{27}{2}", "-13.5"): True,
}


def main():
    out = [{"request": "leaderboard_math_hard", "task": "leaderboard_math_algebra_hard"}]
    scores = []
    for i, (gen, gold) in enumerate(zip(GENERATIONS, GOLDS)):
        raw = ref.get_unnormalized_answer(gen)
        ans = ref.normalize_final_answer(raw)
        if raw == ref.INVALID:
            em = 0
        elif ans.strip() == gold.strip():
            em = 1
        else:
            em = 1 if SYMPY_EQUIV[(ans, gold)] else 0
        scores.append(em)
        out.append({"doc_id": i, "generation": gen, "gold": gold, "filtered": {"none": gen},
                    "metrics": {"exact_match,none": float(em)}})
    n = len(scores)
    m = sum(scores) / n
    var = sum((x - m) ** 2 for x in scores) / (n - 1)
    out.append({"aggregate": {"exact_match,none": m, "exact_match_stderr,none": math.sqrt(var / n)}})
    with open(os.path.join(HERE, "leaderboard_math_algebra_hard.jsonl"), "w", encoding="utf-8") as f:
        for line in out:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


SUBJECTS = [("algebra", "algebra"), ("counting_and_prob", "counting_and_probability"), ("geometry", "geometry"),
            ("intermediate_algebra", "intermediate_algebra"), ("num_theory", "number_theory"),
            ("prealgebra", "prealgebra"), ("precalculus", "precalculus")]


def group():
    golds = {}
    with open(os.path.join(HERE, "..", "..", "..", "mathans", "testdata", "golds.jsonl"), encoding="utf-8") as f:
        for line in f:
            path, config, idx, boxed, answer, _ = json.loads(line)
            if path == "lighteval/MATH-Hard" and idx < 2:
                golds[(config, idx)] = (boxed, answer)
    out = [{"request": "leaderboard_math_hard", "task": "leaderboard_math_hard", "group": "leaderboard_math_hard"}]
    tasks = []
    for name, config in SUBJECTS:
        scores = []
        for idx in range(2):
            boxed, gold = golds[(config, idx)]
            inner = ref.remove_boxed(boxed)
            if idx == 0 or config == "algebra":
                gen = " Final Answer: The final answer is $" + inner + "$. I hope it is correct."
            else:
                gen = " The answer is $" + inner + "$."
            raw = ref.get_unnormalized_answer(gen)
            ans = ref.normalize_final_answer(raw)
            em = 0 if raw == ref.INVALID else int(ans.strip() == gold.strip())
            if raw != ref.INVALID and not em:
                raise SystemExit("unexpected string mismatch: %r vs %r" % (ans, gold))
            scores.append(em)
            out.append({"task": "leaderboard_math_" + name + "_hard", "doc_id": idx, "generation": gen, "gold": gold,
                        "metrics": {"exact_match,none": float(em)}})
        m = sum(scores) / len(scores)
        var = sum((x - m) ** 2 for x in scores) / (len(scores) - 1)
        tasks.append((m, math.sqrt(var / len(scores)), len(scores)))
    n = sum(t[2] for t in tasks)
    value = sum(t[0] * t[2] for t in tasks) / n
    pooled = sum((t[2] - 1) * t[1] ** 2 * t[2] for t in tasks) / (n - len(tasks))
    out.append({"aggregate": {"exact_match,none": value, "exact_match_stderr,none": math.sqrt(pooled / n)}})
    with open(os.path.join(HERE, "leaderboard_math_hard_group.jsonl"), "w", encoding="utf-8") as f:
        for line in out:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
    group()
