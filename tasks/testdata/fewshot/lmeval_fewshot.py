#!/usr/bin/env python3
"""Few-shot picks and prompts lm-evaluation-harness v0.4.5 would build (seed 1234).

Stdlib only. Mirrors ContextSampler.get_context (lm_eval/api/samplers.py v0.4.5):
one random.Random(1234) per task, consumed in doc order; n = k+1 when
fewshot_split == test_split (None == None counts), else k; drawn docs equal to
the current doc are dropped and the first k kept. random.sample(list, n) only
uses len() and indexing, so sampling range(len(pool)) gives the same indexes.

The prompts are assembled here independently of parity, from the task YAML
(templates written as f-strings) the way samplers.get_context and
ConfigurableTask.fewshot_context join them (no description; "text TD target FD"
per shot, then the query's text), and stored as SHA-256 of the UTF-8 context.

Chat prompts (tasks.md §1.6) are assembled the same way and laid out in the
Llama-3.1-Instruct format by string formatting (§1.6.2: the system block that
is always there, every content stripped, headers, generation prompt), not by
a template engine; the NM fork's multi-turn answers are target_delimiter +
target (§3), multiple-choice continuations in chat mode drop the delimiter
(§1.6.3), and Winogrande in chat mode is the rendered chat without the
question followed by the partial sentence (§2.4).

Reads the original releases in ../shared/data (same row order as the Hub
parquet; WinoGrande from its Arrow IPC files, with a small reader below;
HellaSwag from the fixture tasks/taskstest/hellaswag_rows.json) and writes
lmeval_fewshot.json next to this script.

Run from the repo root:  python3 tasks/testdata/fewshot/lmeval_fewshot.py
"""
import csv
import hashlib
import io
import json
import os
import random
import re
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data"))
NDOCS = 20


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def arc(split_file):
    rows = []
    for r in read_jsonl(os.path.join(DATA, "arc_challenge", split_file)):
        rows.append({
            "id": r["id"],
            "question": r["question"]["stem"],
            "choices": {
                "text": [c["text"] for c in r["question"]["choices"]],
                "label": [c["label"] for c in r["question"]["choices"]],
            },
            "answerKey": r["answerKey"],
        })
    return rows


def pick(eval_docs, pool, k, fewshot_split, test_split):
    rnd = random.Random(1234)
    out = []
    for doc in eval_docs[:NDOCS]:
        n = k + 1 if fewshot_split == test_split else k
        drawn = rnd.sample(range(len(pool)), n)
        out.append([i for i in drawn if pool[i] != doc][:k])
    return out


def arc_text(d):  # "Question: {{question}}\nAnswer:"
    return "Question: %s\nAnswer:" % d["question"]


def arc_target(d):  # "{{choices.label.index(answerKey)}}" → int → choices.text[int]
    return d["choices"]["text"][d["choices"]["label"].index(d["answerKey"])]


def gsm_target(d):  # "{{answer}}"
    return d["answer"]


def prompts(eval_docs, pool, picks, text, target):
    out = []
    for i, doc in enumerate(eval_docs[:NDOCS]):
        ctx = ""
        for j in picks[i]:
            ctx += text(pool[j]) + " " + target(pool[j]) + "\n\n"
        ctx += text(doc)
        out.append(hashlib.sha256(ctx.encode("utf-8")).hexdigest())
    return out


# --- more tasks -------------------------------------------------------------

def sha(s):
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def ctx_hash(contexts):
    # one hash per doc over its distinct request contexts, in request order
    seen = []
    for c in contexts:
        if c not in seen:
            seen.append(c)
    return sha("\x00".join(seen))


def mmlu_rows(split, subject):
    path = os.path.join(DATA, "mmlu", "data", split, "%s_%s.csv" % (subject, split))
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [{"question": r["question"], "choices": [r["choice%d" % i] for i in range(4)], "answer": int(r["answer"])} for r in rows]


def mmlu_text(d):  # "{{question.strip()}}\nA. ..." ; str.strip
    return "%s\nA. %s\nB. %s\nC. %s\nD. %s\nAnswer:" % ((d["question"].strip(),) + tuple(d["choices"]))


NM_MMLU = ("Given the following question and four candidate answers (A, B, C and D), choose the best answer.\nQuestion: %s\n"
           "A. %s\nB. %s\nC. %s\nD. %s\nYour response should end with \"The best answer is [the_answer_letter]\" where the "
           "[the_answer_letter] is one of A, B, C or D.")


def nm_mmlu_text(d):
    return NM_MMLU % ((d["question"].strip(),) + tuple(d["choices"]))


NM_GSM = ("Given the following problem, reason and give a final answer to the problem. \nProblem: %s\nYour response should end "
          "with \"The final answer is [answer]\" where [answer] is the response to the problem.")

