#!/usr/bin/env python3
"""Agent boot storm (issue 11 item 7; docs/benchmarks.md "Agent boot storm").

  python3 tests/bench/boot_storm.py [--agents 1000,10000] [--connections 102]
      [--threads 2] [--per-process 1000] [--agents-dir DIR] [--quick]
      [--bin build/bin] [--out FILE]

For each N: a fresh 3-replica pact-journal cluster on loopback (the
harness run_bench.py uses), a vCluster spec applied (sysctl, files, a
mount, a package, network, a service), then `pact-bootstorm` (the C++
tool in boot_storm.cpp, one process per --per-process agents, since LMDB
allows about 1,000 open environments per process): they enroll the N
nodes (untimed), report ready, and on one signal start N real journal
links at once, each with its own node credential, --root and boot cache,
sharing --connections client connections to the three replicas;
the time until every link has authenticated, streamed its overlay and
node delta, applied them under its root and handed them on is "all
configured". Each link then records a boot-config entry (a durable Raft
commit); this script polls the leader's /health every 50 ms and reports
when the applied index covers all N of them ("all recorded", from the
same t0: both clocks are CLOCK_MONOTONIC).

--quick (CI smoke, ctest -L bench): N = 50 in two processes over 6
connections; it checks the harness works, never the figures.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

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
    """(monotonic time, the leader's applied index) every 50 ms, from its
    /metrics (pact_raft_applied_index): one HTTP request each time, and not
    /health, whose state digest costs the leader time that grows with the
    node records the storm adds."""

    def __init__(self, bench, lead):
        super().__init__(daemon=True)
        self.bench, self.lead = bench, lead
        self.samples = []
        self.stop = threading.Event()

    def applied(self):
        try:
            with urllib.request.urlopen(self.lead.metrics + "/metrics",
                                        timeout=2.0) as r:
                text = r.read().decode()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith("pact_raft_applied_index"):
                return int(float(line.split()[-1]))
        return None

    def run(self):
        while not self.stop.is_set():
            i = self.applied()
            if i is not None:
                self.samples.append((time.monotonic(), i))
            time.sleep(0.05)


def recorded_ms(samples, t0, n):
    """Time from t0 until the applied index reached (index at t0) + n."""
    before = [i for t, i in samples if t <= t0]
    if not before:
        return None
    want = before[-1] + n
    after = [t for t, i in samples if t > t0 and i >= want]
    return (after[0] - t0) * 1000 if after else None


def cpu_s(pids):
    """utime + stime of the processes (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def spawn_storm(args, reps, secret, agents_dir, n, errlog):
    """ceil(n / --per-process) pact-bootstorm processes, set up (and their
    nodes enrolled) in parallel, each holding its share of the agents and
    of the connections."""
    procs = []
    count = -(-n // args.per_process)
    conns = max(len(reps), -(-args.connections // count))
    for p in range(count):
        first = p * args.per_process
        size = min(args.per_process, n - first)
        procs.append(subprocess.Popen(
            [harness.binary("pact-bootstorm"), "--journals",
             ",".join(r.gateway for r in reps.values()), "--agents",
             str(size), "--first", str(first), "--connections", str(conns),
             "--threads", str(args.threads), "--dir", agents_dir,
             "--secret-file", secret, "--vcluster", VC, "--enroll",
             "--wait-go", "--timeout-s", str(args.timeout_s), "--linger-s",
             str(args.timeout_s), "--log-level", args.log_level],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errlog,
            text=True))
    return procs


def merge(outs, n):
    """One storm's figures from its processes' (same clock, t0 = the
    earliest start)."""
    t0 = min(o["t0_monotonic_s"] for o in outs)
    at = sorted((o["t0_monotonic_s"] - t0) * 1000 + ms
                for o in outs for ms in o["configured_ms"])
    states = {}
    for o in outs:
        for k, v in o["health"]["states"].items():
            states[k] = states.get(k, 0) + v
    return {"agents": n, "processes": len(outs),
            "connections": sum(o["connections"] for o in outs),
            "configured": len(at), "t0_monotonic_s": t0,
            "all_configured_ms": at[-1] if len(at) == n else None,
            "p50_ms": at[len(at) // 2] if at else 0,
            "p99_ms": at[int(0.99 * (len(at) - 1))] if at else 0,
            "start_spread_ms": (max(o["t0_monotonic_s"] for o in outs)
                                - t0) * 1000,
            "link_states": states,
            "not_running": [x for o in outs
                            for x in o["health"]["not_running"]][:5]}


def storm(args, n):
    bench = run_bench.Cluster()
    bench.setUp()
    agents_dir = os.path.join(args.agents_dir or bench.tmp,
                              f"pact-bootstorm-{os.getpid()}")
    procs = []
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
        errlog = open(os.path.join(bench.tmp, "bootstorm.err"), "w+")

        def stderr_text():
            errlog.seek(0)
            return errlog.read()
        procs = spawn_storm(args, reps, secret, agents_dir, n, errlog)
        for p in procs:
            if p.stdout.readline().strip() != "ready":
                p.wait()
                raise RuntimeError("pact-bootstorm: " + stderr_text())
        poller = Poller(bench, lead)
        poller.start()
        time.sleep(0.2)  # a sample before t0
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        rep_pids = [r.proc.pid for r in reps.values()]
        link_pids = [p.pid for p in procs]
        cpu0 = (cpu_s(rep_pids), cpu_s(link_pids))
        perf = None
        if args.perf:  # a profile of the timed part only (docs/benchmarks.md)
            perf = subprocess.Popen(
                ["perf", "record", "-q"]
                + (["--call-graph", "dwarf,8192"] if args.perf_calls else [])
                + ["-F", "199", "-o", args.perf, "-p",
                 ",".join(str(x) for x in
                          {"all": rep_pids + link_pids, "replicas": rep_pids,
                           "leader": [lead.proc.pid],
                           "link": link_pids[:1]}[args.perf_of])])
            time.sleep(1.0)  # perf attaches to every thread first
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = []
        for p in procs:
            line, other = p.stdout.readline(), []
            while line and not line.startswith("{"):
                other.append(line)  # not the tool's: say what it was
                line = p.stdout.readline()
            if not line:
                p.wait()
                raise RuntimeError("pact-bootstorm: " + "".join(other)
                                   + stderr_text())
            if other:
                print(f"pact-bootstorm stdout: {''.join(other)[:2000]}",
                      file=sys.stderr)
            outs.append(json.loads(line))
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        out = merge(outs, n)
        deadline = time.monotonic() + args.timeout_s
        rec = None
        while rec is None and time.monotonic() < deadline:
            time.sleep(0.1)
            rec = recorded_ms(list(poller.samples), out["t0_monotonic_s"], n)
        poller.stop.set()
        # CPU the storm took (to the last record, plus the poller's 0.1 s
        # steps): what the figure would be on idle cores, whatever else
        # ran on the machine.
        cpu = (cpu_s(rep_pids) - cpu0[0], cpu_s(link_pids) - cpu0[1])
        for p in procs:
            p.stdin.close()  # the links stop
        for p in procs:
            p.wait(timeout=60)
        err = stderr_text()
        errlog.close()
        if any(p.returncode not in (0, 2) for p in procs):
            raise RuntimeError("pact-bootstorm failed: " + err)
        if err.strip():
            # What the links said, by kind (numbers, node names and times
            # stripped), most frequent first.
            kinds = {}
            for line in err.splitlines():
                k = re.sub(r"\d+", "N", line.split("] ", 2)[-1])[:160]
                kinds[k] = kinds.get(k, 0) + 1
            top = sorted(kinds.items(), key=lambda kv: -kv[1])[:12]
            print(f"pact-bootstorm (N={n}) stderr, {len(err.splitlines())} "
                  "lines, by kind:\n" + "\n".join(f"  {c:6d}  {k}"
                                                   for k, c in top),
                  file=sys.stderr)
        out.update({"all_recorded_ms": rec, "load_1m": load,
                    "cpu_ms_per_agent": {
                        "replicas": round(cpu[0] * 1000 / n, 3),
                        "links": round(cpu[1] * 1000 / n, 3)}})
        return out
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        bench.tearDown()
        shutil.rmtree(agents_dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", default="1000,10000")
    ap.add_argument("--connections", type=int, default=102)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--per-process", type=int, default=1000,
                    help="agents per pact-bootstorm process (LMDB allows "
                    "about 1,000 environments in one process)")
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
    ap.add_argument("--perf-calls", action="store_true",
                    help="with --perf: record call graphs (dwarf; slows the "
                    "processes several times over)")
    ap.add_argument("--perf-of", default="all",
                    choices=["all", "replicas", "leader", "link"],
                    help="with --perf: which processes (link: the first "
                    "pact-bootstorm process only)")
    ap.add_argument("--perf", default=None,
                    help="perf record the replicas and links from the start "
                    "signal until all are configured, into this file")
    args = ap.parse_args()
    if args.quick:
        args.agents, args.connections, args.timeout_s = "50", 6, 60
        args.per_process = 25  # two processes: the merge is exercised
    os.environ["PACT_BIN_DIR"] = os.path.abspath(args.bin)
    harness.BIN = os.environ["PACT_BIN_DIR"]
    results = [storm(args, int(n)) for n in args.agents.split(",")]
    print("| agents | processes | connections | all configured ms | per "
          "agent p50 / p99 ms | all recorded ms | CPU ms per agent: replicas "
          "+ links | link states | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        rec, conf = r["all_recorded_ms"], r["all_configured_ms"]
        print(f"| {r['agents']} | {r['processes']} | {r['connections']} | "
              f"{'not all' if conf is None else f'{conf:.0f}'} | "
              f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f} | "
              f"{'not within the timeout' if rec is None else f'{rec:.0f}'} "
              f"| {r['cpu_ms_per_agent']['replicas']:.2f} + "
              f"{r['cpu_ms_per_agent']['links']:.2f} "
              f"| {r['link_states']} | {r['load_1m']} |")
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
