#!/usr/bin/env python3
"""Writes the conformance files: model responses for some docs and the metrics
lm-eval v0.4.5 gives them, computed here independently of parity.

Stdlib only (numpy's argmax and mean are spelled out). Scoring follows
ConfigurableTask.process_results (multiple_choice, generate_until), the regex
filter (lm_eval/filters/extraction.py), exact_match_hf_evaluate and mean /
mean_stderr (lm_eval/api/metrics.py) of v0.4.5.

Run from the repo root:  python3 tasks/testdata/conformance/make_conformance.py
"""
import json
import math
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data"))


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def argmax(xs):  # numpy.argmax: first maximum
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


def write(name, header, lines, per_metric):
    agg = {}
    for key, xs in per_metric.items():
        metric, filt = key.split(",")
        agg[key] = mean(xs)
        agg["%s_stderr,%s" % (metric, filt)] = mean_stderr(xs)
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write(json.dumps(header, ensure_ascii=False) + "\n")
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        f.write(json.dumps({"aggregate": agg}, ensure_ascii=False) + "\n")


def arc():
    docs = read_jsonl(os.path.join(DATA, "arc_challenge", "ARC-Challenge-Test.jsonl"))[:12]
    rnd = random.Random(7)
    lines, per = [], {"acc,none": [], "acc_norm,none": []}
    for i, d in enumerate(docs):
        choices = [c["text"] for c in d["question"]["choices"]]
        labels = [c["label"] for c in d["question"]["choices"]]
        gold = labels.index(d["answerKey"])
        lls = [round(-rnd.uniform(0.5, 3.0) * len(c) / 8, 4) for c in choices]
        if i == 3:  # a tie: the first maximum wins
            lls[gold] = lls[(gold + 1) % len(lls)] = max(lls) + 0.5
        if i == 4:  # acc and acc_norm disagree: the longest choice wins only per char
            longest = max(range(len(choices)), key=lambda j: len(choices[j]))
            lls = [-2.0 * len(choices[j]) / len(choices[longest]) - 0.01 for j in range(len(choices))]
            lls[longest] = -1.9
        greedy = [j == argmax(lls) for j in range(len(lls))]
        acc = 1.0 if argmax(lls) == gold else 0.0
        acc_norm = 1.0 if argmax([ll / len(c) for ll, c in zip(lls, choices)]) == gold else 0.0
        per["acc,none"].append(acc)
        per["acc_norm,none"].append(acc_norm)
        lines.append({"doc_id": i, "loglikelihoods": lls, "is_greedy": greedy,
                      "metrics": {"acc,none": acc, "acc_norm,none": acc_norm}})
    write("arc_challenge.jsonl", {"request": "arc_challenge", "task": "arc_challenge", "num_fewshot": 0}, lines, per)


STRICT = re.compile(r"#### (\-?[0-9\.\,]+)")
FLEX = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")
IGNORE = [",", "\\$", "(?s).*#### ", "\\.$"]


def regex_filter(pattern, group_select, resp):
    match = pattern.findall(resp)
    if match:
        match = match[group_select]
        if isinstance(match, tuple):
            match = [m for m in match if m][0]
        return match.strip()
    return "[invalid]"


def exact_match(pred, ref):
    for s in IGNORE:
        pred = re.sub(s, "", pred)
        ref = re.sub(s, "", ref)
    return 1.0 if pred.lower() == ref.lower() else 0.0


def gsm8k():
    docs = read_jsonl(os.path.join(DATA, "gsm8k", "test.jsonl"))[:10]
    golds = [d["answer"].split("#### ")[-1] for d in docs]
    gens = [
        " She eats 3 and bakes 4, so 16-3-4=<<16-3-4=9>>9 eggs.\n9*2=<<9*2=18>>18\n#### 18",  # right, both
        " It takes 2 + 1 = 3 bolts.\n#### 3.",                      # trailing period removed by \.$
        " Profit is $70,000.\n#### 70,000",                          # commas removed
        " He runs 3*3*60 = 540 meters a week.",                      # no ####: strict invalid, flexible 540
        " The answer is 20 cups.\n\n",                               # flexible takes the last number
        " #### 64\nso 63 would be wrong",                            # strict first match, flexible last
        " That is $260 in total.",                                   # flexible keeps $? then \$ removed
        " I do not know.",                                           # nothing to extract
        " Each gets 2.5 pies, #### 460 total, but really 460.",      # flexible picks "460."
        " #### -5",                                                  # wrong sign
    ]
    lines, per = [], {"exact_match,strict-match": [], "exact_match,flexible-extract": []}
    for i, (d, g) in enumerate(zip(docs, gens)):
        strict = regex_filter(STRICT, 0, g)
        flex = regex_filter(FLEX, -1, g)
        ms = {"exact_match,strict-match": exact_match(strict, d["answer"]),
              "exact_match,flexible-extract": exact_match(flex, d["answer"])}
        for k, v in ms.items():
            per[k].append(v)
        lines.append({"doc_id": i, "generation": g, "gold": golds[i],
                      "filtered": {"strict-match": strict, "flexible-extract": flex}, "metrics": ms})
    write("gsm8k.jsonl", {"request": "gsm8k", "task": "gsm8k"}, lines, per)


if __name__ == "__main__":
    arc()
    gsm8k()
