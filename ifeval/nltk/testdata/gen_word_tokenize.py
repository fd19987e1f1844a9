"""Writes word_tokenize_golden.json: nltk.word_tokenize on test cases and on
GPT-4's 541 IFEval reference responses, for the Go port in ../words.go.

NLTK itself is not installed here, so its two pure-Python modules are loaded
from a source checkout with stub imports (stdlib only):

    python3 gen_word_tokenize.py NLTK_SRC SHARED_DATA > word_tokenize_golden.json

NLTK_SRC holds nltk/tokenize/punkt.py and nltk/tokenize/destructive.py. The
golden file was made from nltk/nltk commit f2a92bd7e (2024-01-29), whose
destructive.py is 3.8.1's (last changed 2023-01-02) and whose Punkt splitting
code is 3.8.1's and 3.9.1's; SHARED_DATA is ../shared/data (its punkt_tab
parameters and the IFEval reference responses).

word_tokenize(text) = [tok for sent in sent_tokenize(text) for tok in
NLTKWordTokenizer().tokenize(sent)].
"""
import hashlib
import importlib.util
import json
import os
import sys
import types


def load(nltk_src):
    for name in ["nltk", "nltk.tokenize", "nltk.tokenize.api", "nltk.tokenize.util", "nltk.probability"]:
        sys.modules[name] = types.ModuleType(name)

    class TokenizerI:
        pass

    sys.modules["nltk.tokenize.api"].TokenizerI = TokenizerI
    sys.modules["nltk.tokenize.util"].align_tokens = None
    sys.modules["nltk.probability"].FreqDist = dict
    mods = {}
    for name in ["punkt", "destructive"]:
        spec = importlib.util.spec_from_file_location(
            "nltk.tokenize." + name, os.path.join(nltk_src, "nltk", "tokenize", name + ".py")
        )
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mods[name] = mod
    return mods["punkt"], mods["destructive"]


def punkt_params(punkt, folder):
    p = punkt.PunktParameters()

    def lines(f):
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            return fh.read().split("\n")

    p.abbrev_types = set(lines("abbrev_types.txt"))
    p.collocations = set(tuple(l.split("\t")) for l in lines("collocations.tab"))
    p.sent_starters = set(lines("sent_starters.txt"))
    for l in lines("ortho_context.tab"):
        typ, flags = l.split("\t")
        p.ortho_context[typ] = int(flags)
    return p


CASES = [
    "Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\nThanks.",
    "They'll save and invest more. I can't believe it's not butter!",
    "\"Hello,\" she said. 'Quote' and ``backticks'' here.",
    "Don't gimme that, I'm gonna wanna go. 'Tis the season, 'twas said.",
    "D'ye know? More'n enough. Lemme see. Gotta go. Cannot stop.",
    "THE U.S.A. IS BIG. NASA's HQ, FBI and CIA -- all CAPS!",
    "A list: item1, item2; item3 @ home #tag 100% & more...",
    "«Guillemets» and “curly” ‘quotes’ „low“ ” end",
    "(Parens) [brackets] {braces} <angles> -- double--dash",
    "Numbers 1,000 and 3.14, times 10:30 and ratio 3:1, ok:",
    "He said 'a b' and 'x y'. 'm 't 's 'd 'n 'a 'Z",
    "İSTANBUL ΣΑΣ ÉCOLE straße CAFÉ",
    "WHAT?! REALLY!! YES... OK.",
    "*Bold* and **strong** text with * stars *",
    "Trailing colon:",
    "Trailing comma,\n",
    "end.\"'",
    "wanna\tgo and wanna",
    "x'y' z'' q\"",
    "THE END.\n\nP.S. I LOVE YOU. P.P.S. ME TOO!",
]


def main():
    nltk_src, shared = sys.argv[1], sys.argv[2]
    punkt, destructive = load(nltk_src)
    tok = punkt.PunktSentenceTokenizer(punkt_params(punkt, os.path.join(shared, "nlp", "punkt_tab", "english")))
    word = destructive.NLTKWordTokenizer()

    def word_tokenize(text):
        return [t for s in tok.tokenize(text) for t in word.tokenize(s)]

    inputs = {}
    with open(os.path.join(shared, "reference", "ifeval", "input_data.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            inputs[d["prompt"]] = d["key"]
    responses = []
    path = os.path.join(shared, "reference", "ifeval", "input_response_data_gpt4_20231107_145030.jsonl")
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            toks = word_tokenize(d["response"])
            responses.append({
                "key": inputs[d["prompt"]],
                "tokens": len(toks),
                "upper": sum(1 for t in toks if t.isupper()),
                "sha256": hashlib.sha256(json.dumps(toks, ensure_ascii=False).encode()).hexdigest(),
            })
    out = {
        "cases": [{"text": c, "tokens": word_tokenize(c)} for c in CASES],
        "responses": responses,
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


main()
