#!/usr/bin/env python3
"""Writes the conformance files: model responses for some docs and the metrics
lm-eval v0.4.5 gives them, computed here independently of parity.

Stdlib only (numpy's argmax, exp and mean are spelled out). Scoring follows
ConfigurableTask.process_results (multiple_choice, generate_until), the regex,
multi_choice_regex and remove_whitespace filters (lm_eval/filters/extraction.py),
exact_match_hf_evaluate and mean / mean_stderr (lm_eval/api/metrics.py) of
v0.4.5, truthfulqa's process_results_mc2, and the group aggregation of
lm_eval/evaluator_utils.py (size-weighted mean, pooled_sample_stderr) --
ported here from tasks.md §1.8-§1.10 and §2.5, not from parity's Go.

Run from the repo root:  python3 tasks/testdata/conformance/make_conformance.py
"""
import json
import math
import os
import random
import re
import sys

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


# --- the V1 suite and the Llama-3.1 variants ---------------------------------

sys.path.insert(0, os.path.join(HERE, "..", "fewshot"))
import lmeval_fewshot as fs  # noqa: E402  (data readers: mmlu, hellaswag, winogrande)

PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def em(pred, ref, ignore=(), ignore_case=False, ignore_punct=False):
    for pat in ignore:
        pred = re.sub(pat, "", pred)
        ref = re.sub(pat, "", ref)
    if ignore_case:
        pred, ref = pred.lower(), ref.lower()
    if ignore_punct:
        pred = "".join(c for c in pred if c not in PUNCT)
        ref = "".join(c for c in ref if c not in PUNCT)
    return 1.0 if pred == ref else 0.0


def find_match(pattern, resp, group_select=0, convert=None):
    m = pattern.findall(resp)
    if not m:
        return ""
    m = m[group_select]
    if isinstance(m, tuple):
        m = [x for x in m if x]
        m = m[0] if m else ""
    m = m.strip()
    if m and convert and m in convert:
        m = convert[m]
    return m


def multi_choice_regex(pattern, resp, choices):
    """§1.8: the pattern, else a choice's literal text as (X), else :X as (X)."""
    m = find_match(re.compile(pattern), resp)
    if m:
        return m
    alts, to_alpha, letters = [], {}, []
    for i, c in enumerate(choices):
        c = c.strip()
        alts.append(re.escape(c))
        to_alpha[c] = "(%s)" % chr(65 + i)
        letters.append(chr(65 + i))
    m = find_match(re.compile("|".join(alts)), resp, convert=to_alpha)
    if m:
        return m
    m = find_match(re.compile(r":[\s]*(%s)" % "|".join(letters)), resp, convert={l: "(%s)" % l for l in letters})
    return m if m else "[invalid]"


def mc_lines(docs_choices, golds, rnd, metrics=("acc", "acc_norm"), ties=(), flips=()):
    lines, per = [], {m + ",none": [] for m in metrics}
    for i, (choices, gold) in enumerate(zip(docs_choices, golds)):
        lls = [round(-rnd.uniform(0.5, 4.0) * max(1, len(c)) / 6, 4) for c in choices]
        if i in ties:  # the first maximum wins
            lls[gold] = lls[(gold + 1) % len(lls)] = max(lls) + 0.25
        if i in flips:  # the longest choice wins per character only
            longest = max(range(len(choices)), key=lambda j: len(choices[j]))
            lls = [-2.0 * len(choices[j]) / len(choices[longest]) - 0.01 for j in range(len(choices))]
            lls[longest] = -1.9
        greedy = [j == argmax(lls) for j in range(len(lls))]
        ms = {}
        if "acc" in metrics:
            ms["acc,none"] = 1.0 if argmax(lls) == gold else 0.0
        if "acc_norm" in metrics:
            ms["acc_norm,none"] = 1.0 if argmax([ll / len(c) for ll, c in zip(lls, choices)]) == gold else 0.0
        for k, v in ms.items():
            per[k].append(v)
        lines.append({"doc_id": i, "loglikelihoods": lls, "is_greedy": greedy, "metrics": ms})
    return lines, per


def mmlu_conf():
    docs = fs.mmlu_rows("test", "abstract_algebra")[:12]
    lines, per = mc_lines([["A", "B", "C", "D"]] * len(docs), [d["answer"] for d in docs], random.Random(11), ("acc",), ties=(2,))
    write("mmlu_abstract_algebra.jsonl", {"request": "openllm", "task": "mmlu_abstract_algebra"}, lines, per)


