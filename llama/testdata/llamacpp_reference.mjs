// Produces llama.cpp's reference numbers for parity's forward-pass tests.
//
// Run once, outside the repository (node_modules must not be committed):
//   mkdir /tmp/llref && cd /tmp/llref && npm init -y && npm install node-llama-cpp@3.21.1
//   cp /path/to/llamacpp_reference.mjs . && node llamacpp_reference.mjs MODEL.gguf OUT.json [--ascii]
//
// node-llama-cpp ships prebuilt llama.cpp CPU binaries. The context uses an
// f32 KV cache and no flash attention, so that llama.cpp computes in f32 as
// parity does (its defaults, f16 KV and flash attention, move log-probs by
// up to ~6e-3). For every prompt it records llama.cpp's tokens (BOS first, as
// llama.cpp's tokenizer adds it), the log-probability of each prompt token
// given the ones before it, the top-5 alternatives at each position, and a
// 40-token greedy continuation (argmax of the next-token distribution).
import {getLlama} from "node-llama-cpp";
import {writeFileSync} from "node:fs";
import {basename} from "node:path";

const [modelPath, outPath, flag] = process.argv.slice(2);
// --ascii leaves out texts other than printable ASCII and newlines, for vocabularies without byte tokens
// (llama.cpp aborts on a character such a vocabulary cannot spell).
const keep = (t) => flag !== "--ascii" || /^[\x20-\x7e\n]*$/.test(t);

const PROMPTS = [
  // (filtered by keep below)
  "Once upon a time",
  "Once upon a time, there was a little girl named Lily.",
  "The cat sat on the mat. The dog",
  "Tom and Sue went to the park to play with a red ball. They ran and laughed.\nThen",
  "She said, \"I am 3 years old!\"  It was   sunny.",
  "Café naïve — 日本 🙂 ok",
  "One day, a little boy named Tim found a big box in his room. He opened the box and saw a toy car inside. " +
    "Tim was very happy. He played with the car all day. His mom came in and said, \"Tim, it is time for dinner.\" " +
    "Tim put the car on his bed and went to eat. After dinner, he",
].filter((t) => keep(t));
const TOKENIZE = [
  "", " ", "  ", "hello", " hello", "Hello world", "a\nb", "\n\n", "x  y", "123 4567",
  "don't", "Café", "日本語", "🙂", "<s>", "tab\there", "end. ",
].filter((t) => keep(t));
const GEN = 40;

const llama = await getLlama({gpu: false, build: "never"});
const model = await llama.loadModel({modelPath});
const ctx = await model.createContext({
  contextSize: 512, batchSize: 512, flashAttention: false,
  experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
});

const logp = (p, t) => Math.log(p.get(t) ?? 0);
const top5 = (p) => [...p.entries()].slice(0, 5).map(([t, v]) => [t, Math.log(v)]);
const argmax = (p) => [...p.entries()][0][0];

const out = {
  model: basename(modelPath),
  made_with: "node-llama-cpp 3.21.1 (prebuilt llama.cpp, CPU), context 512, f32 KV cache, flash attention off; llamacpp_reference.mjs",
  llama_cpp_release: llama.llamaCppRelease,
  bos: model.tokens.bos, eos: model.tokens.eos,
  prompts: [], tokenize: [],
};

const promptTokenLists = PROMPTS.map((t) => [model.tokens.bos, ...model.tokenize(t, false)]);
const seq = ctx.getSequence();
for (let k = 0; k < PROMPTS.length; k++) {
  const toks = promptTokenLists[k];
  await seq.clearHistory();
  const res = await seq.controlledEvaluate(toks.map((t) => [t, {generateNext: {probabilities: true}}]));
  const lps = [null], tops = [];
  for (let i = 0; i < toks.length; i++) {
    const p = res[i].next.probabilities;
    if (i + 1 < toks.length) lps.push(logp(p, toks[i + 1]));
    tops.push(top5(p));
  }
  let p = res[toks.length - 1].next.probabilities;
  const gen = [], genLps = [];
  for (let g = 0; g < GEN; g++) {
    const t = argmax(p);
    gen.push(t); genLps.push(logp(p, t));
    if (t === model.tokens.eos) break;
    const r = await seq.controlledEvaluate([[t, {generateNext: {probabilities: true}}]]);
    p = r[0].next.probabilities;
  }
  out.prompts.push({
    text: PROMPTS[k], tokens: toks, token_logprobs: lps, top5: tops,
    greedy_tokens: gen, greedy_logprobs: genLps, greedy_text: model.detokenize(gen),
  });
}
for (const t of TOKENIZE) {
  out.tokenize.push({text: t, tokens: model.tokenize(t, false), with_special: model.tokenize(t, true)});
}
writeFileSync(outPath, JSON.stringify(out, null, 1) + "\n");
console.log("wrote", outPath);
