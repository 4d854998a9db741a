#!/usr/bin/env python3
"""What loading gRPC costs a program at start (docs/benchmarks.md, "The
lattice module"): why pact's gRPC client is a module the CLI loads only
for lattice commands (runtime/delegation/lattice_module.hpp).

Measures, median of N runs each, process start to exit:
  - a trivial C++ program, and the same program linked against Debian's
    libgrpc++ (it references one gRPC function it never calls);
  - `pact --version` (no lattice), and `pact queue` against the lattice
    contract server (loads the module, connects, one call).

    python3 tests/bench/lattice_start_bench.py --bin build/bin [--runs 40]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

PLAIN = "#include <cstdio>\nint main() { std::puts(\"x\"); }\n"
GRPC = ("#include <grpcpp/grpcpp.h>\n#include <cstdio>\n"
        "int main(int argc, char**) {\n"
        "  if (argc > 5) grpc::CreateChannel(\"x\", "
        "grpc::InsecureChannelCredentials());\n"
        "  std::puts(\"x\");\n}\n")


def median_ms(cmd, runs, env=None):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=env, check=False)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def build(tmp, name, source, extra):
    src = os.path.join(tmp, name + ".cpp")
    with open(src, "w") as f:
        f.write(source)
    out = os.path.join(tmp, name)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "grpc++"],
                           capture_output=True, text=True,
                           check=True).stdout.split() if extra else []
    subprocess.run(["g++", "-O2", src, "-o", out, *flags], check=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/bin")
    ap.add_argument("--runs", type=int, default=40)
    a = ap.parse_args()
    from lattice_contract import LatticeContract, default_fixture
    tmp = tempfile.mkdtemp(prefix="pact-lattice-bench-")
    try:
        plain = build(tmp, "plain", PLAIN, False)
        grpc = build(tmp, "grpc", GRPC, True)
        rows = [("trivial program", median_ms([plain], a.runs)),
                ("same, linked against libgrpc++",
                 median_ms([grpc], a.runs))]
        pact = os.path.join(a.bin, "pact")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PACT_")}
        env["HOME"] = tmp
        rows.append(("pact --version", median_ms([pact, "--version"],
                                                 a.runs, env)))
        with LatticeContract(a.bin, os.path.join(tmp, "lattice"),
                             default_fixture(), token="bench") as lc:
            env.update(PACT_LATTICE_ENDPOINT=lc.endpoint,
                       PACT_LATTICE_TOKEN="bench")
            rows.append(("pact queue (module load, connect, 3 calls)",
                         median_ms([pact, "queue"], a.runs, env)))
        for name, ms in rows:
            print(f"{name:45s} {ms:7.2f} ms")
        print(f"gRPC's share at start: {rows[1][1] - rows[0][1]:.2f} ms "
              f"({rows[1][1] / rows[0][1]:.1f}x the trivial program)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
