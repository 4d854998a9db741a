"""The journal at scale with a bulk-loaded journal (issue 10 item 5):
`scale_bench.py --bulk N`.

1. Bootstraps three pact-journal replicas, stops them, and fills each data
   directory with N entries by `pact-bulkload` (the real state machine's
   apply path; docs/benchmarks.md) at one Raft index and term beyond every
   replica's log; the three printed digests must be equal. (It checks
   on the way that pact-bulkload refuses a running replica's directory and
   an index or term below the store's, changing nothing.)
2. Starts all three: restart_all_s (process start until `pact status`
   answers and a `pact commit` commits); then the replicas must converge to
   one applied index and one digest (/health).
3. On the leader: RssAnon/RssFile, disk bytes per entry, the wall time of
   `pact --version` (the CLI process alone), `pact log -n 20` and
   `pact log --scope node:bench-7 -n 20` (p50/p99), `pact log --verify`
   (result and seconds).
4. GROW more entries through the normal write path (`pact-load --mode
   commit`, 256 clients): RssAnon/RssFile again, growth per 100,000;
   then GROW more: the growth per 100,000 of the warmed-up process.
5. kill -9 the leader, start it: restart_leader_s (until `pact status`
   answers on its gateway and a commit through it commits); kill -9 all
   three, start them: restart_all_kill_s.
6. Stops a follower, deletes its store (DIR/raft), restarts the other two
   (see catch_up for why) and starts it with --bootstrap (an empty replica
   under the same id: the journal has no membership change yet):
   catchup_s until its applied index reaches the leader's commit index at
   its start, catchup_mb_s over the size of the state it received (its
   data directory afterwards); digests converge.

Rows are JSON objects printed as they come; nothing is asserted but
correctness (equal digests, verify ok, every command exits 0).
"""
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import time

import harness
import run_bench


def bulkload(bin_dir, data, *args):
    return bulkload_all(bin_dir, [data], *args)[0]


def bulkload_all(bin_dir, dirs, *args):
    """Runs pact-bulkload on every directory at once (their results)."""
    procs = [subprocess.Popen([os.path.join(bin_dir, "pact-bulkload"),
                               "--data-dir", d, *args], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for d in dirs]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=6 * 3600)
        if p.returncode != 0:
            raise RuntimeError(f"pact-bulkload {' '.join(args)}: {stderr}")
        out.append(json.loads(stdout))
    return out


def status_mb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return round(int(line.split()[1]) / 1024.0, 1)
    return 0.0


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.stat(os.path.join(root, name)).st_blocks * 512
    return total


def pcts(samples):
    p = run_bench.percentiles(samples)
    return round(p["p50_ms"], 1), round(p["p99_ms"], 1)


