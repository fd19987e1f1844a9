#!/usr/bin/env bash
# The main job on a fresh machine: build parity, start the loopback test
# server (a deterministic stand-in model speaking vLLM's OpenAI protocol),
# evaluate arc_challenge (0-shot, lm-eval's default) and gsm8k (5-shot) on 20 documents each from
# the real datasets, then run the same command again: every response then
# comes from the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
DATA_DIR=${PARITY_DATA_DIR:-../shared/data/hub}
OUT=${OUT:-out/quickstart}
mkdir -p bin "$OUT"
go build -o bin/parity ./cmd/parity
go build -o bin/parity-testserver ./cmd/parity-testserver

fifo=$(mktemp -u); mkfifo "$fifo"
bin/parity-testserver >"$fifo" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$fifo"' EXIT
read -r URL <"$fifo"
echo "test server at $URL"

run() {
  bin/parity run --model-url "$URL" --tasks "$1" \
    --limit 20 --data-dir "$DATA_DIR" --cache "$OUT/cache.db" --output "$OUT/$2"
}
echo "== first run =="
run arc_challenge,gsm8k arc-gsm8k
echo "== same command again (served from the cache) =="
run arc_challenge,gsm8k arc-gsm8k
echo "results: $OUT/arc-gsm8k/results.json and samples_*.jsonl"
