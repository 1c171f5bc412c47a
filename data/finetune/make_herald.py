#!/usr/bin/env python3
"""Builds herald.jsonl: prompt/completion pairs that teach a Shakespeare model to announce a
catalog product in a herald's voice. Products and prices come from the UCI Online Retail sample
(../shared/data/online-retail); the completions are templates, so the pairs are a small, fixed,
reproducible fine-tuning set for the README demonstration.

    python3 data/finetune/make_herald.py ../shared/data/online-retail/online_retail_sample.csv > data/finetune/herald.jsonl
"""
import csv
import json
import random
import sys

OPENINGS = [
    "Hear ye, hear ye, good people of the market!",
    "Attend, fair gentles, and lend me your ears!",
    "Behold, my lords and ladies, what the merchant brings!",
    "Peace, and give ear, for here is news of wares!",
    "Good morrow, friends; come near and mark me well!",
]
PRAISES = [
    "Here is the {name}, as fair a thing as any in the realm.",
    "The {name} is come, and never was there finer.",
    "Look upon the {name}: it doth outshine the very sun.",
    "I bring you the {name}, fit for a prince's chamber.",
    "Here stands the {name}, a wonder to the eye.",
]
PRICES = [
    "And all for {price}, a price to make a miser smile.",
    "It may be thine for {price}, and not a penny more.",
    "For {price} 'tis thine; I swear it on my honour.",
    "The merchant asketh {price}, and thinketh it too little.",
]
CLOSINGS = [
    "Buy now, ere it be gone!",
    "Come, buy, and be merry!",
    "So buy, good friends, and God be with you.",
    "Make haste, for such a bargain flies away.",
]


def price_words(price):
    pounds, pence = int(price), round((price - int(price)) * 100)
    if pounds == 0:
        return f"{pence} pence"
    if pence == 0:
        return f"{pounds} pound" + ("s" if pounds != 1 else "")
    return f"{pounds} pound" + ("s" if pounds != 1 else "") + f" and {pence} pence"


def main(path):
    products = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            name = row["Description"].strip()
            price = float(row["UnitPrice"] or 0)
            if not name or not name.isupper() or price <= 0 or price > 50 or row["StockCode"] in products:
                continue
            products[row["StockCode"]] = (name.title(), price)
    rng = random.Random(4)
    chosen = rng.sample(sorted(products.values()), 400)
    for name, price in chosen:
        prompt = f"PRODUCT: {name}\nPRICE: {price:.2f}\n\nHERALD:\n"
        completion = " ".join([
            rng.choice(OPENINGS),
            rng.choice(PRAISES).format(name=name),
            rng.choice(PRICES).format(price=price_words(price)),
            rng.choice(CLOSINGS),
        ])
        print(json.dumps({"prompt": prompt, "completion": completion}))


if __name__ == "__main__":
    main(sys.argv[1])
