#!/usr/bin/env python3
"""Crash consistency of `train`: SIGKILL a training run at random moments, many of them during a
checkpoint save, resume it every time, and check that the run finished through all those kills is
bit-identical to one that was never interrupted.

    bench/crash_consistency.py [--kills 60] [--seed 1] [--train .build/release/train]

Each round starts the run (`--resume` once a checkpoint exists), waits a random time and kills it
with SIGKILL. A round fails when the resume is refused, when the directory is left without a
complete checkpoint set (model, trainer state and moments at one step), or when a run exits with
a signal. After the last kill the run is completed, and its model.safetensors and
trainer_state.safetensors must equal the uninterrupted run's byte for byte. Prints one line per
round and a summary; exit status 1 on any failure.
"""
import argparse
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def safetensors_step(path):
    """The "step" metadata of a Finch safetensors file, or None."""
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
    return header.get("__metadata__", {}).get("step")


def checkpoint_step(out):
    """The step of the complete checkpoint in `out` (after the recovery a resume performs), or
    raises when its files disagree."""
    state = json.load(open(os.path.join(out, "trainer_state.json")))
    steps = {
        "trainer_state.json": str(state["step"]),
        "model.safetensors": safetensors_step(os.path.join(out, "model.safetensors")),
        "trainer_state.safetensors": safetensors_step(os.path.join(out, "trainer_state.safetensors")),
    }
    if len(set(steps.values())) != 1:
        raise AssertionError(f"checkpoint files disagree: {steps}")
    return int(state["step"])


def wait_for_save(out, process, deadline):
    while time.time() < deadline and process.poll() is None:
        try:
            names = os.listdir(out)
        except FileNotFoundError:
            names = []
        if any(".tmp-" in name for name in names):
            return
        time.sleep(0.0005)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train", default=os.path.join(ROOT, ".build/release/train"))
    parser.add_argument("--steps", type=int, default=40, help="steps of the whole run")
    parser.add_argument("--max-wait", type=float, default=2.5, help="longest wait before a kill, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="finch-crash-")
    data = os.path.join(work, "data")
    with open(os.path.join(work, "corpus.txt"), "w") as f:
        f.write(open(os.path.join(ROOT, "data/shakespeare/input.txt")).read()[:200_000])
    subprocess.run([args.train, "prepare", "--input", os.path.join(work, "corpus.txt"), "--out", data],
                   check=True, capture_output=True)
    # Small enough to train fast, large enough (about 40 MB per save with the moments) that
    # many kills land inside a save; a save every step.
    flags = ["--data", data, "--n-layer", "2", "--n-head", "2", "--n-embd", "64", "--block-size", "32",
             "--batch-size", "4", "--max-iters", str(args.steps), "--eval-interval", "1", "--eval-iters", "1",
             "--log-interval", "1", "--seed", "7", "--dropout", "0.1"]

    reference = os.path.join(work, "reference")
    subprocess.run([args.train, *flags, "--out", reference], check=True, capture_output=True)

    out = os.path.join(work, "killed")
    failures = []
    during_save = 0
    for round_number in range(1, args.kills + 1):
        started = os.path.exists(os.path.join(out, "trainer_state.json")) or \
            os.path.exists(os.path.join(out, ".commit-journal.json"))
        command = [args.train, *flags, "--out", out] + (["--resume"] if started else [])
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if round_number % 3 == 0:
            time.sleep(rng.uniform(0.05, args.max_wait))
        else:
            # Two rounds in three aim at a save: wait until a save has begun (a temporary file
            # appears), then kill within the next few milliseconds.
            wait_for_save(out, process, deadline=time.time() + args.max_wait * 4)
            time.sleep(rng.uniform(0, 0.03))
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate()
        leftovers = [name for name in os.listdir(out)] if os.path.isdir(out) else []
        in_save = any(".tmp-" in name or name == ".commit-journal.json" for name in leftovers)
        during_save += in_save
        status = process.returncode
        note = ""
        if status not in (-signal.SIGKILL, 0):
            message = stderr.decode(errors="replace").strip().splitlines()
            failures.append(f"round {round_number}: exit {status}: {message[-1] if message else ''}")
            note = "FAIL"
        elif status == 0:
            note = "finished before the kill; starting over"
            shutil.rmtree(out)
        print(f"round {round_number:3d}: killed {'during a save' if in_save else 'between saves'} "
              f"(exit {status}) {note}", flush=True)

    # Finish the run and compare it with the uninterrupted one.
    started = os.path.exists(os.path.join(out, "trainer_state.json")) or \
        os.path.exists(os.path.join(out, ".commit-journal.json"))
    finish = subprocess.run([args.train, *flags, "--out", out] + (["--resume"] if started else []),
                            capture_output=True)
    if finish.returncode != 0:
        failures.append(f"final resume: exit {finish.returncode}: {finish.stderr.decode(errors='replace').strip()}")
    else:
        try:
            step = checkpoint_step(out)
            if step != args.steps:
                failures.append(f"final run stopped at step {step}, not {args.steps}")
        except (AssertionError, OSError, ValueError) as error:
            failures.append(f"final checkpoint: {error}")
        for name in ["model.safetensors", "trainer_state.safetensors", "best/model.safetensors"]:
            a = open(os.path.join(reference, name), "rb").read()
            b = open(os.path.join(out, name), "rb").read()
            if a != b:
                failures.append(f"{name} differs from the uninterrupted run's")
        stale = [name for name in os.listdir(out) if ".tmp-" in name]
        if stale:
            failures.append(f"stale temporaries left: {stale}")
    print(f"{args.kills} kills ({during_save} during a save): {len(failures)} failures")
    for failure in failures:
        print("  " + failure)
    if args.keep:
        print(f"work directory: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
