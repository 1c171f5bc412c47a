#!/usr/bin/env bash
# Issue 15's goal: data-parallel training over MPI on this machine. `train pretrain` on slm60m,
# global batch 8 × T 512, run as 1 process × 2 threads and as mpirun -np 2 × 1 thread (batch 4
# per rank) in the same script run; prints tokens/s (median over the measured steps), the
# ratio, the communication time per step, and the scaling table that those figures predict.
#   bench/mpi.sh [STEPS]     (default 6 steps; the first is not measured)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
swift build -c release --product train >/dev/null
steps=${1:-6}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
# Random GPT-2 token ids: throughput does not depend on the text.
python3 -c "import numpy as np; np.random.default_rng(0).integers(0, 50257, 2_000_000, dtype=np.uint16).tofile('$work/data/train.bin')"
common=(pretrain --data "$work/data" --preset slm60m --block-size 512 --max-iters "$steps"
        --eval-interval 1000000 --log-interval 1 --warmup-iters 2 --seed 1)
mpirun_flags=(--oversubscribe --allow-run-as-root --bind-to none)

echo "1 process × 2 threads, batch 8" >&2
.build/release/train "${common[@]}" --batch-size 8 --threads 2 --out "$work/one" 2>&1 | grep -E "^step|error" >&2
echo "2 ranks × 1 thread, batch 4 per rank" >&2
mpirun "${mpirun_flags[@]}" -np 2 .build/release/train "${common[@]}" --batch-size 4 --threads 1 --out "$work/two" 2>&1 \
  | grep -E "^step|error" >&2

python3 - "$work/one/metrics.jsonl" "$work/two/metrics.jsonl" "$work/two/model.safetensors" <<'PY'
import json, statistics, struct, sys
def load(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    measured = [r for r in rows if r["step"] >= 2 and "tokens_per_s" in r and "val_loss" not in r]
    return statistics.median(r["tokens_per_s"] for r in measured), statistics.median(r.get("comm_s", 0) for r in measured)
one, _ = load(sys.argv[1])
two, comm = load(sys.argv[2])
tokens = 8 * 512
step = tokens / two
print("| run | tokens/s | ratio | comm per step |")
print("| --- | --- | --- | --- |")
print(f"| 1 process × 2 threads, B 8 | {one:.0f} | 1.00× | – |")
print(f"| 2 ranks × 1 thread, B 4 each | {two:.0f} | {two / one:.2f}× | {comm * 1000:.0f} ms ({100 * comm / step:.1f}% of the step) |")
print()
# Ring all-reduce: each rank sends and receives 2(N−1)/N of the gradient bytes. The step's compute
# is the measured 2-rank step minus its communication (one rank's share of the global batch); a
# machine of this kind computes B 4 in that time, so N machines each compute B 4 as here.
with open(sys.argv[3], "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
parameters = sum((v["data_offsets"][1] - v["data_offsets"][0]) // 4 for k, v in header.items() if k != "__metadata__")
gradient_bytes = 4 * parameters
compute = step - comm
print(f"step compute (B 4 × T 512 per machine, 1 thread): {compute:.2f} s; gradient {parameters / 1e6:.1f}M parameters = {gradient_bytes / 1e6:.0f} MB fp32")
print("| machines | ring all-reduce at 10 Gb/s | efficiency | at 25 Gb/s | efficiency |")
print("| --- | --- | --- | --- | --- |")
for n in (2, 4, 8, 16):
    cells = []
    for gbps in (10, 25):
        seconds = 2 * (n - 1) / n * gradient_bytes * 8 / (gbps * 1e9)
        cells += [f"{seconds:.2f} s", f"{compute / (compute + seconds):.0%}"]
    print(f"| {n} | " + " | ".join(cells) + " |")
PY
