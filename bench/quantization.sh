#!/usr/bin/env bash
# Issue 13's table: what each quantization costs on a trained checkpoint — perplexity change
# against fp32, file size and batch-1 decode ms/token — for int8, 4-bit symmetric and asymmetric
# with range scales and with the least-squares scale search, and 4-bit with the embedding / LM
# head kept at int8. One run, the same validation tokens for every row.
#
#   bench/quantization.sh --checkpoint DIR --data VAL.bin [--max-eval-tokens N]
#
# e.g. the README's Shakespeare model: `FINCH_DEMO_ITERS=2000 scripts/demo`, then
#   bench/quantization.sh --checkpoint checkpoints/shakespeare-tiny/best --data checkpoints/shakespeare-data/val.bin
# FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoint="" data="" limit=()
while [ $# -gt 0 ]; do
  case "$1" in
    --checkpoint) checkpoint="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --max-eval-tokens) limit=(--max-eval-tokens "$2"); shift 2 ;;
    *) echo "usage: bench/quantization.sh --checkpoint DIR --data VAL.bin [--max-eval-tokens N]" >&2; exit 2 ;;
  esac
done
if [ -z "$checkpoint" ] || [ -z "$data" ]; then
  echo "usage: bench/quantization.sh --checkpoint DIR --data VAL.bin [--max-eval-tokens N]" >&2; exit 2
fi

build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product generate >&2
bin="$("${build[@]}" --show-bin-path)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

variants=(
  "int8|--bits 8"
  "4-bit symmetric, range scales (ggml Q4_0)|--bits 4 --scheme symmetric --range-scales"
  "4-bit symmetric, searched scales|--bits 4 --scheme symmetric"
  "4-bit asymmetric, range scales (ggml Q4_1)|--bits 4 --scheme asymmetric --range-scales"
  "4-bit asymmetric, searched scales|--bits 4 --scheme asymmetric"
  "4-bit asymmetric, searched; embedding/head int8|--bits 4 --scheme asymmetric --embedding-bits 8"
)
results="$work/results.tsv"
echo "scoring fp32…" >&2
printf 'fp32\t%s\t%s\n' "$(stat -c %s "$checkpoint/model.safetensors")" \
  "$("$bin/generate" benchmark --checkpoint "$checkpoint" --data "$data" "${limit[@]}" --repeats 3 --json)" > "$results"
for index in "${!variants[@]}"; do
  name="${variants[$index]%%|*}" flags="${variants[$index]#*|}"
  echo "quantizing and scoring $name…" >&2
  # shellcheck disable=SC2086
  "$bin/generate" quantize --checkpoint "$checkpoint" --out "$work/$index" $flags >&2
  printf '%s\t%s\t%s\n' "$name" "$(stat -c %s "$work/$index/model.safetensors")" \
    "$("$bin/generate" benchmark --checkpoint "$work/$index" --data "$data" "${limit[@]}" --repeats 3 --json)" >> "$results"
done

python3 - "$results" <<'PY'
import json, os, sys
rows = []
for line in open(sys.argv[1]):
    name, size, result = line.rstrip("\n").split("\t")
    rows.append((name, int(size), json.loads(result)))
base_name, base_size, base = rows[0]
print(f"### quantization cost, {base['tokens_scored']} validation tokens scored\n")
print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end\n")
print("| weights | perplexity | Δppl vs fp32 | file MB | % of fp32 | decode ms/token | prefill ms |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for name, size, result in rows:
    change = 100 * (result["perplexity"] / base["perplexity"] - 1)
    print(f"| {name} | {result['perplexity']:.4f} | {change:+.2f}% | {size / 1e6:.2f} | {100 * size / base_size:.1f}% "
          f"| {result['decode_ms_p50']:.3f} | {result['prefill_ms']:.2f} |")
fours = [(name, size, result) for name, size, result in rows if name.startswith("4-bit")]
def verdict(row):
    change = 100 * (row[2]["perplexity"] / base["perplexity"] - 1)
    return (f"{row[0]}: Δppl {change:+.2f}% (goal ≤ 3%: {'met' if change <= 3 else 'NOT met'}), "
            f"file {100 * row[1] / base_size:.1f}% of fp32 (goal ≤ 17%: {'met' if row[1] <= 0.17 * base_size else 'NOT met'})")
# The goal is a pair (Δppl and size), so the best scheme is the lowest Δppl among files within the size goal;
# the lowest Δppl of all is shown too, since keeping the embedding in int8 can win on perplexity alone.
small = [row for row in fours if row[1] <= 0.17 * base_size]
lowest = min(fours, key=lambda row: row[2]["perplexity"])
if small:
    print(f"\n- best 4-bit within 17% of fp32: {verdict(min(small, key=lambda row: row[2]['perplexity']))}")
print(f"- lowest Δppl of any 4-bit scheme: {verdict(lowest)}")
PY