class BulkRun:
    def __init__(self, bench, bin_dir, entries, grow, runs):
        self.bench, self.bin, self.n = bench, bin_dir, entries
        self.grow, self.runs = grow, runs
        self.token = harness.make_token(run_bench.SECRET)
        self.env = dict(bench.env, PACT_TOKEN=self.token)
        self.writes = 0

    def cli(self, gateway, *args, timeout=30):
        return subprocess.run([harness.binary("pact"), *args, "--endpoint",
                               gateway, "--timeout", str(timeout)],
                              env=self.env, capture_output=True, text=True,
                              timeout=timeout + 30)

    def start(self, node_id, bootstrap=False):
        r = self.bench.start_replica(node_id, self.members, run_bench.SECRET,
                                     bootstrap=bootstrap)
        self.reps[node_id] = r
        return r

    def kill(self, r, sig=signal.SIGKILL):
        r.stop(sig)
        self.bench.daemons.remove(r)

    def leader(self):
        def find():
            for r in self.reps.values():
                h = self.bench.health(r)
                if h and h["role"] == "leader":
                    return r, h
            return None
        return harness.wait_for(find, 60, "a leader")

    def serving(self, gateway, t0):
        """Seconds from t0 until `pact status` answers on `gateway` and a
        commit through it commits."""
        harness.wait_for(lambda: self.cli(gateway, "status",
                                          timeout=5).returncode == 0,
                         600, "pact status to answer")
        self.writes += 1

        def commits():
            return self.cli(gateway, "commit", "-m", "restart", "bench-1",
                            "--set", f"kernel:restart={self.writes}",
                            timeout=5).returncode == 0
        harness.wait_for(commits, 600, "a write to commit")
        return round(time.monotonic() - t0, 2)

    def converged(self, timeout=600):
        def same():
            hs = [self.bench.health(r) for r in self.reps.values()]
            if any(h is None for h in hs):
                return None
            if len({h["applied_index"] for h in hs}) == 1 and \
                    len({h["digest"] for h in hs}) == 1:
                return hs
            return None
        return harness.wait_for(same, timeout, "equal digests")

    def refused(self, data, *args):
        """pact-bulkload refuses `args` on `data` (exit 1, a message) and
        changes nothing."""
        before = bulkload(self.bin, data, "--probe")
        r = subprocess.run([os.path.join(self.bin, "pact-bulkload"),
                            "--data-dir", data, *args], capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 1 or not r.stderr.startswith("pact-bulkload: ") \
                or bulkload(self.bin, data, "--probe") != before:
            raise RuntimeError(f"pact-bulkload {' '.join(args)} was not "
                               f"refused cleanly: {r.returncode} {r.stderr}")

    def load_all(self):
        """Steps 1-2."""
        self.members, self.reps, _ = run_bench.start_cluster(self.bench)
        self.bench.members = self.members
        self.leader()
        one = self.reps[1].data
        r = subprocess.run([os.path.join(self.bin, "pact-bulkload"),
                            "--data-dir", one, "--probe"],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 1 or "running pact-journal" not in r.stderr:
            raise RuntimeError(f"a running replica's directory: {r.stderr}")
        for r in list(self.reps.values()):
            self.kill(r, signal.SIGTERM)
        probes = [bulkload(self.bin, r.data, "--probe")
                  for r in self.reps.values()]
        after = max(p["last_index"] for p in probes)
        term = max(max(p["current_term"], p["last_term"]) for p in probes)
        self.refused(one, "--entries", "5", "--after-index", "0", "--term",
                     str(term))
        self.refused(one, "--entries", "5", "--after-index", str(after),
                     "--term", "0")
        loads = bulkload_all(self.bin, [r.data for r in self.reps.values()],
                             "--entries", str(self.n), "--after-index",
                             str(after), "--term", str(term))
        if len({x["digest"] for x in loads}) != 1:
            raise RuntimeError(f"bulk-loaded replicas differ: {loads}")
        row = {"bulk_entries": self.n,
               "bulk_s": [round(x["seconds"], 1) for x in loads],
               "bulk_entries_per_s": round(loads[0]["entries_per_s"])}
        t0 = time.monotonic()
        for i in list(self.reps):
            self.start(i)
        row["restart_all_s"] = self.serving(self.reps[1].gateway, t0)
        row["digests_equal"] = len({h["digest"]
                                    for h in self.converged()}) == 1
        return row

    def memory(self, lead, tag):
        return {f"rss_anon_mb_{tag}": status_mb(lead.proc.pid, "RssAnon"),
                f"rss_file_mb_{tag}": status_mb(lead.proc.pid, "RssFile")}

    def reads(self, lead):
        """Step 3."""
        gw = lead.gateway
        row = {}
        for name, args in (("version", ["--version"]),
                           ("log20", ["log", "-n", "20"]),
                           ("scope20", ["log", "--scope", "node:bench-7",
                                        "-n", "20"])):
            p50, p99 = pcts(run_bench.time_cli(self.bench, self.token, gw,
                                               args, self.runs))
            row[f"{name}_p50_ms"], row[f"{name}_p99_ms"] = p50, p99
        t0 = time.monotonic()
        r = self.cli(gw, "log", "--verify", "-n", "1", timeout=3600)
        row["verify_s"] = round(time.monotonic() - t0, 1)
        row["verify"] = (r.stdout.strip().splitlines() or [""])[-1] \
            if r.returncode == 0 else f"exit {r.returncode}: {r.stderr}"
        return row

    def add_entries(self, lead):
        """Step 4: GROW entries through the gateways."""
        start = self.bench.health(lead)["applied_index"]
        gws = [r.gateway for r in self.reps.values()]
        while self.bench.health(lead)["applied_index"] < start + self.grow:
            run_bench.load(os.path.join(self.bin, "pact-load"), gws,
                           self.token, 256, 2, mode="commit")
        return self.bench.health(lead)["applied_index"] - start

    def restarts(self, lead):
        """Step 5."""
        self.kill(lead)
        t0 = time.monotonic()
        again = self.start(lead.node_id)
        row = {"restart_leader_s": self.serving(again.gateway, t0)}
        for r in list(self.reps.values()):
            self.kill(r)
        t0 = time.monotonic()
        for i in list(self.reps):
            self.start(i)
        row["restart_all_kill_s"] = self.serving(self.reps[1].gateway, t0)
        self.converged()
        return row

    def catch_up(self):
        """Step 6."""
        lead, _ = self.leader()
        empty = next(r for r in self.reps.values() if r is not lead)
        self.kill(empty, signal.SIGTERM)
        shutil.rmtree(os.path.join(empty.data, "raft"))
        # A leader that knew how far the replica's log reached would send it
        # a commit index beyond its now empty log, which Raft treats as a
        # lost log (the replica stops, as etcd's does): restart the others,
        # so that the leader learns the emptied log from scratch.
        for r in [r for r in self.reps.values() if r is not empty]:
            self.kill(r, signal.SIGTERM)
            self.start(r.node_id)
        lead, h = self.leader()
        target = h["commit_index"]
        t0 = time.monotonic()
        again = self.start(empty.node_id, bootstrap=True)

        def caught_up():
            if again.proc.poll() is not None:
                raise AssertionError("the emptied replica exited:\n"
                                     + again.read_log()[-2000:])
            h = self.bench.health(again)
            return h and h["applied_index"] >= target
        harness.wait_for(caught_up, 6 * 3600, "the empty replica to catch up")
        secs = time.monotonic() - t0
        got = dir_bytes(os.path.join(again.data, "raft")) / (1 << 20)
        hs = self.converged()
        return {"catchup_s": round(secs, 1),
                "catchup_received_mb": round(got, 1),
                "catchup_mb_s": round(got / max(secs, 1e-3), 1),
                "catchup_digests_equal": len({h["digest"] for h in hs}) == 1}

@contextlib.contextmanager
def exclusive(path):
    """An exclusive flock(2) on `path` (nothing when None)."""
    if not path:
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def run(a, emit):
    """Runs every step, passing each row to `emit`."""
    bench = run_bench.Cluster()
    bench.setUp()
    try:
        b = BulkRun(bench, a.bin, a.bulk, a.grow, 5 if a.quick else 50)
        emit(b.load_all())
        lead, h = b.leader()
        row = {"applied_index": h["applied_index"],
               "disk_b_per_entry": round(dir_bytes(lead.data)
                                         / max(h["applied_index"], 1))}
        row.update(b.memory(lead, "start"))
        with exclusive(getattr(a, "lock", None)):
            row.update(b.reads(lead))
        emit(row)
        lead, _ = b.leader()
        before = b.memory(lead, "start")
        added = b.add_entries(lead)
        row = {"added": added}
        row.update(b.memory(lead, "after"))
        row["rss_anon_growth_mb_per_100k"] = round(
            (row["rss_anon_mb_after"] - before["rss_anon_mb_start"])
            * 100000 / max(added, 1), 1)
        # A second step from a warmed-up process: the first includes the
        # process's own warm-up (caches, buffers, allocator arenas filling).
        more = b.add_entries(lead)
        row["added_second"] = more
        row.update(b.memory(lead, "after_second"))
        row["rss_anon_steady_growth_mb_per_100k"] = round(
            (row["rss_anon_mb_after_second"] - row["rss_anon_mb_after"])
            * 100000 / max(more, 1), 1)
        emit(row)
        emit(b.restarts(lead))
        emit(b.catch_up())
    finally:
        bench.tearDown()