def hellaswag_conf():
    docs = fs.hellaswag("validation")
    lines, per = mc_lines([d["choices"] for d in docs], [int(d["label"]) for d in docs], random.Random(12), ties=(3,), flips=(4, 9))
    write("hellaswag.jsonl", {"request": "hellaswag", "task": "hellaswag", "num_fewshot": 10}, lines, per)


def winogrande_conf():
    docs = fs.winogrande("validation")[:12]
    lines, per = mc_lines([fs.wg_choices(d) for d in docs], [fs.wg_gold(d) for d in docs], random.Random(13), ("acc",), ties=(5,))
    write("winogrande.jsonl", {"request": "winogrande", "task": "winogrande", "num_fewshot": 5}, lines, per)


def truthfulqa_conf():
    with open(os.path.join(DATA, "truthfulqa", "data", "v0", "mc_task.json"), encoding="utf-8") as f:
        tqa = json.load(f)
    ids = list(range(10)) + [25, 208]  # 25 and 208: a false answer between true ones
    rnd = random.Random(14)
    l1, p1 = [], {"acc,none": []}
    l2, p2 = [], {"acc,none": []}
    for i in ids:
        d = tqa[i]
        c1 = list(d["mc1_targets"].keys())
        lls = [round(-rnd.uniform(1.0, 30.0), 4) for _ in c1]
        acc = 1.0 if argmax(lls) == 0 else 0.0
        p1["acc,none"].append(acc)
        l1.append({"doc_id": i, "loglikelihoods": lls, "is_greedy": [j == argmax(lls) for j in range(len(lls))], "metrics": {"acc,none": acc}})
        c2, labels = list(d["mc2_targets"].keys()), list(d["mc2_targets"].values())
        lls = [round(-rnd.uniform(1.0, 30.0), 4) for _ in c2]
        if i == 3:
            lls = [-800.0 - j for j in range(len(c2))]  # every exp underflows: lm-eval divides 0 by 0
            lls[0] = -20.0                            # ... unless one answer stays representable
        split = labels.index(0)
        p_true = [math.exp(x) for x in lls[:split]]
        p_false = [math.exp(x) for x in lls[split:]]
        total = sum(p_true) + sum(p_false)
        mc2 = sum(p / total for p in p_true)
        p2["acc,none"].append(mc2)
        l2.append({"doc_id": i, "loglikelihoods": lls, "is_greedy": [j == argmax(lls) for j in range(len(lls))], "metrics": {"acc,none": mc2}})
    write("truthfulqa_mc1.jsonl", {"request": "truthfulqa_mc1", "task": "truthfulqa_mc1"}, l1, p1)
    write("truthfulqa_mc2.jsonl", {"request": "truthfulqa_mc2", "task": "truthfulqa_mc2"}, l2, p2)


def gen_conf(name, header, docs, gens, golds, filters):
    """filters: name -> function(resp, doc) returning (filtered, metric)."""
    lines, per = [], {}
    for i, (d, g, gold) in enumerate(zip(docs, gens, golds)):
        ms, filtered = {}, {}
        for fname, f in filters.items():
            out, v = f(g, d, gold)
            filtered[fname] = out
            ms["exact_match," + fname] = v
            per.setdefault("exact_match," + fname, []).append(v)
        lines.append({"doc_id": i, "generation": g, "gold": gold, "filtered": filtered, "metrics": ms})
    write(name, header, lines, per)


MMLU_GENS = [
    "The best answer is B.",                                  # primary
    "Let me think. **C** is correct.",                        # first capital A-D anywhere
    "Based on the group axioms, the answer is D",             # "B" of Based is the first capital
    "the answer is two.",                                     # no capital: no choice text either -> invalid
    "i believe the field has degree 4",                       # choice text "4" -> "(B)" etc.
    "",                                                       # empty -> invalid
    "The best answer is A",
    "none of these; maybe 0,1",                               # choice text "0,1" beats "0"? first alternative wins at a position
    "THE BEST ANSWER IS C",
    "answer: 6",                                              # choice text "6"
]


def nm_mmlu_conf():
    docs = fs.mmlu_rows("test", "abstract_algebra")[:len(MMLU_GENS)]
    golds = ["ABCD"[d["answer"]] for d in docs]
    def f(g, d, gold):
        out = multi_choice_regex("([ABCD])", g, d["choices"])
        return [out], em(out, gold)
    gen_conf("mmlu_llama_3.1_instruct_abstract_algebra.jsonl", {"request": "leaderboard-v1", "task": "mmlu_llama_3.1_instruct_abstract_algebra"},
             docs, MMLU_GENS, golds, {"multi_choice": f})


