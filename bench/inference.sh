#!/usr/bin/env bash
# Issue 6's inference benchmark: batch-1 prefill and decode of the slm60m preset, fp32 and int8,
# Finch (`generate benchmark --json`) next to PyTorch (`bench/torch_gpt.py decode`, 2 threads,
# `quantize_dynamic` for int8) in the same run, with the ratios and the issue's goals.
#
#   bench/inference.sh [--checkpoint DIR --data VAL.bin]
#
# Speed does not depend on the weights' values, so the slm60m model is an untrained random one:
# `train pretrain --preset slm60m --max-iters 0` saves its seeded initialisation (on 4096 random
# tokens that it never trains on). PyTorch builds its own random slm60m. With --checkpoint and
# --data (a trained model and its validation tokens, e.g. the README's Shakespeare model), the
# quality part also prints fp32 and int8 perplexity, next to PyTorch's `ppl` on the same windows.
# FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path. Needs python3; the
# PyTorch columns need `pip install torch numpy safetensors` and are skipped without them.
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoint="" data=""
while [ $# -gt 0 ]; do
  case "$1" in
    --checkpoint) checkpoint="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    *) echo "usage: bench/inference.sh [--checkpoint DIR --data VAL.bin]" >&2; exit 2 ;;
  esac
done
if { [ -n "$checkpoint" ] && [ -z "$data" ]; } || { [ -z "$checkpoint" ] && [ -n "$data" ]; }; then
  echo "error: --checkpoint and --data go together" >&2; exit 2
fi

scripts/setup
build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product generate >&2
"${build[@]}" --product train >&2
bin="$("${build[@]}" --show-bin-path)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/random"
python3 -c "
import random, struct, sys
r = random.Random(0)
sys.stdout.buffer.write(struct.pack('<4096H', *(r.randrange(50257) for _ in range(4096))))" > "$work/random/train.bin"
"$bin/train" pretrain --preset slm60m --max-iters 0 --data "$work/random" --out "$work/slm60m" >/dev/null 2>&1
"$bin/generate" quantize --checkpoint "$work/slm60m" --out "$work/slm60m-int8" >&2

results="$work/results.jsonl"
run() { # label, then the command printing one JSON line
  local label="$1"; shift
  echo "running $label…" >&2
  printf '{"label": "%s", "result": %s}\n' "$label" "$("$@" | tail -n 1)" >> "$results"
}
run finch-fp32 "$bin/generate" benchmark --checkpoint "$work/slm60m" --json
run finch-int8 "$bin/generate" benchmark --checkpoint "$work/slm60m-int8" --json
have_torch=false
python3 -c "import torch, numpy, safetensors" 2>/dev/null && have_torch=true
if $have_torch; then
  run torch-fp32 python3 bench/torch_gpt.py decode --preset slm60m --threads 2 --repeats 5
  run torch-int8 python3 bench/torch_gpt.py decode --preset slm60m --threads 2 --repeats 5 --int8
else
  echo "PyTorch not importable: its columns are skipped (pip install torch numpy safetensors)" >&2
fi
if [ -n "$checkpoint" ]; then
  "$bin/generate" quantize --checkpoint "$checkpoint" --out "$work/quality-int8" >&2
  run quality-fp32 "$bin/generate" benchmark --checkpoint "$checkpoint" --data "$data" --repeats 1 --json
  run quality-int8 "$bin/generate" benchmark --checkpoint "$work/quality-int8" --data "$data" --repeats 1 --json
  if $have_torch; then
    run quality-torch python3 bench/torch_gpt.py ppl --checkpoint "$checkpoint" --data "$data"
  fi
fi

python3 - "$results" "$work/slm60m/model.safetensors" <<'PY'
import json, os, sys
runs = {}
for line in open(sys.argv[1]):
    entry = json.loads(line)
    runs[entry["label"]] = entry["result"]
float_bytes = os.path.getsize(sys.argv[2])

def cell(value, fmt="{:.2f}"):
    return "–" if value is None else fmt.format(value)

print("### slm60m, batch 1, prompt 64 random tokens, 128 greedy steps × 5 runs\n")
print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end "
      "(memory-bound figures drop when other processes share the machine)\n")
print("| | Finch fp32 | PyTorch fp32 | ratio | Finch int8 | PyTorch int8 | ratio | goal |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
f32, f8 = runs["finch-fp32"], runs["finch-int8"]
t32, t8 = runs.get("torch-fp32", {}), runs.get("torch-int8", {})
def ratio(a, b, higher_is_better, word="faster"):
    if a is None or b is None: return "–"
    return f"{(a / b if higher_is_better else b / a):.2f}× {word}"
for key, name, higher, word, goal in [
    ("decode_ms_p50", "decode ms/token p50", False, "faster", "fp32 ≤ 9, int8 ≤ 3.4"),
    ("decode_ms_p95", "decode ms/token p95", False, "faster", ""),
    ("decode_tokens_per_s", "decode tokens/s", True, "faster", ""),
    ("prefill_ms", "prefill ms (64 tokens)", False, "faster", ""),
    ("prefill_tokens_per_s", "prefill tokens/s", True, "faster", "≥ 2× PyTorch fp32"),
    ("peak_rss_mb", "peak RSS MB", False, "less", ""),
]:
    print(f"| {name} | {cell(f32.get(key))} | {cell(t32.get(key))} | {ratio(f32.get(key), t32.get(key), higher, word)} "
          f"| {cell(f8.get(key))} | {cell(t8.get(key))} | {ratio(f8.get(key), t8.get(key), higher, word)} | {goal} |")
print(f"| time to first token ms | {cell(f32['ttft_ms'])} | – | – | {cell(f8['ttft_ms'])} | – | – | |")
print(f"| load ms | {cell(f32['load_ms'])} | – | – | {cell(f8['load_ms'])} | – | – | |")
print(f"| model file MB | {f32['model_bytes'] / 1e6:.1f} | – | – | {f8['model_bytes'] / 1e6:.1f} "
      f"({100 * f8['model_bytes'] / float_bytes:.1f}% of fp32) | – | – | int8 ≤ 30% |")

checks = [("fp32 decode ≤ 9 ms/token", f32["decode_ms_p50"] <= 9),
          ("int8 decode ≤ 3.4 ms/token", f8["decode_ms_p50"] <= 3.4),
          ("int8 file ≤ 30% of fp32", f8["model_bytes"] <= 0.3 * float_bytes)]
if t32:
    checks.append(("prefill ≥ 2× PyTorch fp32", f32["prefill_tokens_per_s"] >= 2 * t32["prefill_tokens_per_s"]))
print()
for name, ok in checks:
    print(f"- {name}: {'met' if ok else 'NOT met'}")

if "quality-fp32" in runs:
    q32, q8, qt = runs["quality-fp32"], runs["quality-int8"], runs.get("quality-torch")
    print(f"\n### perplexity ({q32['tokens_scored']} tokens scored)\n")
    print(f"- Finch fp32 {q32['perplexity']:.4f}" + (f", PyTorch {qt['perplexity']:.4f} "
          f"(relative difference {abs(q32['perplexity'] / qt['perplexity'] - 1):.1e})" if qt else ""))
    increase = 100 * (q8["perplexity"] / q32["perplexity"] - 1)
    print(f"- Finch int8 {q8['perplexity']:.4f}: {increase:+.2f}% against fp32 (goal ≤ +1%: {'met' if increase <= 1 else 'NOT met'})")
PY
