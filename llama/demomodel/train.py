#!/usr/bin/env python3
"""Trains parity's built-in demo model and writes it as GGUF.

The model is a tiny Llama (RMSNorm, rotary position embeddings in ggml's
adjacent-pair layout, grouped-query attention, SwiGLU, tied embeddings)
with a GPT-2-style byte-level BPE vocabulary learned here, trained from
scratch on the GSM8K training split (MIT licence, OpenAI 2021). Its quality
does not matter: it exists so that `parity demo` and `parity serve` run a
real transformer with real weights on a machine that has nothing else.

Everything is fixed: the corpus, the seed, the vocabulary size, the
architecture and the number of steps, so running it again gives the same
model (bit for bit on the same machine and PyTorch version; PyTorch's CPU
kernels may round differently elsewhere).

How to run it (CPU is enough: about fifteen minutes on two cores with
OpenBLAS; Debian's reference BLAS is several times slower):

    apt-get install python3-torch libopenblas0-pthread   # PyTorch 1.13
    /usr/bin/python3 llama/demomodel/train.py \\
        --data ../shared/data/gsm8k/train.jsonl \\
        --out llama/demomodel/model/demo.gguf

then `go build ./cmd/parity` embeds the file. The weight matrices are
written as Q8_0 (ggml's reference quantization) and the norms as F32.
"""

import argparse
import json
import math
import random
import re
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# Fixed settings: change them and the model is another model.
SEED = 20250101
VOCAB = 512            # 256 bytes + 2 special tokens + 254 merges
DIM, LAYERS, HEADS, KV_HEADS, FFN = 64, 4, 4, 2, 192
CTX = 512              # context length written to the file (trained on SEQ)
SEQ, BATCH, STEPS = 256, 8, 400
LR, WARMUP = 3e-3, 40
NORM_EPS, ROPE_BASE = 1e-5, 10000.0
BOS, EOS = "<s>", "</s>"