def nm_mmlu_cot_conf():
    docs = fs.mmlu_rows("test", "abstract_algebra")[:8]
    gens = ["## Step 1: x\nThe best answer is B.", "The best answer is C. The best answer is D.", "the best answer is A",
            "The best answer is (B)", "Answer: B", "The best answer is B", "The best answer is  A", "The best answer is E"]
    golds = ["ABCD"[d["answer"]] for d in docs]
    def f(g, d, gold):
        out = regex_filter(re.compile("The best answer is ([ABCD])"), 0, g)
        return out, em(out, gold)
    gen_conf("mmlu_cot_0shot_llama_3.1_instruct_abstract_algebra.jsonl", {"request": "leaderboard-v1", "task": "mmlu_cot_0shot_llama_3.1_instruct_abstract_algebra"},
             docs, gens, golds, {"strict-match": f})


def nm_arc_conf():
    docs = fs.arc("ARC-Challenge-Test.jsonl")[:8]
    gens = ["The best answer is C", "the text above shows it", "the label matters", "Dunno", "b", "The best answer is A.", "I pick B", ""]
    golds = [d["answerKey"] for d in docs]
    def f(g, d, gold):
        # doc["choices"] is a dict: its keys "text", "label" are the choices.
        out = multi_choice_regex("([ABCD])", g, ["text", "label"])
        return [out], em(out, gold)
    gen_conf("arc_challenge_llama_3.1_instruct.jsonl", {"request": "leaderboard-v1", "task": "arc_challenge_llama_3.1_instruct"},
             docs, gens, golds, {"multi_choice": f})


GSM_NM_GENS = [
    "She sells 16 - 3 - 4 = 9 eggs for $18. The final answer is 18.",
    "It takes 3 bolts. The final answer is 3",                 # nothing after the number: strict invalid
    "The final answer is 70,000.\n",                           # commas removed
    "The final answer is 540. So that is it.",                 # "540." then \.$
    "The final answer is $20.",                                # $ not in the class: strict invalid
    "The final answer is 64 dollars",                          # the any-char takes the space
    "The final answer is 260.",
    "I do not know.",
    "The final answer is 460. The final answer is 5.",         # first match
    "The final answer is -5.",
]


def nm_gsm8k_conf():
    docs = fs.read_jsonl(os.path.join(DATA, "gsm8k", "test.jsonl"))[:len(GSM_NM_GENS)]
    golds = [d["answer"].split("####")[-1].strip() for d in docs]
    ign = [",", "\\$", "(?s).*#### ", "\\.$"]
    def strict(g, d, gold):
        out = regex_filter(re.compile(r"The final answer is (\-?[0-9\.\,]+)."), 0, g)
        return out, em(out, gold, ign, ignore_case=True)
    def flex(g, d, gold):
        out = regex_filter(FLEX, -1, g)
        return out, em(out, gold, ign, ignore_case=True)
    gen_conf("gsm8k_cot_llama_3.1_instruct.jsonl", {"request": "leaderboard-v1", "task": "gsm8k_cot_llama_3.1_instruct"},
             docs, GSM_NM_GENS, golds, {"strict-match": strict, "flexible-extract": flex})