NM_GSM_SHOTS = [
    ("There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?", "There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The final answer is 6."),
    ("If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?", "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The final answer is 5."),
    ("Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?", "Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The final answer is 39."),
    ("Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did Jason give to Denny?", "Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. The final answer is 8."),
    ("Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have now?", "Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. The final answer is 9."),
    ("There were nine computers in the server room. Five more computers were installed each day, from monday to thursday. How many computers are now in the server room?", "There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers were added. 9 + 20 is 29. The final answer is 29."),
    ("Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf balls did he have at the end of wednesday?", "Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The final answer is 33."),
    ("Olivia has $23. She bought five bagels for $3 each. How much money does she have left?", "Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The final answer is 8."),
]


def nm_arc_text(d):
    n = len(d["choices"]["text"])
    letters = "A, B" + (", C" if n > 2 else "") + (" and D" if n > 3 else "")
    t = "Given the following question and %d candidate answers (%s), choose the best answer.\nQuestion: %s\n" % (n, letters, d["question"])
    t += "A. %s\nB. %s\n" % (d["choices"]["text"][0], d["choices"]["text"][1])
    if n > 2:
        t += "C. %s\n" % d["choices"]["text"][2]
    if n > 3:
        t += "D. %s\n" % d["choices"]["text"][3]
    return t + "Your response should end with \"The best answer is [the_answer_letter]\" where the [the_answer_letter] is one of " + letters


TQA = ("Q: What is human life expectancy in the United States?\nA: Human life expectancy in the United States is 78 years.\n\n"
       "Q: Who was president of the United States in 1955?\nA: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
       "Q: Which party did he belong to?\nA: He belonged to the Republican Party.\n\n"
       "Q: What is the square root of banana?\nA: I have no comment.\n\n"
       "Q: How does a telescope work?\nA: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
       "Q: Where were the 1992 Olympics held?\nA: The 1992 Olympics were held in Barcelona, Spain.\n\nQ: %s\nA:")


def hs_preprocess(text):  # lm-eval hellaswag/utils.py
    text = text.strip()
    text = text.replace(" [title]", ". ")
    text = re.sub("\\[.*?\\]", "", text)
    text = text.replace("  ", " ")
    return text


def hellaswag(split):
    with open(os.path.join(HERE, "..", "..", "taskstest", "hellaswag_rows.json"), encoding="utf-8") as f:
        rows = json.load(f)[split]
    out = []
    for r in rows:
        d = dict(r)
        d["ctx"] = r["ctx_a"] + " " + r["ctx_b"]
        d["query"] = hs_preprocess(r["activity_label"] + ": " + r["ctx_a"] + " " + r["ctx_b"].capitalize())
        d["choices"] = [hs_preprocess(e) for e in r["endings"]]
        d["gold"] = int(r["label"])
        out.append(d)
    return out


# A reader for the Arrow IPC stream files of WinoGrande's datasets cache:
# flatbuffer messages (Schema, then RecordBatches) followed by their bodies;
# every column is a non-null utf8 (validity, int32 offsets, data buffers).
def _fb_table(buf, pos):
    vt = pos - struct.unpack_from("<i", buf, pos)[0]
    vlen = struct.unpack_from("<H", buf, vt)[0]
    def field(i):
        if 4 + 2 * i >= vlen:
            return None
        off = struct.unpack_from("<H", buf, vt + 4 + 2 * i)[0]
        return pos + off if off else None
    return field


def _fb_deref(buf, p):
    return p + struct.unpack_from("<I", buf, p)[0]


def arrow_stream(data, ncols):
    rows = []
    pos = 0
    while pos < len(data):
        cont, mlen = struct.unpack_from("<Ii", data, pos)
        if cont != 0xFFFFFFFF or mlen == 0:
            break
        meta = data[pos + 8: pos + 8 + mlen]
        pos += 8 + mlen
        msg = _fb_table(meta, _fb_deref(meta, 0))
        htype = meta[msg(1)] if msg(1) else 0
        body_len = struct.unpack_from("<q", meta, msg(3))[0] if msg(3) else 0
        body = data[pos: pos + body_len]
        pos += body_len
        if htype != 3:  # 3 = RecordBatch
            continue
        rb = _fb_table(meta, _fb_deref(meta, msg(2)))
        n = struct.unpack_from("<q", meta, rb(0))[0]
        bufs = _fb_deref(meta, rb(2))
        count = struct.unpack_from("<I", meta, bufs)[0]
        spans = [struct.unpack_from("<qq", meta, bufs + 4 + 16 * i) for i in range(count)]
        cols = []
        for c in range(ncols):
            (ooff, _), (doff, dlen) = spans[3 * c + 1], spans[3 * c + 2]
            offs = struct.unpack_from("<%di" % (n + 1), body, ooff)
            raw = body[doff: doff + dlen]
            cols.append([raw[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)])
        for i in range(n):
            rows.append(tuple(col[i] for col in cols))
    return rows


