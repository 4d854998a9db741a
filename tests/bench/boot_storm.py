#!/usr/bin/env python3
"""Agent boot storm (issue 11 item 7; docs/benchmarks.md "Agent boot storm").

  python3 tests/bench/boot_storm.py [--agents 1000,10000] [--connections 102]
      [--threads 2] [--quick] [--bin build/bin] [--out FILE]

For each N: a fresh 3-replica pact-journal cluster on loopback (the
harness run_bench.py uses), a vCluster spec applied (sysctl, files, a
mount, a package, network, a service), then `pact-bootstorm` (the C++
tool in boot_storm.cpp): it enrolls N nodes (untimed), then starts N real
journal links at once, each with its own node credential, --root and boot
cache, sharing --connections client connections to the three replicas;
the time until every link has authenticated, streamed its overlay and
node delta, applied them under its root and handed them on is "all
configured". Each link then records a boot-config entry (a durable Raft
commit); this script polls the leader's /health every 50 ms and reports
when the applied index covers all N of them ("all recorded", from the
same t0: both clocks are CLOCK_MONOTONIC).

--quick (CI smoke, ctest -L bench): N = 50 over 6 connections; it checks
the harness works, never the figures.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402
import run_bench  # noqa: E402

VC = "bench"
SPEC = """
[vcluster.bench.sysctl]
"vm.swappiness" = "10"
"vm.nr_hugepages" = "2048"
"kernel.numa_balancing" = "0"
[vcluster.bench.files]
"/etc/motd" = { content = "managed by pact\\n", mode = "0644" }
"/etc/security/limits.d/90-bench.conf" = { content = "* soft memlock unlimited\\n* hard memlock unlimited\\n", mode = "0644" }
"/etc/modprobe.d/bench.conf" = { content = "options nvidia NVreg_EnableGpuFirmware=0\\n", mode = "0644" }
[vcluster.bench.mounts]
"/scratch" = { type = "nfs", source = "storage01:/scratch", options = "vers=4.2,hard" }
[vcluster.bench.packages]
htop = "3.2"
[vcluster.bench.network]
mtu = 9000
[vcluster.bench.services.telemetry]
binary = "/usr/bin/telemetry"
restart = "always"
"""


class Poller(threading.Thread):
    """(monotonic time, the leader's applied index) every 50 ms: one HTTP
    request each time, so that the poller takes little of the CPU the
    storm runs on."""

    def __init__(self, bench, lead):
        super().__init__(daemon=True)
        self.bench, self.lead = bench, lead
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            h = self.bench.health(self.lead)
            if h:
                self.samples.append((time.monotonic(), h["applied_index"]))
            time.sleep(0.05)


def recorded_ms(samples, t0, n):
    """Time from t0 until the applied index reached (index at t0) + n."""
    before = [i for t, i in samples if t <= t0]
    if not before:
        return None
    want = before[-1] + n
    after = [t for t, i in samples if t > t0 and i >= want]
    return (after[0] - t0) * 1000 if after else None


def storm(args, n):
    bench = run_bench.Cluster()
    bench.setUp()
    agents_dir = os.path.join(args.agents_dir or bench.tmp,
                              f"pact-bootstorm-{os.getpid()}")
    try:
        _, reps, leader = run_bench.start_cluster(bench)
        lead, _ = leader()
        token = harness.make_token(run_bench.SECRET)
        spec = os.path.join(bench.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(SPEC)
        r = bench.pact("apply", spec, "-m", "bench", "--endpoint",
                       lead.gateway, token=token)
        if r.returncode != 0:
            raise RuntimeError("pact apply: " + r.stderr)
        secret = os.path.join(bench.tmp, "secret")
        with open(secret, "w") as f:
            f.write(run_bench.SECRET + "\n")
        poller = Poller(bench, lead)
        poller.start()
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        errlog = open(os.path.join(bench.tmp, "bootstorm.err"), "w+")
        proc = subprocess.Popen(
            [harness.binary("pact-bootstorm"), "--journals",
             ",".join(r.gateway for r in reps.values()), "--agents", str(n),
             "--connections", str(args.connections), "--threads",
             str(args.threads), "--dir", agents_dir,
             "--secret-file", secret, "--vcluster", VC, "--enroll",
             "--timeout-s", str(args.timeout_s), "--linger-s",
             str(args.timeout_s), "--log-level", args.log_level],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errlog,
            text=True)
        line = proc.stdout.readline()

        def stderr_text():
            errlog.seek(0)
            return errlog.read()
        if not line:
            proc.wait()
            raise RuntimeError("pact-bootstorm: " + stderr_text())
        out = json.loads(line)
        t0 = out["t0_monotonic_s"]
        deadline = time.monotonic() + args.timeout_s
        rec = None
        while rec is None and time.monotonic() < deadline:
            time.sleep(0.1)
            rec = recorded_ms(list(poller.samples), t0, n)
        poller.stop.set()
        proc.stdin.close()  # the links stop
        proc.wait(timeout=60)
        err = stderr_text()
        errlog.close()
        if proc.returncode not in (0, 2):
            raise RuntimeError(f"pact-bootstorm exited {proc.returncode}: "
                               + err)
        if err.strip():
            print(f"pact-bootstorm (N={n}) stderr ({len(err.splitlines())} "
                  f"lines): {err.strip()[:3000]}",
                  file=sys.stderr)
        out.update({"all_recorded_ms": rec, "load_1m": load})
        return out
    finally:
        bench.tearDown()
        shutil.rmtree(agents_dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", default="1000,10000")
    ap.add_argument("--connections", type=int, default=102)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout-s", type=float, default=120)
    ap.add_argument("--log-level", default="error",
                    help="the links' log (stderr of pact-bootstorm)")
    ap.add_argument("--agents-dir", default=None,
                    help="where the agents' roots, state dirs and caches go "
                    "(default: the run's temporary directory; /dev/shm puts "
                    "them on tmpfs)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", default=os.path.join(os.getcwd(), "build", "bin"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if args.quick:
        args.agents, args.connections, args.timeout_s = "50", 6, 60
    os.environ["PACT_BIN_DIR"] = os.path.abspath(args.bin)
    harness.BIN = os.environ["PACT_BIN_DIR"]
    results = [storm(args, int(n)) for n in args.agents.split(",")]
    print("| agents | connections | all configured ms | per agent p50 / p99 "
          "ms | all recorded ms | link states | load |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        rec = r["all_recorded_ms"]
        print(f"| {r['agents']} | {r['connections']} | "
              f"{r['all_configured_ms']:.0f} | {r['p50_ms']:.0f} / "
              f"{r['p99_ms']:.0f} | "
              f"{'not within the timeout' if rec is None else f'{rec:.0f}'} "
              f"| {r['health']['states']} | {r['load_1m']} |")
    if args.out:
        with open(args.out, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")
    bad = [r for r in results if r["configured"] != r["agents"]
           or r["all_recorded_ms"] is None]
    if bad:
        sys.exit(f"not every agent was configured and recorded: {bad}")


if __name__ == "__main__":
    main()
