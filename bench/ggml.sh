#!/usr/bin/env bash
# Issue 13's anchor: batch-1 decode of the same random slm60m in ggml (the engine under llama.cpp,
# its examples/gpt-2 at 2 threads) and in Finch, fp32 / f16 / Q8_0 / Q5_0 / Q4_1 / Q4_0 against
# Finch's fp32 / int8 / 4-bit symmetric / 4-bit asymmetric, in one run, with file sizes.
#
#   bench/ggml.sh [--ggml-git DIR] [--work DIR] [--tokens N] [--runs N] [--threads N]
#
# ggml's source comes from a bare git directory (--ggml-git, e.g. a fetched mirror) or, without
# one, from `git clone https://github.com/ggerganov/ggml`; it is unpacked and built with cmake
# under --work (default /tmp/finch-ggml, reused by later runs), never inside this repository.
# The checkpoint is converted here (not with ggml's convert-h5-to-ggml.py, which transposes only
# mlp.c_proj): ggml's gpt-2 wants every projection as [out, in], Hugging Face's Conv1D stores
# [in, out], so all four are transposed. Decode-only: a one-token prompt and --tokens new tokens
# (128), ggml's "ms per token" of its predict time and Finch's decode p50, each the best of --runs
# (3), at --threads (2) threads, and beside them the CPU ms of a token (see cpu_of). ggml's worker
# threads spin while they wait: on a machine shared with other work its wall times collapse
# (seconds per token at a load average of 18 on 2 cores) and at 2 threads its CPU time counts the
# spinning, so on a loaded machine compare CPU ms at --threads 1, and wall times only idle.
# Needs cmake, a C++ compiler, python3 with numpy and safetensors.
set -euo pipefail
cd "$(dirname "$0")/.."
ggml_git="" work=/tmp/finch-ggml tokens=128 runs=3 threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --ggml-git) ggml_git="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --tokens) tokens="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "usage: bench/ggml.sh [--ggml-git DIR] [--work DIR] [--tokens N] [--runs N] [--threads N]" >&2; exit 2 ;;
  esac
done
command -v cmake >/dev/null || { echo "error: cmake not found (apt-get install -y cmake)" >&2; exit 1; }

mkdir -p "$work"
if [ ! -f "$work/src/CMakeLists.txt" ]; then
  rm -rf "$work/src" && mkdir -p "$work/src"
  if [ -n "$ggml_git" ]; then
    git --git-dir="$ggml_git" archive HEAD | tar -x -C "$work/src"
  else
    git clone --depth 1 https://github.com/ggerganov/ggml "$work/src"
  fi
fi
echo "building ggml's gpt-2 example in $work/build…" >&2
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$work/build" --target gpt-2-backend gpt-2-quantize -j 2 >/dev/null
ggml_bin="$work/build/bin"

build=(swift build -c release ${FINCH_SCRATCH_PATH:+--scratch-path "$FINCH_SCRATCH_PATH"})
"${build[@]}" --product generate >&2
"${build[@]}" --product train >&2
bin="$("${build[@]}" --show-bin-path)"
models="$work/models"
rm -rf "$models" && mkdir -p "$models/random"
python3 -c "
import random, struct, sys
r = random.Random(0)
sys.stdout.buffer.write(struct.pack('<4096H', *(r.randrange(50257) for _ in range(4096))))" > "$models/random/train.bin"
"$bin/train" pretrain --preset slm60m --max-iters 0 --data "$models/random" --out "$models/slm60m" >/dev/null 2>&1

# ggml's gpt-2 file: magic, hyperparameters, the vocabulary, then each tensor (dims, name, type).
python3 - "$models/slm60m" data/gpt2/encoder.json "$models" <<'PY'
import json, struct, sys
import numpy as np
from safetensors.numpy import load_file

checkpoint, encoder_path, out = sys.argv[1:4]
config = json.load(open(f"{checkpoint}/config.json"))
tensors = {k.removeprefix("transformer."): v for k, v in load_file(f"{checkpoint}/model.safetensors").items()}
encoder = json.load(open(encoder_path, encoding="utf-8"))
printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
byte_of = {chr(b): b for b in printable}
extra = 0
for b in range(256):
    if b not in printable:
        byte_of[chr(256 + extra)] = b
        extra += 1
names = {"wte.weight": "model/wte", "wpe.weight": "model/wpe", "ln_f.weight": "model/ln_f/g", "ln_f.bias": "model/ln_f/b"}
for l in range(config["n_layer"]):
    for hf, gg in [("ln_1.weight", "ln_1/g"), ("ln_1.bias", "ln_1/b"), ("ln_2.weight", "ln_2/g"), ("ln_2.bias", "ln_2/b"),
                   ("attn.c_attn.weight", "attn/c_attn/w"), ("attn.c_attn.bias", "attn/c_attn/b"),
                   ("attn.c_proj.weight", "attn/c_proj/w"), ("attn.c_proj.bias", "attn/c_proj/b"),
                   ("mlp.c_fc.weight", "mlp/c_fc/w"), ("mlp.c_fc.bias", "mlp/c_fc/b"),
                   ("mlp.c_proj.weight", "mlp/c_proj/w"), ("mlp.c_proj.bias", "mlp/c_proj/b")]:
        names[f"h.{l}.{hf}"] = f"model/h{l}/{gg}"