# GPT-2's pre-tokenizer for ASCII text (the corpus is reduced to ASCII, so
# these classes equal the \p{L} and \p{N} of the pattern llama.cpp and
# parity apply at run time for tokenizer.ggml.pre = "gpt-2").
PRE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def byte_to_unicode():
    """GPT-2's printable stand-ins for the 256 bytes."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = byte_to_unicode()


def to_ascii(s):
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    s = s.replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    return s.encode("ascii", "ignore").decode()


def load_corpus(path):
    docs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            # The layout of lm-eval's gsm8k prompt, so the demo's prompts
            # look like what the model read.
            docs.append(to_ascii("Question: " + d["question"] + "\nAnswer: " + d["answer"]))
    return docs


def words(text):
    return ["".join(B2U[b] for b in w.encode()) for w in PRE.findall(text)]


def train_bpe(docs, n_merges):
    """Classic BPE over pre-tokenized words: repeatedly merge the most
    frequent adjacent pair (ties: the pair that sorts first)."""
    freq = {}
    for d in docs:
        for w in words(d):
            freq[w] = freq.get(w, 0) + 1
    seqs = {w: list(w) for w in freq}
    merges = []
    for _ in range(n_merges):
        pairs = {}
        for w, n in freq.items():
            s = seqs[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        for w in seqs:
            s = seqs[w]
            i, out = 0, []
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    return merges


def make_encoder(tokens, merges):
    ids = {t: i for i, t in enumerate(tokens)}
    ranks = {m: r for r, m in enumerate(merges)}
    cache = {}

    def bpe(w):
        # Lowest rank first, leftmost on ties: llama.cpp's order.
        s = list(w)
        while len(s) > 1:
            best, at = None, -1
            for i in range(len(s) - 1):
                r = ranks.get((s[i], s[i + 1]))
                if r is not None and (best is None or r < best):
                    best, at = r, i
            if best is None:
                break
            s = s[:at] + [s[at] + s[at + 1]] + s[at + 2:]
        return [ids[p] for p in s]

    def encode(text):
        out = []
        for w in words(text):
            if w not in cache:
                cache[w] = bpe(w)
            out.extend(cache[w])
        return out

    return encode


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS) * self.weight


def rope(x, cos, sin):
    # Adjacent pairs (x0, x1), (x2, x3), … rotate together: ggml's "normal"
    # mode, so the weights need no permutation for llama.cpp.
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        hd = DIM // HEADS
        self.attn_norm = RMSNorm(DIM)
        self.q = nn.Linear(DIM, DIM, bias=False)
        self.k = nn.Linear(DIM, KV_HEADS * hd, bias=False)
        self.v = nn.Linear(DIM, KV_HEADS * hd, bias=False)
        self.o = nn.Linear(DIM, DIM, bias=False)
        self.ffn_norm = RMSNorm(DIM)
        self.gate = nn.Linear(DIM, FFN, bias=False)
        self.up = nn.Linear(DIM, FFN, bias=False)
        self.down = nn.Linear(FFN, DIM, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        hd = DIM // HEADS
        h = self.attn_norm(x)
        q = rope(self.q(h).view(B, T, HEADS, hd).transpose(1, 2), cos, sin)
        k = rope(self.k(h).view(B, T, KV_HEADS, hd).transpose(1, 2), cos, sin)
        v = self.v(h).view(B, T, KV_HEADS, hd).transpose(1, 2)
        k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
        v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd) + mask
        a = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, DIM)
        x = x + self.o(a)
        h = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embd = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = RMSNorm(DIM)
        nn.init.normal_(self.embd.weight, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)

    def forward(self, idx):
        T = idx.shape[1]
        hd = DIM // HEADS
        inv = ROPE_BASE ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)
        ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
        cos, sin = ang.cos(), ang.sin()
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.embd(idx)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.norm(x) @ self.embd.weight.T  # tied output


# --- GGUF writing (version 3), the subset this model needs ---

def f32_to_f16_bits(x):
    return struct.unpack("<H", struct.pack("<e", x))[0]


def q8_0(values):
    out = bytearray()
    for i in range(0, len(values), 32):
        blk = values[i:i + 32]
        amax = max(abs(v) for v in blk)
        d = amax / 127
        # ggml computes in f32: round the scale and reciprocal as it does.
        d = struct.unpack("<f", struct.pack("<f", d))[0]
        inv = struct.unpack("<f", struct.pack("<f", 1 / d))[0] if d else 0.0
        out += struct.pack("<H", f32_to_f16_bits(d))
        for v in blk:
            p = struct.unpack("<f", struct.pack("<f", v * inv))[0]
            q = int(math.floor(abs(p) + 0.5)) * (1 if p >= 0 else -1)  # roundf
            out += struct.pack("<b", q)
    return bytes(out)


def gguf_bytes(meta, tensors):
    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    def val(v):
        if isinstance(v, bool):
            return struct.pack("<IB", 7, v)
        if isinstance(v, int):
            return struct.pack("<II", 4, v)
        if isinstance(v, float):
            return struct.pack("<If", 6, v)
        if isinstance(v, str):
            return struct.pack("<I", 8) + s(v)
        kind, items = v
        head = struct.pack("<I", 9)
        if kind == "str":
            return head + struct.pack("<IQ", 8, len(items)) + b"".join(s(i) for i in items)
        if kind == "f32":
            return head + struct.pack("<IQ", 6, len(items)) + struct.pack("<%df" % len(items), *items)
        if kind == "i32":
            return head + struct.pack("<IQ", 5, len(items)) + struct.pack("<%di" % len(items), *items)
        raise TypeError(kind)

    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(meta)))
    for k, v in meta:
        out += s(k) + val(v)
    off, data = 0, bytearray()
    for name, typ, dims, raw in tensors:
        out += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", typ, off)
        data += raw
        while len(data) % 32:
            data += b"\0"
        off = len(data)
    while len(out) % 32:
        out += b"\0"
    return bytes(out + data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="GSM8K train.jsonl")
    ap.add_argument("--out", required=True, help="GGUF file to write")
    ap.add_argument("--steps", type=int, default=STEPS)
    args = ap.parse_args()

    random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    t0 = time.time()
    docs = load_corpus(args.data)
    base = [B2U[b] for b in range(256)]
    merges = train_bpe(docs, VOCAB - 256 - 2)
    tokens = base + [a + b for a, b in merges] + [BOS, EOS]
    assert len(tokens) == VOCAB, len(tokens)
    bos, eos = VOCAB - 2, VOCAB - 1
    encode = make_encoder(tokens, merges)
    stream = []
    for d in docs:
        stream += [bos] + encode(d) + [eos]
    data = torch.tensor(stream, dtype=torch.long)
    print(f"corpus: {len(docs)} documents, {len(stream)} tokens; tokenizer in {time.time() - t0:.0f}s", flush=True)

    model = Model()
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.95), weight_decay=0.1)
    gen = torch.Generator().manual_seed(SEED)
    for step in range(args.steps):
        lr = LR * min(1, (step + 1) / WARMUP) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = torch.randint(0, len(data) - SEQ - 1, (BATCH,), generator=gen)
        x = torch.stack([data[s:s + SEQ] for s in starts])
        y = torch.stack([data[s + 1:s + SEQ + 1] for s in starts])
        loss = F.cross_entropy(model(x).view(-1, VOCAB), y.view(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step}: loss {loss.item():.3f} ({time.time() - t0:.0f}s)", flush=True)

    types = [1] * VOCAB  # normal
    types[bos] = types[eos] = 3  # control
    meta = [
        ("general.architecture", "llama"),
        ("general.name", "parity-demo"),
        ("general.license", "MIT"),
        ("general.description", f"parity's demo model: {n_params} parameters trained by llama/demomodel/train.py "
                                f"on GSM8K train (MIT), {args.steps} steps, seed {SEED}"),
        ("general.alignment", 32),
        ("llama.context_length", CTX),
        ("llama.embedding_length", DIM),
        ("llama.block_count", LAYERS),
        ("llama.feed_forward_length", FFN),
        ("llama.attention.head_count", HEADS),
        ("llama.attention.head_count_kv", KV_HEADS),
        ("llama.rope.dimension_count", DIM // HEADS),
        ("llama.rope.freq_base", ROPE_BASE),
        ("llama.attention.layer_norm_rms_epsilon", NORM_EPS),
        ("tokenizer.ggml.model", "gpt2"),
        ("tokenizer.ggml.pre", "gpt-2"),
        ("tokenizer.ggml.tokens", ("str", tokens)),
        ("tokenizer.ggml.token_type", ("i32", types)),
        ("tokenizer.ggml.merges", ("str", [a + " " + b for a, b in merges])),
        ("tokenizer.ggml.bos_token_id", bos),
        ("tokenizer.ggml.eos_token_id", eos),
        ("tokenizer.ggml.add_bos_token", True),
        ("tokenizer.ggml.add_eos_token", False),
    ]
    sd = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}

    def mat(name, t):  # PyTorch [out, in] is ggml [in, out]: same bytes
        return (name, 8, [t.shape[1], t.shape[0]], q8_0(t.flatten().tolist()))

    def vec(name, t):
        return (name, 0, [t.shape[0]], struct.pack("<%df" % t.numel(), *t.tolist()))

    tensors = [mat("token_embd.weight", sd["embd.weight"]), vec("output_norm.weight", sd["norm.weight"])]
    for i in range(LAYERS):
        p = f"blocks.{i}."
        tensors += [
            vec(f"blk.{i}.attn_norm.weight", sd[p + "attn_norm.weight"]),
            mat(f"blk.{i}.attn_q.weight", sd[p + "q.weight"]),
            mat(f"blk.{i}.attn_k.weight", sd[p + "k.weight"]),
            mat(f"blk.{i}.attn_v.weight", sd[p + "v.weight"]),
            mat(f"blk.{i}.attn_output.weight", sd[p + "o.weight"]),
            vec(f"blk.{i}.ffn_norm.weight", sd[p + "ffn_norm.weight"]),
            mat(f"blk.{i}.ffn_gate.weight", sd[p + "gate.weight"]),
            mat(f"blk.{i}.ffn_up.weight", sd[p + "up.weight"]),
            mat(f"blk.{i}.ffn_down.weight", sd[p + "down.weight"]),
        ]
    with open(args.out, "wb") as f:
        f.write(gguf_bytes(meta, tensors))
    print(f"wrote {args.out}: {n_params} parameters, {time.time() - t0:.0f}s in all")


if __name__ == "__main__":
    main()
