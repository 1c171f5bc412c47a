#!/usr/bin/env python3
"""PyTorch twin of `train pretrain`, for the quality comparison of issue 5.

Trains torch_gpt.py's GPT (same architecture) from a Finch checkpoint written at step 0
(`train pretrain --max-iters 0`), on the same train.bin/val.bin, drawing the *same* batches:
Finch's SeededGenerator (xoshiro256** seeded by SplitMix64, Lemire's bounded draw) is
reproduced here bit for bit. Schedule, AdamW groups, clipping and evaluation batches are
Finch's too, so the two loss curves differ only by floating-point rounding.

  torch_train.py --init DIR --data DIR --out metrics.jsonl [--batch-size 8 --block-size 128 ...]
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from torch_gpt import GPT

MASK = (1 << 64) - 1


class SeededGenerator:
    """Finch's Sources/Tensor/Random.swift."""

    def __init__(self, seed):
        s = seed & MASK
        words = []
        for _ in range(4):
            s = (s + 0x9E3779B97F4A7C15) & MASK
            z = s
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            words.append(z ^ (z >> 31))
        self.s = words

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    def next(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def next_int(self, bound):
        product = self.next() * bound
        low, high = product & MASK, product >> 64
        if low < bound:
            threshold = ((1 << 64) - bound) % bound
            while low < threshold:
                product = self.next() * bound
                low, high = product & MASK, product >> 64
        return high


def sample(data, batch, length, gen):
    rows = []
    for _ in range(batch):
        offset = gen.next_int(len(data) - length)
        rows.append(data[offset:offset + length + 1].astype(np.int64))
    w = torch.from_numpy(np.stack(rows))
    return w[:, :-1], w[:, 1:]


def rate(step, a):
    decay = a.lr_decay_iters or a.max_iters
    if step < a.warmup_iters:
        return a.lr * (step + 1) / (a.warmup_iters + 1)
    if step >= decay or decay <= a.warmup_iters:
        return a.min_lr
    progress = (step - a.warmup_iters) / (decay - a.warmup_iters)
    return a.min_lr + 0.5 * (1 + math.cos(math.pi * progress)) * (a.lr - a.min_lr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--block-size", type=int, default=0)
    ap.add_argument("--max-iters", type=int, default=2000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr", type=float, default=None)
    ap.add_argument("--warmup-iters", type=int, default=100)
    ap.add_argument("--lr-decay-iters", type=int, default=None)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--eval-interval", type=int, default=250)
    ap.add_argument("--eval-iters", type=int, default=20)
    ap.add_argument("--log-interval", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    a.min_lr = a.lr / 10 if a.min_lr is None else a.min_lr
    torch.set_num_threads(a.threads)

    cfg = json.load(open(a.init + "/config.json"))
    m = GPT(cfg["n_layer"], cfg["n_head"], cfg["n_embd"], cfg["n_positions"], cfg["vocab_size"])
    m.load_hf(a.init + "/model.safetensors")
    length = a.block_size or cfg["n_positions"]
    train = np.memmap(a.data + "/train.bin", dtype=np.uint16, mode="r")
    val = np.memmap(a.data + "/val.bin", dtype=np.uint16, mode="r")
    decay = [p for p in m.parameters() if p.dim() >= 2]
    rest = [p for p in m.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": rest, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    gen = SeededGenerator(a.seed)
    out = open(a.out, "w")

    @torch.no_grad()
    def evaluate():
        g = SeededGenerator(a.seed ^ 0x5EED0F5A11)
        total = 0.0
        for _ in range(a.eval_iters):
            x, y = sample(val, a.batch_size, length, g)
            total += F.cross_entropy(m(x).reshape(-1, cfg["vocab_size"]), y.reshape(-1)).item()
        return total / a.eval_iters

    start = time.time()
    out.write(json.dumps({"step": 0, "val_loss": evaluate(), "elapsed_s": 0.0}) + "\n")
    for step in range(a.max_iters):
        lr = rate(step, a)
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = sample(train, a.batch_size, length, gen)
        loss = F.cross_entropy(m(x).reshape(-1, cfg["vocab_size"]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if a.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(m.parameters(), a.grad_clip)
        opt.step()
        done = step + 1
        row = None
        if done % a.log_interval == 0 or done == a.max_iters:
            row = {"step": done, "loss": loss.item(), "lr": lr, "elapsed_s": time.time() - start}
            out.write(json.dumps(row) + "\n")
        if done % a.eval_interval == 0 or done == a.max_iters:
            v = evaluate()
            out.write(json.dumps({"step": done, "loss": loss.item(), "val_loss": v, "lr": lr,
                                  "elapsed_s": time.time() - start}) + "\n")
            print(f"torch step {done}: val loss {v:.4f}", flush=True)
        out.flush()


if __name__ == "__main__":
    main()
