#!/usr/bin/env bash
# The int8 × int8 kernel against the previous one (4 tiles × ≤ 6 rows in 256-bit registers), one
# core, in one process (bench/q8a8_rows_harness.c): ms per product for 1…12 input rows on slm60m's
# 1536 × 512 and 512 × 2048 and a narrator head of 4717 × 384, weights in cache and from memory,
# and a byte-for-byte comparison of both kernels' outputs for 1…25 rows.
#   bench/q8a8_kernels.sh [--repeats N]
# The previous kernel is commit 976f3a8's file, taken from git and compiled under other names.
# Compiled with the clang of the Swift toolchain and the kernels' own release flags.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=40
if [ "${1:-}" = "--repeats" ]; then repeats="$2"; shift 2; fi
clang="$(dirname "$(command -v swift)")/clang"
[ -x "$clang" ] || clang=clang
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
git show 976f3a8:Sources/CKernels/Int8ActivationKernels.c > "$out/previous_kernel.c"
renamed=()
for name in gemm pack packed_bytes quantize_input available; do renamed+=("-Dfinch_q8a8_$name=previous_q8a8_$name"); done
flags=(-O3 -mavx2 -mfma -mf16c -ISources/CKernels/include)
"$clang" "${flags[@]}" "${renamed[@]}" -c -o "$out/previous_kernel.o" "$out/previous_kernel.c"
"$clang" "${flags[@]}" -o "$out/harness" bench/q8a8_rows_harness.c "$out/previous_kernel.o" \
  Sources/CKernels/Int8ActivationKernels.c -lm
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c 0 "$out/harness" "$repeats"
