#!/usr/bin/env bash
# Issue 10's import benchmark: `recommend import` of the full Online Retail file (541,909 rows,
# .csv.xz) into a new shop database, then a re-import of the same file (which changes nothing),
# then the loads the recommenders do (`store-bench`). Next to them, in the same run: the reference's
# cleaning alone (`read_rows` of recsys_reference.py, Python, no database) and Python's sqlite3
# reading the same purchase lines back. Best of --runs for each; wall and CPU seconds.
#
#   bench/import.sh [--csv FILE] [--runs 3]
#
# The reference script is looked for in $FINCH_SHARED/bench (default ../shared/bench, or
# ../../shared/bench from a worktree); its column
# is skipped without it. FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
set -euo pipefail
cd "$(dirname "$0")/.."
csv=data/online-retail/online_retail.csv.xz runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --csv) csv="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: bench/import.sh [--csv FILE] [--runs N]" >&2; exit 2 ;;
  esac
done
shared="${FINCH_SHARED:-../shared}"
[ -d "$shared" ] || [ -n "${FINCH_SHARED:-}" ] || shared=../../shared  # from a worktree under wt/
reference="$shared/bench/recsys_reference.py"

scripts/setup
build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product recommend >&2
"${build[@]}" --product store-bench >&2
bin="$("${build[@]}" --show-bin-path)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "wall user+sys" of a command, its output discarded.
measure() {
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/time"
}
# Best (lowest wall) of $runs measurements of a command; $1 = "fresh" removes the database first.
best() {
  local mode="$1"; shift
  local bestline=""
  for _ in $(seq "$runs"); do
    [ "$mode" = fresh ] && rm -f "$work/shop.sqlite" "$work/shop.sqlite-wal" "$work/shop.sqlite-shm"
    line=$(measure "$@")
    if [ -z "$bestline" ] || awk -v a="$line" -v b="$bestline" 'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[1] < y[1]) }'; then
      bestline="$line"
    fi
  done
  echo "$bestline"
}

rows=$(xz -dcf "$csv" | python3 -c "import csv, sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes wall times noisy)"
echo "file: $csv, $rows rows"
printf "%-44s %8s %8s %12s\n" "step (best of $runs)" "wall s" "CPU s" "rows/s"
row() { printf "%-44s %8s %8s %12s\n" "$1" "$2" "$3" "$(awk -v r="$rows" -v s="$2" 'BEGIN { printf "%.0f", r / s }')"; }

read -r wall cpu <<<"$(best fresh "$bin/recommend" import --csv "$csv" --db "$work/shop.sqlite")"
row "Finch: recommend import (new database)" "$wall" "$cpu"
finch_import=$wall
read -r wall cpu <<<"$(best keep "$bin/recommend" import --csv "$csv" --db "$work/shop.sqlite")"
row "Finch: re-import, nothing changes" "$wall" "$cpu"
if [ -f "$reference" ]; then
  read -r wall cpu <<<"$(best keep python3 -c "
import sys; sys.path.insert(0, '$(dirname "$reference")')
import recsys_reference
recsys_reference.read_rows('$csv')")"
  row "Python: reference read_rows (no database)" "$wall" "$cpu"
  echo "ratio: Python's cleaning alone / Finch's whole import = $(awk -v p="$wall" -v f="$finch_import" 'BEGIN { printf "%.2f", p / f }')x"
else
  echo "(reference read_rows skipped: $reference not found)"
fi

echo
echo "loads (best of 5):"
"$bin/store-bench" --db "$work/shop.sqlite" --runs 5
python3 - "$work/shop.sqlite" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    rows = c.execute("SELECT l.position, i.customer_id, l.invoice_no, l.stock_code, l.date, l.quantity, l.unit_price, "
                     "l.description, i.country FROM purchase_lines l JOIN invoices i ON i.invoice_no = l.invoice_no "
                     "ORDER BY l.position").fetchall()
    best = min(best, time.perf_counter() - t)
print('{"load": "python sqlite3 fetchall, same lines", "seconds": %.4f, "count": %d}' % (best, len(rows)))
PY
echo "goal: import of the full file <= 20 s on 2 cores: $( awk -v f="$finch_import" 'BEGIN { print (f <= 20 ? "met" : "NOT met") }') ($finch_import s)"
