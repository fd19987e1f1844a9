#!/usr/bin/env python3
"""Prints the leaderboard_bbh task entries of tasks.yaml (tasks.md §4.1).

Each subtask's description and its three few-shot exemplars are cut from the
original BBH chain-of-thought prompt file, as the HF fork's configs were:
description = text between "-----\\n" and the first "\\n\\nQ: "; exemplar i =
("Q: " ... "\\nA: ") of block i, its target = X of the block's last
"So the answer is X." The choice lists are tasks.md's table.

Run from the repo root:
  python3 tasks/testdata/leaderboard/make_bbh_yaml.py > /tmp/bbh.yaml
(then paste the output into tasks.yaml). TestBBHMatchesCotPrompts re-checks the
result against ../shared/data/bbh/cot-prompts on every test run.
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
COT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "bbh", "cot-prompts"))

L = lambda n: ["(%s)" % chr(ord("A") + i) for i in range(n)]
CHOICES = {
    "boolean_expressions": ["False", "True"],
    "causal_judgement": ["Yes", "No"],
    "date_understanding": L(6),
    "disambiguation_qa": L(3),
    "formal_fallacies": ["valid", "invalid"],
    "geometric_shapes": L(11),
    "hyperbaton": L(2),
    "logical_deduction_five_objects": L(5),
    "logical_deduction_seven_objects": L(7),
    "logical_deduction_three_objects": L(3),
    "movie_recommendation": L(6),
    "navigate": ["Yes", "No"],
    "object_counting": [str(i) for i in range(19)],
    "penguins_in_a_table": L(5),
    "reasoning_about_colored_objects": L(18),
    "ruin_names": L(6),
    "salient_translation_error_detection": L(6),
    "snarks": L(2),
    "sports_understanding": ["yes", "no"],
    "temporal_sequences": L(4),
    "tracking_shuffled_objects_five_objects": L(5),
    "tracking_shuffled_objects_seven_objects": L(7),
    "tracking_shuffled_objects_three_objects": L(3),
    "web_of_lies": ["Yes", "No"],
}


def q(s):
    return json.dumps(s, ensure_ascii=False)


def parse(text):
    body = text.split("-----\n", 1)[1]
    desc, rest = body.split("\n\nQ: ", 1)
    blocks = ("Q: " + rest).split("\n\nQ: ")
    shots = []
    for b in blocks:
        b = b if b.startswith("Q: ") else "Q: " + b
        inp = b[len("Q: "):b.index("\nA: ")]
        m = re.findall(r"So the answer is (.*?)\.\s*$", b.rstrip())
        shots.append((inp, m[-1]))
    return desc, shots


for name, choices in CHOICES.items():
    with open(os.path.join(COT, name + ".txt"), encoding="utf-8") as f:
        desc, shots = parse(f.read())
    assert len(shots) == 3, name
    samples = ", ".join("{input: %s, target: %s}" % (q(i), q(t)) for i, t in shots)
    print("  - task: leaderboard_bbh_%s" % name)
    print("    include: _leaderboard_bbh")
    print("    dataset_name: %s" % name)
    print("    description: %s" % q(desc))
    print("    doc_to_choice: [%s]" % ", ".join(q(c) for c in choices))
    print("    fewshot_config: {sampler: first_n, samples: [%s]}" % samples)
