#!/usr/bin/env python3
"""Repeated side-by-side rounds of durable writes: pact COMMITs through the
gateways against etcd puts, one fresh 3-replica cluster of each for the run.

  python3 tests/bench/commit_ab.py [--clients 1,64,1000] [--seconds 5]
      [--rounds 3] [--entry leader|follower|any] [--bin build/bin]

run_bench.py measures each concurrency once; at one client both systems'
figures move by tens of percent from run to run on a small shared machine
(etcd 270-560 puts/s in one hour here), so a single point says little.
This script repeats the points, alternating pact and etcd within each
round, and prints every round and the medians. `--entry` chooses which
replica the clients' first endpoint is, for both systems alike: a write
entering at a follower is forwarded to the leader by both (pact's gateway,
etcd's Raft proposal forwarding), one more network hop than at the leader.
With one client only the first endpoint is used, so this decides it.
"""
import argparse
import os
import statistics
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import run_bench  # noqa: E402
import harness  # noqa: E402


def ordered(endpoints, is_leader, entry):
    """Endpoints with the leader first or last (`entry`), else as given."""
    if entry == "any":
        return endpoints
    lead = [e for e in endpoints if is_leader(e)]
    rest = [e for e in endpoints if not is_leader(e)]
    return lead + rest if entry == "leader" else rest + lead


def etcd_is_leader(endpoint):
    with urllib.request.urlopen(f"http://{endpoint}/metrics", timeout=5) as r:
        return "etcd_server_is_leader 1" in r.read().decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", default="1")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--entry", choices=("leader", "follower", "any"),
                    default="any")
    ap.add_argument("--bin", default=os.path.join(os.getcwd(), "build", "bin"))
    args = ap.parse_args()
    os.environ["PACT_BIN_DIR"] = os.path.abspath(args.bin)
    harness.BIN = os.environ["PACT_BIN_DIR"]
    if not run_bench.etcd_available():
        sys.exit("etcd and tests/bench/etcd/node_modules are needed "
                 "(deploy/install-deps.sh bench; npm ci in tests/bench/etcd)")
    clients = [int(c) for c in args.clients.split(",")]
    load = os.path.join(os.path.abspath(args.bin), "pact-load")
    bench = run_bench.Cluster()
    bench.setUp()
    token = harness.make_token(run_bench.SECRET)
    ratios = {c: [] for c in clients}
    try:
        _, reps, leader = run_bench.start_cluster(bench)
        with run_bench.EtcdCluster() as etcd:
            all_etcd = etcd.endpoints
            run_bench.load(load, [r.gateway for r in reps.values()], token,
                           1, 1, mode="commit")  # warm-up, both
            etcd.put_load(1, 1)
            print("| round | clients | pact /s | etcd /s | pact / etcd | "
                  "pact p50 / p99 ms | etcd p50 / p99 ms |")
            print("|---|---|---|---|---|---|---|")
            for n in range(1, args.rounds + 1):
                for c in clients:
                    lead, _ = leader()
                    eps = ordered([r.gateway for r in reps.values()],
                                  lambda e: e == lead.gateway, args.entry)
                    p = run_bench.load(load, eps, token, c, args.seconds,
                                       mode="commit")
                    etcd.endpoints = ",".join(ordered(
                        all_etcd.split(","), etcd_is_leader, args.entry))
                    e = etcd.put_load(c, args.seconds)
                    etcd.endpoints = all_etcd
                    r = p["throughput_per_s"] / e["throughput_per_s"]
                    ratios[c].append(r)
                    print(f"| {n} | {c} | {p['throughput_per_s']:.0f} | "
                          f"{e['throughput_per_s']:.0f} | {r:.2f}x | "
                          f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f} | "
                          f"{e['p50_ms']:.1f} / {e['p99_ms']:.1f} |",
                          flush=True)
    finally:
        bench.tearDown()
    for c in clients:
        print(f"clients {c} (entry {args.entry}): median ratio "
              f"{statistics.median(ratios[c]):.2f}x over {args.rounds} rounds")


if __name__ == "__main__":
    main()
