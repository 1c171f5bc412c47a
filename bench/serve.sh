#!/usr/bin/env bash
# Issue 12's completion benchmark: `serve` on loopback, loaded by wrk (Debian's package) with 1
# then 8 concurrent clients, each asking for one completion after another. Prints total
# completion tokens/s for each, the 8-vs-1 ratio (goal ≥ 3× with continuous batching), the mean
# time to first token under each load (from the server's own histogram, queueing included),
# request latency percentiles, and the server's peak RSS.
#
#   bench/serve.sh [--checkpoint DIR] [--duration SECONDS] [--max-tokens N] [--parallel N] [--temperature T]
#
# Completions are sampled (temperature 0.8, top-k 40, no seed) so concurrent answers differ;
# --temperature 0 measures greedy decoding, where sampling costs nothing beside the forward.
# Without --checkpoint the model is an untrained random slm60m quantized to int8 (speed does not
# depend on the weights' values; the narrator is served int8): `train pretrain --max-iters 0`
# saves its seeded initialisation, `generate quantize` converts it. Bounded: each load runs for
# --duration seconds (default 20) against 127.0.0.1 only, and the server is stopped at the end.
#
# Then the shop (bench/serve_shop.py): `serve --db` on a database imported from the 40k-row
# sample, with the MiniLM embedder and the narrator when checkpoints/narrator exists; wrk asks for
# recommendations without narratives (goal ≥ 2,000 req/s, p99 ≤ 50 ms, 0 errors), then pages of
# 10 narratives from 8 concurrent customers (goal p95 ≤ 1.5 s), and prints the peak RSS.
# --shop-only skips the completions, --no-shop the shop.
# FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoint="" duration=20 max_tokens=64 parallel=8 temperature=0.8 completions=1 shop=1
while [ $# -gt 0 ]; do
  case "$1" in
    --shop-only) completions=0; shift ;;
    --no-shop) shop=0; shift ;;
    --checkpoint) checkpoint="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --max-tokens) max_tokens="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --temperature) temperature="$2"; shift 2 ;;
    *) echo "usage: bench/serve.sh [--checkpoint DIR] [--duration SECONDS] [--max-tokens N] [--parallel N] [--temperature T] [--shop-only | --no-shop]" >&2; exit 2 ;;
  esac
done

scripts/setup
if ! command -v wrk >/dev/null 2>&1; then
  echo "serve.sh: installing wrk" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi
build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product serve >&2
"${build[@]}" --product recommend >&2
bin="$("${build[@]}" --show-bin-path)"
if [ "$completions" = 0 ]; then
  FINCH_BIN="$bin" exec python3 bench/serve_shop.py --duration "$duration"
fi
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$checkpoint" ]; then
  "${build[@]}" --product train >&2
  "${build[@]}" --product generate >&2
  mkdir -p "$work/random"
  python3 -c "
import random, struct, sys
r = random.Random(0)
sys.stdout.buffer.write(struct.pack('<4096H', *(r.randrange(50257) for _ in range(4096))))" > "$work/random/train.bin"
  "$bin/train" pretrain --preset slm60m --max-iters 0 --data "$work/random" --out "$work/slm60m" >/dev/null 2>&1
  "$bin/generate" quantize --checkpoint "$work/slm60m" --out "$work/slm60m-int8" >&2
  checkpoint="$work/slm60m-int8"
fi

port=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$bin/serve" --checkpoint "$checkpoint" --host 127.0.0.1 --port "$port" --parallel "$parallel" --log-level warning &
server_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health" || true)" = "200" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "serve.sh: the server exited" >&2; exit 1; }
  sleep 0.1
done

export FINCH_BENCH_BODY="{\"prompt\": \"You keep coming back for the white hanging heart T-light holder, and 41 customers who bought it also took\", \"max_tokens\": $max_tokens, \"temperature\": $temperature, \"top_k\": 40}"

ttft() { # sum and count of the time-to-first-token histogram
  curl -s "$url/metrics" | awk '/^finch_time_to_first_token_seconds_sum /{s=$2} /^finch_time_to_first_token_seconds_count /{c=$2} END{print s, c}'
}
load() { # clients → one JSON line: wrk's figures plus mean TTFT
  local clients="$1" threads=$(( $1 < 2 ? $1 : 2 ))
  read -r sum0 count0 <<<"$(ttft)"
  local result
  result=$(wrk -t"$threads" -c"$clients" -d"${duration}s" --timeout 60s -s bench/serve_completion.lua "$url/v1/completions" | tail -n 1)
  read -r sum1 count1 <<<"$(ttft)"
  python3 -c "
import json, sys
r = json.loads(sys.argv[1]); s0, c0, s1, c1 = map(float, sys.argv[2:6])
r['clients'] = int(sys.argv[6]); r['tokens_per_s'] = r['tokens'] / r['seconds']
r['ttft_mean_ms'] = 1000 * (s1 - s0) / (c1 - c0) if c1 > c0 else None
print(json.dumps(r))" "$result" "$sum0" "$count0" "$sum1" "$count1" "$clients"
}

echo "warming up…" >&2
curl -s -o /dev/null "$url/v1/completions" -H 'Content-Type: application/json' -d "$FINCH_BENCH_BODY"
echo "1 client for ${duration}s…" >&2
one=$(load 1)
echo "8 clients for ${duration}s…" >&2
eight=$(load 8)
rss_kb=$(awk '/^VmHWM:/{print $2}' "/proc/$server_pid/status")
python3 -c "
import json, sys
one, eight = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print('| load | completions/s | tokens/s | mean TTFT ms | latency p50 ms | p99 ms | errors |')
print('| --- | --- | --- | --- | --- | --- | --- |')
for r in (one, eight):
    print(f\"| {r['clients']} client{'s' if r['clients'] > 1 else ''} | {r['requests'] / r['seconds']:.2f} | {r['tokens_per_s']:.1f} | {r['ttft_mean_ms']:.0f} | {r['latency_p50_ms']:.0f} | {r['latency_p99_ms']:.0f} | {r['non_200'] + r['socket_errors']} |\")
ratio = eight['tokens_per_s'] / one['tokens_per_s']
print(f'8 clients / 1 client: {ratio:.2f}x tokens/s (goal >= 3x: ' + ('met' if ratio >= 3 else 'not met') + ')')
print(f'server peak RSS: {int(sys.argv[3]) / 1024:.0f} MB')
print(json.dumps({'one': one, 'eight': eight, 'ratio': ratio, 'peak_rss_mb': int(sys.argv[3]) / 1024}))" "$one" "$eight" "$rss_kb"
if [ "$shop" = 1 ]; then
  kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  server_pid=""
  FINCH_BIN="$bin" python3 bench/serve_shop.py --duration "$duration"
fi
