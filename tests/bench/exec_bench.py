#!/usr/bin/env python3
"""`pact exec NODE -- true` against `ssh localhost true`, side by side in
one run (issue 12 item 8, first half; docs/benchmarks.md "pact exec and
ssh").

  python3 tests/bench/exec_bench.py [--bin build/bin] [--runs 200]
      [--sshd /usr/sbin/sshd] [--quick] [--out FILE]

Starts `pact-journal --dev` and one `pact-agent` under a temporary --root
holding a copy of `true` (whitelisted by the vCluster policy), and a private
sshd (Debian's openssh-server) on a free loopback port with its own host
key, sshd_config and a client key authorized for the current user (public
key only; no password, no PAM). Then alternates, --runs times each, a fresh
`pact exec NODE -- true` process (token verified, authorized, whitelisted,
recorded in the journal through the agent's outbox, spawned) and a fresh
`ssh -p PORT USER@127.0.0.1 true` process (new TCP connection, key
exchange, public-key authentication, a session and a login shell running
`true`: no connection sharing), timing each with a monotonic clock from
fork to exit. Both must exit 0. Prints a markdown table (p50, p99, mean,
min, max in ms) and writes a JSON line per tool to --out.

--quick: 5 runs each (CI smoke: checks that both paths work).
"""
import argparse
import getpass
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402

NODE = "bench-node"
VC = "bench"
SPEC = f"""[vcluster.{VC}]
[vcluster.{VC}.policy]
exec_whitelist = ["true"]
"""


def free_loopback_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def percentile(values, p):
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def start_pact(tmp, bin_dir, env):
    harness.BIN = bin_dir
    data = os.path.join(tmp, "journal")
    journal = harness.Daemon(
        [harness.binary("pact-journal"), "--dev", "--data-dir", data,
         "--listen", "127.0.0.1:0", "--raft-listen", "127.0.0.1:0",
         "--metrics-listen", "127.0.0.1:0"],
        data, env, os.path.join(tmp, "journal.log"))
    gateway = journal.endpoints()["gateway"]
    with open(os.path.join(data, "dev", "admin.token")) as f:
        admin = f.read().strip()
    with open(os.path.join(data, "dev", "hmac-secret")) as f:
        secret = f.read().strip()
    spec = os.path.join(tmp, "spec.toml")
    with open(spec, "w") as f:
        f.write(SPEC)
    for args in (("apply", spec, "-m", "bench"),
                 ("enroll", NODE, "--vcluster", VC)):
        r = subprocess.run([harness.binary("pact"), *args, "--endpoint",
                            gateway], env={**env, "PACT_TOKEN": admin},
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise SystemExit(f"pact {args[0]}: {r.stderr}")
    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "usr", "bin"))
    shutil.copy(shutil.which("true"), os.path.join(root, "usr", "bin"))
    token_path = os.path.join(tmp, "node.token")
    with open(token_path, "w") as f:
        f.write(harness.make_token(secret, sub=NODE, groups=("pact-node",)))
    state = os.path.join(tmp, "agent")
    agent = harness.Daemon(
        [harness.binary("pact-agent"), "--node-id", NODE, "--vcluster", VC,
         "--journal", gateway, "--listen", "127.0.0.1:0", "--root", root,
         "--state-dir", state, "--token-file", token_path],
        state, {**env, "PACT_OIDC_HMAC_SECRET": secret},
        os.path.join(tmp, "agent.log"))
    api = agent.endpoints()["agent_api"]
    ops = harness.make_token(secret, sub="bench", groups=(f"pact-ops-{VC}",))
    cmd = [harness.binary("pact"), "exec", NODE, "--", "true"]
    cmd_env = {**env, "PACT_TOKEN": ops, "PACT_AGENT_ENDPOINT": api}
    harness.wait_for(lambda: subprocess.run(cmd, env=cmd_env,
                                            capture_output=True).returncode
                     == 0, 30, "the agent's boot")
    return [journal, agent], cmd, cmd_env


def start_sshd(tmp, sshd, env):
    d = os.path.join(tmp, "ssh")
    os.makedirs(d, mode=0o700)
    host_key = os.path.join(d, "host_ed25519")
    client_key = os.path.join(d, "client_ed25519")
    for key in (host_key, client_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        key], check=True)
    shutil.copy(client_key + ".pub", os.path.join(d, "authorized_keys"))
    port = free_loopback_port()
    config = os.path.join(d, "sshd_config")
    with open(config, "w") as f:
        f.write(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
UseDNS no
""")
    # sshd's privilege separation directory (Debian creates it at boot).
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    proc = subprocess.Popen([sshd, "-D", "-e", "-f", config],
                            stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(d, "sshd.log"), "w"),
                            start_new_session=True)
    cmd = ["ssh", "-p", str(port), "-i", client_key, "-F", "/dev/null",
           "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
           "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
           "-o", "GSSAPIAuthentication=no",
           "-o", "ControlMaster=no", "-o", "ControlPath=none",
           f"{getpass.getuser()}@127.0.0.1", "true"]
    harness.wait_for(lambda: subprocess.run(cmd, env=env, capture_output=True)
                     .returncode == 0, 30, "sshd to accept the key")
    return proc, cmd


def timed(cmd, env):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    ms = (time.perf_counter() - t0) * 1000
    if r.returncode != 0:
        raise SystemExit(f"{cmd[0]} exited {r.returncode}: {r.stderr!r}")
    return ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("PACT_BIN_DIR",
                                                    "build/bin"))
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--sshd", default="/usr/sbin/sshd")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    runs = 5 if a.quick else a.runs
    if not os.access(a.sshd, os.X_OK):
        raise SystemExit(f"{a.sshd} not found: apt-get install -y "
                         "openssh-server")
    tmp = tempfile.mkdtemp(prefix="pact-exec-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACT_")}
    env["HOME"] = tmp
    daemons, sshd = [], None
    try:
        daemons, pact_cmd, pact_env = start_pact(tmp, os.path.abspath(a.bin),
                                                 env)
        sshd, ssh_cmd = start_sshd(tmp, a.sshd, env)
        times = {"pact exec NODE -- true": [], "ssh localhost true": []}
        for _ in range(runs):
            times["pact exec NODE -- true"].append(timed(pact_cmd, pact_env))
            times["ssh localhost true"].append(timed(ssh_cmd, env))
        print(f"\n{runs} runs each, alternating, wall time from fork to "
              "exit (ms)\n")
        print("| command | p50 | p99 | mean | min | max |")
        print("|---|---|---|---|---|---|")
        lines = []
        for name, v in times.items():
            row = {"command": name, "runs": runs,
                   "p50_ms": round(percentile(v, 50), 2),
                   "p99_ms": round(percentile(v, 99), 2),
                   "mean_ms": round(statistics.mean(v), 2),
                   "min_ms": round(min(v), 2), "max_ms": round(max(v), 2)}
            lines.append(row)
            print(f"| `{name}` | {row['p50_ms']} | {row['p99_ms']} | "
                  f"{row['mean_ms']} | {row['min_ms']} | {row['max_ms']} |")
        if a.out:
            with open(a.out, "a") as f:
                for row in lines:
                    f.write(json.dumps(row) + "\n")
    finally:
        if sshd is not None:
            sshd.terminate()
            sshd.wait()
        for d in reversed(daemons):
            d.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