def upstream_conf():
    # mmlu_llama: the generation continues the prefill "The best answer is".
    docs = fs.mmlu_rows("test", "abstract_algebra")[:8]
    gens = [" B.", " C", "B", " d.", " (A)", " $B$.", " The answer", " A. Because"]
    golds = [["A.", "B.", "C.", "D."][d["answer"]] for d in docs]
    def mm(g, d, gold):
        out = g.lstrip()
        return out, em(out, gold, ["\\$", "\\.$"], ignore_case=True, ignore_punct=True)
    gen_conf("mmlu_llama_abstract_algebra.jsonl", {"request": "leaderboard-v1-upstream", "task": "mmlu_llama_abstract_algebra"},
             docs, gens, golds, {"strict_match": mm})

    docs = fs.mmlu_rows("test", "abstract_algebra")[:6]
    gens = ["The best answer is B. Wait, the best answer is C.", "best answer is A", "The Best Answer Is d", "no", "best answer is Z", "the best answer is (B)"]
    golds = ["ABCD"[d["answer"]] for d in docs]
    def cot(g, d, gold):
        out = regex_filter(re.compile("best answer is ([A-Z])"), -1, g)
        return out, em(out, gold, ignore_case=True, ignore_punct=True)
    gen_conf("mmlu_cot_llama_abstract_algebra.jsonl", {"request": "leaderboard-v1-upstream", "task": "mmlu_cot_llama_abstract_algebra"},
             docs, gens, golds, {"strict_match": cot})

    docs = [d for d in fs.arc("ARC-Challenge-Test.jsonl") if len(d["choices"]["label"]) == 4][:6]
    for d in docs:  # process_docs: numeric keys become letters
        if d["answerKey"] not in "ABCD":
            d["answerKey"] = "ABCD"[int(d["answerKey"]) - 1]
    gens = [" C", " B.", " D is right", " $A$", "c", " (D)."]
    golds = [d["answerKey"] for d in docs]
    gen_conf("arc_challenge_llama.jsonl", {"request": "leaderboard-v1-upstream", "task": "arc_challenge_llama"},
             docs, gens, golds, {"strict_match": mm})

    docs = fs.read_jsonl(os.path.join(DATA, "gsm8k", "test.jsonl"))[:6]
    golds = [d["answer"].split("####")[-1].strip() for d in docs]
    gens = ["So 9 * 2 = 18. The final answer is 18", "The final answer is $3", "The final answer is 70,000.",
            "The final answer is 5 or The final answer is 540", "no idea", "The final answer is 20.5"]
    ign = [",", "\\$", "(?s).*#### ", "\\.$"]
    def strict(g, d, gold):
        out = regex_filter(re.compile(r"The final answer is ((-?[$0-9.,]{2,})|(-?[0-9]+))"), -1, g)
        return out, em(out, gold, ign, ignore_case=True)
    def flex(g, d, gold):
        out = regex_filter(FLEX, -1, g)
        return out, em(out, gold, ign, ignore_case=True)
    gen_conf("gsm8k_cot_llama.jsonl", {"request": "leaderboard-v1-upstream", "task": "gsm8k_cot_llama"},
             docs, gens, golds, {"strict-match": strict, "flexible-extract": flex})
    def strict2(g, d, gold):
        out = regex_filter(re.compile(r"final answer is (\-?[0-9\.\,]+)"), -1, g)
        return out, em(out, gold, ign, ignore_case=True)
    gen_conf("gsm8k_llama.jsonl", {"request": "gsm8k_llama", "task": "gsm8k_llama"},
             docs, gens, golds, {"strict_match": strict2, "flexible_extract": flex})


def mmlu_stem_group():
    """The mmlu_stem group over 3 docs of each of its 19 subjects: per-task
    acc and stderr, then the size-weighted mean and the pooled stderr."""
    subjects = sorted(s for s, cat in (l.split() for l in SUBJECTS.strip().splitlines()) if cat == "stem")
    rnd = random.Random(15)
    lines, tasks = [], {}
    for subject in subjects:
        docs = fs.mmlu_rows("test", subject)[:3]
        accs = []
        for i, d in enumerate(docs):
            lls = [round(-rnd.uniform(0.2, 3.0), 4) for _ in range(4)]
            acc = 1.0 if argmax(lls) == d["answer"] else 0.0
            accs.append(acc)
            lines.append({"task": "mmlu_" + subject, "doc_id": i, "loglikelihoods": lls,
                          "is_greedy": [j == argmax(lls) for j in range(4)], "metrics": {"acc,none": acc}})
        tasks["mmlu_" + subject] = (mean(accs), mean_stderr(accs), len(accs))
    n = sum(t[2] for t in tasks.values())
    value = sum(t[0] * t[2] for t in tasks.values()) / n
    pooled = sum((t[2] - 1) * t[1] ** 2 * t[2] for t in tasks.values()) / (n - len(tasks))
    agg = {"acc,none": value, "acc_stderr,none": math.sqrt(pooled / n)}
    with open(os.path.join(HERE, "mmlu_stem_group.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps({"request": "mmlu_stem", "task": "mmlu_stem", "group": "mmlu_stem", "num_fewshot": 0}) + "\n")
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        f.write(json.dumps({"aggregate": agg}) + "\n")


# Subjects of the stem category (lm-eval's mmlu_stem_tasks tag).
SUBJECTS = """
abstract_algebra stem
anatomy stem
astronomy stem
college_biology stem
college_chemistry stem
college_computer_science stem
college_mathematics stem
college_physics stem
computer_security stem
conceptual_physics stem
electrical_engineering stem
elementary_mathematics stem
high_school_biology stem
high_school_chemistry stem
high_school_computer_science stem
high_school_mathematics stem
high_school_physics stem
high_school_statistics stem
machine_learning stem
"""


if __name__ == "__main__":
    arc()
    gsm8k()
    mmlu_conf()
    hellaswag_conf()
    winogrande_conf()
    truthfulqa_conf()
    nm_mmlu_conf()
    nm_mmlu_cot_conf()
    nm_arc_conf()
    nm_gsm8k_conf()
    upstream_conf()
    mmlu_stem_group()
