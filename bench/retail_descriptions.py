#!/usr/bin/env python3
"""The catalogue's product descriptions, cleaned as ../shared/bench/recsys_reference.py cleans them:
one description per product stock code (its first row's, stripped), in stock-code order.

    python3 retail_descriptions.py [online_retail.csv.xz] > descriptions.jsonl   # {"text": ...} lines
"""
import csv
import json
import lzma
import re
import sys

PRODUCT = re.compile(r"^\d{5}[A-Za-z]*$")


def product_descriptions(path):
    raw = lzma.open(path, "rt", encoding="utf-8", newline="") if path.endswith(".xz") else open(path, newline="", encoding="utf-8")
    names = {}
    for r in csv.DictReader(raw):
        cid = (r["CustomerID"] or "").strip()
        code = r["StockCode"].strip()
        if not cid or r["InvoiceNo"].startswith("C") or not PRODUCT.match(code):
            continue
        try:
            if float(r["Quantity"]) <= 0 or float(r["UnitPrice"]) <= 0:
                continue
        except ValueError:
            continue
        names.setdefault(code.upper(), (r["Description"] or "").strip())
    return [names[c] for c in sorted(names)]


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "data/online-retail/online_retail.csv.xz"
    for text in product_descriptions(path):
        print(json.dumps({"text": text}))
