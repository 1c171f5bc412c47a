#!/usr/bin/env bash
# The int8 × int8 kernel against the previous one (4 tiles × ≤ 6 rows in 256-bit registers), one
# core, in one process (bench/q8a8_rows_harness.c): ms per product for 1…12 input rows on slm60m's
# 1536 × 512 and 512 × 2048 and a narrator head of 4717 × 384, weights in cache and from memory,
# and a byte-for-byte comparison of both kernels' outputs for 1…25 rows.
#   bench/q8a8_kernels.sh [--repeats N]
# Compiled with the clang of the Swift toolchain and the kernels' own release flags.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=40
if [ "${1:-}" = "--repeats" ]; then repeats="$2"; shift 2; fi
clang="$(dirname "$(command -v swift)")/clang"
[ -x "$clang" ] || clang=clang
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$clang" -O3 -mavx2 -mfma -mf16c -ISources/CKernels/include -o "$out/harness" bench/q8a8_rows_harness.c \
  bench/q8a8_previous_kernel.c Sources/CKernels/Int8ActivationKernels.c -lm
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c 0 "$out/harness" "$repeats"
