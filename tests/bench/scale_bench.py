#!/usr/bin/env python3
"""The journal at scale (issue 10 item 5): what a growing journal costs.

  python3 tests/bench/scale_bench.py [--entries N] [--step S] [--bin build/bin]
                                     [--clients C] [--out FILE] [--quick]
  python3 tests/bench/scale_bench.py --bulk [N] [--grow G] [--bin build/bin]
                                     [--out FILE]

Starts three pact-journal processes on loopback (the e2e harness's helpers)
and loads durable node COMMITs through the gateways with `pact-load --mode
commit` (256-byte commands over 64 nodes) until the journal holds N
entries (counted as the leader's applied Raft index: one entry per commit
plus a few no-ops). At every S entries it records, for the leader:

  rss_anon_mb, rss_file_mb   /proc/PID/status RssAnon and RssFile
  disk_mb, disk_b_per_entry  the replica's data directory (LMDB files)
  log20_p50_ms               `pact log -n 20`, process start to exit
  scope20_p50_ms             `pact log --scope node:bench-7 -n 20`

and at the end:

  catchup_s   a follower stopped before the load starts again: seconds
              until its applied index reaches the leader's commit index
              (the leader compacted its log meanwhile, so this is catch-up
              through a snapshot); catchup_mb_s is the leader's data size
              over that time
  restart_s   kill -9 a follower, start it again: seconds until its own
              gateway answers a linearizable `pact log -n 1`

(A follower whose data directory is emptied cannot rejoin under its old
id: it would be a voter that forgot what it acknowledged. The journal has
no membership change command yet, so the catch-up is measured with a
far-behind replica instead.)

--bulk [N] (default 10,000,000) measures instead a journal of N entries
filled by `pact-bulkload` (scale_bulk.py says what and how), adding G
(default 100,000) through the write path.

No figure is asserted (docs/benchmarks.md records them); --quick (the CI
smoke mode) loads 2,000 entries and checks that every step works, then
runs --bulk 2000 --grow 300 the same way.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402
import run_bench  # noqa: E402
import scale_bulk  # noqa: E402


proc_status_mb = scale_bulk.status_mb


def dir_mb(path):
    return scale_bulk.dir_bytes(path) / (1 << 20)


def p50(samples):
    return run_bench.percentiles(samples)["p50_ms"]


def applied(bench, replica):
    h = bench.health(replica)
    return h["applied_index"] if h else -1


def measure(bench, token, lead, entries, runs):
    gw = lead.gateway
    log20 = run_bench.time_cli(bench, token, gw, ["log", "-n", "20"], runs)
    scope = run_bench.time_cli(
        bench, token, gw, ["log", "--scope", "node:bench-7", "-n", "20"], runs)
    disk = dir_mb(lead.data)
    return {"entries": entries,
            "rss_anon_mb": round(proc_status_mb(lead.proc.pid, "RssAnon"), 1),
            "rss_file_mb": round(proc_status_mb(lead.proc.pid, "RssFile"), 1),
            "disk_mb": round(disk, 1),
            "disk_b_per_entry": round(disk * (1 << 20) / max(entries, 1)),
            "log20_p50_ms": round(p50(log20), 1),
            "scope20_p50_ms": round(p50(scope), 1)}


def restart_to_serving(bench, token, reps, lead):
    follower = next(r for r in reps.values() if r is not lead)
    follower.proc.send_signal(signal.SIGKILL)
    follower.proc.wait()
    bench.daemons.remove(follower)
    t0 = time.monotonic()
    again = bench.start_replica(follower.node_id, bench.members,
                                run_bench.SECRET, bootstrap=False)
    reps[follower.node_id] = again

    def serves():
        r = subprocess.run([harness.binary("pact"), "log", "-n", "1",
                            "--endpoint", again.gateway, "--timeout", "5"],
                           env=dict(bench.env, PACT_TOKEN=token),
                           capture_output=True, text=True, timeout=30)
        return r.returncode == 0
    harness.wait_for(serves, 300, "the restarted replica to serve")
    return round(time.monotonic() - t0, 2)


def catch_up(bench, reps, lead, behind):
    target = bench.health(lead)["commit_index"]
    size = dir_mb(lead.data)
    t0 = time.monotonic()
    again = bench.start_replica(behind.node_id, bench.members,
                                run_bench.SECRET)
    reps[behind.node_id] = again
    harness.wait_for(lambda: applied(bench, again) >= target, 1800,
                     "the emptied replica to catch up")
    secs = time.monotonic() - t0
    return {"catchup_s": round(secs, 2),
            "catchup_mb_s": round(size / max(secs, 1e-3), 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=400000)
    ap.add_argument("--step", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=256)
    ap.add_argument("--bin", default=os.path.join(os.getcwd(), "bin"))
    ap.add_argument("--out")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bulk", type=int, nargs="?", const=10_000_000)
    ap.add_argument("--grow", type=int, default=100_000)
    # A machine shared with builds that take a shared flock(2) on a lock
    # file: hold it exclusively while the CLI's reads are timed, so they
    # are timed on a quiet machine.
    ap.add_argument("--lock", help="flock FILE exclusively while timing reads")
    a = ap.parse_args()
    if a.quick:
        a.entries, a.step, a.clients = 2000, 1000, 32
    os.environ["PACT_BIN_DIR"] = os.path.abspath(a.bin)
    harness.BIN = os.environ["PACT_BIN_DIR"]
    if a.out:
        open(a.out, "w").close()

    def emit(row):
        print(json.dumps(row), flush=True)
        if a.out:
            with open(a.out, "a") as f:
                f.write(json.dumps(row) + "\n")
    if a.bulk is not None and not a.quick:
        scale_bulk.run(a, emit)
        return
    growing(a, emit)
    if a.quick:
        a.bulk, a.grow = 2000, 300
        scale_bulk.run(a, emit)


def growing(a, emit):
    """The default mode: the journal grown through the write path."""
    runs = 5 if a.quick else 50
    bench = run_bench.Cluster()
    bench.setUp()
    try:
        bench.members, reps, leader = run_bench.start_cluster(bench)
        token = harness.make_token(run_bench.SECRET)
        lead, _ = leader()
        behind = next(r for r in reps.values() if r is not lead)
        behind.stop()
        bench.daemons.remove(behind)
        gateways = [r.gateway for r in reps.values() if r is not behind]
        loaded = 0
        while loaded < a.entries:
            goal = min(loaded + a.step, a.entries)
            while applied(bench, lead) < goal:
                run_bench.load(os.path.join(a.bin, "pact-load"), gateways,
                               token, a.clients, 2, mode="commit")
            loaded = applied(bench, lead)
            emit(measure(bench, token, lead, loaded, runs))
        end = catch_up(bench, reps, lead, behind)
        end["restart_s"] = restart_to_serving(bench, token, reps, lead)
        emit(end)
    finally:
        bench.tearDown()


if __name__ == "__main__":
    main()
