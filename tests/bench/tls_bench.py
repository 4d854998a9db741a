#!/usr/bin/env python3
"""What TLS costs pact's journal, beside what it costs etcd (issue 16).

  python3 tests/bench/tls_bench.py [--quick] [--bin build/bin] [--out FILE]

Four clusters of three members on loopback, one after the other, in one
run: pact-journal with http:// gateway and raft endpoints, the same with
https:// ones (pact's TLS transport: the gateway with server
authentication, the raft links mutual), etcd with plain client and peer
URLs, and etcd with TLS on both (client server-authenticated, peers
mutual). Each is driven at 1 and 64 clients (`pact-load --mode commit`,
durable 256-byte COMMIT commands; etcd puts of 256 bytes through the etcd3
gRPC client), and the tables give each system's TLS / plain ratio and pact
/ etcd under TLS. Certificates are P-256, made with the openssl CLI from
one CA (as a site would). --quick: 2 s per point, no etcd.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
import harness  # noqa: E402
import run_bench  # noqa: E402

SECRET = run_bench.SECRET


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


def make_pki(d):
    """A CA and one certificate for 127.0.0.1 (server and client use)."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key",
            "-out", "ca.crt", "-days", "2", "-subj", "/CN=bench CA", cwd=d)
    openssl("req", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "node.key",
            "-out", "node.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "extendedKeyUsage=serverAuth,clientAuth\n")
    openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey",
            "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "ext",
            "-out", "node.crt", cwd=d)
    return {k: os.path.join(d, f) for k, f in
            (("ca", "ca.crt"), ("cert", "node.crt"), ("key", "node.key"))}


def pact_points(bench, pki, tls, concurrency, seconds):
    members = {i: harness.free_port() for i in (1, 2, 3)}
    config = None
    scheme = "http"
    if tls:
        scheme = "https"
        config = (f'[journal.tls]\ncert = "{pki["cert"]}"\n'
                  f'key = "{pki["key"]}"\n[journal.raft]\n'
                  f'tls_ca = "{pki["ca"]}"\n')
    reps = {i: bench.start_replica(i, members, SECRET, config=config,
                                   scheme=scheme,
                                   name=f"{scheme}{i}",
                                   listen=f"{scheme}://127.0.0.1:0")
            for i in members}

    def leader():
        for r in reps.values():
            h = bench.health(r)
            if h and h["role"] == "leader":
                return h
        return None
    harness.wait_for(leader, 20, "a leader")
    token = harness.make_token(SECRET)
    out = []
    for c in concurrency:
        args = [os.path.join(harness.BIN, "pact-load"), "--endpoints",
                ",".join(r.gateway for r in reps.values()), "--token", token,
                "--clients", str(c), "--duration-s", str(seconds),
                "--mode", "commit"]
        if tls:
            args += ["--ca-bundle", pki["ca"]]
        r = subprocess.run(args, capture_output=True, text=True,
                           timeout=seconds + 120)
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        res = json.loads(r.stdout)
        res["system"] = f"pact {'TLS' if tls else 'plain'}"
        out.append(res)
    for r in reps.values():
        r.stop()
    return out


class EtcdTls(run_bench.EtcdCluster):
    """run_bench's etcd cluster, with TLS on client and peer URLs."""

    def __init__(self, pki):
        self.pki = pki

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix="pact-bench-etcd-tls-")
        client = [harness.free_port() for _ in range(3)]
        peer = [harness.free_port() for _ in range(3)]
        cluster = ",".join(f"e{i + 1}=https://127.0.0.1:{peer[i]}"
                           for i in range(3))
        p = self.pki
        self.procs = []
        for i in range(3):
            log = open(os.path.join(self.tmp, f"e{i + 1}.log"), "w")
            self.procs.append(subprocess.Popen([
                "etcd", "--name", f"e{i + 1}",
                "--data-dir", os.path.join(self.tmp, f"e{i + 1}"),
                "--listen-client-urls", f"https://127.0.0.1:{client[i]}",
                "--advertise-client-urls", f"https://127.0.0.1:{client[i]}",
                "--listen-peer-urls", f"https://127.0.0.1:{peer[i]}",
                "--initial-advertise-peer-urls",
                f"https://127.0.0.1:{peer[i]}",
                "--initial-cluster", cluster,
                "--initial-cluster-state", "new", "--log-level", "error",
                "--cert-file", p["cert"], "--key-file", p["key"],
                "--peer-cert-file", p["cert"], "--peer-key-file", p["key"],
                "--peer-trusted-ca-file", p["ca"],
                "--peer-client-cert-auth"],
                stdout=log, stderr=subprocess.STDOUT))
            log.close()
        self.endpoints = ",".join(f"https://127.0.0.1:{c}" for c in client)
        time.sleep(3)
        return self

    def put_load(self, clients, seconds, size=256):
        out = subprocess.run(["node", os.path.join(run_bench.ETCD_DIR,
                                                   "etcd_load.mjs"),
                              self.endpoints, str(clients), str(seconds),
                              str(size), self.pki["ca"]],
                             capture_output=True, text=True,
                             timeout=seconds + 120)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return json.loads(out.stdout)


def etcd_points(pki, tls, concurrency, seconds):
    cluster = EtcdTls(pki) if tls else run_bench.EtcdCluster()
    with cluster as etcd:
        out = []
        for c in concurrency:
            res = etcd.put_load(c, seconds)
            res["system"] = f"etcd {'TLS' if tls else 'plain'}"
            out.append(res)
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", default=os.path.join(os.getcwd(), "build", "bin"))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    os.environ["PACT_BIN_DIR"] = os.path.abspath(args.bin)
    harness.BIN = os.environ["PACT_BIN_DIR"]
    seconds = 2 if args.quick else 10
    concurrency = (1, 64)
    with_etcd = bool(run_bench.etcd_available()) and not args.quick
    bench = run_bench.Cluster()
    bench.setUp()
    results = []
    try:
        pki = make_pki(bench.tmp)
        for tls in (False, True):
            results += pact_points(bench, pki, tls, concurrency, seconds)
        if with_etcd:
            for tls in (False, True):
                results += etcd_points(pki, tls, concurrency, seconds)
    finally:
        bench.tearDown()
    by = {(r["system"], r["clients"]): r for r in results}
    print("| system | clients | writes/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['system']} | {r['clients']} | "
              f"{r['throughput_per_s']:.0f} | {r['p50_ms']:.2f} | "
              f"{r['p99_ms']:.2f} |")
    print("\n| clients | pact TLS / plain | etcd TLS / plain | "
          "pact / etcd (TLS) |")
    print("|---|---|---|---|")
    for c in concurrency:
        def ratio(a, b):
            x, y = by.get(a), by.get(b)
            return (f"{x['throughput_per_s'] / y['throughput_per_s']:.2f}"
                    if x and y and y["throughput_per_s"] else "—")
        print(f"| {c} | {ratio(('pact TLS', c), ('pact plain', c))} | "
              f"{ratio(('etcd TLS', c), ('etcd plain', c))} | "
              f"{ratio(('pact TLS', c), ('etcd TLS', c))} |")
    if args.out:
        with open(args.out, "w") as f:
            for r in results:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