for use_f16, path in [(0, f"{out}/ggml-f32.bin"), (1, f"{out}/ggml-f16.bin")]:
    with open(path, "wb") as f:
        f.write(struct.pack("i" * 7, 0x67676D6C, config["vocab_size"], config["n_positions"], config["n_embd"],
                            config["n_head"], config["n_layer"], use_f16))
        f.write(struct.pack("i", len(encoder)))
        for token, _ in sorted(encoder.items(), key=lambda item: item[1]):
            text = bytes(byte_of[c] for c in token)
            f.write(struct.pack("i", len(text)) + text)
        for name, gg in names.items():
            data = tensors[name]
            if name.endswith((".c_attn.weight", ".c_proj.weight", ".c_fc.weight")):
                data = data.T  # Conv1D [in, out] → [out, in]
            half = use_f16 and data.ndim == 2 and name != "wpe.weight"
            data = np.ascontiguousarray(data, dtype=np.float16 if half else np.float32)
            encoded = gg.encode()
            f.write(struct.pack("iii", data.ndim, len(encoded), 1 if half else 0))
            f.write(struct.pack("i" * data.ndim, *reversed(data.shape)))
            f.write(encoded)
            data.tofile(f)
PY
for type in q8_0 q5_0 q4_1 q4_0; do
  "$ggml_bin/gpt-2-quantize" "$models/ggml-f32.bin" "$models/ggml-$type.bin" "$type" >/dev/null
done
"$bin/generate" quantize --checkpoint "$models/slm60m" --out "$models/finch-int8" >&2
"$bin/generate" quantize --checkpoint "$models/slm60m" --out "$models/finch-q4-symmetric" --bits 4 --scheme symmetric >&2
"$bin/generate" quantize --checkpoint "$models/slm60m" --out "$models/finch-q4-asymmetric" --bits 4 --scheme asymmetric >&2

results="$work/results.tsv"
: > "$results"
# CPU seconds (user + sys) of a command, its output kept in $work/out. A run of --tokens new tokens
# minus one of 8 leaves the CPU time of the extra tokens alone: on a loaded machine the wall
# times stretch with the load, the CPU time of a single thread (--threads 1) hardly does.
cpu_of() {
  python3 -c 'import resource, subprocess, sys
with open(sys.argv[1], "wb") as out: subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL, check=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_utime + usage.ru_stime)' "$work/out" "$@"
}
per_token_cpu() { python3 -c "print(1000 * ($1 - $2) / ($tokens - 8))"; }
minimum() { python3 -c "print(min(float(x) for x in '$*'.split()))"; }
for type in f32 f16 q8_0 q5_0 q4_1 q4_0; do
  echo "running ggml $type…" >&2
  walls="" cpus=""
  for _ in $(seq "$runs"); do
    long=$(cpu_of "$ggml_bin/gpt-2-backend" -m "$models/ggml-$type.bin" -t "$threads" -n "$tokens" -p "The" -s 1)
    walls+=" $(sed -n 's/.*predict time = .* ms \/ \([0-9.]*\) ms per token.*/\1/p' "$work/out")"
    short=$(cpu_of "$ggml_bin/gpt-2-backend" -m "$models/ggml-$type.bin" -t "$threads" -n 8 -p "The" -s 1)
    cpus+=" $(per_token_cpu "$long" "$short")"
  done
  printf 'ggml %s\t%s\t%s\t%s\n' "$type" "$(stat -c %s "$models/ggml-$type.bin")" "$(minimum $walls)" "$(minimum $cpus)" >> "$results"
done
for name in slm60m finch-int8 finch-q4-symmetric finch-q4-asymmetric; do
  echo "running Finch $name…" >&2
  walls="" cpus=""
  for _ in $(seq "$runs"); do
    long=$(cpu_of "$bin/generate" benchmark --checkpoint "$models/$name" --prompt-tokens 1 --new-tokens "$tokens" --repeats 1 --threads "$threads" --json)
    walls+=" $(python3 -c "import json; print(json.load(open('$work/out'))['decode_ms_p50'])")"
    short=$(cpu_of "$bin/generate" benchmark --checkpoint "$models/$name" --prompt-tokens 1 --new-tokens 8 --repeats 1 --threads "$threads" --json)
    cpus+=" $(per_token_cpu "$long" "$short")"
  done
  printf 'Finch %s\t%s\t%s\t%s\n' "$name" "$(stat -c %s "$models/$name/model.safetensors")" "$(minimum $walls)" "$(minimum $cpus)" >> "$results"
done

python3 - "$results" "$threads" <<'PY'
import os, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
print(f"### slm60m batch-1 decode, {sys.argv[2]} thread(s), one run\n")
print(f"{os.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end\n")
print("| engine, weights | file MB | decode ms/token (wall) | CPU ms/token |")
print("| --- | --- | --- | --- |")
for name, size, ms, cpu in rows:
    print(f"| {name.replace('slm60m', 'fp32')} | {int(size) / 1e6:.1f} | {float(ms):.2f} | {float(cpu):.2f} |")
PY
