"""The lattice contract server (pact-lattice-contract) for end-to-end tests.

lattice, the HPC scheduler pact delegates to, cannot be built here; its
gRPC API (package lattice.v1) is served instead by a contract server built
from tests/contract/, which answers as lattice's handlers do from a JSON
fixture and records every call it receives. tests/contract/
contract_state.hpp gives the fixture's shape, lattice_contract_server.cpp
the flags, and the services' files where lattice surprises (INTERNAL for a
refused node transition, no NOT_FOUND from GetVClusterQueue or
GetUserUsage, ListNodes ignoring vcluster and limit, Get wanting a UUID).

    with LatticeContract(BIN, workdir, default_fixture(), token="t") as lc:
        ... pact ... --lattice lc.endpoint ...
        lc.records()  # [{"method": ..., "authorization": ..., ...}]
"""
import copy
import json
import os
import selectors
import signal
import subprocess
import time

# Allocation ids are UUIDs: lattice's AllocationService.Get refuses others.
ALLOC_RUNNING = "3f6c2a1e-8b4d-4c7a-9e21-5d0b7a9c1f01"
ALLOC_PENDING = "7a1d9e54-2c3b-4f8e-a6d0-1b2c3d4e5f02"
ALLOC_DONE = "c0ffee00-1234-4abc-8def-0123456789a3"
DAG_STEP_1 = "d1a90001-0000-4000-8000-000000000001"
DAG_STEP_2 = "d1a90002-0000-4000-8000-000000000002"


def _alloc(alloc_id, state, tenant, vcluster, user, nodes, entrypoint,
           spec_id, created, started=None, completed=None, exit_code=0,
           message=""):
    a = {
        "allocation_id": alloc_id,
        "state": state,
        "spec": {"id": spec_id, "tenant": tenant, "project": "sim",
                 "vcluster": vcluster, "entrypoint": entrypoint},
        "assigned_nodes": nodes,
        "created_at": created,
        "exit_code": exit_code,
        "message": message,
        "user": user,
    }
    if started:
        a["started_at"] = started
    if completed:
        a["completed_at"] = completed
    return a


def default_fixture():
    """A small realistic lattice: n1 ready in ml-training running one
    allocation, n2 ready and idle, n3 drained, n4 down; one running, one
    pending and one completed allocation; a two-step DAG; two vClusters
    with queues; a three-member Raft quorum; accounting for two tenants;
    budget use for tenant "physics" and user "alice". A fresh copy each
    call, so a test may edit it."""
    running = _alloc(ALLOC_RUNNING, "running", "physics", "ml-training",
                     "alice", ["n1"], "python train.py", "train",
                     "2026-11-30T08:00:00Z", started="2026-11-30T08:01:00Z")
    pending = _alloc(ALLOC_PENDING, "pending", "physics", "ml-training",
                     "alice", [], "python eval.py", "eval",
                     "2026-11-30T09:00:00Z")
    done = _alloc(ALLOC_DONE, "completed", "chemistry", "interactive", "bob",
                  ["n2"], "./md-run", "md", "2026-11-29T10:00:00Z",
                  started="2026-11-29T10:00:30Z",
                  completed="2026-11-29T12:00:00Z")
    step1 = _alloc(DAG_STEP_1, "completed", "physics", "ml-training", "alice",
                   ["n2"], "./prep.sh", "prep", "2026-11-30T06:00:00Z",
                   started="2026-11-30T06:00:10Z",
                   completed="2026-11-30T06:30:00Z")
    step2 = _alloc(DAG_STEP_2, "pending", "physics", "ml-training", "alice",
                   [], "./train.sh", "train-after-prep",
                   "2026-11-30T06:00:00Z")
    gpu_node = {"gpu_type": "GH200", "gpu_count": 4, "cpu_cores": 72,
                "memory_gb": 480, "features": ["nvme", "slingshot"],
                "conformance_fingerprint": "sha256:5e1f",
                "last_heartbeat": "2026-12-01T15:00:00Z"}
    nodes = [
        dict(gpu_node, node_id="n1", state="ready", group=0,
             owner_tenant="physics", owner_vcluster="ml-training",
             owner_allocation=ALLOC_RUNNING, allocation_ids=[ALLOC_RUNNING]),
        dict(gpu_node, node_id="n2", state="ready", group=0),
        dict(gpu_node, node_id="n3", state="drained", group=1),
        dict(gpu_node, node_id="n4", state="down", group=1,
             state_reason="heartbeat lost"),
    ]
    fixture = {
        "nodes": nodes,
        "allocations": [running, pending, done],
        "dags": [{"dag_id": "dag-prep-train", "state": "running",
                  "allocations": [step1, step2],
                  "created_at": "2026-11-30T06:00:00Z"}],
        "vclusters": [
            {"vcluster_id": "ml-training", "tenant_id": "physics",
             "name": "ML training", "scheduler_type": "hpc_backfill"},
            {"vcluster_id": "interactive", "tenant_id": "chemistry",
             "name": "Interactive", "scheduler_type": "interactive_fifo"},
        ],
        "queues": [
            {"vcluster_id": "ml-training", "pending": 1, "running": 1,
             "total": 2},
            {"vcluster_id": "interactive", "pending": 0, "running": 0,
             "total": 0},
        ],
        "raft": {
            "leader_id": 1, "current_term": 7, "last_applied": 1042,
            "commit_index": 1042,
            "members": [
                {"node_id": 1, "address": "lattice-1:9000", "role": "leader",
                 "match_index": 1042,
                 "last_contact": "2026-12-01T15:00:00Z"},
                {"node_id": 2, "address": "lattice-2:9000",
                 "role": "follower", "match_index": 1042,
                 "last_contact": "2026-12-01T15:00:00Z"},
                {"node_id": 3, "address": "lattice-3:9000",
                 "role": "follower", "match_index": 1040,
                 "last_contact": "2026-12-01T14:59:58Z"},
            ],
        },
        "accounting": [
            {"tenant_id": "physics", "cpu_hours": 1520.5, "gpu_hours": 310.0,
             "storage_bytes": 5_000_000_000_000, "allocation_count": 42},
            {"tenant_id": "chemistry", "cpu_hours": 800.0, "gpu_hours": 12.5,
             "storage_bytes": 1_000_000_000_000, "allocation_count": 17},
        ],
        "tenant_usage": [
            {"tenant": "physics", "gpu_hours_used": 310.0,
             "gpu_hours_budget": 1000.0, "gpu_fraction_used": 0.31,
             "node_hours_used": 120.0},
        ],
        "user_usage": [
            {"user": "alice", "total_gpu_hours": 200.0,
             "tenants": [{"tenant": "physics", "gpu_hours_used": 200.0,
                          "gpu_hours_budget": 1000.0,
                          "node_hours_used": 80.0}]},
        ],
    }
    return copy.deepcopy(fixture)


