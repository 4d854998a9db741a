#!/usr/bin/env python3
"""The node agent's footprint and speed (issue 11 item 7; docs/benchmarks.md
"The node agent").

  python3 tests/bench/agent_bench.py [--quick] [--bin build/bin]
      [--files 10000] [--idle-s 30] [--ready-runs 20] [--trials 200]
      [--out FILE]

Starts `pact-journal --dev` (a single replica on loopback), applies a small
vCluster spec and then measures one real `pact-agent` process under a
temporary --root holding a generated tree of --files regular files
(`make_tree`: /etc, /usr/share, /usr/lib, /opt and /var/lib, sizes mostly
small, a few over the baseline's 16 KiB cap), all of them watched:

1. memory and idle CPU: once the agent is configured and its first walk is
   done ("drift: baseline of N files"), VmRSS, RssAnon, RssFile and VmHWM
   from /proc/PID/status, and utime+stime from /proc/PID/stat over
   --idle-s seconds with nothing changing;
2. start to ready: --ready-runs agent starts against the warm journal
   (each a new node with a new state dir, i.e. a first boot), with a small
   root and with the --files tree; the agent's own figure (the log line
   "pact-agent ready in N ms (start to configured)", timed from main()) and
   the wall time from fork until that line is in its log (polled every
   2 ms);
3. file write to drift: `pact-drift-probe` connects once to the agent API
   and, per trial, rewrites a watched file and asks for the node's drift in
   a closed loop until the change is in the answer (the agent's own
   detection, no CLI start); then --cli-trials times the real CLI, `pact
   diff NODE --output json` started right after a write (wall time, and
   whether the answer showed the write), next to `pact --version` (the
   CLI process alone).

--quick (CI smoke, ctest -L bench): 300 files, 2 s idle, 2 starts, 5
trials; it checks that every measurement works, never its figures. Prints
markdown tables and writes JSON lines to --out.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402
import run_bench  # noqa: E402

SPEC = """
[vcluster.bench.sysctl]
"vm.swappiness" = "10"
[vcluster.bench.files]
"/etc/motd" = { content = "managed by pact\\n", mode = "0644" }
[vcluster.bench.mounts]
"/scratch" = { type = "nfs", source = "storage01:/scratch" }
[vcluster.bench.packages]
htop = "3.2"
"""
NODE = "bench-node"
TICKS = os.sysconf("SC_CLK_TCK")


SMAPS_OUT = None
PERF_OUT = None


def pct(samples, p):
    v = sorted(samples)
    return v[int(p * (len(v) - 1))] if v else 0.0


def text_corpus(limit=4 << 20):
    """Real configuration and documentation text from this machine (/etc,
    /usr/share/common-licenses, /usr/share/doc/*/copyright), so that the
    generated files compress and diff like real ones."""
    chunks, size = [], 0
    for top in ("/etc", "/usr/share/common-licenses", "/usr/share/doc"):
        for dirpath, _, names in sorted(os.walk(top)):
            for name in sorted(names):
                if top == "/usr/share/doc" and name != "copyright":
                    continue
                try:
                    with open(os.path.join(dirpath, name), "rb") as f:
                        data = f.read(64 << 10)
                except OSError:
                    continue
                if b"\0" in data or not data:
                    continue
                chunks.append(data)
                size += len(data)
                if size >= limit:
                    return b"".join(chunks)
    return b"".join(chunks) or b"key = value\n" * 4096


def make_tree(root, n, seed=11):
    """n regular files in a tree shaped like a node's system directories:
    40 files per directory under /etc, /usr/share/doc, /usr/lib, /opt and
    /var/lib; sizes log-normal around 700 bytes (like /etc: median 665,
    mean 1.1 KB, at most 12 KiB), 1 % of them 32-256 KiB (over the
    baseline's per-file cap, kept as hashes); content cut from real text
    (text_corpus) at random offsets."""
    rng = random.Random(seed)
    corpus = text_corpus()
    tops = ["etc", "usr/share/doc", "usr/lib/modules-load", "opt/app",
            "var/lib/app"]
    made = 0
    d = 0
    while made < n:
        top = tops[d % len(tops)]
        path = os.path.join(root, top, f"d{d // 25}", f"s{d}")
        os.makedirs(path, exist_ok=True)
        for i in range(min(40, n - made)):
            if rng.random() < 0.01:
                size = rng.randrange(32 << 10, 256 << 10)
            else:
                size = min(int(rng.lognormvariate(6.5, 1.0)), 12 << 10)
            at = rng.randrange(0, max(1, len(corpus) - size))
            body = (corpus[at:at + size] * (size // max(1, len(corpus)) + 1)
                    )[:size]
            with open(os.path.join(path, f"f{i}.conf"), "wb") as f:
                f.write(body)
            made += 1
        d += 1
    return made


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])
    return out


def pss_kb(pid):
    """Proportional set size: shared library pages divided among the
    processes that map them."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


class Bench(run_bench.Cluster):
    def admin(self, *args):
        r = self.pact(*args, "--endpoint", self.journal.gateway,
                      token=self.token)
        if r.returncode != 0:
            raise RuntimeError(f"pact {' '.join(args)}: {r.stderr}")
        return r

    def prepare(self):
        self.journal = self.start_journal()
        self.token = self.token_of(self.journal)
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(SPEC)
        self.admin("apply", spec, "-m", "bench")

    def agent(self, node, root_files):
        extra = []
        if self.agent_config:
            path = os.path.join(self.tmp, "agent.toml")
            with open(path, "w") as f:
                f.write(self.agent_config.replace("\\n", "\n") + "\n")
            extra = ["--config", path]
        root = os.path.join(self.tmp, node + "-root")
        os.makedirs(root, exist_ok=True)
        if root_files:
            # One generated tree, hard-linked into each root (nothing
            # writes to its files).
            template = os.path.join(self.tmp, f"tree-{root_files}")
            if not os.path.isdir(template):
                make_tree(template, root_files)
            subprocess.run(["cp", "-al", template + "/.", root], check=True)
        t0 = time.monotonic()
        a = self.start_agent(self.journal, node, "bench", extra=extra)
        return a, t0

    @staticmethod
    def wait_log(agent, pattern, timeout=60, poll=0.002):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(agent.log_path, "rb") as f:
                m = rx.search(f.read().decode(errors="replace"))
            if m:
                return m, time.monotonic()
            if agent.proc.poll() is not None:
                raise RuntimeError("the agent exited:\n" + agent.read_log())
            time.sleep(poll)
        raise RuntimeError(f"no /{pattern}/ in the agent's log within "
                           f"{timeout} s:\n" + agent.read_log())


READY = r"pact-agent ready in (\d+) ms \(start to configured\): booted from"
BASELINE = r"drift: baseline of (\d+) files, (\d+) directories watched"


def footprint(b, files, idle_s, probe_files):
    # The files pact-drift-probe rewrites, in the baseline from the start
    # (on top of the --files tree).
    bench = os.path.join(b.tmp, NODE + "-root", "etc", "bench")
    os.makedirs(bench)
    for k in range(probe_files):
        with open(os.path.join(bench, f"f{k}.conf"), "w") as f:
            f.write("v0\n")
    a, _ = b.agent(NODE, files)
    b.wait_log(a, READY)
    m, _ = b.wait_log(a, BASELINE, timeout=300)
    watched = int(m.group(1))
    time.sleep(2)  # the boot's records and first reports go out
    pid = a.proc.pid
    load = load_average()
    perf = None
    if PERF_OUT:  # what the idle agent does (docs/benchmarks.md)
        perf = subprocess.Popen(["perf", "record", "-q", "--call-graph",
                                 "dwarf,16384", "-F", "999", "-o", PERF_OUT,
                                 "-p", str(pid)])
        time.sleep(1.0)
    c0, t0 = cpu_ticks(pid), time.monotonic()
    time.sleep(idle_s)
    c1, t1 = cpu_ticks(pid), time.monotonic()
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    st = proc_status(pid)
    pss = pss_kb(pid)
    if SMAPS_OUT:
        shutil.copyfile(f"/proc/{pid}/smaps", SMAPS_OUT)
    cpu = (c1 - c0) / TICKS / (t1 - t0) * 100
    return a, {"measure": "agent footprint", "files": files,
               "watched_files": watched, "dirs": int(m.group(2)),
               "rss_kb": st["VmRSS"], "rss_anon_kb": st["RssAnon"],
               "rss_file_kb": st["RssFile"], "hwm_kb": st["VmHWM"], "pss_kb": pss,
               "threads": st["Threads"], "idle_s": round(t1 - t0, 1),
               "idle_cpu_percent": round(cpu, 3), "load_1m": load}


def start_to_ready(b, runs, files, tag):
    own, wall = [], []
    load = load_average()
    for i in range(runs):
        a, t0 = b.agent(f"ready-{tag}-{i}", files)
        m, t1 = b.wait_log(a, READY)
        own.append(int(m.group(1)))
        wall.append((t1 - t0) * 1000)
        a.stop()
        b.daemons.remove(a)
    return {"measure": "start to ready", "root_files": files, "runs": runs,
            "own_p50_ms": pct(own, 0.5), "own_max_ms": max(own),
            "wall_p50_ms": round(pct(wall, 0.5), 1),
            "wall_max_ms": round(max(wall), 1), "load_1m": load}


def drift_probe(b, a, trials):
    load = load_average()
    r = subprocess.run([harness.binary("pact-drift-probe"), "--agent", a.api,
                        "--token", b.token, "--node", NODE, "--root", a.root,
                        "--trials", str(trials)], capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError("pact-drift-probe: " + r.stderr)
    out = json.loads(r.stdout)
    out.update({"measure": "write to drift (agent API)", "load_1m": load})
    return out


def cli_diff(b, a, trials):
    env = {"PACT_AGENT_ENDPOINT": a.api}
    version, diff, shown = [], [], 0
    for _ in range(trials):
        t0 = time.monotonic()
        b.pact("--version")
        version.append((time.monotonic() - t0) * 1000)
    for k in range(trials):
        path = os.path.join(a.root, "etc", "cli-bench.conf")
        with open(path, "w") as f:
            f.write(f"cli trial {k}\n")
        t0 = time.monotonic()
        r = b.pact("diff", NODE, "--output", "json", token=b.token, env=env)
        diff.append((time.monotonic() - t0) * 1000)
        if r.returncode != 0:
            raise RuntimeError("pact diff: " + r.stderr)
        items = json.loads(r.stdout)["items"]
        shown += any(i["key"] == "/etc/cli-bench.conf"
                     and i["actual"] == f"cli trial {k}\n" for i in items)
    return {"measure": "pact diff after a write (CLI)", "trials": trials,
            "diff_p50_ms": round(pct(diff, 0.5), 1),
            "diff_p99_ms": round(pct(diff, 0.99), 1),
            "version_p50_ms": round(pct(version, 0.5), 1),
            "showed_the_write": shown, "load_1m": load_average()}


def report(results):
    for r in results:
        m = r["measure"]
        if m == "agent footprint":
            print(f"| footprint | {r['watched_files']} files watched in "
                  f"{r['dirs']} dirs | VmRSS {r['rss_kb'] / 1024:.1f} MB "
                  f"(anon {r['rss_anon_kb'] / 1024:.1f}, file "
                  f"{r['rss_file_kb'] / 1024:.1f}, peak "
                  f"{r['hwm_kb'] / 1024:.1f}; PSS {r['pss_kb'] / 1024:.1f}) "
                  f"| idle CPU "
                  f"{r['idle_cpu_percent']:.2f} % over {r['idle_s']} s | "
                  f"load {r['load_1m']} |")
        elif m == "start to ready":
            print(f"| start to ready | root {r['root_files']} files, "
                  f"{r['runs']} starts | own p50 {r['own_p50_ms']} ms, max "
                  f"{r['own_max_ms']} ms | wall p50 {r['wall_p50_ms']} ms, "
                  f"max {r['wall_max_ms']} ms | load {r['load_1m']} |")
        elif m == "write to drift (agent API)":
            print(f"| write to drift, agent API | {r['trials']} trials | "
                  f"p50 {r['detect_p50_ms']:.2f} ms, p99 "
                  f"{r['detect_p99_ms']:.2f} ms, max "
                  f"{r['detect_max_ms']:.2f} ms | query alone p50 "
                  f"{r['query_p50_ms']:.2f} ms | load {r['load_1m']} |")
        else:
            print(f"| pact diff after a write | {r['trials']} runs | p50 "
                  f"{r['diff_p50_ms']} ms, p99 {r['diff_p99_ms']} ms, "
                  f"showed it {r['showed_the_write']}/{r['trials']} | "
                  f"`pact --version` p50 {r['version_p50_ms']} ms | load "
                  f"{r['load_1m']} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", default=os.path.join(os.getcwd(), "build", "bin"))
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--idle-s", type=float, default=30)
    ap.add_argument("--ready-runs", type=int, default=20)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--cli-trials", type=int, default=50)
    ap.add_argument("--sections", default="footprint,drift,cli,ready",
                    help="which measurements (drift and cli need footprint)")
    ap.add_argument("--agent-config", default="",
                    help="TOML for the agents' --config (\\n for newlines)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--perf", default=None,
                    help="perf record (call graphs) the agent's idle window "
                    "into this file; the idle CPU figure then includes "
                    "perf's own cost")
    ap.add_argument("--smaps", default=None,
                    help="copy the measured agent's /proc/PID/smaps here")
    args = ap.parse_args()
    global SMAPS_OUT, PERF_OUT
    SMAPS_OUT = args.smaps
    PERF_OUT = args.perf
    if args.quick:
        args.files, args.idle_s, args.ready_runs = 300, 2, 2
        args.trials, args.cli_trials = 5, 2
    os.environ["PACT_BIN_DIR"] = os.path.abspath(args.bin)
    harness.BIN = os.environ["PACT_BIN_DIR"]
    sections = set(args.sections.split(","))
    b = Bench()
    b.agent_config = args.agent_config
    b.setUp()
    results = []
    try:
        b.prepare()
        if "footprint" in sections:
            a, fp = footprint(b, args.files, args.idle_s, args.trials)
            results.append(fp)
            if "drift" in sections:
                results.append(drift_probe(b, a, args.trials))
            if "cli" in sections:
                results.append(cli_diff(b, a, args.cli_trials))
            a.stop()
            b.daemons.remove(a)
        if "ready" in sections:
            results.append(start_to_ready(b, args.ready_runs, 0, "small"))
            results.append(start_to_ready(b, args.ready_runs, args.files,
                                          "tree"))
    finally:
        b.tearDown()
    print("| measure | setting | result | | load |")
    print("|---|---|---|---|---|")
    report(results)
    if args.quick:
        fp = results[0]
        assert fp["watched_files"] >= args.files, fp
        assert all(r.get("showed_the_write", args.cli_trials) == args.cli_trials
                   for r in results), results
    if args.out:
        with open(args.out, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
