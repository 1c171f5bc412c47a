#!/usr/bin/env bash
# Issue 3's tokenizer benchmark: GPT-2 encoding throughput of Finch (tokenizer-bench) next to
# tiktoken (bench/tokenizer_tiktoken.py, built offline from data/gpt2/gpt2.tiktoken) in the same
# run, on Tiny Shakespeare repeated --copies times: single-threaded encode, and batch encoding of
# its paragraphs on all cores. Checks that both produced the same ids. Goal: single thread ≥ 1.5×.
#   bench/tokenizer.sh [--copies N] [--runs N]      (needs: pip install tiktoken)
# FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
set -euo pipefail
cd "$(dirname "$0")/.."
build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product tokenizer-bench >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$("${build[@]}" --show-bin-path)/tokenizer-bench" "$@" >> "$out"
python3 bench/tokenizer_tiktoken.py "$@" >> "$out"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {(r["impl"], r["op"]): r for r in rows}
print("| operation | threads | MB | Finch MB/s | tiktoken MB/s | ratio | same ids |")
print("| --- | --- | --- | --- | --- | --- | --- |")
mismatch = False
for op in ("encode", "encodeBatch"):
    f, t = by[("finch", op)], by[("tiktoken", op)]
    same = f["tokens"] == t["tokens"] and f["ids_fnv"] == t["ids_fnv"]
    mismatch |= not same
    print(f"| {op} | {f['threads']} | {f['mb']:.1f} | {f['mb_per_s']:.1f} | {t['mb_per_s']:.1f} "
          f"| {f['mb_per_s'] / t['mb_per_s']:.2f}× | {'yes' if same else 'NO'} ({f['tokens']} tokens) |")
sys.exit(1 if mismatch else 0)
PY
