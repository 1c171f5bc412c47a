#!/usr/bin/env bash
# Issue 10's embedding benchmark: all-MiniLM-L6-v2 on every product description of the Online
# Retail catalogue (one per stock code, cleaned as bench/retail_descriptions.py does), Finch
# (`recommend embed-benchmark`) next to sentence-transformers with torch at 2 threads in the same
# run: sentences/s (best of --repeats) and one query sentence's latency (p50/p95), plus the largest
# difference between the two sets of embeddings. Goals: ≥ 2× sentences/s, query ≤ 5 ms.
#   bench/embed.sh [CSV.xz] [REPEATS] [QUERY_RUNS]     (EMBED_ROUNDS alternating rounds, default 2)
#     (default data/online-retail/online_retail.csv.xz; needs scripts/setup-minilm and
#      pip install sentence-transformers)
# EMBED_PIN_CPU=N runs both pinned to CPU N (taskset), torch at 1 thread: one core each, a fairer
# comparison on a machine busy with other work (torch's spinning threads lose far more to contention).
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
pin=() threads=2
if [ -n "${EMBED_PIN_CPU:-}" ]; then pin=(taskset -c "$EMBED_PIN_CPU") threads=1; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/retail_descriptions.py "$csv" > "$work/texts.jsonl"
"$recommend" embed "$work/texts.jsonl" > "$work/finch.jsonl"
# Alternating rounds, the best of each kept: on a shared machine the load drifts between runs.
for _ in $(seq "${EMBED_ROUNDS:-2}"); do
  "${pin[@]}" "$recommend" embed-benchmark --repeats "$repeats" --query-runs "$query_runs" "$work/texts.jsonl" >> "$work/finch-results.jsonl"
  "${pin[@]}" python3 bench/embed_sentence_transformers.py "$work/texts.jsonl" --repeats "$repeats" --query-runs "$query_runs" \
    --threads "$threads" --compare "$work/finch.jsonl" >> "$work/reference-results.jsonl"
done
python3 - "$work/finch-results.jsonl" "$work/reference-results.jsonl" "$threads" <<'PY'
import json, sys
def best(path):
    runs = [json.loads(line) for line in open(path)]
    result = dict(runs[0])
    result["sentencesPerSecond"] = max(r["sentencesPerSecond"] for r in runs)
    result["cpuSeconds"] = min(r["cpuSeconds"] for r in runs)
    for key in ("queryP50Milliseconds", "queryP95Milliseconds"):
        result[key] = min(r[key] for r in runs)
    return result
finch, reference = best(sys.argv[1]), best(sys.argv[2])
threads = int(sys.argv[3])
print(f"{finch['sentences']} product descriptions, {finch['tokens']} tokens; query of {finch['queryTokens']} tokens")
print(f"| | Finch | sentence-transformers (torch, {threads} thread{'s' if threads > 1 else ''}) | ratio |")
print("| --- | --- | --- | --- |")
print(f"| catalogue, sentences/s | {finch['sentencesPerSecond']:.0f} | {reference['sentencesPerSecond']:.0f} "
      f"| {finch['sentencesPerSecond'] / reference['sentencesPerSecond']:.2f}× |")
print(f"| catalogue, CPU seconds (all threads) | {finch['cpuSeconds']:.2f} | {reference['cpuSeconds']:.2f} "
      f"| {reference['cpuSeconds'] / finch['cpuSeconds']:.2f}× |")
for key, name in (("queryP50Milliseconds", "p50"), ("queryP95Milliseconds", "p95")):
    print(f"| one query, {name} ms | {finch[key]:.2f} | {reference[key]:.2f} | {reference[key] / finch[key]:.2f}× |")
print(f"largest |difference| between the embeddings: {reference['maxAbsDifference']:.2e}")
PY
