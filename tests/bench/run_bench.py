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
5. Journal service (issue 4): a fresh 3-replica pact-journal cluster and a
   fresh 3-member etcd, both up at once, measured alternately at each
   concurrency: `pact-load --mode commit` (node-scoped COMMIT commands of
   256 bytes through the gateway: authorized, stamped, replicated, fsynced,
   applied by the config state machine) against etcd puts of 256-byte
   values. Then the wall time of real CLI invocations (`pact status`,
   `pact log -n 20`) against the loaded cluster, leader and follower.

--quick runs each point for 1 s and 5 CLI invocations (CI smoke mode, no
etcd); the default is 10 s and 50 invocations. --journal-only runs only
section 5; --snapshot-interval N sets journal.raft.snapshot_interval for
its cluster (a diagnostic; results in docs use the default). Prints markdown
tables and writes JSON lines to --out.
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


def load(binary, endpoints, token, clients, seconds, mode="propose"):
    out = subprocess.run([binary, "--endpoints", ",".join(endpoints),
                          "--token", token, "--clients", str(clients),
                          "--duration-s", str(seconds), "--mode", mode],
                         capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    if out.stderr.strip():
        print(f"pact-load ({mode}, {clients} clients): {out.stderr.strip()}",
              file=sys.stderr)
    return json.loads(out.stdout)


ETCD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "etcd")


def etcd_available():
    import shutil
    return (shutil.which("etcd") and shutil.which("node") and os.path.isdir(
        os.path.join(ETCD_DIR, "node_modules", "etcd3")))


class EtcdCluster:
    """Three etcd members on loopback, each fsyncing like pact does."""

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix="pact-bench-etcd-")
        client = [harness.free_port() for _ in range(3)]
        peer = [harness.free_port() for _ in range(3)]
        cluster = ",".join(f"e{i + 1}=http://127.0.0.1:{peer[i]}"
                           for i in range(3))
        self.procs = []
        try:
            for i in range(3):
                log = open(os.path.join(self.tmp, f"e{i + 1}.log"), "w")
                self.procs.append(subprocess.Popen([
                    "etcd", "--name", f"e{i + 1}",
                    "--data-dir", os.path.join(self.tmp, f"e{i + 1}"),
                    "--listen-client-urls", f"http://127.0.0.1:{client[i]}",
                    "--advertise-client-urls",
                    f"http://127.0.0.1:{client[i]}",
                    "--listen-peer-urls", f"http://127.0.0.1:{peer[i]}",
                    "--initial-advertise-peer-urls",
                    f"http://127.0.0.1:{peer[i]}",
                    "--initial-cluster", cluster,
                    "--initial-cluster-state", "new", "--log-level", "error"],
                    stdout=log, stderr=subprocess.STDOUT))
                log.close()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.endpoints = ",".join(f"127.0.0.1:{p}" for p in client)
        time.sleep(3)
        return self

    def put_load(self, clients, seconds, size=256):
        out = subprocess.run(["node", os.path.join(ETCD_DIR, "etcd_load.mjs"),
                              self.endpoints, str(clients), str(seconds),
                              str(size)],
                             capture_output=True, text=True,
                             timeout=seconds + 120)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return json.loads(out.stdout)

    def __exit__(self, *exc):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(timeout=30)
        subprocess.run(["rm", "-rf", self.tmp])
        return False


def run_etcd(concurrency, seconds, size=256):
    with EtcdCluster() as etcd:
        return [etcd.put_load(c, seconds, size) for c in concurrency]


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


def percentiles(samples):
    v = sorted(samples)

    def pct(p):
        return v[int(p * (len(v) - 1))] if v else 0.0
    return {"p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": v[-1]}


def time_cli(bench, token, endpoint, args, runs):
    """Wall time of `runs` invocations of the real CLI, process start to
    exit, as an operator's shell sees it."""
    pact = harness.binary("pact")
    env = dict(bench.env, PACT_TOKEN=token)
    wall = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run([pact, *args, "--endpoint", endpoint], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=60)
        wall.append((time.perf_counter() - t0) * 1000)
        if r.returncode != 0:
            raise RuntimeError(f"pact {' '.join(args)} exited with "
                               f"{r.returncode}: {r.stderr}")
    return wall


def journal_service(bench, bin_dir, token, concurrency, seconds, cli_runs,
                    with_etcd, snapshot_interval=None):
    """Section 5: durable COMMIT commands through the gateway vs etcd puts,
    alternating per concurrency point, then CLI wall times."""
    results = []
    cfg = (f"[journal.raft]\nsnapshot_interval = {snapshot_interval}\n"
           if snapshot_interval else None)
    _, reps, leader = start_cluster(bench, cfg)
    endpoints = [r.gateway for r in reps.values()]
    etcd = EtcdCluster().__enter__() if with_etcd else None
    try:
        for c in concurrency:
            res = load(os.path.join(bin_dir, "pact-load"), endpoints, token,
                       c, seconds, mode="commit")
            res["mode"] = "pact commit"
            res["snapshot_interval"] = snapshot_interval or "default"
            results.append(res)
            if etcd:
                res = etcd.put_load(c, seconds)
                res["mode"] = "etcd put"
                results.append(res)
    finally:
        if etcd:
            etcd.__exit__(None, None, None)
    lead, _ = leader()
    follower = next(r for r in reps.values() if r is not lead)
    env = dict(bench.env, PACT_TOKEN=token)
    head = subprocess.run([harness.binary("pact"), "log", "-n", "1",
                           "--output", "json", "--endpoint", lead.gateway],
                          env=env, capture_output=True, text=True,
                          timeout=60)
    entries = json.loads(head.stdout)["last_sequence"] if \
        head.returncode == 0 else 0
    for name, args in (("pact status", ["status"]),
                       ("pact log -n 20", ["log", "-n", "20"])):
        for role, rep in (("leader", lead), ("follower", follower)):
            wall = time_cli(bench, token, rep.gateway, args, cli_runs)
            results.append({"mode": "cli", "command": name, "replica": role,
                            "runs": cli_runs, "journal_entries": entries,
                            **percentiles(wall)})
    for r in reps.values():
        r.stop()
    bench.daemons.clear()
    return results


