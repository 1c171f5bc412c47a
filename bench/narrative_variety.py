#!/usr/bin/env python3
"""Would more customer-level facts lift corpus distinct-2? A measurement without training.

Fills the first 5,000 completions of a narratives corpus (`recommend narratives-data`'s
train.jsonl) from their own prompts, then appends one sentence of a candidate customer-level
fact — the customer's other products, the units they took, what they spent, the date or month of
their last order, how long they have shopped — drawn from a real customer history of the shop
database (the training side: each customer's last invoice left out). A prompt does not say which
customer it belongs to, so each page (consecutive examples sharing a `recent:` line) is given its
own customer, shuffled with a fixed seed: the facts have the data's distribution, which is all
distinct-2 depends on. Prints distinct-2 (Li et al. 2016, words split at spaces, lower-cased, as
`NarrativeQuality.distinct2`) over the whole set and averaged over pages.

    python3 bench/narrative_variety.py --db shop.sqlite --corpus corpus/train.jsonl [--examples 5000]
"""
import argparse
import collections
import json
import random
import re
import sqlite3
import zlib

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
OCCASIONS = {"christmas": "Christmas", "easter": "Easter", "valentine": "Valentine's Day", "birthday": "birthdays",
             "wedding": "weddings", "halloween": "Halloween", "party": "parties", "summer": "summer"}


def distinct2(texts):
    seen, total = set(), 0
    for text in texts:
        words = text.lower().split()
        seen.update(zip(words, words[1:]))
        total += max(0, len(words) - 1)
    return len(seen) / total if total else 0.0


def per_page(texts, pages):
    grouped = collections.defaultdict(list)
    for page, text in zip(pages, texts):
        grouped[page].append(text)
    values = [distinct2(group) for group in grouped.values()]
    return sum(values) / len(values)


def counted(n, noun):
    return f"{n} {noun}{'' if n == '1' else 's'}"


def fill(example):
    """The completion with its slots filled from the prompt's own lines (`<recent>`: the first
    recent product that is not the recommended one)."""
    lines = example["prompt"].split("\n")
    sheet = dict(line.split(": ", 1) for line in lines if ": " in line)
    values = {"product": sheet["product"], "price": sheet["price"]}
    for line in lines:
        if not line.startswith("reason: "):
            continue
        fields = dict(re.findall(r"(\w+)=(.+?)(?= \w+=|$)", line[len("reason: "):]))
        if "with" in fields:
            values.setdefault("with", fields["with"])
            values.setdefault("customers", counted(fields["customers"], "customer"))
        if "to" in fields:
            values.setdefault("to", fields["to"])
            values.setdefault("similarity", fields["similarity"])
        if "times" in fields:
            times = fields["times"]
            values.setdefault("times", {"1": "once", "2": "twice"}.get(times, f"{times} times"))
        if "orders" in fields:
            values.setdefault("orders", counted(fields["orders"], "order"))
        if "buyers" in fields:
            values.setdefault("buyers", counted(fields["buyers"], "customer"))
    recent = [name for name in sheet["recent"].split("; ") if not name.startswith("(") and name != sheet["product"]]
    if recent:
        values["recent"] = recent[0]
    if "about" in sheet:
        about = dict(part.split("=", 1) for part in sheet["about"].replace(" (soon)", "").split(" ") if "=" in part)
        values.update({key: about[key] for key in ("colour", "material", "kind") if key in about})
        if "set" in about:
            values["set"] = "set of " + about["set"]
        if "occasion" in about:
            values["occasion"] = OCCASIONS[about["occasion"]]
    filled = re.sub(r"<(\w+)>", lambda match: values.get(match.group(1), match.group(0)), example["completion"])
    return sheet["recent"], sheet["product"], filled


def histories(db):
    """Per customer with two invoices or more, from all but the last: products newest first,
    units and spend per product, and the invoice dates."""
    names = dict(db.execute("SELECT stock_code, name FROM products"))
    invoices = collections.defaultdict(lambda: collections.defaultdict(list))
    for customer, invoice, date, code, quantity, price in db.execute(
            "SELECT i.customer_id, i.invoice_no, i.date, l.stock_code, l.quantity, l.unit_price "
            "FROM purchase_lines l JOIN invoices i USING (invoice_no)"):
        invoices[customer][(date, invoice)].append((code, quantity, price))
    result = {}
    for customer, by_invoice in invoices.items():
        kept = sorted(by_invoice)[:-1]
        if not kept:
            continue
        newest, units, spent = {}, collections.Counter(), collections.Counter()
        for key in kept:
            for code, quantity, price in by_invoice[key]:
                newest[code] = max(newest.get(code, ""), key[0])
                units[code] += quantity
                spent[code] += quantity * price
        products = sorted(newest, key=lambda code: (newest[code], code), reverse=True)
        result[customer] = (products, units, spent, [key[0] for key in kept])
    return names, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--examples", type=int, default=5000)
    args = parser.parse_args()

    with open(args.corpus) as corpus:
        examples = [fill(json.loads(line)) for _, line in zip(range(args.examples), corpus)]
    names, customers = histories(sqlite3.connect(args.db))
    shuffled = sorted(customers)
    random.Random(1).shuffle(shuffled)
    page_customer = {}
    for page, _, _ in examples:
        page_customer.setdefault(page, shuffled[len(page_customer) % len(shuffled)])

    def date(text):
        return f"{int(text[8:10])} {MONTHS[int(text[5:7]) - 1]} {text[:4]}"

    # Each candidate: the sentence appended, from the page's customer and one of their products
    # chosen by the item (as `<earlier>` is), or None for the corpus as it is.
    candidates = {
        "corpus as written": None,
        "two more own products": lambda h, code, other: f" It goes with your {names[code]} and {names[other]}.",
        "units of an own product": lambda h, code, other: f" You took {h[1][code]} of the {names[code]} in all.",
        "spend on an own product": lambda h, code, other: f" You have spent £{h[2][code]:.2f} on the {names[code]}.",
        "date of the last order": lambda h, code, other: f" Your last order was on {date(h[3][-1])}.",
        "month of the last order": lambda h, code, other: f" Your last order was in {MONTHS[int(h[3][-1][5:7]) - 1]}.",
        "first order and count": lambda h, code, other: f" A customer since {date(h[3][0])[3:].strip()}, with {len(h[3])} orders.",
        "spend amount alone": lambda h, code, other: f" £{h[2][code]:.2f}.",
    }
    pages = [page for page, _, _ in examples]
    print(f"{len(examples)} completions, {len(set(pages))} pages")
    for label, sentence in candidates.items():
        texts = []
        for page, product, filled in examples:
            history = customers[page_customer[page]]
            turn = zlib.crc32(product.encode()) % len(history[0])
            code, other = history[0][turn], history[0][(turn + len(history[0]) // 2) % len(history[0])]
            texts.append(filled + (sentence(history, code, other) if sentence else ""))
        words = sum(len(text.split()) for text in texts) / len(texts)
        print(f"{label:26s} distinct-2 {distinct2(texts):.3f}  per page {per_page(texts, pages):.3f}  words {words:.1f}")


if __name__ == "__main__":
    main()
