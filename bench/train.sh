#!/usr/bin/env bash
# Issue 5's speed and memory benchmark: training tokens/s and peak RSS of Finch (`train benchmark`)
# next to the PyTorch reference (`bench/torch_gpt.py train`, 2 threads) in the same run, for the
# tiny (B 8, T 128), small (B 8, T 256) and slm60m (B 8, T 512) presets.
#   bench/train.sh [PRESET…]     (needs: pip install torch numpy safetensors)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
swift build -c release --product train >/dev/null
presets=("${@:-tiny small slm60m}")
[ $# -gt 0 ] || presets=(tiny small slm60m)
steps=${FINCH_BENCH_STEPS:-5}
out=$(mktemp)
for preset in "${presets[@]}"; do
  .build/release/train benchmark --preset "$preset" --batch 8 --steps "$steps" --warmup 2 >> "$out"
  python3 bench/torch_gpt.py train --preset "$preset" --batch 8 --steps "$steps" --warmup 2 --threads 2 >> "$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
finch = {r["preset"]: r for r in rows if r["impl"] == "finch"}
torch = {r["preset"]: r for r in rows if r["impl"] == "torch"}
print(f"| preset | B×T | Finch tok/s | PyTorch tok/s | ratio | Finch GFLOP/s | Finch peak RSS | PyTorch peak RSS | RSS ratio |")
print(f"| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for p, f in finch.items():
    t = torch.get(p)
    if not t: continue
    print(f"| {p} | {f['batch']}×{f['seq']} | {f['tokens_per_s']:.0f} | {t['tokens_per_s']:.0f} | {f['tokens_per_s']/t['tokens_per_s']:.2f}× "
          f"| {f['gflops']:.0f} | {f['peak_rss_mb']:.0f} MB | {t['peak_rss_mb']:.0f} MB | {f['peak_rss_mb']/t['peak_rss_mb']:.2f} |")
PY
rm -f "$out"
