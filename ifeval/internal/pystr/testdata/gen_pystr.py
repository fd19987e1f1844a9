"""Writes pystr_golden.json: CPython's answers for every code point.

Run once with the CPython that the reference scorers use (3.11, Unicode 14):
    python3 gen_pystr.py > pystr_golden.json
Each set is a list of [first, last] code point ranges. "unassigned" lists the
code points CPython's Unicode database does not know (category Cn); Go's
tables may be newer there, so the test skips them.
"""
import json
import re
import sys
import unicodedata

WORD = re.compile(r"\w")
DIGIT = re.compile(r"\d")
SPACE = re.compile(r"\s")


def ranges(pred):
    out = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if pred(chr(cp)):
            if out and out[-1][1] == cp - 1:
                out[-1][1] = cp
            else:
                out.append([cp, cp])
    return out


golden = {
    "python": sys.version.split()[0],
    "unicode": unicodedata.unidata_version,
    "unassigned": ranges(lambda c: unicodedata.category(c) == "Cn"),
    "isupper": ranges(str.isupper),
    "islower": ranges(str.islower),
    "istitle_char": ranges(lambda c: unicodedata.category(c) == "Lt"),
    "isspace": ranges(str.isspace),
    "re_word": ranges(lambda c: WORD.match(c) is not None),
    "re_digit": ranges(lambda c: DIGIT.match(c) is not None),
    "re_space": ranges(lambda c: SPACE.match(c) is not None),
    "strings": [
        [s, s.lower(), s.isupper(), s.islower()]
        for s in [
            "", "abc", "ABC", "Abc", "123", "ABC 123!", "abc 123!", "ǅungla",
            "ΣΑΣ", "ὈΔΥΣΣΕΎΣ", "İstanbul", "ⒶⒷ", "ⓐⓑ", "ᵃᵇ", "ǈ", "ﬃ", "ß", "ẞ",
            "Ⅻ", "ⅻ", "日本", "HELLO 日本", "hello 日本",
        ]
    ],
}
json.dump(golden, sys.stdout, ensure_ascii=False)
sys.stdout.write("\n")
