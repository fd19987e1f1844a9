#!/usr/bin/env python3
"""Few-shot picks and prompts lm-evaluation-harness v0.4.5 would build (plain mode, seed 1234).

Stdlib only. Mirrors ContextSampler.get_context (lm_eval/api/samplers.py v0.4.5):
one random.Random(1234) per task, consumed in doc order; n = k+1 when
fewshot_split == test_split (None == None counts), else k; drawn docs equal to
the current doc are dropped and the first k kept. random.sample(list, n) only
uses len() and indexing, so sampling range(len(pool)) gives the same indexes.

The prompts are assembled here independently of parity, from the task YAML
(templates written as f-strings) the way samplers.get_context and
ConfigurableTask.fewshot_context join them (no description; "text TD target FD"
per shot, then the query's text), and stored as SHA-256 of the UTF-8 context.

Reads the original releases in ../shared/data (same row order as the Hub
parquet) and writes lmeval_fewshot.json next to this script.

Run from the repo root:  python3 tasks/testdata/fewshot/lmeval_fewshot.py
"""
import hashlib
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data"))
NDOCS = 20


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def arc(split_file):
    rows = []
    for r in read_jsonl(os.path.join(DATA, "arc_challenge", split_file)):
        rows.append({
            "id": r["id"],
            "question": r["question"]["stem"],
            "choices": {
                "text": [c["text"] for c in r["question"]["choices"]],
                "label": [c["label"] for c in r["question"]["choices"]],
            },
            "answerKey": r["answerKey"],
        })
    return rows


def pick(eval_docs, pool, k, fewshot_split, test_split):
    rnd = random.Random(1234)
    out = []
    for doc in eval_docs[:NDOCS]:
        n = k + 1 if fewshot_split == test_split else k
        drawn = rnd.sample(range(len(pool)), n)
        out.append([i for i in drawn if pool[i] != doc][:k])
    return out


def arc_text(d):  # "Question: {{question}}\nAnswer:"
    return "Question: %s\nAnswer:" % d["question"]


def arc_target(d):  # "{{choices.label.index(answerKey)}}" → int → choices.text[int]
    return d["choices"]["text"][d["choices"]["label"].index(d["answerKey"])]


def gsm_target(d):  # "{{answer}}"
    return d["answer"]


def prompts(eval_docs, pool, picks, text, target):
    out = []
    for i, doc in enumerate(eval_docs[:NDOCS]):
        ctx = ""
        for j in picks[i]:
            ctx += text(pool[j]) + " " + target(pool[j]) + "\n\n"
        ctx += text(doc)
        out.append(hashlib.sha256(ctx.encode("utf-8")).hexdigest())
    return out


def main():
    arc_test = arc("ARC-Challenge-Test.jsonl")
    arc_train = arc("ARC-Challenge-Train.jsonl")
    arc_dev = arc("ARC-Challenge-Dev.jsonl")
    gsm_test = read_jsonl(os.path.join(DATA, "gsm8k", "test.jsonl"))
    gsm_train = read_jsonl(os.path.join(DATA, "gsm8k", "train.jsonl"))
    arc0 = [[] for _ in range(NDOCS)]
    # standalone arc_challenge: no fewshot_split, pool = training_split.
    arc25 = pick(arc_test, arc_train, 25, None, "test")
    # openllm group (v0.4.5): fewshot_split validation.
    arc25_openllm = pick(arc_test, arc_dev, 25, "validation", "test")
    gsm5 = pick(gsm_test, gsm_train, 5, "train", "test")
    result = {
        "arc_challenge/0": (arc0, prompts(arc_test, arc_train, arc0, arc_text, arc_target)),
        "arc_challenge/25": (arc25, prompts(arc_test, arc_train, arc25, arc_text, arc_target)),
        "openllm/arc_challenge/25": (arc25_openllm, prompts(arc_test, arc_dev, arc25_openllm, arc_text, arc_target)),
        "gsm8k/5": (gsm5, prompts(gsm_test, gsm_train, gsm5, arc_text, gsm_target)),
    }
    with open(os.path.join(HERE, "lmeval_fewshot.json"), "w", encoding="utf-8") as f:
        # One line per doc keeps diffs readable.
        f.write("{\n")
        for i, (name, (picks, hashes)) in enumerate(result.items()):
            f.write(" %s: {\n" % json.dumps(name))
            f.write('  "fewshot": [%s\n  ],\n' % ",".join("\n   " + json.dumps(r) for r in picks))
            f.write('  "prompt_sha256": [%s\n  ]\n' % ",".join("\n   " + json.dumps(h) for h in hashes))
            f.write(" }%s\n" % ("," if i < len(result) - 1 else ""))
        f.write("}\n")


if __name__ == "__main__":
    main()
