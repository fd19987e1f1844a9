#!/usr/bin/env python3
"""Writes the conformance files of the Open LLM Leaderboard V2 multiple-choice
tasks (tasks.md §4): model log-likelihoods for some docs and the acc_norm /
group figures lm-eval v0.4.5 gives them, computed here from the original
sources (BBH JSON, MuSR CSV, GPQA's encrypted zip), independently of parity.

acc_norm divides each log-likelihood by the length of the choice string
(lm-eval's completion_len, without the target delimiter). A target that is
not among the choices is gold -100 (never the argmax: scores 0). Groups are
size-weighted with the pooled stderr (lm_eval/evaluator_utils.py).
GPQA: preprocess + random.shuffle with one random.Random(0) (diamond first),
parity's documented rule; only log-likelihoods are written (no question text).

Run from the repo root:
  python3 tasks/testdata/conformance/make_leaderboard_conformance.py
"""
import ast
import csv
import json
import math
import os
import random
import re
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data"))


def argmax(xs):
    best = 0
    for i, x in enumerate(xs):
        if x > xs[best]:
            best = i
    return best


def mean(xs):
    return sum(xs) / len(xs)


def mean_stderr(xs):
    mu = mean(xs)
    return math.sqrt(sum((x - mu) ** 2 for x in xs) / (len(xs) - 1)) / math.sqrt(len(xs))


def mc(doc_ids, choices_of, gold_of, rnd, task=None, flips=(), wins=()):
    """acc_norm lines for the given docs; flips make the longest choice win
    per character only (acc and acc_norm then disagree); in wins the gold
    choice gets the best log-likelihood."""
    lines, accs = [], []
    for i in doc_ids:
        choices, gold = choices_of(i), gold_of(i)
        lls = [round(-rnd.uniform(0.5, 4.0) * max(1, len(c)) / 6, 4) for c in choices]
        if i in flips:
            longest = max(range(len(choices)), key=lambda j: len(choices[j]))
            lls = [-2.0 * len(choices[j]) / len(choices[longest]) - 0.01 for j in range(len(choices))]
            lls[longest] = -1.9
        if i in wins and gold >= 0:
            lls[gold] = -0.01
        pred = argmax([ll / len(c) for ll, c in zip(lls, choices)])
        acc = 1.0 if pred == gold else 0.0
        accs.append(acc)
        line = {"doc_id": i, "loglikelihoods": lls, "is_greedy": [j == argmax(lls) for j in range(len(lls))],
                "metrics": {"acc_norm,none": acc}}
        if task:
            line = {"task": task, **line}
        lines.append(line)
    return lines, accs


def write(name, header, lines, agg):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write(json.dumps(header) + "\n")
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        f.write(json.dumps({"aggregate": agg}) + "\n")


def single(name, header, lines, accs):
    write(name, header, lines, {"acc_norm,none": mean(accs), "acc_norm_stderr,none": mean_stderr(accs)})


def bbh_rows(task):
    with open(os.path.join(DATA, "bbh", "bbh", task + ".json"), encoding="utf-8") as f:
        return json.load(f)["examples"]


def bbh_gold(choices, target):
    if target.isdigit():  # doc_to_target renders digits -> int index
        return int(target)
    return choices.index(target) if target in choices else -100


def letters(n):
    return ["(%s)" % chr(65 + i) for i in range(n)]


def bbh():
    rows = bbh_rows("boolean_expressions")
    ch = ["False", "True"]
    lines, accs = mc(range(12), lambda i: ch, lambda i: bbh_gold(ch, rows[i]["target"]), random.Random(21), flips=(3, 7))
    single("leaderboard_bbh_boolean_expressions.jsonl", {"request": "leaderboard-v2", "task": "leaderboard_bbh_boolean_expressions"}, lines, accs)

    rows = bbh_rows("object_counting")
    ch = [str(i) for i in range(19)]
    lines, accs = mc(range(10), lambda i: ch, lambda i: bbh_gold(ch, rows[i]["target"]), random.Random(22), flips=(1, 4), wins=(0, 2, 5, 6))
    single("leaderboard_bbh_object_counting.jsonl", {"request": "leaderboard-v2", "task": "leaderboard_bbh_object_counting"}, lines, accs)

    # Rows 99 (and 144) of ruin_names: the target is not a choice.
    rows = bbh_rows("ruin_names")
    ch = letters(6)
    assert bbh_gold(ch, rows[99]["target"]) == -100
    lines, accs = mc(range(96, 102), lambda i: ch, lambda i: bbh_gold(ch, rows[i]["target"]), random.Random(23), wins=(97, 99, 100))
    single("leaderboard_bbh_ruin_names.jsonl", {"request": "leaderboard-v2", "task": "leaderboard_bbh_ruin_names"}, lines, accs)


def musr_group():
    files = {"murder_mysteries": "murder_mystery.csv", "object_placements": "object_placements.csv", "team_allocation": "team_allocation.csv"}
    rnd = random.Random(24)
    lines, tasks = [], {}
    for split, fn in files.items():
        with open(os.path.join(DATA, "musr", fn), encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        choices = lambda i: [str(c) for c in ast.literal_eval(rows[i]["choices"])]
        gold = lambda i: choices(i).index(rows[i]["answer_choice"])
        ls, accs = mc(range(5), choices, gold, rnd, task="leaderboard_musr_" + split, flips=(2,), wins=(0, 3))
        lines += ls
        tasks[split] = (mean(accs), mean_stderr(accs), len(accs))
    n = sum(t[2] for t in tasks.values())
    value = sum(t[0] * t[2] for t in tasks.values()) / n
    pooled = sum((t[2] - 1) * t[1] ** 2 * t[2] for t in tasks.values()) / (n - len(tasks))
    write("leaderboard_musr_group.jsonl", {"request": "leaderboard_musr", "task": "leaderboard_musr", "group": "leaderboard_musr"},
          lines, {"acc_norm,none": value, "acc_norm_stderr,none": math.sqrt(pooled / n)})


def gpqa_preprocess(t):
    if t is None:
        return " "
    t = t.strip()
    t = t.replace(" [title]", ". ")
    t = re.sub("\\[.*?\\]", "", t)
    return t.replace("  ", " ")


def gpqa():
    with zipfile.ZipFile(os.path.join(DATA, "gpqa", "dataset.zip")) as z:
        raw = z.read("dataset/gpqa_diamond.csv", pwd=b"deserted-untie-orchid").decode("utf-8")
    rows = list(csv.DictReader(raw.splitlines(keepends=True)))
    na = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
    cell = lambda r, k: None if r[k] in na else r[k]
    rng = random.Random(0)
    golds = []
    for r in rows[:10]:
        choices = [gpqa_preprocess(cell(r, k)) for k in ("Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3", "Correct Answer")]
        rng.shuffle(choices)
        golds.append(choices.index(gpqa_preprocess(cell(r, "Correct Answer"))))
    ch = letters(4)
    lines, accs = mc(range(10), lambda i: ch, lambda i: golds[i], random.Random(25), wins=(1, 4, 8))
    single("leaderboard_gpqa_diamond.jsonl", {"request": "leaderboard-v2", "task": "leaderboard_gpqa_diamond"}, lines, accs)


if __name__ == "__main__":
    bbh()
    musr_group()
    gpqa()
