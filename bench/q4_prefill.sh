#!/usr/bin/env bash
# Issue 13's last goal: prefill with 4-bit weights no slower than int8. The same random slm60m in
# int8 and in 4-bit (symmetric, asymmetric), `generate benchmark --prompt-tokens P` for each,
# interleaved over --rounds rounds in one run, at --threads threads:
#   - wall: the fastest of --repeats prefills in a round (generate benchmark's "prefill"), best round;
#   - CPU: the process's CPU time (user + sys) with a P-token prompt minus one with an 8-token
#     prompt, over the (P − 8) · repeats extra tokens, best round — what the extra prefill tokens
#     cost, with the loading and the one decoded token subtracted; the wall times stretch with the
#     load of a shared machine, the CPU time much less.
# Each figure is printed beside int8's as tokens/s and as the ratio to int8 (≥ 1 is faster).
#
#   bench/q4_prefill.sh [--work DIR] [--prompt-tokens P] [--repeats N] [--rounds N] [--threads N]
set -euo pipefail
cd "$(dirname "$0")/.."
work=/tmp/finch-q4-prefill prompt=64 repeats=30 rounds=3 threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --prompt-tokens) prompt="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "usage: bench/q4_prefill.sh [--work DIR] [--prompt-tokens P] [--repeats N] [--rounds N] [--threads N]" >&2; exit 2 ;;
  esac
done
[ "$prompt" -gt 8 ] || { echo "error: --prompt-tokens must be more than 8 (got $prompt)" >&2; exit 2; }

build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product generate >&2
"${build[@]}" --product train >&2
bin="$("${build[@]}" --show-bin-path)"
models="$work/models"
if [ ! -f "$models/q4-asymmetric/config.json" ]; then
  rm -rf "$models" && mkdir -p "$models/random"
  python3 -c "
import random, struct, sys
r = random.Random(0)
sys.stdout.buffer.write(struct.pack('<4096H', *(r.randrange(50257) for _ in range(4096))))" > "$models/random/train.bin"
  "$bin/train" pretrain --preset slm60m --max-iters 0 --data "$models/random" --out "$models/slm60m" >/dev/null 2>&1
  "$bin/generate" quantize --checkpoint "$models/slm60m" --out "$models/int8" >&2
  "$bin/generate" quantize --checkpoint "$models/slm60m" --out "$models/q4-symmetric" --bits 4 --scheme symmetric >&2
  "$bin/generate" quantize --checkpoint "$models/slm60m" --out "$models/q4-asymmetric" --bits 4 --scheme asymmetric >&2
fi

# Prints "prefill_ms cpu_seconds" of one generate benchmark run with a prompt of $2 tokens.
run() {
  python3 - "$bin/generate" "$models/$1" "$2" "$repeats" "$threads" <<'PY'
import json, resource, subprocess, sys
generate, checkpoint, prompt, repeats, threads = sys.argv[1:]
out = subprocess.run([generate, "benchmark", "--checkpoint", checkpoint, "--prompt-tokens", prompt, "--new-tokens", "2",
                      "--repeats", repeats, "--threads", threads, "--json"],
                     capture_output=True, text=True, check=True).stdout
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.loads(out.strip().splitlines()[-1])["prefill_ms"], usage.ru_utime + usage.ru_stime)
PY
}

results="$work/results.tsv"
: > "$results"
for round in $(seq "$rounds"); do
  for name in int8 q4-symmetric q4-asymmetric; do
    echo "round $round: $name…" >&2
    read -r wall long < <(run "$name" "$prompt")
    read -r _ short < <(run "$name" 8)
    printf '%s\t%s\t%s\n' "$name" "$wall" "$(python3 -c "print(1000 * ($long - $short) / (($prompt - 8) * $repeats))")" >> "$results"
  done
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$prompt" "$threads" <<'PY'
import sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines()]
prompt, threads = int(sys.argv[2]), sys.argv[3]
best = {}
for name, wall, cpu in rows:
    walls, cpus = best.setdefault(name, ([], []))
    walls.append(float(wall)); cpus.append(float(cpu))
int8_wall, int8_cpu = min(best["int8"][0]), min(best["int8"][1])
print(f"slm60m prefill of {prompt} tokens, {threads} threads, best of the rounds (rounds: wall ms / CPU ms per token)")
print("| weights | wall ms | tokens/s | × int8 | CPU ms/token | × int8 | rounds |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for name, (walls, cpus) in best.items():
    wall, cpu = min(walls), min(cpus)
    rounds = ", ".join(f"{w:.2f} / {c:.3f}" for w, c in zip(walls, cpus))
    print(f"| {name} | {wall:.2f} | {prompt / wall * 1000:,.0f} | {int8_wall / wall:.2f} | {cpu:.3f} | {int8_cpu / cpu:.2f} | {rounds} |")
PY
