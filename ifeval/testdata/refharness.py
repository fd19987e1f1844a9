"""Loads lm-evaluation-harness's IFEval scorer from source checkouts, for the
scripts that write this folder's golden files (gen_checker_golden.py,
make_conformance.py). Nothing of it is vendored: the reference code is read
from the checkouts given on the command line, and only imports that scoring
does not need are stubbed (stdlib Python suffices):

    LMEVAL      lm-evaluation-harness checkout (lm_eval/tasks/ifeval/*.py);
                the golden files were made from 4e7e0d47f33bc71070c1d38394bafbb52b117163
    NLTK        nltk checkout (nltk/tokenize/punkt.py, destructive.py); made from
                f2a92bd7e360e39a4439e4d97540fd68f2721451 (3.8.1 = 3.9.1 tokenizer code)
    LANGDETECT  langdetect checkout (langdetect/ with profiles/); made from
                Mimino666/langdetect 5071871742170034557c0e6ec8d6e410f3d9652f (1.0.9)
    SHARED_DATA ../shared/data (Punkt English parameters in nlp/punkt_tab)

langdetect runs with DetectorFactory.seed = 0, parity's rule (the reference
leaves it unseeded).
"""
import importlib.metadata
import importlib.util
import os
import re
import sys
import types

LMEVAL, NLTK_SRC, LANGDETECT, SHARED = sys.argv[1:5]  # see the module doc


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def setup_nltk():
    for name in ["nltk", "nltk.tokenize", "nltk.tokenize.api", "nltk.tokenize.util", "nltk.probability", "nltk.data"]:
        sys.modules[name] = types.ModuleType(name)

    class TokenizerI:
        pass

    sys.modules["nltk.tokenize.api"].TokenizerI = TokenizerI
    sys.modules["nltk.tokenize.util"].align_tokens = None
    sys.modules["nltk.probability"].FreqDist = dict
    punkt = load_module("nltk.tokenize.punkt", os.path.join(NLTK_SRC, "nltk", "tokenize", "punkt.py"))
    destructive = load_module("nltk.tokenize.destructive", os.path.join(NLTK_SRC, "nltk", "tokenize", "destructive.py"))
    params = punkt.PunktParameters()
    folder = os.path.join(SHARED, "nlp", "punkt_tab", "english")

    def lines(f):
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            return fh.read().split("\n")

    params.abbrev_types = set(lines("abbrev_types.txt"))
    params.collocations = set(tuple(l.split("\t")) for l in lines("collocations.tab"))
    params.sent_starters = set(lines("sent_starters.txt"))
    for l in lines("ortho_context.tab"):
        typ, flags = l.split("\t")
        params.ortho_context[typ] = int(flags)
    sent = punkt.PunktSentenceTokenizer(params)
    word = destructive.NLTKWordTokenizer()

    class RegexpTokenizer:
        def __init__(self, pattern):
            self.re = re.compile(pattern, re.UNICODE | re.MULTILINE | re.DOTALL)

        def tokenize(self, text):
            return self.re.findall(text)

    nltk = sys.modules["nltk"]
    nltk.tokenize = sys.modules["nltk.tokenize"]
    nltk.tokenize.RegexpTokenizer = RegexpTokenizer
    nltk.data = sys.modules["nltk.data"]
    nltk.data.load = lambda url: sent
    nltk.data.find = lambda path: path
    nltk.download = lambda *a: None
    nltk.word_tokenize = lambda text: [t for s in sent.tokenize(text) for t in word.tokenize(s)]


def setup():
    setup_nltk()
    imm = types.ModuleType("immutabledict")
    imm.immutabledict = dict
    sys.modules["immutabledict"] = imm
    pv = types.ModuleType("packaging.version")
    pv.parse = lambda v: tuple(int(x) for x in v.split("."))
    sys.modules["packaging"] = types.ModuleType("packaging")
    sys.modules["packaging.version"] = pv
    real_version = importlib.metadata.version
    importlib.metadata.version = lambda name: "3.9.1" if name == "nltk" else real_version(name)
    sys.path.insert(0, LANGDETECT)
    import langdetect

    langdetect.DetectorFactory.seed = 0
    for name in ["lm_eval", "lm_eval.tasks"]:
        sys.modules[name] = types.ModuleType(name)
    folder = os.path.join(LMEVAL, "lm_eval", "tasks", "ifeval")
    pkg = types.ModuleType("lm_eval.tasks.ifeval")
    pkg.__path__ = [folder]
    sys.modules["lm_eval.tasks.ifeval"] = pkg
    for name in ["instructions_util", "instructions", "instructions_registry", "utils"]:
        mod = load_module("lm_eval.tasks.ifeval." + name, os.path.join(folder, name + ".py"))
        setattr(pkg, name, mod)
    return pkg.utils
