"""Expected values for mathans' extraction and normalisation tests.

Written from the rules of tasks.md section 4.3 (lm-eval's leaderboard MATH
utils: last_boxed_only_string, remove_boxed, get_unnormalized_answer,
normalize_final_answer), Python stdlib only.

Usage: python3 gen_expected.py INPUTS.jsonl > golds.jsonl
  INPUTS.jsonl has one {"path","config","idx","solution"} per line (the test
  splits of lighteval/MATH-Hard and DigitalLearningGmbH/MATH-lighteval);
  handmade cases (extraction.jsonl) are regenerated with --cases.
"""
import json
import re
import sys

INVALID = "[invalidanswer]"


def last_boxed_only_string(s):
    idx = s.rfind("\\boxed")
    if "\\boxed " in s:
        return "\\boxed " + s.split("\\boxed ")[-1].split("$")[0]
    if idx < 0:
        idx = s.rfind("\\fbox")
        if idx < 0:
            return None
    i = idx
    right = None
    depth = 0
    while i < len(s):
        if s[i] == "{":
            depth += 1
        if s[i] == "}":
            depth -= 1
            if depth == 0:
                right = i
                break
        i += 1
    if right is None:
        return None
    return s[idx : right + 1]


def remove_boxed(b):
    if b is None:
        return None
    if "\\boxed " in b:
        left = "\\boxed "
        return b[len(left):] if b[: len(left)] == left else None
    left = "\\boxed{"
    if b[: len(left)] == left and b[-1:] == "}":
        return b[len(left):-1]
    return None


def get_unnormalized_answer(text):
    text += "I hope it is correct."
    m = re.search(r"Final Answer: The final answer is(.*?). I hope it is correct.", text)
    return m.group(1).strip() if m else INVALID


SUBS = [("an ", ""), ("a ", ""), (".$", "$"), ("\\$", ""), ("\\ ", ""), (" ", ""),
        ("mbox", "text"), (",\\text{and}", ","), ("\\text{and}", ","), ("\\text{m}", "\\text{}")]
REMOVED = ["square", "ways", "integers", "dollars", "mph", "inches", "ft", "hours", "km",
           "units", "\\ldots", "sue", "points", "feet", "minutes", "digits", "cents",
           "degrees", "cm", "gm", "pounds", "meters", "meals", "edges", "students",
           "childrentickets", "multiples", "\\text{s}", "\\text{.}", "\\text{\ns}",
           "\\text{}^2", "\\text{}^3", "\\text{\n}", "\\text{}", r"\mathrm{th}", r"^\circ",
           r"^{\circ}", r"\;", r",\!", "{,}", '"', "\\dots"]


def normalize_final_answer(a):
    a = a.split("=")[-1]
    for before, after in SUBS:
        a = a.replace(before, after)
    for expr in REMOVED:
        a = a.replace(expr, "")
    a = re.sub(r"(.*?)(\$)(.*?)(\$)(.*)", "$\\3$", a)
    a = re.sub(r"(\\text\{)(.*?)(\})", "\\2", a)
    a = re.sub(r"(\\textbf\{)(.*?)(\})", "\\2", a)
    a = re.sub(r"(\\overline\{)(.*?)(\})", "\\2", a)
    a = re.sub(r"(\\boxed\{)(.*)(\})", "\\2", a)
    a = re.sub(r"(frac)([^{])(.)", "frac{\\2}{\\3}", a)
    a = re.sub(r"(sqrt)([^{])", "sqrt{\\2}", a)
    a = a.replace("$", "")
    if a.replace(",", "").isdigit():
        a = a.replace(",", "")
    return a


def gold(solution):
    r = remove_boxed(last_boxed_only_string(solution))
    return normalize_final_answer(INVALID if r is None else r)


def main():
    if sys.argv[1] == "--cases":
        for line in open(sys.argv[2], encoding="utf-8"):
            c = json.loads(line)
            t = c["input"]
            out = {"input": t,
                   "boxed": last_boxed_only_string(t),
                   "unnormalized": get_unnormalized_answer(t),
                   "normalized": normalize_final_answer(t)}
            print(json.dumps(out, ensure_ascii=False))
        return
    for line in open(sys.argv[1], encoding="utf-8"):
        d = json.loads(line)
        s = d["solution"]
        resp = s + "\nFinal Answer: The final answer is $" + (remove_boxed(last_boxed_only_string(s)) or "") + "$. I hope it is correct."
        print(json.dumps({"path": d["path"], "config": d["config"], "idx": d["idx"],
                          "boxed": last_boxed_only_string(s), "answer": gold(s),
                          "model_answer": normalize_final_answer(get_unnormalized_answer(resp))},
                         ensure_ascii=False))


if __name__ == "__main__":
    main()
