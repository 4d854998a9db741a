#!/usr/bin/env python3
"""pact benchmarks (results go into docs/benchmarks.md).

  python3 tests/bench/run_bench.py [--quick] [--bin build/bin] [--out FILE]

1. In-process Raft: pact-bench-raft (3 replica drivers + LMDB, one thread).
2. Three pact-journal processes on loopback driven by pact-load through the
   gateways (auth, CAF remoting, forwarding, Raft, LMDB fsync).
   Both at 1, 64 and 1000 concurrent proposers, 256-byte entries.
3. etcd 3.4 (Debian's etcd-server), three members on loopback, driven by
   tests/bench/etcd/etcd_load.mjs (the etcd3 gRPC client) at the same
   concurrency, in the same run, when `etcd` and the client are installed.
4. Leader failover with tuned timeouts (tick 20 ms, election timeout 10
   ticks): kill -9 the leader, time until a write is acknowledged again.

--quick runs each point for 1 s (CI smoke mode); the default is 10 s.
Prints a markdown table and writes JSON lines to --out.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123"


class Cluster(harness.PactTestCase):
    """Borrows the e2e harness's process handling outside unittest."""

    def runTest(self):
        pass


def start_cluster(bench, config=None):
    members = {i: harness.free_port() for i in (1, 2, 3)}
    reps = {i: bench.start_replica(i, members, SECRET, config=config)
            for i in members}

    def leader():
        for r in reps.values():
            if r.proc.poll() is None:
                h = bench.health(r)
                if h and h["role"] == "leader":
                    return r, h
        return None
    harness.wait_for(leader, 15, "a leader")
    return members, reps, leader


def load(binary, endpoints, token, clients, seconds):
    out = subprocess.run([binary, "--endpoints", ",".join(endpoints),
                          "--token", token, "--clients", str(clients),
                          "--duration-s", str(seconds)],
                         capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout)


ETCD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "etcd")


def etcd_available():
    import shutil
    return (shutil.which("etcd") and shutil.which("node") and os.path.isdir(
        os.path.join(ETCD_DIR, "node_modules", "etcd3")))


def run_etcd(concurrency, seconds, size=256):
    """Three etcd members on loopback, each fsyncing like pact does."""
    tmp = tempfile.mkdtemp(prefix="pact-bench-etcd-")
    client = [harness.free_port() for _ in range(3)]
    peer = [harness.free_port() for _ in range(3)]
    cluster = ",".join(f"e{i + 1}=http://127.0.0.1:{peer[i]}" for i in range(3))
    procs = []
    results = []
    try:
        for i in range(3):
            log = open(os.path.join(tmp, f"e{i + 1}.log"), "w")
            procs.append(subprocess.Popen([
                "etcd", "--name", f"e{i + 1}",
                "--data-dir", os.path.join(tmp, f"e{i + 1}"),
                "--listen-client-urls", f"http://127.0.0.1:{client[i]}",
                "--advertise-client-urls", f"http://127.0.0.1:{client[i]}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer[i]}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer[i]}",
                "--initial-cluster", cluster,
                "--initial-cluster-state", "new", "--log-level", "error"],
                stdout=log, stderr=subprocess.STDOUT))
        endpoints = ",".join(f"127.0.0.1:{p}" for p in client)
        time.sleep(3)
        for c in concurrency:
            out = subprocess.run(["node", os.path.join(ETCD_DIR,
                                                       "etcd_load.mjs"),
                                  endpoints, str(c), str(seconds), str(size)],
                                 capture_output=True, text=True,
                                 timeout=seconds + 120)
            if out.returncode != 0:
                raise RuntimeError(out.stderr)
            results.append(json.loads(out.stdout))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)
        subprocess.run(["rm", "-rf", tmp])
    return results


def failover(bench, bin_dir, token):
    cfg = ("[journal.raft]\ntick_ms = 20\nelection_ticks = 10\n"
           "snapshot_interval = 1000000\n")
    members, reps, leader = start_cluster(bench, cfg)
    lead, h = leader()
    lead.proc.send_signal(signal.SIGKILL)
    lead.proc.wait()
    t0 = time.monotonic()
    others = [r.gateway for r in reps.values() if r is not lead]
    while True:
        r = subprocess.run([os.path.join(bin_dir, "pact-load"), "--endpoints",
                            ",".join(others), "--token", token, "--clients",
                            "1", "--duration-s", "0.05"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode == 0 and json.loads(r.stdout)["acknowledged"] > 0:
            break
        if time.monotonic() - t0 > 20:
            raise RuntimeError("no leader after 20 s")
    elapsed = time.monotonic() - t0
    for r in reps.values():
        r.stop() if r.proc.poll() is None else None
    return {"mode": "failover", "tick_ms": 20, "election_ticks": 10,
            "seconds_to_first_ack": round(elapsed, 3)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", default=os.path.join(os.getcwd(), "build", "bin"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    os.environ["PACT_BIN_DIR"] = os.path.abspath(args.bin)
    harness.BIN = os.environ["PACT_BIN_DIR"]
    seconds = 1 if args.quick else 10
    concurrency = (1, 64) if args.quick else (1, 64, 1000)
    results = []
    for c in concurrency:
        r = subprocess.run([os.path.join(args.bin, "pact-bench-raft"),
                            "--clients", str(c), "--duration-s", str(seconds),
                            "--dir", tempfile.mkdtemp(prefix="pact-bench-")],
                           capture_output=True, text=True, check=True)
        results.append(json.loads(r.stdout))
    bench = Cluster()
    bench.setUp()
    try:
        token = harness.make_token(SECRET)
        _, reps, _ = start_cluster(bench)
        endpoints = [r.gateway for r in reps.values()]
        for c in concurrency:
            res = load(os.path.join(args.bin, "pact-load"), endpoints, token,
                       c, seconds)
            res["mode"] = "3 processes"
            results.append(res)
        for r in reps.values():
            r.stop()
        bench.daemons.clear()
        if etcd_available() and not args.quick:
            results.extend(run_etcd(concurrency, seconds))
        results.append(failover(bench, args.bin, token))
    finally:
        bench.tearDown()
    print("| mode | clients | commits/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for r in results:
        if r["mode"] == "failover":
            continue
        print(f"| {r['mode']} | {r['clients']} | {r['throughput_per_s']:.0f} "
              f"| {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")
    pact3 = {r["clients"]: r for r in results if r["mode"] == "3 processes"}
    etcd = {r["clients"]: r for r in results
            if r["mode"] == "etcd 3 processes"}
    if etcd:
        print("\n| proposers | pact commits/s | etcd puts/s | ratio | "
              "pact p99 ms | etcd p99 ms |")
        print("|---|---|---|---|---|---|")
        for c in sorted(etcd):
            p, e = pact3[c], etcd[c]
            print(f"| {c} | {p['throughput_per_s']:.0f} | "
                  f"{e['throughput_per_s']:.0f} | "
                  f"{p['throughput_per_s'] / e['throughput_per_s']:.1f}x | "
                  f"{p['p99_ms']:.1f} | {e['p99_ms']:.1f} |")
    fo = results[-1]
    print(f"\nfailover (tick {fo['tick_ms']} ms, election {fo['election_ticks']}"
          f" ticks): first acknowledged write {fo['seconds_to_first_ack']} s "
          "after kill -9 of the leader")
    if args.out:
        with open(args.out, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")
    bad = [r for r in results if r["mode"] != "failover"
           and r["acknowledged"] == 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
