#!/usr/bin/env bash
# Issue 10's embedding benchmark: all-MiniLM-L6-v2 on every product description of the Online
# Retail catalogue (one per stock code, cleaned as bench/retail_descriptions.py does), Finch
# (`recommend embed-benchmark`) next to sentence-transformers with torch at 2 threads in the same
# run: sentences/s (best of --repeats) and one query sentence's latency (p50/p95), plus the largest
# difference between the two sets of embeddings. Goals: ≥ 2× sentences/s, query ≤ 5 ms.
#   bench/embed.sh [CSV.xz] [REPEATS] [QUERY_RUNS]
#     (default data/online-retail/online_retail.csv.xz; needs scripts/setup-minilm and
#      pip install sentence-transformers)
# FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
set -euo pipefail
cd "$(dirname "$0")/.."
csv=${1:-data/online-retail/online_retail.csv.xz}
repeats=${2:-3}
query_runs=${3:-200}
[ -f "$csv" ] || { echo "embed.sh: $csv not found (pass the Online Retail .csv.xz as the first argument)" >&2; exit 1; }
scripts/setup-minilm
build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product recommend >/dev/null
recommend="$("${build[@]}" --show-bin-path)/recommend"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/retail_descriptions.py "$csv" > "$work/texts.jsonl"
"$recommend" embed "$work/texts.jsonl" > "$work/finch.jsonl"
"$recommend" embed-benchmark --repeats "$repeats" --query-runs "$query_runs" "$work/texts.jsonl" > "$work/results.jsonl"
python3 bench/embed_sentence_transformers.py "$work/texts.jsonl" --repeats "$repeats" --query-runs "$query_runs" \
  --compare "$work/finch.jsonl" >> "$work/results.jsonl"
python3 - "$work/results.jsonl" <<'PY'
import json, sys
finch, reference = [json.loads(line) for line in open(sys.argv[1])]
print(f"{finch['sentences']} product descriptions, {finch['tokens']} tokens; query of {finch['queryTokens']} tokens")
print("| | Finch | sentence-transformers (torch, 2 threads) | ratio |")
print("| --- | --- | --- | --- |")
print(f"| catalogue, sentences/s | {finch['sentencesPerSecond']:.0f} | {reference['sentencesPerSecond']:.0f} "
      f"| {finch['sentencesPerSecond'] / reference['sentencesPerSecond']:.2f}× |")
for key, name in (("queryP50Milliseconds", "p50"), ("queryP95Milliseconds", "p95")):
    print(f"| one query, {name} ms | {finch[key]:.2f} | {reference[key]:.2f} | {reference[key] / finch[key]:.2f}× |")
print(f"largest |difference| between the embeddings: {reference['maxAbsDifference']:.2e}")
PY
