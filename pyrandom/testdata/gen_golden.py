"""Regenerate golden.json with CPython's own random module.

    python3 testdata/gen_golden.py > testdata/golden.json

Made with CPython 3.11.7 (random.py is unchanged in this respect from 3.8 to
3.12). Every case starts from a freshly seeded generator unless it says it is a
sequence, so a failure points at one method.
"""
import json
import random
import sys

SEEDS = [1234, 0, 42, 2**40, -1234, 2**63 - 1, -(2**63)]
BITS = [0, 1, 7, 31, 32, 33, 48, 63, 64]
BELOW = [1, 2, 3, 5, 10, 100, 1000, 1119, 7473, 40398,
         2**31 - 1, 2**31, 2**32 + 1, 2**40 + 7, 2**62 + 3]
SAMPLES = [(1119, 25), (1119, 26), (7473, 5), (40398, 6), (299, 25), (20, 5),
           (100, 10), (30, 11), (21, 5), (22, 5), (85, 6), (86, 6), (0, 0), (5, 5)]


def case(seed):
    out = {"seed": seed}
    r = random.Random(seed)
    out["uint32"] = [r.getrandbits(32) for _ in range(20)]
    out["bits"] = {}
    for k in BITS:
        r = random.Random(seed)
        out["bits"][str(k)] = [r.getrandbits(k) for _ in range(5)]
    r = random.Random(seed)
    out["random"] = [r.random() for _ in range(10)]
    r = random.Random(seed)
    out["randbelow"] = [{"n": n, "v": r._randbelow(n)} for n in BELOW]
    out["sample"] = []
    for n, k in SAMPLES:
        r = random.Random(seed)
        out["sample"].append({"n": n, "k": k, "v": r.sample(range(n), k)})
    r = random.Random(seed)
    # ARC-Challenge 25-shot standalone: one generator, one draw per test doc.
    out["sample_seq_1119_25"] = [r.sample(range(1119), 25) for _ in range(50)]
    out["shuffle"] = {}
    for n in (10, 4):
        r = random.Random(seed)
        x = list(range(n))
        r.shuffle(x)
        out["shuffle"][str(n)] = x
    r = random.Random(seed)
    out["choice7"] = [r.choice(range(7)) for _ in range(10)]
    out["randint_m5_5"] = [r.randint(-5, 5) for _ in range(10)]
    return out


json.dump({"python": sys.version.split()[0], "cases": [case(s) for s in SEEDS]},
          sys.stdout, indent=1)
sys.stdout.write("\n")
