"""tiktoken's side of bench/tokenizer.sh: the gpt2 encoding built offline from data/gpt2/gpt2.tiktoken
with GPT-2's pattern, timed on the same corpus as tokenizer-bench (the text repeated --copies times),
printing the same JSON fields (ids count and FNV-1a hash to check the ids agree)."""
import argparse
import base64
import json
import os
import time

import tiktoken

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def load_encoding(path):
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return tiktoken.Encoding(name="gpt2", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": 50256})


def fnv(ids):
    h = 0xcbf29ce484222325
    for i in ids:
        h = ((h ^ i) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "x")


def fastest(runs, body):
    body()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        body()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", default="data/gpt2")
    parser.add_argument("--input", default="data/shakespeare/input.txt")
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    enc = load_encoding(os.path.join(args.vocab, "gpt2.tiktoken"))
    with open(args.input, encoding="utf-8") as f:
        text = f.read() * args.copies
    mb = len(text.encode("utf-8")) / 1e6
    result = {}
    seconds = fastest(args.runs, lambda: result.update(ids=enc.encode_ordinary(text)))
    print(json.dumps({"impl": "tiktoken", "op": "encode", "threads": 1, "mb": mb, "seconds": seconds,
                      "mb_per_s": mb / seconds, "tokens": len(result["ids"]), "ids_fnv": fnv(result["ids"])}))
    paragraphs = [p + "\n\n" for p in text.split("\n\n")]
    threads = os.cpu_count() or 1
    seconds = fastest(args.runs, lambda: result.update(
        batches=enc.encode_ordinary_batch(paragraphs, num_threads=threads)))
    ids = [i for batch in result["batches"] for i in batch]
    print(json.dumps({"impl": "tiktoken", "op": "encodeBatch", "threads": threads, "mb": mb, "seconds": seconds,
                      "mb_per_s": mb / seconds, "tokens": len(ids), "ids_fnv": fnv(ids)}))


if __name__ == "__main__":
    main()