class LatticeContract:
    """One pact-lattice-contract process on 127.0.0.1, port chosen by the
    kernel. `tls` is (cert_path, key_path); the certificate must name
    "localhost", which `endpoint` then uses."""

    def __init__(self, bin_dir, workdir, fixture, token=None, tls=None,
                 delay_ms=0, delay_method=None, fail_method=None):
        self.bin_dir = bin_dir
        self.workdir = workdir
        self.fixture = fixture
        self.token = token
        self.tls = tls
        self.delay_ms = delay_ms
        self.delay_method = delay_method
        self.fail_method = fail_method
        self.proc = None
        self.port = None
        self.endpoint = None
        self.fixture_path = os.path.join(workdir, "lattice-fixture.json")
        self.record_path = os.path.join(workdir, "lattice-record.jsonl")
        self.log_path = os.path.join(workdir, "lattice-contract.log")

    def start(self, timeout=15.0):
        binary = os.path.join(self.bin_dir, "pact-lattice-contract")
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"{binary} not built (set PACT_BIN_DIR)")
        os.makedirs(self.workdir, exist_ok=True)
        with open(self.fixture_path, "w") as f:
            json.dump(self.fixture, f)
        open(self.record_path, "w").close()
        args = [binary, "--listen", "127.0.0.1:0",
                "--fixture", self.fixture_path, "--record", self.record_path]
        if self.token:
            args += ["--token", self.token]
        if self.tls:
            args += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        if self.delay_ms:
            args += ["--delay-ms", str(self.delay_ms)]
            if self.delay_method:
                args += ["--delay-method", self.delay_method]
        if self.fail_method:
            args += ["--fail-method", self.fail_method]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=self._log)
        line = self._read_line(timeout)
        prefix = "listening on "
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError("pact-lattice-contract did not start: "
                               + self._stderr())
        self.port = int(line[len(prefix):].rsplit(":", 1)[1])
        host = "localhost" if self.tls else "127.0.0.1"
        scheme = "https" if self.tls else "http"
        self.endpoint = f"{scheme}://{host}:{self.port}"
        return self

    def _read_line(self, timeout):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        data = b""
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            data += chunk
        sel.close()
        return data.decode(errors="replace").strip()

    def _stderr(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read().strip() or "(no message)"
        except OSError:
            return "(no log)"

    def records(self):
        """Every call received so far, oldest first: dicts with "method"
        (e.g. "/lattice.v1.NodeService/DrainNode"), "authorization" (the
        header or None), "request" (proto3 JSON, declared field names, every
        field present), "answer" ("OK" or a code name such as
        "FAILED_PRECONDITION") and "message"."""
        with open(self.record_path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def calls(self, method):
        """The records of one method, by short name ("DrainNode")."""
        return [r for r in self.records()
                if r["method"].rsplit("/", 1)[-1] == method]

    def stop(self, timeout=10.0):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self._log.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
