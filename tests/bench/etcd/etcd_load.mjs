// Closed-loop put load against an etcd cluster, the counterpart of
// pact-load for the side-by-side benchmark (tests/bench/run_bench.py).
//   node etcd_load.mjs ENDPOINTS CLIENTS SECONDS SIZE [CA_FILE]
// (CA_FILE: https endpoints are verified against it; tls_bench.py)
// Each of CLIENTS loops keeps one Put of SIZE bytes in flight; clients are
// spread over the endpoints (one gRPC channel per endpoint). Prints one
// JSON object like pact-load.
import { readFileSync } from "node:fs";
import { Etcd3 } from "etcd3";

const [endpoints, clientsArg, secondsArg, sizeArg, caFile] =
  process.argv.slice(2);
const hosts = endpoints.split(",");
const clients = Number(clientsArg);
const seconds = Number(secondsArg);
const value = "x".repeat(Number(sizeArg));
const credentials = caFile
  ? { rootCertificate: readFileSync(caFile) }
  : undefined;
const conns = hosts.map((h) => new Etcd3({ hosts: [h], credentials }));

const lat = [];
let errors = 0;
const start = process.hrtime.bigint();
const deadline = start + BigInt(Math.round(seconds * 1e9));

async function loop(id) {
  const client = conns[id % conns.length];
  let seq = 0;
  while (process.hrtime.bigint() < deadline) {
    const t0 = process.hrtime.bigint();
    try {
      await client.put(`load-c${id}-s${seq++}`).value(value);
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    } catch (e) {
      errors++;
    }
  }
}

await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.floor(p * (lat.length - 1))] : 0);
console.log(JSON.stringify({
  mode: "etcd 3 processes", clients, size_bytes: Number(sizeArg),
  duration_s: elapsed, acknowledged: lat.length, errors,
  throughput_per_s: lat.length / elapsed, p50_ms: pct(0.5), p99_ms: pct(0.99),
}));
conns.forEach((c) => c.close());
