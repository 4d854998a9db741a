#!/usr/bin/env python3
"""Wall time of `pact commit`, process start to exit (issue 9 item 5).

  python3 tests/bench/commit_bench.py [--runs N] [--bin build/bin] [--out FILE]

Starts three pact-journal processes on loopback (the e2e harness's
helpers, as run_bench.py does), applies deploy/examples/ml-training.toml,
enrolls node n1 in vCluster ml-training and then times N sequential
invocations of the real CLI for each case:

  admin     `pact commit -m bench n1 --set kernel:vm.bench=I` by a
            platform admin
  operator  the same by a vCluster operator (pact-ops-ml-training), whose
            node-scoped write is authorized against n1's vCluster
  vcluster  `pact commit -m bench vc:ml-training --set ...` by the operator

each through the leader's and a follower's gateway. Each commit sets a new
value, so every invocation appends one entry. Prints a markdown table of
median (p50) and p90 wall milliseconds and writes JSON lines to --out.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import harness  # noqa: E402
import run_bench  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "deploy", "examples", "ml-training.toml")
VC = "ml-training"


def pct(samples, p):
    v = sorted(samples)
    return v[int(p * (len(v) - 1))] if v else 0.0


def cli(bench, token, endpoint, *args):
    env = dict(bench.env, PACT_TOKEN=token)
    r = subprocess.run([harness.binary("pact"), "--endpoint", endpoint,
                        *args], env=env, capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"pact {' '.join(args)} exited with "
                           f"{r.returncode}: {r.stderr}")
    return r


def time_commits(bench, token, endpoint, target, runs, tag):
    """`runs` sequential commits, each a new value, timed as a shell sees
    them."""
    wall = []
    for i in range(runs):
        t0 = time.perf_counter()
        cli(bench, token, endpoint, "commit", "-m", "bench", target, "--set",
            f"kernel:vm.bench_{tag}={i}")
        wall.append((time.perf_counter() - t0) * 1000)
    return wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--bin", default=os.path.join(os.getcwd(), "build", "bin"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    os.environ["PACT_BIN_DIR"] = os.path.abspath(args.bin)
    harness.BIN = os.environ["PACT_BIN_DIR"]
    bench = run_bench.Cluster()
    bench.setUp()
    results = []
    try:
        admin = harness.make_token(run_bench.SECRET)
        ops = harness.make_token(run_bench.SECRET, sub="olga@site",
                                 groups=[f"pact-ops-{VC}"])
        _, reps, leader = run_bench.start_cluster(bench)
        lead, _ = leader()
        follower = next(r for r in reps.values() if r is not lead)
        cli(bench, admin, lead.gateway, "apply", EXAMPLE, "-m", "bench")
        cli(bench, admin, lead.gateway, "enroll", "n1", "--vcluster", VC)
        cases = (("admin", admin, "n1"), ("operator", ops, "n1"),
                 ("operator", ops, f"vc:{VC}"))
        for who, token, target in cases:
            for role, rep in (("leader", lead), ("follower", follower)):
                tag = f"{who}_{role}_{target.replace(':', '_')}"
                tag = tag.replace("-", "_")
                wall = time_commits(bench, token, rep.gateway, target,
                                    args.runs, tag)
                results.append({"mode": "commit wall", "author": who,
                                "target": target, "replica": role,
                                "runs": args.runs,
                                "p50_ms": round(pct(wall, 0.5), 1),
                                "p90_ms": round(pct(wall, 0.9), 1),
                                "max_ms": round(max(wall), 1)})
    finally:
        bench.tearDown()
    print(f"`pact commit` wall time ({args.runs} sequential runs each, "
          "3 replicas on loopback)")
    print("| author | target | gateway | p50 ms | p90 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['author']} | `{r['target']}` | {r['replica']} | "
              f"{r['p50_ms']:.1f} | {r['p90_ms']:.1f} | {r['max_ms']:.1f} |")
    if args.out:
        with open(args.out, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