def winogrande(split):
    with zipfile.ZipFile(os.path.join(DATA, "winogrande", "winogrande.zip")) as z:
        name = [n for n in z.namelist() if n.endswith("winogrande-%s.arrow" % split)][0]
        rows = arrow_stream(z.read(name), 4)
    return [{"sentence": a, "option1": b, "option2": c, "answer": d} for a, b, c, d in rows]


def wg_gold(d):
    return {"1": 0, "2": 1}[d["answer"]]


def wg_target(d):
    idx = d["sentence"].index("_") + 1
    return d["sentence"][idx:].strip()


def wg_choices(d):
    idx = d["sentence"].index("_")
    return [d["sentence"][:idx] + d["option1"], d["sentence"][:idx] + d["option2"]]


# Llama-3.1-Instruct layout (tasks.md §1.6.2).
def llama_chat(messages, gen_prompt=True):
    system = ""
    if messages and messages[0]["role"] == "system":
        system, messages = messages[0]["content"].strip(), messages[1:]
    out = ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
           "Today Date: 26 Jul 2024\n\n" + system + "<|eot_id|>")
    for m in messages:
        out += "<|start_header_id|>%s<|end_header_id|>\n\n%s<|eot_id|>" % (m["role"], m["content"].strip())
    if gen_prompt:
        out += "<|start_header_id|>assistant<|end_header_id|>\n\n"
    return out


def chat_messages(system, shots, query, multiturn, td):
    """shots: (text, answer) pairs; the NM fork's answer turn is td + answer."""
    msgs = [{"role": "system", "content": system}] if system else []
    if shots:
        if multiturn:
            for q, a in shots:
                msgs += [{"role": "user", "content": q}, {"role": "assistant", "content": td + a}]
        else:
            msgs.append({"role": "user", "content": "".join(q + td + a + "\n\n" for q, a in shots)})
    if query is not None:
        if multiturn or not msgs or msgs[-1]["role"] == "system":
            msgs.append({"role": "user", "content": query})
        else:
            msgs[-1]["content"] += query
    return msgs


def build(eval_docs, pool, picks, make):
    """make(doc, shots) -> list of request contexts; returns their hashes."""
    return [ctx_hash(make(doc, [pool[j] for j in picks[i]])) for i, doc in enumerate(eval_docs[:NDOCS])]


def first_n(k):
    return [list(range(k)) for _ in range(NDOCS)]


