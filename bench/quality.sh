#!/usr/bin/env bash
# Issue 5's quality benchmark: the `tiny` preset on Tiny Shakespeare, 2,000 steps at batch 8 × 128,
# Finch next to the PyTorch reference (bench/torch_train.py) started from the same initial weights
# and fed the same batches in the same order. Prints val loss at every evaluation, side by side.
#   bench/quality.sh [ITERS]        (needs: pip install torch numpy safetensors)
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-2000}
work=${FINCH_BENCH_DIR:-checkpoints/bench-quality}
scripts/setup
swift build -c release --product train >/dev/null
bin=.build/release
mkdir -p "$work"
[ -f "$work/data/train.bin" ] || "$bin/train" prepare --input data/shakespeare/input.txt --vocab data/gpt2 --out "$work/data"
flags=(--batch-size 8 --block-size 128 --max-iters "$iters" --lr 1e-3 --warmup-iters 100 --eval-interval 250 --eval-iters 20 --log-interval 50 --seed 1337)
"$bin/train" pretrain --data "$work/data" --out "$work/init" --preset tiny --max-iters 0 --overwrite 2>/dev/null
"$bin/train" pretrain --data "$work/data" --out "$work/finch" --init-from "$work/init" "${flags[@]}" --overwrite
python3 bench/torch_train.py --init "$work/init" --data "$work/data" --out "$work/torch.jsonl" "${flags[@]}" --threads 2
python3 - "$work/finch/metrics.jsonl" "$work/torch.jsonl" <<'PY'
import json, sys
def evals(path):
    return {r["step"]: r["val_loss"] for r in map(json.loads, open(path)) if "val_loss" in r}
finch, torch = evals(sys.argv[1]), evals(sys.argv[2])
print(f"{'step':>6} {'finch val':>10} {'torch val':>10} {'diff':>8}")
worst = 0.0
for step in sorted(set(finch) & set(torch)):
    d = finch[step] - torch[step]
    worst = max(worst, abs(d))
    print(f"{step:>6} {finch[step]:>10.4f} {torch[step]:>10.4f} {d:>+8.4f}")
print(f"largest |difference|: {worst:.4f} (goal ≤ 0.03)")
PY
