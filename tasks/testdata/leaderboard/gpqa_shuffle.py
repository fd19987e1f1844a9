#!/usr/bin/env python3
"""Expected values of TestGPQAShuffle: lm-eval's leaderboard/gpqa/utils.py
preprocess and shuffle, with one random.Random(0) run through the configs
diamond (198 rows), extended (546), main (448) in that order; the test's
three rows take the place of each config's first three.

Run from the repo root:
  python3 tasks/testdata/leaderboard/gpqa_shuffle.py > tasks/testdata/leaderboard/gpqa_shuffle.txt
"""
import random
import re


def preprocess(t):
    if t is None:
        return " "
    t = t.strip()
    t = t.replace(" [title]", ". ")
    t = re.sub("\\[.*?\\]", "", t)
    t = t.replace("  ", " ")
    return t


rows = [{"Correct Answer": c, "Incorrect Answer 1": " w [x] ", "Incorrect Answer 2": "y [title]z", "Incorrect Answer 3": None} for c in ("c1", "c2", "c3")]
rng = random.Random(0)
for cfg, n in (("diamond", 198), ("extended", 546), ("main", 448)):
    for i in range(n):
        d = rows[i] if i < len(rows) else rows[0]
        choices = [preprocess(d["Incorrect Answer 1"]), preprocess(d["Incorrect Answer 2"]), preprocess(d["Incorrect Answer 3"]), preprocess(d["Correct Answer"])]
        rng.shuffle(choices)
        if i < len(rows):
            ans = "(" + "ABCD"[choices.index(preprocess(d["Correct Answer"]))] + ")"
            print("%s\t%s %s" % (cfg, ans, "|".join(choices)))
