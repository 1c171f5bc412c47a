#!/usr/bin/env bash
# Kernel benchmark (issue 2): GFLOP/s of every matrix product of an slm60m training step through
# the Tensor API next to raw cblas_sgemm, and GB/s of the other kernels next to memcpy.
# Builds in release and runs it; arguments go to kernel-bench (--quick, --section gemm|memory).
# FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product kernel-bench
exec "$("${build[@]}" --show-bin-path)/kernel-bench" "$@"
