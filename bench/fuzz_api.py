#!/usr/bin/env python3
"""Schemathesis against the live server: the OpenAPI document the server serves, fuzzed for a
bounded time with an admin's token, every route (the LLM routes on a tiny random checkpoint, the
shop on a database imported from the 40,000-row sample). Passes when schemathesis finds no 5xx
(its `not_a_server_error` check) and the server's own Prometheus counter shows no 5xx answer
either. Prints one JSON line. Run through bench/schemathesis.sh, which installs schemathesis.

    bench/fuzz_api.py --schemathesis PATH [--max-time 120] [--db PREPARED.sqlite] [--seed 1]
"""

import argparse
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shop_fixture  # noqa: E402


def untrained_checkpoint(bin_dir, work, name, shape):
    """An untrained GPT (its seeded initialisation): the routes behave the same whatever the
    weights; a narrator's text then fails the grounding check and the fallback sentence is served."""
    data = os.path.join(work, "random")
    if not os.path.exists(data):
        os.makedirs(data)
        rng = random.Random(0)
        with open(os.path.join(data, "train.bin"), "wb") as f:
            f.write(struct.pack("<4096H", *(rng.randrange(50257) for _ in range(4096))))
    out = os.path.join(work, name)
    shop_fixture.run([os.path.join(bin_dir, "train"), "pretrain", *shape, "--max-iters", "0", "--data", data, "--out", out])
    return out


def server_errors(url):
    status, text = shop_fixture.request(url, "GET", "/metrics")
    total = 0
    for line in text.splitlines():
        if line.startswith("finch_http_requests_total{") and re.search(r'status="5\d\d"', line):
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schemathesis", required=True)
    parser.add_argument("--max-time", type=int, default=120)
    parser.add_argument("--db")
    parser.add_argument("--bin", default=shop_fixture.release_binaries())
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checkpoint", help="completion checkpoint (default: an untrained tiny GPT made with `train`)")
    parser.add_argument("--narrator", help="narrator checkpoint (default: an untrained 2-layer GPT with 256 positions, so narrate=true is served)")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="finch-fuzz-api-")
    server = None
    try:
        database = shop_fixture.working_database(work, args.db, args.bin)
        admin = shop_fixture.add_user(database, admin="fuzz-admin", bin_dir=args.bin)
        for customer in shop_fixture.top_customers(database, 3):
            shop_fixture.add_user(database, customer=customer, bin_dir=args.bin)
        log_path = os.path.join(work, "serve.log")
        checkpoint = args.checkpoint or untrained_checkpoint(args.bin, work, "tiny", ["--preset", "tiny"])
        narrator = args.narrator or untrained_checkpoint(args.bin, work, "narrator", [
            "--n-layer", "2", "--n-head", "2", "--n-embd", "64", "--block-size", "256"])
        server = shop_fixture.Server(database, bin_dir=args.bin, narrator=narrator, log=open(log_path, "w"),
                                     extra=["--checkpoint", checkpoint]).wait_ready()
        token = shop_fixture.sign_in(server.url, *admin)
        five_hundreds_before = server_errors(server.url)  # /health's 503s while loading
        command = [args.schemathesis, "run", f"{server.url}/openapi.json", "--url", server.url,
                   "-H", f"Authorization: Bearer {token}", "--checks", "not_a_server_error",
                   "--max-time", str(args.max_time), "--seed", str(args.seed), "--workers", "2",
                   "--request-timeout", "120", "--suppress-health-check", "all", "--continue-on-failure", "--no-color"]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=args.max_time * 3 + 300)
        output = finished.stdout + finished.stderr
        print(output[-6000:], file=sys.stderr)
        five_hundreds = server_errors(server.url) - five_hundreds_before
        alive = server.process.poll() is None
        server.stop()
        result = {"schemathesis_exit": finished.returncode, "server_5xx": five_hundreds, "server_alive": alive,
                  "seconds": args.max_time, "summary": [line.strip("= ") for line in output.splitlines() if re.search(r"generated|=+ .* in [\d.]+s", line)][-2:]}
        print(json.dumps(result))
        return 0 if finished.returncode == 0 and five_hundreds == 0 and alive else 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
