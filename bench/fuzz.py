#!/usr/bin/env python3
"""A seeded mutation suite for `train`, `generate` and `recommend`: every input format (safetensors
headers and data, config.json, adapter files, token files in nanoGPT and llm.c form, vocabulary
files, JSONL, CSV, a run's trainer state; Online Retail CSV and .xz, embedding JSONL and customer
lists in fuzz_recommend.py) mutated, FIFOs and endless devices in place of files, and every
numeric flag at its edges, each run against the command that reads it.

    bench/fuzz.py [--cases 300] [--seed 1] [--bin .build/release] [--timeout 60] [-v]

For each case it asserts: the exit status is 0 or 1 (never a signal, never another code, never a
hang past the timeout); on 1, stderr has exactly one line starting "error:" and that line names
the mutated file (or its directory) or the flag; no file that existed before the case changed
(SHA-256 before and after), except the run a successful `--resume` continues. The cases are drawn
from the full list with the seed, so a failure is reproduced with the same --seed and --cases.
Exit status 1 if any case fails.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

import fuzz_recommend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EDGES = ["0", "-1", "1000000", str(2**63 - 1), str(2**63), str(-2**63), "nan", "inf", "-inf", "1e308", "abc", ""]
WORK_COUNT_FLAGS = {"--max-iters", "--grad-accum", "--eval-iters", "--num-samples", "--repeats", "--steps",
                    "--warmup", "--max-new-tokens", "--n-layer", "--max-eval-tokens"}


class Fixtures:
    """The valid inputs every case starts from, built once with the binaries under test."""

    def __init__(self, work, binaries):
        self.work = work
        self.train = os.path.join(binaries, "train")
        self.generate = os.path.join(binaries, "generate")
        self.vocab = os.path.join(work, "vocab")
        shutil.copytree(os.path.join(ROOT, "data/gpt2"), self.vocab)
        self.text = os.path.join(work, "corpus.txt")
        with open(self.text, "w") as f:
            f.write(open(os.path.join(ROOT, "data/shakespeare/input.txt")).read()[:20_000])
        self.data = os.path.join(work, "data")
        self.run([self.train, "prepare", "--input", self.text, "--out", self.data, "--vocab", self.vocab])
        self.checkpoint = os.path.join(work, "checkpoint")
        self.tiny = ["--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "16"]
        self.quick = ["--max-iters", "2", "--eval-interval", "1", "--eval-iters", "1", "--batch-size", "2"]
        self.run([self.train, "--data", self.data, "--out", self.checkpoint, *self.tiny, *self.quick])
        self.int8 = os.path.join(work, "int8")
        self.run([self.generate, "quantize", "--checkpoint", self.checkpoint, "--out", self.int8])
        self.adapter = os.path.join(work, "adapter")
        self.run([self.train, "finetune", "--base", self.checkpoint, "--data", self.data, "--out", self.adapter,
                  "--lora-rank", "2", *self.quick])
        self.jsonl = os.path.join(work, "examples.jsonl")
        lines = open(os.path.join(ROOT, "data/finetune/herald.jsonl")).read().splitlines()[:40]
        with open(self.jsonl, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.csv = os.path.join(work, "rows.csv")
        with open(self.csv, "w") as f:
            f.write("id,text\n" + "".join(f'{i},"line {i}, ""quoted"" text"\n' for i in range(200)))

    @staticmethod
    def run(command):
        result = subprocess.run(command, capture_output=True)
        if result.returncode != 0:
            sys.exit(f"fuzz: setting up failed: {' '.join(command)}\n{result.stderr.decode(errors='replace')}")


# Mutations of file contents: each takes (bytes, rng) and returns new bytes.

def flip_bytes(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def truncate(data, rng):
    return data[:rng.randrange(len(data))] if data else data


def append_junk(data, rng):
    return data + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))


def safetensors_parts(data):
    length = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + length]), data[8 + length:]


def safetensors_join(header, body, raw_header=None):
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def header_edit(data, rng):
    """A plausible but wrong header: a shape, an offset or a dtype changed, a name duplicated."""
    header, body = safetensors_parts(data)
    names = [n for n in header if n != "__metadata__"]
    name = rng.choice(names)
    entry = header[name]
    choice = rng.randrange(7)
    if choice == 0:
        entry["shape"][rng.randrange(len(entry["shape"]))] = rng.choice([0, -1, 10**9, 2**62, 2**63 - 1])
    elif choice == 1:
        entry["data_offsets"][rng.randrange(2)] = rng.choice([-1, 0, 10**12, 2**63 - 1, len(body) + 4])
    elif choice == 2:
        entry["dtype"] = rng.choice(["I8", "F16", "BF16", "F64", "U8", "X9", "BOOL"])
    elif choice == 3:
        text = json.dumps(header)
        duplicate = json.dumps({name: entry})[1:-1]
        return safetensors_join(None, body, ("{" + duplicate + "," + text[1:]).encode())
    elif choice == 4:
        return data + b"\0" * rng.choice([1, 8, 4096])
    elif choice == 5:
        return struct.pack("<Q", rng.choice([0, 7, 2**40, 2**64 - 1, len(data)])) + data[8:]
    else:
        del header[name]
    return safetensors_join(header, body)


def json_edit(data, rng, numeric_keys):
    """A config file with one key set to an edge value, removed, or made unsupported."""
    try:
        config = json.loads(data)
    except ValueError:
        return flip_bytes(data, rng)
    key = rng.choice(numeric_keys + ["__remove__", "__other__"])
    if key == "__remove__":
        config.pop(rng.choice(list(config)), None)
    elif key == "__other__":
        config[rng.choice(["scale_attn_weights", "tie_word_embeddings", "add_cross_attention",
                           "use_dora", "n_inner", "model_type", "layer_norm_epsilon", "lora_dropout"])] = \
            rng.choice([False, True, None, "x", 0, -1, 1e308, [1]])
    else:
        config[key] = rng.choice([0, -1, 1, 3, 10**6, 10**9, 2**63 - 1, 2**64, 1e308, 0.5, "7", None, [], {}])
    text = json.dumps(config)
    if rng.random() < 0.2:
        text = text.replace("1e+308", "1e999")
    return text.encode()


CONFIG_KEYS = ["n_layer", "n_head", "n_embd", "n_positions", "n_ctx", "vocab_size", "layer_norm_epsilon"]
ADAPTER_KEYS = ["r", "lora_alpha", "lora_dropout"]


def token_edit(data, rng):
    """nanoGPT files: odd sizes, ids past the vocabulary; llm.c headers with wrong fields."""
    choice = rng.randrange(5)
    if choice == 0:
        return data + b"\x01"
    if choice == 1:
        data = bytearray(data)
        position = 2 * rng.randrange(len(data) // 2)
        data[position:position + 2] = struct.pack("<H", rng.choice([50257, 65535, 60000]))
        return bytes(data)
    tokens = data[:2 * rng.randint(0, len(data) // 2)]
    header = [0] * 256
    header[0] = 20240520
    header[1] = 1 if choice != 2 else rng.choice([0, 2, -1])
    header[2] = len(tokens) // 2 if choice != 3 else rng.choice([-1, 2**31 - 1, len(tokens) // 2 + 1, 0])
    return struct.pack("<256i", *header) + tokens


def file_cases(fx):
    """Cases that mutate one file of a copy of the fixtures; yields (description, builder)."""
    def sample_command(checkpoint, lora=None):
        command = [fx.generate, "--checkpoint", checkpoint, "--prompt", "O Romeo", "--max-new-tokens", "3",
                   "--vocab", fx.vocab]
        return command + (["--lora", lora] if lora else [])

    def benchmark_command(checkpoint, data=None):
        command = [fx.generate, "benchmark", "--checkpoint", checkpoint, "--prompt-tokens", "2", "--new-tokens", "2",
                   "--repeats", "1"]
        return command + (["--data", data] if data else [])

    def finetune_command(base, data, out):
        return [fx.train, "finetune", "--base", base, "--data", data, "--out", out, "--lora-rank", "2",
                "--vocab", fx.vocab, *fx.quick]

    def pretrain_command(data, out, init=None):
        command = [fx.train, "--data", data, "--out", out, *fx.quick]
        return command + (["--init-from", init] if init else fx.tiny)

    kinds = []
    for name in ["model.safetensors", "config.json"]:
        mutate_json = lambda d, r: json_edit(d, r, CONFIG_KEYS)
        mutators = [flip_bytes, truncate, append_junk, header_edit] if name.endswith("safetensors") else \
            [mutate_json, mutate_json, mutate_json, flip_bytes, truncate]
        for source, label in [(fx.checkpoint, "checkpoint"), (fx.int8, "int8")]:
            commands = [
                ("--checkpoint", lambda c, o: sample_command(c)),
                ("--checkpoint", lambda c, o: benchmark_command(c)),
            ]
            if label == "checkpoint":
                commands += [
                    ("--init-from", lambda c, o: pretrain_command(fx.data, o, init=c)),
                    ("--base", lambda c, o: finetune_command(c, fx.data, o)),
                    ("--base", lambda c, o: [fx.train, "merge", "--base", c, "--lora", fx.adapter, "--out", o]),
                    ("--checkpoint", lambda c, o: [fx.generate, "quantize", "--checkpoint", c, "--out", o]),
                ]
            kinds.append((f"{label}/{name}", source, name, mutators, commands))
    for name in ["adapter_model.safetensors", "adapter_config.json"]:
        mutate_json = lambda d, r: json_edit(d, r, ADAPTER_KEYS)
        mutators = [flip_bytes, truncate, append_junk, header_edit] if name.endswith("safetensors") else \
            [mutate_json, mutate_json, flip_bytes, truncate]
        commands = [("--lora", lambda a, o: sample_command(fx.checkpoint, lora=a)),
                    ("--lora", lambda a, o: [fx.train, "merge", "--base", fx.checkpoint, "--lora", a, "--out", o])]
        kinds.append((f"adapter/{name}", fx.adapter, name, mutators, commands))
    for name in ["train.bin", "val.bin"]:
        commands = [("--data", lambda d, o: pretrain_command(d, o)),
                    ("--data", lambda d, o: finetune_command(fx.checkpoint, d, o))]
        if name == "val.bin":
            commands.append(("--data", lambda d, o: benchmark_command(fx.checkpoint, os.path.join(d, "val.bin"))))
        kinds.append((f"data/{name}", fx.data, name, [token_edit, token_edit, truncate, append_junk], commands))
    for name in ["encoder.json", "vocab.bpe"]:
        commands = [("--vocab", lambda v, o: [fx.generate, "--checkpoint", fx.checkpoint, "--prompt", "hi",
                                              "--max-new-tokens", "2", "--vocab", v]),
                    ("--vocab", lambda v, o: [fx.train, "tokenize", "--vocab", v, fx.text]),
                    ("--vocab", lambda v, o: [fx.train, "prepare", "--input", fx.text, "--out", o, "--vocab", v])]
        kinds.append((f"vocab/{name}", fx.vocab, name, [flip_bytes, truncate, append_junk], commands))
    # A run continued with --resume: a failure must leave the run as it was.
    for name in ["trainer_state.json", "trainer_state.safetensors", "model.safetensors", "metrics.jsonl"]:
        def resume(r, o):
            return [fx.train, "--data", fx.data, "--out", r, "--resume", "--max-iters", "3",
                    "--eval-interval", "1", "--eval-iters", "1", "--batch-size", "2"]
        mutators = [flip_bytes, truncate, append_junk] + ([header_edit] if name.endswith("safetensors") else [])
        kinds.append((f"run/{name}", fx.checkpoint, name, mutators, [("--out", resume)]))
    for path, label, commands in [
        (fx.jsonl, "jsonl", [("--data", lambda f, o: finetune_command(fx.checkpoint, f, o)),
                             ("--jsonl", lambda f, o: [fx.train, "tokenize", "--jsonl", "--vocab", fx.vocab, f]),
                             ("--input", lambda f, o: [fx.train, "prepare", "--format", "jsonl", "--field", "prompt",
                                                       "--input", f, "--out", o, "--vocab", fx.vocab])]),
        (fx.csv, "csv", [("--input", lambda f, o: [fx.train, "prepare", "--format", "csv", "--input", f,
                                                   "--out", o, "--vocab", fx.vocab])]),
    ]:
        kinds.append((label, path, os.path.basename(path),
                      [flip_bytes, truncate, append_junk, lambda d, r: d.replace(b"\n", b"\r\n"),
                       lambda d, r: d.replace(b'"', b"", 1)], commands))
    kinds += fuzz_recommend.file_cases(fx, flip_bytes, truncate, append_junk)

    cases = []
    for label, source, name, mutators, commands in kinds:
        for flag, make in commands:
            for mutator in mutators:
                cases.append(("file", label, source, name, mutator, flag, make))
            cases.append(("fifo", label, source, name, None, flag, make))
    return cases


def flag_cases(fx):
    """Every numeric flag of every command at its edges, one flag per case."""
    out = "{out}"
    sample = [fx.generate, "--checkpoint", fx.checkpoint, "--prompt", "hi", "--vocab", fx.vocab, "--max-new-tokens", "2"]
    templates = [
        ([fx.train, "--data", fx.data, "--out", out, *fx.tiny, *fx.quick],
         ["--batch-size", "--grad-accum", "--max-iters", "--lr", "--min-lr", "--warmup-iters", "--lr-decay-iters",
          "--weight-decay", "--beta1", "--beta2", "--grad-clip", "--eval-interval", "--eval-iters", "--log-interval",
          "--seed", "--dropout", "--n-layer", "--n-head", "--n-embd", "--block-size"]),
        ([fx.train, "finetune", "--base", fx.checkpoint, "--data", fx.data, "--out", out, *fx.quick],
         ["--lora-rank", "--lora-alpha", "--lora-dropout", "--block-size", "--val-fraction", "--batch-size", "--lr"]),
        ([fx.train, "finetune", "--base", fx.checkpoint, "--data", fx.jsonl, "--vocab", fx.vocab, "--out", out,
          *fx.quick], ["--val-fraction", "--lora-rank"]),
        ([fx.train, "--data", fx.data, "--out", fx.checkpoint, "--resume", "--max-iters", "3"],
         ["--grad-clip", "--lr", "--batch-size", "--block-size", "--max-iters"]),
        ([fx.train, "benchmark", "--steps", "1", "--warmup", "0", "--batch", "1", "--seq", "8"],
         ["--batch", "--seq", "--steps", "--warmup", "--lora-rank"]),
        ([fx.train, "prepare", "--input", fx.text, "--out", out, "--vocab", fx.vocab], ["--val-fraction"]),
        (sample, ["--max-new-tokens", "--temperature", "--top-k", "--top-p", "--repetition-penalty", "--seed",
                  "--num-samples"]),
        ([fx.generate, "benchmark", "--checkpoint", fx.checkpoint, "--repeats", "1", "--prompt-tokens", "2",
          "--new-tokens", "2", "--data", os.path.join(fx.data, "val.bin")],
         ["--prompt-tokens", "--new-tokens", "--repeats", "--block", "--max-eval-tokens"]),
        ([fx.generate, "quantize", "--checkpoint", fx.checkpoint, "--out", out], ["--group-size"]),
    ]
    cases = []
    for template, flags, *others in templates + fuzz_recommend.flag_cases(fx):
        for flag in flags:
            for value in EDGES:
                cases.append(("flag", flag, template, value, *others))
    return cases


def hash_tree(root):
    hashes = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                hashes[path] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return hashes


def run_case(case, fx, rng, work, timeout):
    """Runs one case; returns None when it passes, else a description of the failure."""
    case_dir = tempfile.mkdtemp(dir=work, prefix="case-")
    out = os.path.join(case_dir, "out")
    flag = None
    names = []
    guarded = [fx.work]
    exempt = []
    stdin = subprocess.DEVNULL
    if case[0] in ("file", "fifo"):
        kind, label, source, name, mutator, flag, make = case
        if os.path.isdir(source):
            copy = os.path.join(case_dir, os.path.basename(source))
            shutil.copytree(source, copy)
        else:
            copy = os.path.join(case_dir, "input")
            os.makedirs(copy)
            shutil.copy(source, copy)
        target = os.path.join(copy, name)
        if kind == "fifo":
            os.remove(target)
            os.mkfifo(target)
            description = f"{label} as a FIFO"
        else:
            original = open(target, "rb").read()
            open(target, "wb").write(mutator(original, rng))
            description = f"{label} {getattr(mutator, '__name__', 'edit')}"
        command = make(copy if os.path.isdir(source) else target, out)
        names = [target, copy, flag]
        guarded.append(case_dir)
        # A --resume or an import that succeeds may change its own run or database.
        if label.startswith(("run/", "import/")):
            exempt.append(copy)
    else:
        _, flag, template, value, *others = case
        command = [part.replace("{out}", out) for part in template]
        if flag in command:
            index = command.index(flag)
            command[index + 1] = value
        else:
            command += [flag, value]
        # "--flag=value" keeps a negative number from reading as a flag.
        index = command.index(flag)
        command[index:index + 2] = [f"{flag}={value}"]
        names = [flag, *(others[0] if others else [])]
        description = f"{flag}={value!r}"
        if "--resume" in command:
            exempt.append(fx.checkpoint)
    before = {}
    for root in guarded:
        before.update(hash_tree(root))
    # A count of work (steps, samples, runs) set to a million runs as long as asked: only a
    # crash or a changed file is a failure there, not the time.
    long_work = case[0] == "flag" and flag in WORK_COUNT_FLAGS
    try:
        result = subprocess.run(command, capture_output=True, timeout=min(timeout, 5) if long_work else timeout,
                                stdin=stdin)
    except subprocess.TimeoutExpired:
        if long_work and fx.checkpoint in exempt:
            restore_checkpoint(fx)
        shutil.rmtree(case_dir, ignore_errors=True)
        if long_work:
            return None
        return description, f"hung (no exit within {timeout} s): {' '.join(command)}"
    stderr = result.stderr.decode(errors="replace")
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    problem = None
    if result.returncode < 0:
        problem = f"killed by signal {-result.returncode}: {stderr.strip().splitlines()[-1:] }"
    elif result.returncode not in (0, 1):
        problem = f"exit status {result.returncode}: {stderr.strip()[:300]}"
    elif result.returncode == 1:
        if len(errors) != 1:
            problem = f"{len(errors)} error lines: {stderr.strip()[:400]!r}"
        elif not any(name and name in errors[0] for name in names):
            problem = f"the error names neither {names[0]} nor {flag}: {errors[0]}"
    if problem is None:
        exempt_roots = exempt if result.returncode == 0 else []
        after = {}
        for root in guarded:
            after.update(hash_tree(root))
        for path, digest in before.items():
            if any(path.startswith(root + os.sep) for root in exempt_roots):
                continue
            if after.get(path) != digest:
                problem = f"changed an existing file: {path} (exit {result.returncode})"
                break
    if fx.checkpoint in exempt and result.returncode == 0 and case[0] == "flag":
        # A --resume that succeeded moved the shared run on: put it back for later cases.
        restore_checkpoint(fx)
    shutil.rmtree(case_dir, ignore_errors=True)
    return (description, f"{problem}\n      command: {' '.join(command)}") if problem else None


def restore_checkpoint(fx):
    shutil.rmtree(fx.checkpoint)
    shutil.copytree(fx.checkpoint + ".pristine", fx.checkpoint)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build/release"))
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="finch-fuzz-")
    try:
        fx = Fixtures(work, args.bin)
        fuzz_recommend.setup(fx, args.bin)
        shutil.copytree(fx.checkpoint, fx.checkpoint + ".pristine")
        fifo = os.path.join(work, "fifo")
        os.mkfifo(fifo)
        special = [[fx.train, "tokenize", "--vocab", fx.vocab, "/dev/zero"],
                   [fx.train, "tokenize", "--jsonl", "--vocab", fx.vocab, "/dev/zero"],
                   [fx.train, "prepare", "--out", os.path.join(work, "zero"), "--vocab", fx.vocab, "--input", "/dev/zero"],
                   [fx.train, "prepare", "--out", os.path.join(work, "zero"), "--vocab", fx.vocab, "--input", fifo],
                   [fx.train, "finetune", "--base", fx.checkpoint, "--out", os.path.join(work, "zero"),
                    "--data", fifo + ".jsonl"],
                   [fx.generate, "--checkpoint", fx.checkpoint, "--vocab", fx.vocab, "--prompt-file", fifo]]
        special = [(command, command[-1]) for command in special] + fuzz_recommend.special_cases(fx, work)
        os.mkfifo(fifo + ".jsonl")
        everything = file_cases(fx) + flag_cases(fx)
        # Every flag edge and file mutation kind appears before any repeats; beyond the list, the
        # file mutations are drawn again (new random bytes each time).
        rng.shuffle(everything)
        chosen = everything[:args.cases]
        file_kinds = [case for case in everything if case[0] == "file"]
        while len(chosen) < args.cases:
            chosen.append(rng.choice(file_kinds))
        chosen = special + chosen
        failures = [failure for failure in [vocabulary_through_path(fx, args.bin, work)] if failure]
        for number, case in enumerate(chosen, 1):
            if isinstance(case, tuple) and isinstance(case[0], list):
                failure = run_special(*case, args.timeout)
            else:
                failure = run_case(case, fx, rng, work, args.timeout)
            if failure:
                failures.append(failure)
                print(f"FAIL {number}: {failure[0]}: {failure[1]}", flush=True)
            elif args.verbose:
                print(f"ok   {number}", flush=True)
        print(f"fuzz: {len(chosen)} cases (seed {args.seed}), {len(failures)} failed")
        sys.exit(1 if failures else 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def vocabulary_through_path(fx, binaries, work):
    """Every `train` subcommand with a --vocab default, found through $PATH from a directory with
    no data/gpt2, finds the project's vocabulary beside its executable."""
    cwd = tempfile.mkdtemp(dir=work)
    tokens = os.path.join(cwd, "tokens.txt")
    environment = dict(os.environ, PATH=os.path.abspath(binaries) + os.pathsep + os.environ.get("PATH", ""))
    for command in [["train", "tokenize", fx.text], ["train", "detokenize", tokens],
                    ["train", "prepare", "--input", fx.text, "--out", "prepared"],
                    ["train", "finetune", "--base", fx.checkpoint, "--data", fx.jsonl, "--out", "tuned", *fx.quick]]:
        result = subprocess.run(command, capture_output=True, cwd=cwd, env=environment)
        if result.returncode != 0:
            return "vocabulary through $PATH", f"{' '.join(command)} in {cwd}: {result.stderr.decode(errors='replace')[-300:]}"
        if command[1] == "tokenize":
            open(tokens, "wb").write(result.stdout)
    return None


def run_special(command, path, timeout):
    """An endless input, a FIFO or a path that cannot be used: one error line naming it."""
    try:
        result = subprocess.run(command, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return path, f"hung: {' '.join(command)}"
    errors = [line for line in result.stderr.decode(errors="replace").splitlines() if line.startswith("error:")]
    if result.returncode != 1 or len(errors) != 1 or path not in errors[0]:
        return path, f"exit {result.returncode}, errors {errors}: {' '.join(command)}"
    return None


if __name__ == "__main__":
    main()
