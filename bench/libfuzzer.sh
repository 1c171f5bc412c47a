#!/usr/bin/env bash
# Coverage-guided fuzzing of Finch's file parsers with libFuzzer and AddressSanitizer:
# safetensors headers and data, config.json, adapter_config.json, token files, fine-tuning JSONL,
# CSV, the BPE round trip and WordPiece (targets in Benchmarks/ParserFuzz/ParserTargets.swift).
#
#   bench/libfuzzer.sh [SECONDS_PER_TARGET=180] [TARGET…]
#
# Builds `parser-fuzz` in debug (overflow and bounds checks on, so what -Ounchecked would wrap
# silently is a crash here) with `-sanitize=address` and libFuzzer's coverage counters, linked
# against the Swift toolchain's own libclang_rt.fuzzer_no_main. Each target starts from its
# committed corpus in bench/fuzz-corpus/TARGET, and the inputs that add coverage are merged back;
# a crash is saved as bench/fuzz-corpus/crash-TARGET-* and stops the script. `parser-fuzz TARGET
# FILE…` in an ordinary build replays a corpus (scripts/test does, as a regression test).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors config adapter-config tokens jsonl csv bpe wordpiece)

swift_bin=$(dirname "$(readlink -f "$(command -v swift)")")
runtime=$(find "$swift_bin/../lib" -name 'libclang_rt.fuzzer_no_main-x86_64.a' | head -n 1)
if [ -z "$runtime" ]; then
  echo "libfuzzer: no libclang_rt.fuzzer_no_main in the Swift toolchain; install one (Debian: libclang-rt-14-dev)" >&2
  exit 1
fi
swift build --build-path .build/fuzz --product parser-fuzz \
  -Xswiftc -sanitize=address \
  -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
  -Xswiftc -DLIBFUZZER \
  -Xlinker "$runtime" -Xlinker -lstdc++ 2>&1 | grep -v "Cannot export local symbol" | tail -n 3
binary=.build/fuzz/debug/parser-fuzz
export FINCH_VOCAB=${FINCH_VOCAB:-data/gpt2}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
for target in "${targets[@]}"; do
  corpus=bench/fuzz-corpus/$target
  mkdir -p "$corpus"
  echo "libfuzzer: $target for ${seconds}s (corpus: $(ls "$corpus" | wc -l) inputs)" >&2
  # -rss_limit_mb/-malloc_limit_mb: an input that makes a parser allocate gigabytes is a finding.
  FINCH_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -malloc_limit_mb=2048 -artifact_prefix="bench/fuzz-corpus/crash-$target-" -print_final_stats=1 \
    "$corpus" 2>&1 | grep -E "^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|.*Fatal error)" || true
  if ls bench/fuzz-corpus/crash-"$target"-* >/dev/null 2>&1; then
    echo "libfuzzer: $target crashed; the input is in bench/fuzz-corpus/crash-$target-*" >&2
    exit 1
  fi
  # Keep the committed corpus small: only the inputs that add coverage.
  minimized=$(mktemp -d)
  FINCH_FUZZ_TARGET=$target "$binary" -merge=1 "$minimized" "$corpus" >/dev/null 2>&1
  if [ -n "$(ls "$minimized")" ]; then
    rm -rf "$corpus" && mv "$minimized" "$corpus"
  else
    rm -rf "$minimized"
  fi
done
