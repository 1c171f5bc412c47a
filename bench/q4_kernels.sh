#!/usr/bin/env bash
# The 4-bit VNNI multi-row kernel against the int8 × int8 one, one core, on slm60m's four matrix
# shapes (bench/q4_vnni_harness.c), for each number of input rows given (default 2 4 10 16 64):
#   bench/q4_kernels.sh [--repeats N] [ROWS…]
# Compiled with the clang of the Swift toolchain and the kernels' own release flags.
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=50
if [ "${1:-}" = "--repeats" ]; then repeats="$2"; shift 2; fi
rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(2 4 10 16 64)
clang="$(dirname "$(command -v swift)")/clang"
[ -x "$clang" ] || clang=clang
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$clang" -O3 -mavx2 -mfma -mf16c -ISources/CKernels/include -o "$out/harness" bench/q4_vnni_harness.c \
  Sources/CKernels/Q4VNNIKernels.c Sources/CKernels/Q4Kernels.c Sources/CKernels/Q4Quantize.c \
  Sources/CKernels/Int8ActivationKernels.c -lm
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${rows[@]}"; do "$out/harness" "$n" "$repeats"; done
