"""`recommend`'s cases for bench/fuzz.py: `import` on mutated Online Retail CSV (plain and .xz) into
an existing database, `embed` on mutated JSON lines, `query`'s flags at their edges, and the odd
paths (a directory, a FIFO, a database in a missing directory, a missing model folder).

A malformed CSV line is counted and the import goes on (README, "The shop's database"), so an
import may succeed: then its database may change, nothing else. A failed one changes nothing.
"""
import json
import lzma
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models/all-MiniLM-L6-v2")
SAMPLE_ROWS = 300


def setup(fx, binaries):
    """The retail folder (rows.csv, rows.csv.xz and shop.sqlite imported from them), the JSONL of
    product texts, and an indexed database when the model is there."""
    fx.recommend = os.path.join(binaries, "recommend")
    fx.retail = os.path.join(fx.work, "retail")
    os.makedirs(fx.retail)
    with open(os.path.join(ROOT, "data/online-retail/online_retail_sample.csv"), "rb") as f:
        rows = b"".join(f.readline() for _ in range(SAMPLE_ROWS + 1))
    open(os.path.join(fx.retail, "rows.csv"), "wb").write(rows)
    open(os.path.join(fx.retail, "rows.csv.xz"), "wb").write(lzma.compress(rows))
    fx.shop = os.path.join(fx.retail, "shop.sqlite")
    run([fx.recommend, "import", "--csv", os.path.join(fx.retail, "rows.csv"), "--db", fx.shop])
    fx.texts = os.path.join(fx.work, "texts.jsonl")
    descriptions = [line.split(b",")[2].decode() for line in rows.splitlines()[1:41]]
    with open(fx.texts, "w") as f:
        f.writelines(json.dumps({"text": text}) + "\n" for text in descriptions)
    # `query` needs `recommend index`, which needs the model; without it the query cases still
    # run their flag checks, and the database's missing index is a named error.
    fx.indexed = os.path.join(fx.work, "indexed.sqlite")
    shutil.copy(fx.shop, fx.indexed)
    if os.path.isfile(os.path.join(MODEL, "model.safetensors")):
        run([fx.recommend, "index", "--db", fx.indexed, "--model", MODEL])
    customers = [line.split(b",")[6].split(b".")[0] for line in rows.splitlines()[1:6]]
    fx.customer = customers[0].decode()
    fx.customer_list = os.path.join(fx.work, "customers.txt")
    open(fx.customer_list, "wb").write(b"\n".join(customers) + b"\n")


def run(command):
    result = subprocess.run(command, capture_output=True)
    if result.returncode != 0:
        sys.exit(f"fuzz: setting up failed: {' '.join(command)}\n{result.stderr.decode(errors='replace')}")


# Mutations of the CSV: each takes (bytes, rng) and returns new bytes.

def drop_column(data, rng):
    lines = data.split(b"\n")
    header = lines[0].split(b",")
    lines[0] = b",".join(header[:rng.randrange(len(header))] + header[rng.randrange(len(header)) + 1:])
    return b"\n".join(lines)


def bad_number(data, rng):
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 20)):
        number = rng.randrange(1, len(lines))
        fields = lines[number].split(b",")
        if len(fields) >= 8:
            column = rng.choice([3, 4, 5, 6])
            fields[column] = rng.choice([b"nan", b"inf", b"-1", b"1e999", b"9223372036854775808", b"1.5", b"",
                                         b"2011-13-45 25:61", b"x", b"-0", b"0x10", b"\xff"])
            lines[number] = b",".join(fields)
    return b"\n".join(lines)


def invalid_utf8(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 10)):
        data[rng.randrange(len(data))] = rng.choice([0xff, 0xc3, 0xe4, 0x80, 0x00])
    return bytes(data)


def quoting(data, rng):
    position = rng.randrange(len(data))
    return data[:position] + rng.choice([b'"', b'""', b'\r', b'\r\n', b',,,,']) + data[position:]


def truncate_xz(data, rng):
    return data[:rng.randrange(len(data))]


def flip_xz(data, rng):
    data = bytearray(data)
    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def jsonl_edit(data, rng):
    lines = data.split(b"\n")
    number = rng.randrange(len(lines))
    lines[number] = rng.choice([b"{", b'{"text": 1}', b'{"txt": "a"}', b"[]", b'"text"', b'{"text": "\xff\xfe"}',
                                b'{"text": "' + b"x" * 100_000 + b'"}', b'{"text": null}', b"\x00",
                                b'{"text": "a", "text": "b"}', b'{"text": "\\ud800"}'])
    return b"\n".join(lines)


def file_cases(fx, flip_bytes, truncate, append_junk):
    """Kinds in bench/fuzz.py's form: (label, source, name, mutators, [(flag, make)])."""
    def import_command(name):
        return lambda folder, out: [fx.recommend, "import", "--csv", os.path.join(folder, name),
                                    "--db", os.path.join(folder, "shop.sqlite")]

    def embed_command(path, out):
        # Without the model the error names the missing folder, which is inside the case's copy.
        model = MODEL if os.path.isdir(MODEL) else os.path.join(os.path.dirname(path), "no-model")
        return [fx.recommend, "embed", "--model", model, path]

    def customers_command(path, out):
        return [fx.recommend, "query", "--db", fx.indexed, "--customers", path, "--k", "3"]

    csv_mutators = [flip_bytes, truncate, append_junk, drop_column, bad_number, invalid_utf8, quoting]
    return [
        ("import/rows.csv", fx.retail, "rows.csv", csv_mutators, [("--csv", import_command("rows.csv"))]),
        ("import/rows.csv.xz", fx.retail, "rows.csv.xz", [truncate_xz, flip_xz, append_junk],
         [("--csv", import_command("rows.csv.xz"))]),
        ("recommend/texts.jsonl", fx.texts, "texts.jsonl", [jsonl_edit, jsonl_edit, flip_bytes, truncate, invalid_utf8],
         [("--model", embed_command)]),
        ("recommend/customers.txt", fx.customer_list, "customers.txt", [flip_bytes, truncate, append_junk],
         [("--customers", customers_command)]),
    ]


def flag_cases(fx):
    """(template, flags, names besides the flag the error may give instead)."""
    query = [fx.recommend, "query", "--db", fx.indexed, "--customer", fx.customer, "--k", "3"]
    return [(query, ["--k", "--customer"], [fx.indexed]),
            (query + ["--method", "itemknn"], ["--k"], [fx.indexed])]


def special_cases(fx, work):
    """(command, the path or flag its one error line must name)."""
    missing = os.path.join(work, "missing")
    csv = os.path.join(fx.retail, "rows.csv")
    fifo = os.path.join(work, "retail.fifo")
    os.mkfifo(fifo)
    return [([fx.recommend, "import", "--csv", fx.retail, "--db", os.path.join(work, "a.sqlite")], fx.retail),
            ([fx.recommend, "import", "--csv", fifo, "--db", os.path.join(work, "b.sqlite")], fifo),
            ([fx.recommend, "import", "--csv", csv, "--db", os.path.join(missing, "shop.sqlite")], missing),
            ([fx.recommend, "import", "--csv", csv, "--db", fx.retail], fx.retail),
            ([fx.recommend, "query", "--db", os.path.join(missing, "shop.sqlite"), "--customer", "1"], missing),
            ([fx.recommend, "query", "--db", fx.shop, "--customer", fx.customer], fx.shop),
            ([fx.recommend, "embed", "--model", missing, fx.texts], missing),
            ([fx.recommend, "embed", "--model", MODEL, "/dev/zero"], "/dev/zero")]
