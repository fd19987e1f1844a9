"""Reference values for compare's statistics, from CPython's standard library
only. Run once (python3 reference.py, Python 3.11) to write mcnemar.json and
bootstrap.json; the Go tests read them.

mcnemar.json: the exact two-sided McNemar p-value, 2 * P(X <= min(b, c)) for
X ~ Binomial(b + c, 1/2), capped at 1, computed with exact integers
(math.comb) and fractions, i.e. without rounding until the final division.

bootstrap.json: a paired, stratified percentile bootstrap written from its
definition: for replicate b, for each stratum in order, draw len(stratum)
indexes with random.Random(seed * 2**32 + b).randrange(n), sum each drawn document's
values times its count in document order, recompute every column on both
sides, then take type-7 (numpy "linear") percentiles of the differences and
recoveries, and the two-sided bootstrap p-value 2 * min(#(d <= 0), #(d >= 0))
/ B capped at 1.
"""
import json
import math
import random
from fractions import Fraction


def mcnemar(b, c):
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2 ** n)
    return float(min(Fraction(1), 2 * tail))


def normalise(v, lower):
    if lower == 0:
        return v * 100
    return max(v - lower, 0.0) / (1 - lower) * 100


def evaluate(model, sums):
    base, cand = [], []
    for col in model["columns"]:
        b = c = 0.0
        for comp in col["comps"]:
            if comp["macro"]:
                vb = vc = 0.0
                for s, m in comp["parts"]:
                    bn, bd, cn, cd = sums[s][m]
                    vb += bn / bd
                    vc += cn / cd
                vb /= len(comp["parts"])
                vc /= len(comp["parts"])
            else:
                t = [0.0, 0.0, 0.0, 0.0]
                for s, m in comp["parts"]:
                    for i in range(4):
                        t[i] += sums[s][m][i]
                vb, vc = t[0] / t[1], t[2] / t[3]
            b += normalise(vb, comp["lower"])
            c += normalise(vc, comp["lower"])
        base.append(b / len(col["comps"]))
        cand.append(c / len(col["comps"]))
    ab = ac = 0.0
    for ci in model["average"]:
        ab += base[ci]
        ac += cand[ci]
    ab /= len(model["average"])
    ac /= len(model["average"])
    return base, cand, ab, ac


def quantile(xs, p):
    h = (len(xs) - 1) * p
    lo = math.floor(h)
    if lo + 1 >= len(xs):
        return xs[-1]
    return xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


def interval(reps, alpha):
    s = sorted(reps)
    return [quantile(s, alpha / 2), quantile(s, 1 - alpha / 2)]


def pvalue(diffs):
    le = sum(1 for d in diffs if d <= 0)
    ge = sum(1 for d in diffs if d >= 0)
    return min(1.0, 2 * min(le, ge) / len(diffs))


def bootstrap(model, resamples, seed, alpha):
    ncol = len(model["columns"])
    diffs = [[] for _ in range(ncol)]
    recs = [[] for _ in range(ncol)]
    avg_d, avg_r = [], []
    for b in range(resamples):
        rng = random.Random((seed << 32) | b)
        sums = []
        for st in model["strata"]:
            n = len(st["metrics"][0]["base"])
            counts = [0] * n
            for _ in range(n):
                counts[rng.randrange(n)] += 1
            s = [[0.0, 0.0, 0.0, 0.0] for _ in st["metrics"]]
            for j, c in enumerate(counts):
                if c == 0:
                    continue
                for mi, me in enumerate(st["metrics"]):
                    s[mi][0] += c * me["base"][j][0]
                    s[mi][1] += c * me["base"][j][1]
                    s[mi][2] += c * me["cand"][j][0]
                    s[mi][3] += c * me["cand"][j][1]
            sums.append(s)
        base, cand, ab, ac = evaluate(model, sums)
        for ci in range(ncol):
            diffs[ci].append(cand[ci] - base[ci])
            recs[ci].append(cand[ci] / base[ci] * 100)
        avg_d.append(ac - ab)
        avg_r.append(ac / ab * 100)
    cols = [{"delta_ci": interval(diffs[ci], alpha), "recovery_ci": interval(recs[ci], alpha),
             "p": pvalue(diffs[ci])} for ci in range(ncol)]
    avg = {"delta_ci": interval(avg_d, alpha), "recovery_ci": interval(avg_r, alpha), "p": pvalue(avg_d)}
    return cols, avg


def synthetic_model():
    """Three strata: binary scores (correlated between the runs), a binary
    and a per-instruction list metric on the same documents, and continuous
    scores in [0, 1] (like truthfulqa_mc2)."""
    g = random.Random(42)

    def binary(n, p_base, flip_down, flip_up):
        base, cand = [], []
        for _ in range(n):
            b = 1.0 if g.random() < p_base else 0.0
            c = b
            if b == 1.0 and g.random() < flip_down:
                c = 0.0
            elif b == 0.0 and g.random() < flip_up:
                c = 1.0
            base.append([b, 1.0])
            cand.append([c, 1.0])
        return base, cand

    a_base, a_cand = binary(60, 0.7, 0.15, 0.05)
    b_base, b_cand = binary(45, 0.6, 0.1, 0.1)
    l_base, l_cand = [], []
    for _ in range(45):
        k = g.randint(1, 4)
        ok_b = sum(1 for _ in range(k) if g.random() < 0.8)
        ok_c = min(k, max(0, ok_b + g.choice([-1, 0, 0, 0, 1])))
        l_base.append([float(ok_b), float(k)])
        l_cand.append([float(ok_c), float(k)])
    c_base, c_cand = [], []
    for _ in range(30):
        v = g.random()
        c_base.append([v, 1.0])
        c_cand.append([min(1.0, max(0.0, v + g.uniform(-0.1, 0.05))), 1.0])
    return {
        "strata": [
            {"task": "task_a", "metrics": [{"key": "acc,none", "base": a_base, "cand": a_cand}]},
            {"task": "task_b", "metrics": [
                {"key": "inst_level_strict_acc,none", "base": l_base, "cand": l_cand},
                {"key": "prompt_level_strict_acc,none", "base": b_base, "cand": b_cand}]},
            {"task": "task_c", "metrics": [{"key": "acc,none", "base": c_base, "cand": c_cand}]},
        ],
        "columns": [
            {"comps": [{"parts": [[0, 0]], "lower": 0.25, "macro": False}]},
            {"comps": [{"parts": [[1, 0]], "lower": 0, "macro": False},
                       {"parts": [[1, 1]], "lower": 0, "macro": False}]},
            {"comps": [{"parts": [[0, 0], [2, 0]], "lower": 0, "macro": False}]},
            {"comps": [{"parts": [[0, 0], [2, 0]], "lower": 0.1, "macro": True}]},
        ],
        "average": [0, 1, 2, 3],
    }


def main():
    pairs = [(0, 0), (0, 1), (1, 1), (0, 5), (5, 0), (1, 10), (3, 7), (10, 20), (20, 10), (25, 25),
             (40, 60), (100, 130), (312, 270), (1000, 1100), (3000, 3100), (5000, 5200), (7021, 7021)]
    with open("mcnemar.json", "w") as f:
        json.dump([{"b": b, "c": c, "p": mcnemar(b, c)} for b, c in pairs], f, indent=1)
        f.write("\n")
    model = synthetic_model()
    resamples, seed, alpha = 2000, 1234, 0.05
    cols, avg = bootstrap(model, resamples, seed, alpha)
    with open("bootstrap.json", "w") as f:
        json.dump({"model": model, "resamples": resamples, "seed": seed, "alpha": alpha,
                   "columns": cols, "average": avg}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
