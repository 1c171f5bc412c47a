#!/usr/bin/env python3
"""sentence-transformers' side of bench/embed.sh: all-MiniLM-L6-v2 on the same JSON-lines texts,
torch at 2 threads (--threads), timed like `recommend embed-benchmark` (best of --repeats over the whole file;
p50/p95 of one query sentence over --query-runs), printing the same JSON fields. With --compare,
also the largest |difference| between its embeddings and Finch's (`recommend embed` output).

    python3 bench/embed_sentence_transformers.py TEXTS.jsonl [--model DIR] [--compare FINCH.jsonl]
"""
import argparse
import json
import time

import numpy as np
import torch
from sentence_transformers import SentenceTransformer


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("texts")
    ap.add_argument("--model", default="models/all-MiniLM-L6-v2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--query-runs", type=int, default=200)
    ap.add_argument("--query", default="white hanging heart t-light holder")
    ap.add_argument("--batch-size", type=int, default=32, help="sentence-transformers' default")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--compare")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    texts = [json.loads(line)["text"] for line in open(args.texts, encoding="utf-8") if line.strip()]
    model = SentenceTransformer(args.model, device="cpu")
    model.encode(texts[:64], batch_size=args.batch_size)  # warm-up
    best, best_cpu, embeddings = float("inf"), float("inf"), None
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        embeddings = model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    model.encode([args.query])
    latencies = []
    for _ in range(args.query_runs):
        start = time.perf_counter()
        model.encode([args.query], normalize_embeddings=True)
        latencies.append((time.perf_counter() - start) * 1e3)
    latencies.sort()
    tokens = sum(len(ids) for ids in model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"])
    result = {"impl": "sentence-transformers", "sentences": len(texts), "tokens": tokens, "bestSeconds": best,
              "sentencesPerSecond": len(texts) / best, "cpuSeconds": best_cpu,
              "queryP50Milliseconds": latencies[len(latencies) // 2],
              "queryP95Milliseconds": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]}
    if args.compare:
        finch = np.array([json.loads(line)["embedding"] for line in open(args.compare)], dtype=np.float32)
        result["maxAbsDifference"] = float(np.abs(finch - embeddings).max())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
