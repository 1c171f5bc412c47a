#!/usr/bin/env python3
"""kill -9 under load, then restart: every interaction the server answered 201 is in the database.

The real `serve --db` on a free loopback port; `--clients` threads post product clicks and
searches as fast as the server answers (a customer's own token, and an admin's naming the
customer); after a random 0.5–2.5 s the server gets SIGKILL mid-load. Then, for each round: the
database opens, `PRAGMA integrity_check` is ok, the journal is WAL, and every acknowledged
interaction is there with its customer, type and stock code or query; the server restarts on the
same file and serves again. Prints one JSON line; exit 1 on any loss or inconsistency.

    bench/durability.py [--kills 3] [--clients 8] [--db PREPARED.sqlite] [--bin .build/release]
"""

import argparse
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shop_fixture  # noqa: E402


def load(server, tokens, stock_codes, stop, acknowledged, errors, seed):
    rng = random.Random(seed)
    while not stop.is_set():
        customer, token, as_admin = rng.choice(tokens)
        if rng.random() < 0.7:
            body = {"type": "product_click", "stock_code": rng.choice(stock_codes)}
        else:
            body = {"type": "search", "query": f"red lantern {rng.randrange(10**6)}"}
        if as_admin:
            body["customer"] = customer
        try:
            status, answer = shop_fixture.request(server.url, "POST", "/api/interactions", token=token, json_body=body, timeout=10)
        except OSError:
            if server.process.poll() is not None:
                return  # killed: an unanswered request promises nothing
            continue
        if status == 201:
            acknowledged.append((answer["id"], customer, body))
        else:
            errors.append((status, answer))


def check(database, acknowledged):
    with sqlite3.connect(database) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
        stored = {row[0]: row[1:] for row in db.execute("SELECT id, customer_id, type, stock_code, query FROM interactions")}
    missing, different = [], []
    for interaction_id, customer, body in acknowledged:
        row = stored.get(interaction_id)
        if row is None:
            missing.append(interaction_id)
        elif row != (customer, body["type"], body.get("stock_code"), body.get("query")):
            different.append((interaction_id, row, body))
    return integrity, journal, missing, different, len(stored)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", help="a prepared (imported and indexed) database to copy; default: build one from the sample")
    parser.add_argument("--bin", default=shop_fixture.release_binaries())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="finch-durability-")
    try:
        database = shop_fixture.working_database(work, args.db, args.bin)
        customers = shop_fixture.top_customers(database, 3)
        accounts = [shop_fixture.add_user(database, customer=c, bin_dir=args.bin) for c in customers]
        admin = shop_fixture.add_user(database, admin="durability-admin", bin_dir=args.bin)
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            stock_codes = [row[0] for row in db.execute("SELECT stock_code FROM products ORDER BY stock_code LIMIT 200")]

        rng = random.Random(args.seed)
        acknowledged, errors, rounds = [], [], []
        failures = []
        for round_index in range(args.kills):
            server = shop_fixture.Server(database, bin_dir=args.bin, narrator="").wait_ready()
            admin_token = shop_fixture.sign_in(server.url, *admin)
            tokens = [(c, shop_fixture.sign_in(server.url, *account), False) for c, account in zip(customers, accounts)]
            tokens += [(c, admin_token, True) for c in customers]
            stop = threading.Event()
            before = len(acknowledged)
            threads = [threading.Thread(target=load, args=(server, tokens, stock_codes, stop, acknowledged, errors,
                                                           args.seed * 1000 + round_index * 100 + i))
                       for i in range(args.clients)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.5, 2.5))
            server.kill()
            stop.set()
            for thread in threads:
                thread.join()
            integrity, journal, missing, different, stored = check(database, acknowledged)
            rounds.append({"acknowledged": len(acknowledged) - before, "stored_total": stored})
            if integrity != "ok":
                failures.append(f"round {round_index}: integrity_check says {integrity}")
            if journal != "wal":
                failures.append(f"round {round_index}: journal mode {journal}, not wal")
            if missing:
                failures.append(f"round {round_index}: {len(missing)} acknowledged interactions lost, e.g. ids {missing[:5]}")
            if different:
                failures.append(f"round {round_index}: stored differently from what was acknowledged: {different[:3]}")
        server = shop_fixture.Server(database, bin_dir=args.bin, narrator="").wait_ready()
        status, _ = shop_fixture.request(server.url, "POST", "/api/interactions", token=shop_fixture.sign_in(server.url, *accounts[0]),
                                         json_body={"type": "search", "query": "after the last kill"})
        server.stop()
        if status != 201:
            failures.append(f"the restarted server answered {status} to an interaction")
        if errors:
            failures.append(f"{len(errors)} non-201 answers under load, e.g. {errors[:3]}")
        if sum(r["acknowledged"] for r in rounds) == 0:
            failures.append("no interaction was acknowledged: the load never ran")
        print(json.dumps({"kills": args.kills, "clients": args.clients, "acknowledged": len(acknowledged),
                          "rounds": rounds, "failures": failures}))
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
