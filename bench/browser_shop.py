#!/usr/bin/env python3
"""The shop's page in a real browser, end to end: the real `serve --db` (a database imported from
the 40,000-row sample, accounts with random passwords) on a free loopback port, and Debian's
headless Chromium driven through the DevTools protocol (bench/browser_page.py): a customer signs
in, sees cards with narratives streamed in (or the fallback sentences), previous purchases, clicks
a card, searches; an admin picks a customer. The clicks are checked in the database. Prints one
JSON line; exit 1 on any failure.

    bench/browser_shop.py [--db PREPARED.sqlite] [--screenshot docs/shop-page.png] [--narrator DIR]
"""

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_page  # noqa: E402
import shop_fixture  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="a prepared (imported and indexed) database to copy; default: build one from the sample")
    parser.add_argument("--bin", default=shop_fixture.release_binaries())
    parser.add_argument("--screenshot", help="write a PNG of the signed-in customer's page here")
    parser.add_argument("--narrator", help="narrator checkpoint (default: checkpoints/narrator when it exists)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for the cards and their narratives")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="finch-browser-")
    server = None
    try:
        database = shop_fixture.working_database(work, args.db, args.bin)
        customer = shop_fixture.top_customers(database, 1)[0]
        account = shop_fixture.add_user(database, customer=customer, bin_dir=args.bin)
        admin = shop_fixture.add_user(database, admin="browser-admin", bin_dir=args.bin)
        log = open(os.path.join(work, "serve.log"), "w")
        server = shop_fixture.Server(database, bin_dir=args.bin, narrator=args.narrator, log=log).wait_ready()
        as_customer = browser_page.drive(server.url, *account, screenshot=args.screenshot, timeout=args.timeout)
        as_admin = browser_page.drive(server.url, *admin, timeout=args.timeout, search_query="zzzz qqqq xxxx", admin=True)
        server.stop()
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            clicks = db.execute("SELECT COUNT(*) FROM interactions WHERE type = 'product_click'").fetchone()[0]
            searches = db.execute("SELECT COUNT(*) FROM interactions WHERE type = 'search'").fetchone()[0]
        assert clicks == 2, f"the two card clicks should be stored, found {clicks}"
        assert searches == 2, f"the two searches should be stored, found {searches}"
        print(json.dumps({"narrator": " ".join(server.args).count("--narrator") > 0, "customer": as_customer,
                          "admin": as_admin, "clicks_stored": clicks}))
        return 0
    except Exception:
        traceback.print_exc()
        if server is not None:
            server.stop()
            log_path = os.path.join(work, "serve.log")
            if os.path.exists(log_path):
                sys.stderr.write("serve's log:\n" + open(log_path).read()[-4000:])
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
