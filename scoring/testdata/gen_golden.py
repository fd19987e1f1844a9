"""Regenerate the golden files in this folder with CPython's own re module.

    cd scoring && python3 testdata/gen_golden.py ../../shared/data

Made with CPython 3.11.7, standard library only. The filter and exact_match
logic below restates lm-eval's (v0.4.5 exact_match, HEAD RegexFilter) in a few
lines so that the expected values come from Python's real `re`, `str.strip`
and `str.lower`. NumPy's trailing-NUL trimming is not reproduced here; Go tests
cover it by hand. The GSM8K golden holds only derived values keyed by row, not
the data itself.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

GSM8K_STRICT = r"#### (\-?[0-9\.\,]+)"
GSM8K_FLEX = r"(-?[$0-9.,]{2,})|(-?[0-9]+)"
GSM8K_IGNORE = [",", r"\$", r"(?s).*#### ", r"\.$"]

PATTERNS = [
    GSM8K_STRICT, GSM8K_FLEX, *GSM8K_IGNORE,
    r"The answer is (\-?[0-9\.\,]+).", r"([ABCD])", r":[\s]*(A|B|C|D)",
    r"\d+", r"\d*", r"x*", r"\w+", r"\W+", r"\s+", r"\S+", r"[\w.]+", r"[\s]+",
    r"[^\s]+", r"\b\w", r"\B", r"\bfoo\b", r"a\Z", r"\n\Z", r"a$", r"\.$", r"^a",
    r"(?m)^\w+$", r"(?P<n>\d)(?P=n)", r"(?P<a>x)|(?P<b>y)", r"(?P<q>['\"]).*?(?P=q)",
    r"(a)?(?(1)b|c)", r"(?P<a>a)?(?(a)b|c)", r"a{,2}", r"[]a]+", r"[^]a]+",
    r"\U0001F600+", r"(?#no [group)x", r"(?i)abc", r"(?<=\$)\d+", r"(\d+)(?=%)",
    r"(a)|b", r"(a)(b)?", r"(?s)a.b", r"a.b", r"(\d)(\w)(\s)?", r"[^\W\d]+",
    r"(?:ab)+", r"((a)|(b))+", r"[\W\d]+", r"[^\W\d_]+", r"[\S]+", r"[^\S\n]+", r"[\W]+",
    r"[\w\W]", r"[]\W]+", r"[a^]+", r"[\]a]+", r"[\U0001F600-\U0001F64F]+", r"[\bx]",
]

INPUTS = [
    "", "\n", "#### 1,234.50", "The answer is $1,234.50.\n", "18.\n", "18.", "18.\n\n",
    "-5 and -3.2, then 7", "foo_bar 123 \u0663\u0664 \u00b2 \u2167", "a\x1cb\x1fc d",
    "\u0391\u03a3 caf\u00e9", "x\u0301y", "aa bb\naa\nb", "\U0001F600\U0001F600x",
    "12 12 3434 55", "'hi' \"yo\"", "#### 5\n#### 6", "abc ABC aBc", "$30 is 20% of 150",
    "ab ac b c a", "a\nb a\u2028b", "foo foo_ foo. (foo)", "xxaxx", "Answer: (B) because A",
    "So the answer is: C", "x y", "\u00a0 1 \u3000", "]a]b]", "ababab",
]


def findall(p, s):
    return [list(m) if isinstance(m, tuple) else [m] for m in re.findall(p, s)]


def regex_filter(p, group_select, fallback, s):
    matches = re.findall(p, s)
    if not matches:
        return {"out": fallback}
    try:
        m = matches[group_select]
    except IndexError:
        return {"error": "IndexError"}
    if isinstance(m, tuple):
        m = [g for g in m if g]
        m = m[0] if m else fallback
    return {"out": m.strip()}


def normalize(s, ignore, ignore_case, ignore_punct, ignore_numbers):
    import string
    for p in ignore:
        s = re.sub(p, "", s)
    if ignore_case:
        s = s.lower()
    if ignore_punct:
        s = s.translate(str.maketrans("", "", string.punctuation))
    if ignore_numbers:
        s = s.translate(str.maketrans("", "", string.digits))
    return s


def write_json(name, obj):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        f.write("\n")


def regex_cases():
    """Each case lists one result per entry of "inputs"."""
    return {"inputs": INPUTS, "cases": [
        {"pattern": p, "findall": [findall(p, s) for s in INPUTS], "sub": [re.sub(p, "", s) for s in INPUTS]}
        for p in PATTERNS]}


def filter_cases():
    """Each case lists one output per entry of "inputs"; null means IndexError."""
    cases = []
    for p in PATTERNS:
        for gs, fb in ((0, "[invalid]"), (-1, "[invalid]"), (1, " spaced fallback "), (-3, "x"), (2, "")):
            cases.append({"pattern": p, "group_select": gs, "fallback": fb,
                          "outputs": [regex_filter(p, gs, fb, s).get("out") for s in INPUTS]})
    return {"inputs": INPUTS, "cases": cases}


EM_OPTIONS = [
    {"ignore_case": True, "ignore_punctuation": False, "ignore_numbers": False, "regexes_to_ignore": GSM8K_IGNORE},
    {"ignore_case": False, "ignore_punctuation": True, "ignore_numbers": False, "regexes_to_ignore": []},
    {"ignore_case": True, "ignore_punctuation": True, "ignore_numbers": True, "regexes_to_ignore": [r"\s+"]},
    {"ignore_case": False, "ignore_punctuation": False, "ignore_numbers": False, "regexes_to_ignore": []},
]
EM_PAIRS = [
    ("18", "18"), ("18.", "18"), ("18.\n", "18"), ("18.\n\n", "18"), ("$1,234.50", "1234.50"),
    ("1,234.5", "1234.50"), ("-7", "-7"), ("-7", "7"), ("[invalid]", "5"),
    ("Tom has 3+2=<<3+2=5>>5 apples.\n#### 5", "5"), ("#### 5\n#### 6", "6"), ("#### 5\n#### 6", "5"),
    ("ABC", "abc"), ("\u0130", "i\u0307"), ("\u0130", "i"), ("\u0391\u03a3", "\u03b1\u03c2"),
    ("STRASSE", "stra\u00dfe"), ("a.b,c!", "abc"), ("\u00bfqu\u00e9?", "qu\u00e9"), ("x1y2", "xy"),
    ("a b\tc", "abc"), ("\uff11\uff18", "18"), ("\u0663", "3"), ("", ""),
]


def exact_match_cases():
    out = []
    for o in EM_OPTIONS:
        for p, r in EM_PAIRS:
            args = (o["regexes_to_ignore"], o["ignore_case"], o["ignore_punctuation"], o["ignore_numbers"])
            pn, rn = normalize(p, *args), normalize(r, *args)
            out.append({"options": o, "prediction": p, "reference": r,
                        "prediction_norm": pn, "reference_norm": rn, "score": 1.0 if pn == rn else 0.0})
    return out


def case_mapping():
    rows = []
    for c in range(0x110000):
        if 0xD800 <= c < 0xE000:
            continue
        s = chr(c)
        if s.lower() != s or s.upper() != s:
            rows.append([c, s.lower(), s.upper()])
    # Final-sigma contexts exercise str.lower's only context-dependent rule.
    words = ["\u03a3", "\u0391\u03a3", "\u0391\u03a3 \u0392", "\u0391\u03a3\u0391", "\u0391\u03a3.",
             "\u0391.\u03a3", "\u0391\u03a3\u0301", "\u0391\u03a3\u0301\u0391", "\u0391\u03a3'\u0391",
             "1\u03a3", "\u0391\u03a31", "\u03a3\u03a3", "a\u03a3\u03a3", "a\u03a3\u03a3.", "\u01c5\u03a3",
             "\u0130stanbul", "\ufb03", "\u00df"]
    space = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000 and chr(c).isspace()]
    return {"single": rows, "strings": [[w, w.lower(), w.upper()] for w in words], "isspace": space}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


GSM8K_SOURCES = ["gold", "6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"]


def gsm8k(data_dir):
    """Per-row filter outputs and exact_match scores on real text.

    One JSON object per test.jsonl row. Every list has one entry per source, in
    GSM8K_SOURCES order: the gold answer, then OpenAI's four model solutions.
    The solutions end in "A: <n>" where test.jsonl's answers end in "#### <n>";
    "rewritten" text replaces "\\nA: " with "\\n#### ", which turns the file's
    ground_truth into test.jsonl's answer on all 1319 rows, so strict-match can
    run on the solutions. Fields: strict_raw and strict (strict-match on raw and
    rewritten text), flex (flexible-extract on raw text), em_strict and em_flex
    (exact_match of those against the gold answer), gold_norm (the normalized
    gold answer).
    """
    sols = read_jsonl(os.path.join(data_dir, "reference/gsm8k/example_model_solutions.jsonl"))
    test = read_jsonl(os.path.join(data_dir, "gsm8k/test.jsonl"))
    assert len(sols) == len(test) == 1319
    with open(os.path.join(HERE, "gsm8k_golden.jsonl"), "w", encoding="utf-8") as f:
        for i, (s, t) in enumerate(zip(sols, test)):
            gold = t["answer"]
            gold_norm = normalize(gold, GSM8K_IGNORE, True, False, False)
            em = lambda p: 1 if normalize(p, GSM8K_IGNORE, True, False, False) == gold_norm else 0
            row = {"row": i, "gold_norm": gold_norm, "strict_raw": [], "strict": [], "flex": [],
                   "em_strict": [], "em_flex": []}
            for src in GSM8K_SOURCES:
                text = gold if src == "gold" else s[src]["solution"]
                strict = regex_filter(GSM8K_STRICT, 0, "[invalid]", text.replace("\nA: ", "\n#### "))["out"]
                flex = regex_filter(GSM8K_FLEX, -1, "[invalid]", text)["out"]
                row["strict_raw"].append(regex_filter(GSM8K_STRICT, 0, "[invalid]", text)["out"])
                row["strict"].append(strict)
                row["flex"].append(flex)
                row["em_strict"].append(em(strict))
                row["em_flex"].append(em(flex))
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


def aggregate_cases():
    """lm-eval v0.4.5's mean, mean_stderr, pooled_sample_stderr and
    aggregate_subtask_metrics, restated with the same operation order.
    null (NaN) stands for lm-eval's "N/A" or a division by zero."""
    import math
    import random

    def mean(a):
        return sum(a) / len(a) if a else math.nan

    def mean_stderr(a):
        if len(a) < 2:
            return math.nan
        mu = mean(a)
        return math.sqrt(sum([(x - mu) ** 2 for x in a]) / (len(a) - 1)) / math.sqrt(len(a))

    def pooled(stderrs, sizes):
        try:
            v = sum([(n - 1) * se ** 2 * n for n, se in zip(sizes, stderrs)]) / (sum(sizes) - len(sizes))
            return math.sqrt(v / sum(sizes))
        except (ZeroDivisionError, ValueError):
            return math.nan

    def weighted(scores, sizes):
        return sum([m * n for m, n in zip(scores, sizes)]) / sum(sizes)

    rnd = random.Random(7)
    samples = [[], [1.0], [0.0, 1.0], [1.0, 1.0, 1.0], [0.1, 0.2, 0.3],
               [float(rnd.random() < 0.37) for _ in range(1319)],
               [rnd.random() for _ in range(1000)]]
    groups = [([0.01, 0.02, 0.03], [100, 200, 300]), ([0.0137, 0.0121], [1172, 299]),
              ([rnd.random() / 50 for _ in range(57)], [rnd.randint(100, 1600) for _ in range(57)])]
    def js(x):
        return None if math.isnan(x) else x

    return {
        "samples": [{"xs": a, "mean": js(mean(a)), "stderr": js(mean_stderr(a))} for a in samples],
        "groups": [{"stderrs": se, "sizes": n, "pooled": js(pooled(se, n)), "weighted": js(weighted(se, n))}
                   for se, n in groups],
    }


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../shared/data")
    write_json("regex_cases.json", regex_cases())
    write_json("filter_cases.json", filter_cases())
    write_json("exact_match_cases.json", exact_match_cases())
    write_json("pystr_cases.json", case_mapping())
    write_json("aggregate_cases.json", aggregate_cases())
    gsm8k(data_dir)


main()
