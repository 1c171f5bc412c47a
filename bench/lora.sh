#!/usr/bin/env bash
# LoRA benchmark (issue 4): fine-tuning next to full training of the same preset, in the same run.
# Each figure comes from its own process (`train benchmark`, random tokens, median step after a
# warmup), so each peak RSS is that mode's alone: full training, LoRA, LoRA on an int8 base.
# The modes alternate for --rounds rounds and each keeps its fastest round, so a burst of other
# load on the machine does not land on one mode only. Prints every JSON line, then the ratios
# against the goals: fine-tune tokens/s ≥ 1.3× full training, peak RSS ≤ 0.7×.
#   bench/lora.sh [--preset slm60m] [--rank 16] [--batch 8] [--seq 128] [--steps 5] [--warmup 1] [--rounds 2]
# FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=slm60m rank=16 batch=8 seq=128 steps=5 warmup=1 rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset=$2 ;; --rank) rank=$2 ;; --batch) batch=$2 ;; --seq) seq=$2 ;;
    --steps) steps=$2 ;; --warmup) warmup=$2 ;; --rounds) rounds=$2 ;;
    *) echo "lora.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
scripts/setup
build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product train
train="$("${build[@]}" --show-bin-path)/train"
common=(--preset "$preset" --batch "$batch" --seq "$seq" --steps "$steps" --warmup "$warmup")

results=()
for _ in $(seq "$rounds"); do
  results+=("$("$train" benchmark "${common[@]}")")
  results+=("$("$train" benchmark "${common[@]}" --lora-rank "$rank")")
  results+=("$("$train" benchmark "${common[@]}" --lora-rank "$rank" --int8)")
done
printf '%s\n' "${results[@]}"
python3 - "${results[@]}" <<'PY'
import json, sys
best = {}
for line in sys.argv[1:]:
    r = json.loads(line)
    if r["what"] not in best or r["tokens_per_s"] > best[r["what"]]["tokens_per_s"]:
        best[r["what"]] = r
full, lora, int8 = best["train"], best["finetune"], best["finetune-int8"]
speed = lora["tokens_per_s"] / full["tokens_per_s"]
memory = lora["peak_rss_mb"] / full["peak_rss_mb"]
print(f"LoRA r{lora['lora_rank']} on {full['preset']}: {lora['trainable_params']:,} trainable parameters "
      f"({100 * lora['trainable_params'] / (lora['trainable_params'] + lora['params']):.2f}% of the model)")
print(f"tokens/s: full {full['tokens_per_s']:.0f}, LoRA {lora['tokens_per_s']:.0f} -> {speed:.2f}x (goal >= 1.3x)")
print(f"peak RSS: full {full['peak_rss_mb']:.0f} MB, LoRA {lora['peak_rss_mb']:.0f} MB -> {memory:.2f}x (goal <= 0.7x)")
print(f"int8 base: {int8['tokens_per_s']:.0f} tokens/s ({int8['tokens_per_s'] / full['tokens_per_s']:.2f}x), "
      f"peak RSS {int8['peak_rss_mb']:.0f} MB ({int8['peak_rss_mb'] / full['peak_rss_mb']:.2f}x)")
PY
