#!/usr/bin/env python3
"""Expected samples_<task>.jsonl lines, built the way lm-eval v0.4.7+ builds
them (evaluator.py example dict + EvaluationTracker.save_results_samples:
arguments as gen_args_i/arg_j, resps and filtered_resps through sanitize_list,
target through str(), sha256 hashes), for arc_challenge doc 0 (0-shot) and
gsm8k doc 0 (0-shot, both filters), with made-up responses.

Doc keys are sorted here because parity's docs (Go maps) no longer know the
dataset's column order; lm-eval would keep the column order (and so get a
different doc_hash). Run from the repo root:
    python3 tasks/testdata/samples/make_samples.py
"""
import hashlib
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data"))


def hash_string(s):
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def sanitize_list(sub):
    if isinstance(sub, list):
        return [sanitize_list(item) for item in sub]
    if isinstance(sub, tuple):
        return tuple(sanitize_list(item) for item in sub)
    return str(sub)


def sorted_doc(d):
    if isinstance(d, dict):
        return {k: sorted_doc(d[k]) for k in sorted(d)}
    return d


def line(doc_id, doc, target, args, resps, filtered, filter_key, metrics):
    example = {
        "doc_id": doc_id,
        "doc": doc,
        "target": target,
        "arguments": args,
        "resps": resps,
        "filtered_resps": filtered,
        "filter": filter_key,
        "metrics": list(metrics.keys()),
        "doc_hash": hash_string(json.dumps(doc, indent=2, ensure_ascii=False)),
        "prompt_hash": hash_string(args[0][0]),
        "target_hash": hash_string(str(target)),
    }
    example.update(metrics)
    arguments = {}
    for i, arg in enumerate(example["arguments"]):
        arguments[f"gen_args_{i}"] = {}
        for j, tmp in enumerate(arg):
            arguments[f"gen_args_{i}"][f"arg_{j}"] = tmp
    example["resps"] = sanitize_list(example["resps"])
    example["filtered_resps"] = sanitize_list(example["filtered_resps"])
    example["arguments"] = arguments
    example["target"] = str(example["target"])
    return json.dumps(example, ensure_ascii=False)


def main():
    out = []
    r = json.loads(open(os.path.join(DATA, "arc_challenge", "ARC-Challenge-Test.jsonl"), encoding="utf-8").readline())
    doc = sorted_doc({
        "id": r["id"], "question": r["question"]["stem"],
        "choices": {"text": [c["text"] for c in r["question"]["choices"]],
                    "label": [c["label"] for c in r["question"]["choices"]]},
        "answerKey": r["answerKey"]})
    ctx = "Question: %s\nAnswer:" % doc["question"]
    lls = [(-5.25, False), (-3.0, False), (-0.5, True), (-1e-05, False)]
    args = [(ctx, " " + c) for c in doc["choices"]["text"]]
    out.append(line(0, doc, doc["choices"]["label"].index(doc["answerKey"]), args,
                    [[x] for x in lls], lls, "none", {"acc": 0.0, "acc_norm": 0.0}))

    d = json.loads(open(os.path.join(DATA, "gsm8k", "test.jsonl"), encoding="utf-8").readline())
    doc = sorted_doc(d)
    ctx = "Question: %s\nAnswer:" % doc["question"]
    gen_kwargs = {"until": ["Question:", "</s>", "<|im_end|>"], "do_sample": False, "temperature": 0.0}
    text = " 16-3-4=9 eggs, 9*2=$18.\n#### 18"
    out.append(line(0, doc, doc["answer"], [(ctx, gen_kwargs)], [[text]], ["18"], "strict-match", {"exact_match": 1.0}))
    out.append(line(0, doc, doc["answer"], [(ctx, gen_kwargs)], [[text]], ["18"], "flexible-extract", {"exact_match": 1.0}))
    with open(os.path.join(HERE, "lmeval_lines.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
