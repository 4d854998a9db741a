#!/usr/bin/env python3
"""Fleet diag: `pact diag --vcluster V` over many real agents on loopback
(issue 12 item 8, second half; docs/benchmarks.md "Fleet diag").

  python3 tests/bench/diag_bench.py [--bin build/bin] [--agents 100]
      [--runs 10] [--syslog-lines 10000] [--quick] [--out FILE]

Starts `pact-journal --dev` and --agents `pact-agent` processes, each under
its own temporary --root holding a ring buffer (ROOT/dev/kmsg, 200 kmsg
records, two of them NVRM Xid errors) and ROOT/var/log/syslog
(--syslog-lines lines, one in a thousand an error), all enrolled in one
vCluster. Once every agent has booted (a fleet diag exits 0), it times, --runs
times each, a fresh `pact diag --vcluster V` process from fork to exit for:

  * `--grep 'Xid|error'`: a search (each agent scans its ring buffer and its
    whole syslog with RE2 and answers a few lines);
  * no filter: the newest 200 lines of each source of every node.

Every run must exit 0 with a `[node]` block for every agent. The CLI asks at
most 50 agents at once, 5 s each; each agent verifies the token,
authorizes, reads, filters and keeps an audit record in its outbox before
answering. Prints a markdown table (p50, min, max in ms, output lines) and
writes a JSON line per command to --out.

--silent K: afterwards, stop K agents with SIGSTOP (their connections are
accepted by the kernel, but nothing answers) and time the search again: it
must exit 5 listing exactly those K, the others' answers printed; the
time is bounded by the 5 s per agent, not by the number of silent agents
(each takes one worker, up to 50).

--quick: 5 agents, 2 runs each (CI smoke: checks that the path works).
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402

VC = "fleet"


def kmsg_text(node):
    recs = []
    for i in range(200):
        text = f"{node}: device event {i}"
        if i in (50, 150):
            text = f"NVRM: Xid 79, pid={i}, GPU has fallen off the bus"
        recs.append(f"6,{i},{i * 1000},-;{text}")
    return "\n".join(recs) + "\n"


def syslog_text(lines):
    out = []
    for i in range(lines):
        level = "error" if i % 1000 == 999 else "info"
        out.append(f"Nov 30 12:{i // 60 % 60:02d}:{i % 60:02d} node app[42]: "
                   f"{level}: request {i} handled in {i % 97} ms")
    return "\n".join(out) + "\n"


def pact(env, *args, timeout=120):
    return subprocess.run([harness.binary("pact"), *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def start(tmp, bin_dir, env, agents, syslog_lines):
    harness.BIN = bin_dir
    data = os.path.join(tmp, "journal")
    journal = harness.Daemon(
        [harness.binary("pact-journal"), "--dev", "--data-dir", data,
         "--listen", "127.0.0.1:0", "--raft-listen", "127.0.0.1:0",
         "--metrics-listen", "127.0.0.1:0"],
        data, env, os.path.join(tmp, "journal.log"))
    daemons = [journal]
    gateway = journal.endpoints()["gateway"]
    with open(os.path.join(data, "dev", "admin.token")) as f:
        admin = f.read().strip()
    with open(os.path.join(data, "dev", "hmac-secret")) as f:
        secret = f.read().strip()
    admin_env = {**env, "PACT_TOKEN": admin, "PACT_ENDPOINT": gateway}
    spec = os.path.join(tmp, "spec.toml")
    with open(spec, "w") as f:
        f.write(f"[vcluster.{VC}]\n")
    r = pact(admin_env, "apply", spec, "-m", "bench")
    if r.returncode != 0:
        raise SystemExit(f"pact apply: {r.stderr}")
    syslog = syslog_text(syslog_lines)
    agent_env = {**env, "PACT_OIDC_HMAC_SECRET": secret}
    nodes = [f"fd-{i:03d}" for i in range(agents)]
    for node in nodes:
        r = pact(admin_env, "enroll", node, "--vcluster", VC)
        if r.returncode != 0:
            raise SystemExit(f"pact enroll {node}: {r.stderr}")
        root = os.path.join(tmp, node + "-root")
        os.makedirs(os.path.join(root, "dev"))
        os.makedirs(os.path.join(root, "var", "log"))
        with open(os.path.join(root, "dev", "kmsg"), "w") as f:
            f.write(kmsg_text(node))
        with open(os.path.join(root, "var", "log", "syslog"), "w") as f:
            f.write(syslog)
        token_path = os.path.join(tmp, node + ".token")
        with open(token_path, "w") as f:
            f.write(harness.make_token(secret, sub=node,
                                       groups=("pact-node",)))
        state = os.path.join(tmp, node)
        daemons.append(harness.Daemon(
            [harness.binary("pact-agent"), "--node-id", node, "--vcluster",
             VC, "--journal", gateway, "--listen", "127.0.0.1:0", "--root",
             root, "--state-dir", state, "--token-file", token_path],
            state, agent_env, os.path.join(tmp, node + ".log")))
    for d in daemons[1:]:
        d.endpoints(timeout=120)
    ops = harness.make_token(secret, sub="bench", groups=(f"pact-ops-{VC}",))
    ops_env = {**env, "PACT_TOKEN": ops, "PACT_ENDPOINT": gateway}
    base = [harness.binary("pact"), "diag", "--vcluster", VC]
    harness.wait_for(lambda: subprocess.run(
        base + ["--source", "dmesg", "--lines", "1"], env=ops_env,
        capture_output=True).returncode == 0, 300, "every agent's boot")
    return daemons, base, ops_env, nodes


def timed(cmd, env, nodes, silent=()):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    ms = (time.perf_counter() - t0) * 1000
    if silent:
        listed = r.stdout.split(" nodes did not answer ---\n", 1)[-1]
        got = sorted(l.split(":", 1)[0] for l in listed.splitlines())
        if r.returncode != 5 or got != sorted(silent):
            raise SystemExit(f"expected exit 5 listing {sorted(silent)}, got "
                             f"{r.returncode}: {got}")
        nodes = [n for n in nodes if n not in silent]
    elif r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {r.returncode}: "
                         f"{r.stderr!r}\n{r.stdout[-2000:]}")
    missing = [n for n in nodes if f"[{n}] --- " not in r.stdout]
    if missing:
        raise SystemExit(f"no answer from {missing[:5]}...")
    return ms, r.stdout.count("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("PACT_BIN_DIR",
                                                    "build/bin"))
    ap.add_argument("--agents", type=int, default=100)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--syslog-lines", type=int, default=10000)
    ap.add_argument("--silent", type=int, default=0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    agents, runs = (5, 2) if a.quick else (a.agents, a.runs)
    tmp = tempfile.mkdtemp(prefix="pact-diag-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACT_")}
    env["HOME"] = tmp
    daemons = []
    try:
        t0 = time.perf_counter()
        daemons, base, ops_env, nodes = start(
            tmp, os.path.abspath(a.bin), env, agents, a.syslog_lines)
        print(f"{agents} agents booted in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
        cases = {
            f"pact diag --vcluster {VC} --grep 'Xid|error'":
                base + ["--grep", "Xid|error"],
            f"pact diag --vcluster {VC}": base,
        }
        times = {name: [] for name in cases}
        out_lines = {}
        for _ in range(runs):
            for name, cmd in cases.items():
                ms, n = timed(cmd, ops_env, nodes)
                times[name].append(ms)
                out_lines[name] = n
        if a.silent > 0:
            stopped = daemons[1:1 + a.silent]
            for d in stopped:
                d.proc.send_signal(signal.SIGSTOP)
            silent = nodes[:a.silent]
            name = (f"pact diag --vcluster {VC} --grep 'Xid|error', "
                    f"{a.silent} agents silent (SIGSTOP)")
            times[name] = []
            try:
                for _ in range(runs):
                    ms, n = timed(base + ["--grep", "Xid|error"], ops_env,
                                  nodes, silent)
                    times[name].append(ms)
                    out_lines[name] = n
            finally:
                for d in stopped:
                    d.proc.send_signal(signal.SIGCONT)
        print(f"\n{agents} agents, {runs} runs each, wall time of the "
              "`pact` process from fork to exit (ms)\n")
        print("| command | p50 | min | max | output lines |")
        print("|---|---|---|---|---|")
        rows = []
        for name, v in times.items():
            row = {"command": name, "agents": agents, "runs": runs,
                   "p50_ms": round(statistics.median(v), 1),
                   "min_ms": round(min(v), 1), "max_ms": round(max(v), 1),
                   "output_lines": out_lines[name]}
            rows.append(row)
            print(f"| `{name}` | {row['p50_ms']} | {row['min_ms']} | "
                  f"{row['max_ms']} | {row['output_lines']} |")
        if a.out:
            with open(a.out, "a") as f:
                for row in rows:
                    f.write(json.dumps(row) + "\n")
    finally:
        for d in reversed(daemons):
            d.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
