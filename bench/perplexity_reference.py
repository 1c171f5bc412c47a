#!/usr/bin/env python3
"""Writes Tests/GPTTests/Fixtures/perplexity-reference.json: PyTorch's perplexity (bench/torch_gpt.py ppl)
of the golden tiny-gpt2 checkpoint on a token stream that PerplexityTests regenerates in Swift.

The stream is SeededGenerator(seed).nextInt(below: vocab) repeated `count` times, reimplemented here
(xoshiro256** seeded through SplitMix64, Lemire's bounded draw) so both sides score the same ids
without committing the data; the fixture keeps the first ids and their sum so the test can prove it.

  python3 bench/perplexity_reference.py        (needs torch, numpy, safetensors)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

MASK = (1 << 64) - 1
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKPOINT = os.path.join(ROOT, "Tests/GPTTests/Fixtures/tiny-gpt2")
OUTPUT = os.path.join(ROOT, "Tests/GPTTests/Fixtures/perplexity-reference.json")
SEED, COUNT, VOCAB = 20240520, 211, 1000
BLOCKS = [64, 65, 16]  # the context (default), context + 1 (full windows), a short block


class SeededGenerator:
    def __init__(self, seed):
        self.split = seed

        def nxt():
            self.split = (self.split + 0x9E3779B97F4A7C15) & MASK
            z = self.split
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            return z ^ (z >> 31)

        self.s = [nxt() for _ in range(4)]

    def next(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & MASK
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def next_int(self, bound):
        product = self.next() * bound
        if product & MASK < bound:
            threshold = ((1 << 64) - bound) % bound
            while product & MASK < threshold:
                product = self.next() * bound
        return product >> 64


def main():
    generator = SeededGenerator(SEED)
    ids = [generator.next_int(VOCAB) for _ in range(COUNT)]
    cases = []
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "stream.bin")
        np.array(ids, dtype=np.uint16).tofile(data)
        for block in BLOCKS:
            line = subprocess.run([sys.executable, os.path.join(ROOT, "bench/torch_gpt.py"), "ppl",
                                   "--checkpoint", CHECKPOINT, "--data", data, "--block", str(block)],
                                  check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            result = json.loads(line)
            cases.append({"block": block, "perplexity": result["perplexity"], "mean_nll": result["mean_nll"],
                          "tokens_scored": result["tokens_scored"]})
    reference = {"generator": "SeededGenerator(seed).nextInt(below: vocab)", "seed": SEED, "count": COUNT,
                 "vocab": VOCAB, "first_ids": ids[:8], "id_sum": sum(ids), "cases": cases}
    with open(OUTPUT, "w") as f:
        json.dump(reference, f, indent=2)
        f.write("\n")
    print(json.dumps(reference))


if __name__ == "__main__":
    main()
