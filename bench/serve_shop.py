#!/usr/bin/env python3
"""The shop half of bench/serve.sh: `serve --db` with the embedder (and the narrator when
checkpoints/narrator exists) on loopback, loaded by wrk through bench/serve_recommendations.lua.

1. Recommendations without narratives: --connections clients for --duration seconds, customer
   ids rotating over the most active customers, an admin token (goal ≥ 2,000 req/s, p99 ≤ 50 ms,
   0 errors).
2. A page of 10 narratives (`top_n=10&narrate=true`, the whole answer) with 8 concurrent
   customers (goal p95 ≤ 1.5 s); skipped without a narrator.
3. The server's peak RSS (VmHWM) with everything loaded.

Beside each load, the server's CPU time per request (user + system from /proc, over the wrk run):
unlike requests/s it hardly depends on what else the machine runs, so it compares runs on a
loaded machine with the goal's idle one (2 cores = 1 CPU-ms per request at 2,000 requests/s,
wrk's own share aside).

Prints a Markdown table and one JSON line.

    bench/serve_shop.py [--db PREPARED.sqlite] [--csv FILE] [--duration 20] [--connections 16]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shop_fixture  # noqa: E402

LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "serve_recommendations.lua")


def cpu_seconds(pid):
    """User + system CPU time the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, token, customers, query, connections, duration, server_pid):
    env = dict(os.environ, FINCH_BENCH_TOKEN=token, FINCH_BENCH_QUERY=query,
               FINCH_BENCH_CUSTOMERS=",".join(map(str, customers)))
    threads = min(2, connections)
    cpu_before = cpu_seconds(server_pid)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "-s", LUA, url],
                         env=env, capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["requests_per_s"] = result["requests"] / result["seconds"]
    result["server_cpu_ms_per_request"] = (cpu_seconds(server_pid) - cpu_before) * 1000 / max(result["requests"], 1)
    result["connections"] = connections
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="a prepared (imported and indexed) database to copy")
    parser.add_argument("--csv", default=shop_fixture.SAMPLE, help="data to import when --db is not given")
    parser.add_argument("--bin", default=shop_fixture.release_binaries())
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--narrator", help="default: checkpoints/narrator when it exists")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="finch-serve-shop-")
    server = None
    try:
        if not args.db:
            print(f"serve_shop: importing and indexing {os.path.basename(args.csv)}…", file=sys.stderr)
        database = shop_fixture.working_database(work, args.db, args.bin, csv=args.csv)
        admin = shop_fixture.add_user(database, admin="bench-admin", bin_dir=args.bin)
        customers = shop_fixture.top_customers(database, 500)
        server = shop_fixture.Server(database, bin_dir=args.bin, narrator=args.narrator,
                                     log=open(os.path.join(work, "serve.log"), "w")).wait_ready()
        narrated = "--narrator" in server.args
        token = shop_fixture.sign_in(server.url, admin[0], admin[1])
        for customer in customers[:20]:  # warm-up: first touches of the pages and caches
            shop_fixture.request(server.url, "GET", f"/api/customers/{customer}/recommendations?top_n=12", token=token)
        print(f"serve_shop: recommendations, {args.connections} connections for {args.duration}s…", file=sys.stderr)
        plain = wrk(server.url, token, customers, "top_n=12", args.connections, args.duration, server.process.pid)
        pages = None
        if narrated:
            print(f"serve_shop: pages of 10 narratives, 8 customers for {args.duration}s…", file=sys.stderr)
            pages = wrk(server.url, token, customers, "top_n=10&narrate=true", 8, args.duration, server.process.pid)
        rss = server.peak_rss_mb()
        server.stop()

        print("| load | requests/s | p50 ms | p95 ms | p99 ms | errors | server CPU ms/request |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, r in (("recommendations, no narratives", plain), ("page of 10 narratives, 8 customers", pages)):
            if r:
                print(f"| {name} ({r['connections']} connections) | {r['requests_per_s']:.0f} | {r['latency_p50_ms']:.1f} | "
                      f"{r['latency_p95_ms']:.1f} | {r['latency_p99_ms']:.1f} | {r['non_200'] + r['socket_errors']} | "
                      f"{r['server_cpu_ms_per_request']:.3f} |")
        plain_met = plain["requests_per_s"] >= 2000 and plain["latency_p99_ms"] <= 50 and plain["non_200"] + plain["socket_errors"] == 0
        print(f"recommendations goal (>= 2,000 req/s, p99 <= 50 ms, 0 errors): {'met' if plain_met else 'not met'}")
        if pages:
            print(f"narratives goal (p95 <= 1,500 ms): {'met' if pages['latency_p95_ms'] <= 1500 else 'not met'}")
        else:
            print("narratives: not measured (no narrator checkpoint)")
        print(f"server peak RSS (embedder{' and narrator' if narrated else ''} loaded): {rss:.0f} MB")
        print(json.dumps({"recommendations": plain, "narrative_pages": pages, "peak_rss_mb": rss, "narrator": narrated}))
        return 0
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
