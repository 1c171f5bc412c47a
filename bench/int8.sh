#!/usr/bin/env bash
# Int8 weight kernels (issue 6): the batch-1 int8 kernel against cblas_sgemv on the float weights
# per slm60m shape and for a whole decode step, multiply(rows:) against cblas_sgemm for prefill,
# and the group-size trade-off (error and speed). Builds in release and runs it; arguments go to
# int8-bench (--quick, --section groups|decode|prefill, --group-size N, --prefill-rows N).
# FINCH_SCRATCH_PATH, when set, is passed to swift build as --scratch-path.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product int8-bench
exec "$("${build[@]}" --show-bin-path)/int8-bench" "$@"