def more():
    res = {}
    desc = "The following are multiple choice questions (with answers) about %s.\n\n"
    for subject in ["abstract_algebra", "high_school_government_and_politics"]:
        test, dev = mmlu_rows("test", subject), mmlu_rows("dev", subject)
        d = desc % subject.replace("_", " ")
        picks = first_n(5)
        res["mmlu_%s/5" % subject] = (picks, build(test, dev, picks, lambda doc, shots: [
            d + "".join(mmlu_text(s) + " " + "ABCD"[s["answer"]] + "\n\n" for s in shots) + mmlu_text(doc)]))
        res["chat/mmlu_%s/5" % subject] = (picks, build(test, dev, picks, lambda doc, shots: [llama_chat(chat_messages(
            d, [(mmlu_text(s), "ABCD"[s["answer"]]) for s in shots], mmlu_text(doc), False, " "))]))
        res["chat/multiturn/mmlu_%s/5" % subject] = (picks, build(test, dev, picks, lambda doc, shots: [llama_chat(chat_messages(
            d, [(mmlu_text(s), "ABCD"[s["answer"]]) for s in shots], mmlu_text(doc), True, " "))]))
        res["mmlu_llama_3.1_instruct_%s/5" % subject] = (picks, build(test, dev, picks, lambda doc, shots: [
            "".join(nm_mmlu_text(s) + "The best answer is " + "ABCD"[s["answer"]] + "\n\n" for s in shots) + nm_mmlu_text(doc)]))
        res["chat/multiturn/mmlu_llama_3.1_instruct_%s/5" % subject] = (picks, build(test, dev, picks, lambda doc, shots: [llama_chat(chat_messages(
            "", [(nm_mmlu_text(s), "ABCD"[s["answer"]]) for s in shots], nm_mmlu_text(doc), True, "The best answer is "))]))

    arc_test = arc("ARC-Challenge-Test.jsonl")
    none = [[] for _ in range(NDOCS)]
    res["chat/arc_challenge_llama_3.1_instruct/0"] = (none, [ctx_hash([llama_chat(chat_messages("", [], nm_arc_text(d), False, ""))]) for d in arc_test[:NDOCS]])
    gsm_test = read_jsonl(os.path.join(DATA, "gsm8k", "test.jsonl"))
    shots8 = [(NM_GSM % q, a) for q, a in NM_GSM_SHOTS]
    res["chat/multiturn/gsm8k_cot_llama_3.1_instruct/8"] = (first_n(8), [ctx_hash([llama_chat(chat_messages("", shots8, NM_GSM % d["question"], True, " "))]) for d in gsm_test[:NDOCS]])
    res["gsm8k_cot_llama_3.1_instruct/8"] = (first_n(8), [ctx_hash(["".join(q + " " + a + "\n\n" for q, a in shots8) + NM_GSM % d["question"]]) for d in gsm_test[:NDOCS]])

    hs_val, hs_train = hellaswag("validation"), hellaswag("train")
    n_docs = min(NDOCS, len(hs_val))
    for key, split, multiturn, chatmode in [("hellaswag/10", None, False, False), ("openllm/hellaswag/10", "train", False, False),
                                          ("chat/multiturn/hellaswag/10", None, True, True)]:
        picks = pick(hs_val, hs_train, 10, split, None)[:n_docs]
        def make(doc, shots, chatmode=chatmode, multiturn=multiturn):
            sh = [(s["query"], s["choices"][int(s["label"])]) for s in shots]
            if chatmode:
                return [llama_chat(chat_messages("", sh, doc["query"], multiturn, " "))]
            return ["".join(q + " " + a + "\n\n" for q, a in sh) + doc["query"]]
        res[key] = (picks, build(hs_val, hs_train, picks, make)[:n_docs])

    wg_val, wg_train = winogrande("validation"), winogrande("train")
    for key, split, chatmode in [("winogrande/5", None, False), ("openllm/winogrande/5", "train", False), ("chat/winogrande/5", None, True)]:
        picks = pick(wg_val, wg_train, 5, split, None)
        def make(doc, shots, chatmode=chatmode):
            sh = [(wg_choices(s)[wg_gold(s)], wg_target(s)) for s in shots]
            if chatmode:
                base = llama_chat(chat_messages("", sh, None, False, " "))
            else:
                base = "".join(q + " " + a + "\n\n" for q, a in sh)
            return [base + c for c in wg_choices(doc)]
        res[key] = (picks, build(wg_val, wg_train, picks, make))

    with open(os.path.join(DATA, "truthfulqa", "data", "v0", "mc_task.json"), encoding="utf-8") as f:
        tqa = json.load(f)
    res["truthfulqa_mc2/0"] = (none, [ctx_hash([TQA % d["question"]]) for d in tqa[:NDOCS]])
    res["chat/truthfulqa_mc2/0"] = (none, [ctx_hash([llama_chat(chat_messages("", [], TQA % d["question"], False, ""))]) for d in tqa[:NDOCS]])
    return res



def main():
    arc_test = arc("ARC-Challenge-Test.jsonl")
    arc_train = arc("ARC-Challenge-Train.jsonl")
    arc_dev = arc("ARC-Challenge-Dev.jsonl")
    gsm_test = read_jsonl(os.path.join(DATA, "gsm8k", "test.jsonl"))
    gsm_train = read_jsonl(os.path.join(DATA, "gsm8k", "train.jsonl"))
    arc0 = [[] for _ in range(NDOCS)]
    # standalone arc_challenge: no fewshot_split, pool = training_split.
    arc25 = pick(arc_test, arc_train, 25, None, "test")
    # openllm group (v0.4.5): fewshot_split validation.
    arc25_openllm = pick(arc_test, arc_dev, 25, "validation", "test")
    gsm5 = pick(gsm_test, gsm_train, 5, "train", "test")
    result = {
        "arc_challenge/0": (arc0, prompts(arc_test, arc_train, arc0, arc_text, arc_target)),
        "arc_challenge/25": (arc25, prompts(arc_test, arc_train, arc25, arc_text, arc_target)),
        "openllm/arc_challenge/25": (arc25_openllm, prompts(arc_test, arc_dev, arc25_openllm, arc_text, arc_target)),
        "gsm8k/5": (gsm5, prompts(gsm_test, gsm_train, gsm5, arc_text, gsm_target)),
    }
    result.update(more())
    with open(os.path.join(HERE, "lmeval_fewshot.json"), "w", encoding="utf-8") as f:
        # One line per doc keeps diffs readable.
        f.write("{\n")
        for i, (name, (picks, hashes)) in enumerate(result.items()):
            f.write(" %s: {\n" % json.dumps(name))
            f.write('  "fewshot": [%s\n  ],\n' % ",".join("\n   " + json.dumps(r) for r in picks))
            f.write('  "prompt_sha256": [%s\n  ]\n' % ",".join("\n   " + json.dumps(h) for h in hashes))
            f.write(" }%s\n" % ("," if i < len(result) - 1 else ""))
        f.write("}\n")


if __name__ == "__main__":
    main()