def print_journal(results):
    pact = {r["clients"]: r for r in results if r["mode"] == "pact commit"}
    etcd = {r["clients"]: r for r in results if r["mode"] == "etcd put"}
    snap = next(iter(pact.values()), {}).get("snapshot_interval", "default")
    print("\nJournal service: durable COMMIT commands (pact-load --mode commit)"
          f" vs etcd puts, 256 bytes (pact snapshot_interval {snap})")
    print("| clients | pact commits/s | etcd puts/s | pact / etcd | "
          "pact p50 / p99 ms | etcd p50 / p99 ms | pact errors |")
    print("|---|---|---|---|---|---|---|")
    for c in sorted(pact):
        p = pact[c]
        e = etcd.get(c)
        ratio = (f"{p['throughput_per_s'] / e['throughput_per_s']:.2f}x"
                 if e and e["throughput_per_s"] else "-")
        ecol = (f"{e['throughput_per_s']:.0f}" if e else "-")
        elat = (f"{e['p50_ms']:.1f} / {e['p99_ms']:.1f}" if e else "-")
        print(f"| {c} | {p['throughput_per_s']:.0f} | {ecol} | {ratio} | "
              f"{p['p50_ms']:.1f} / {p['p99_ms']:.1f} | {elat} | "
              f"{p['errors']} |")
    cli = [r for r in results if r["mode"] == "cli"]
    if cli:
        print(f"\nCLI wall time per invocation ({cli[0]['runs']} runs each, "
              f"journal holding {cli[0]['journal_entries']} entries)")
        print("| command | replica | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|")
        for r in cli:
            print(f"| `{r['command']}` | {r['replica']} | {r['p50_ms']:.1f} |"
                  f" {r['p99_ms']:.1f} | {r['max_ms']:.1f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--journal-only", action="store_true",
                    help="run only the journal-service section")
    ap.add_argument("--snapshot-interval", type=int, default=None,
                    help="journal.raft.snapshot_interval for the journal-"
                    "service cluster (default: the journal's default)")
    ap.add_argument("--bin", default=os.path.join(os.getcwd(), "build", "bin"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    os.environ["PACT_BIN_DIR"] = os.path.abspath(args.bin)
    harness.BIN = os.environ["PACT_BIN_DIR"]
    seconds = 1 if args.quick else 10
    concurrency = (1, 64) if args.quick else (1, 64, 1000)
    cli_runs = 5 if args.quick else 50
    with_etcd = bool(etcd_available()) and not args.quick
    if not with_etcd and not args.quick:
        print("etcd, node or tests/bench/etcd/node_modules missing: "
              "etcd rows skipped", file=sys.stderr)
    results = []
    if not args.journal_only:
        for c in concurrency:
            r = subprocess.run([os.path.join(args.bin, "pact-bench-raft"),
                                "--clients", str(c), "--duration-s",
                                str(seconds), "--dir",
                                tempfile.mkdtemp(prefix="pact-bench-")],
                               capture_output=True, text=True, check=True)
            results.append(json.loads(r.stdout))
    bench = Cluster()
    bench.setUp()
    try:
        token = harness.make_token(SECRET)
        if not args.journal_only:
            _, reps, _ = start_cluster(bench)
            endpoints = [r.gateway for r in reps.values()]
            for c in concurrency:
                res = load(os.path.join(args.bin, "pact-load"), endpoints,
                           token, c, seconds)
                res["mode"] = "3 processes"
                results.append(res)
            for r in reps.values():
                r.stop()
            bench.daemons.clear()
            if with_etcd:
                results.extend(run_etcd(concurrency, seconds))
            results.append(failover(bench, args.bin, token))
        results.extend(journal_service(bench, args.bin, token, concurrency,
                                       seconds, cli_runs, with_etcd,
                                       args.snapshot_interval))
    finally:
        bench.tearDown()
    raw = [r for r in results if r["mode"] not in
           ("failover", "cli", "pact commit", "etcd put")]
    if raw:
        print("| mode | clients | commits/s | p50 ms | p99 ms |")
        print("|---|---|---|---|---|")
    for r in raw:
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
    fo = [r for r in results if r["mode"] == "failover"]
    if fo:
        fo = fo[0]
        print(f"\nfailover (tick {fo['tick_ms']} ms, election "
              f"{fo['election_ticks']} ticks): first acknowledged write "
              f"{fo['seconds_to_first_ack']} s after kill -9 of the leader")
    print_journal(results)
    if args.out:
        with open(args.out, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")
    bad = [r for r in results if r["mode"] not in ("failover", "cli")
           and r["acknowledged"] == 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
