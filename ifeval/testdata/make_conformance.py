"""Writes conformance/leaderboard_ifeval.jsonl: given these documents and
these model responses, lm-evaluation-harness's leaderboard_ifeval scoring
(utils.process_results, mean / agg_inst_level_acc and lm-eval's mean_stderr)
gives these metrics. The scorer is loaded from source checkouts by
refharness.py:

    python3 make_conformance.py LMEVAL NLTK LANGDETECT SHARED_DATA > conformance/leaderboard_ifeval.jsonl

The docs are the first 30 rows of the dataset (wis-k/instruction-following-eval
is written from reference/ifeval/input_data.jsonl in file order, so doc_id i
is line i), less the one whose letter-frequency instruction names a
non-letter (key 1122, doc 19), which the reference scores with a random
letter. The responses are GPT-4's reference responses, varied by doc_id
mod 6 so that every kind of verdict occurs: as is; upper-cased; behind a
preamble line that only the loose test drops; with its lines wrapped in
"**"; empty; cut to its first 200 characters.

Format (as tasks/testdata/conformance): a header line, one line per doc with
the generation and lm-eval's metrics ("metric,filter" keys; the inst-level
values are lists of booleans, as lm-eval's process_results returns them),
and a last line with the aggregate (inst-level stderr is "N/A").
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refharness import SHARED, setup  # noqa: E402

N = 30


def vary(i, resp):
    k = i % 6
    if k == 1:
        return resp.upper()
    if k == 2:
        return "Sure, here is my answer:\n" + resp
    if k == 3:
        return "\n".join("**" + l + "**" if l else l for l in resp.split("\n"))
    if k == 4:
        return ""
    if k == 5:
        return resp[:200]
    return resp


def mean_stderr(xs):
    mu = sum(xs) / len(xs)
    var = sum((x - mu) ** 2 for x in xs) / (len(xs) - 1)
    return math.sqrt(var) / math.sqrt(len(xs))


def main():
    utils = setup()
    folder = os.path.join(SHARED, "reference", "ifeval")
    with open(os.path.join(folder, "input_data.jsonl"), encoding="utf-8") as fh:
        docs = [json.loads(l) for l in fh][:N]
    with open(os.path.join(folder, "input_response_data_gpt4_20231107_145030.jsonl"), encoding="utf-8") as fh:
        responses = {d["prompt"]: d["response"] for d in map(json.loads, fh)}
    out = [{"request": "leaderboard_ifeval", "task": "leaderboard_ifeval"}]
    per = {"prompt_level_strict_acc": [], "inst_level_strict_acc": [], "prompt_level_loose_acc": [], "inst_level_loose_acc": []}
    for i, doc in enumerate(docs):
        if any(iid == "keywords:letter_frequency" and not kw["letter"].isalpha()
               for iid, kw in zip(doc["instruction_id_list"], doc["kwargs"])):
            continue
        gen = vary(i, responses[doc["prompt"]])
        m = utils.process_results(doc, [gen])
        for k, v in m.items():
            per[k].append(v)
        out.append({"doc_id": i, "key": doc["key"], "generation": gen, "metrics": {k + ",none": v for k, v in m.items()}})
    agg = {}
    for k, vals in per.items():
        if k.startswith("prompt"):
            xs = [float(v) for v in vals]
            agg[k + ",none"] = sum(xs) / len(xs)
            agg[k + "_stderr,none"] = mean_stderr(xs)
        else:
            agg[k + ",none"] = utils.agg_inst_level_acc(vals)
            agg[k + "_stderr,none"] = "N/A"
    out.append({"aggregate": agg})
    for line in out:
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


main()
