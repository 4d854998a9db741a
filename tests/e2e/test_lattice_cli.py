"""The `pact` commands that ask the lattice scheduler (docs/cli.md
"Delegated to lattice"): jobs, queue, nodes, dag, accounting, budget,
backup verify, cluster and health, against the lattice contract server
(tests/e2e/lattice_contract.py) serving default_fixture(). Each command's
JSON is checked against the fixture and its text for the rows that matter;
then what goes wrong: lattice not configured (exit 1, before any token is
looked for), down (exit 5), refusing the token (exit 2), too slow (exit 5
after the 5 s deadline), its TLS certificate trusted or not, and bad
arguments (exit 1 naming the flag). `pact cluster` and `pact health` also
need pact's journal, and show what they can when one side is missing."""
import json
import os
import shutil
import unittest

from harness import BIN, PactTestCase, free_port, wait_for
from lattice_contract import (ALLOC_DONE, ALLOC_PENDING, ALLOC_RUNNING,
                              DAG_STEP_1, DAG_STEP_2, LatticeContract,
                              default_fixture)
from tls_tools import openssl

TOKEN = "lattice-e2e-token"
NOT_CONFIGURED = ("pact: lattice endpoint not configured "
                  "(set PACT_LATTICE_ENDPOINT)\n")
# One invocation of every command that asks lattice.
EVERY_COMMAND = (
    ("jobs", "list"), ("jobs", "inspect", ALLOC_RUNNING), ("queue",),
    ("nodes", "list"), ("nodes", "inspect", "n1"), ("dag", "list"),
    ("dag", "inspect", "dag-prep-train"), ("accounting",),
    ("budget", "tenant", "physics"), ("backup", "verify", "/tmp/x"))


class LatticeCliTest(PactTestCase):
    def setUp(self):
        super().setUp()
        self.lattice = self.start_lattice()

    def start_lattice(self, name="lattice", fixture=None, **kw):
        lc = LatticeContract(BIN, os.path.join(self.tmp, name),
                             fixture or default_fixture(), token=TOKEN, **kw)
        lc.start()
        self.addCleanup(lc.stop)
        return lc

    def cli(self, *args, endpoint=None, token=TOKEN, env=None):
        """`pact ARGS` with lattice at `endpoint` (default: the contract
        server) and PACT_LATTICE_TOKEN `token`."""
        e = {"PACT_LATTICE_ENDPOINT": endpoint or self.lattice.endpoint,
             "PACT_LATTICE_TOKEN": token}
        e.update(env or {})
        return self.pact(*args, env=e)

    def ok(self, *args, **kw):
        r = self.cli(*args, **kw)
        self.assertEqual(r.returncode, 0, f"{args}: {r.stderr}")
        return r

    def json_of(self, *args, **kw):
        return json.loads(self.ok("--output", "json", *args, **kw).stdout)

    def journal_cli(self, *args, **kw):
        """For cluster and health: the journal started on first use, its
        admin token as PACT_TOKEN."""
        if not hasattr(self, "journal"):
            self.journal = self.start_journal()
        env = dict(kw.pop("env", None) or {})
        env.setdefault("PACT_TOKEN", self.token_of(self.journal))
        return self.cli("--endpoint", self.journal.gateway, *args, env=env,
                        **kw)

    def start_healthy_agent(self, node_id="node-e2e"):
        """An agent whose capability probes find what they read under its
        --root (else its gpu-poller reports itself degraded)."""
        root = os.path.join(self.tmp, node_id + "-root")
        for d in ("proc", "sys/class/net/eth0", "sys/block"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        for name in ("cpuinfo", "meminfo"):
            shutil.copy("/proc/" + name, os.path.join(root, "proc", name))
        with open(os.path.join(root, "proc", "mounts"), "w") as f:
            f.write("/dev/sda1 / ext4 rw 0 0\n")
        open(os.path.join(root, "proc", "modules"), "w").close()
        return self.start_agent(self.journal, node_id=node_id)

    def assert_failed(self, r, code, *words):
        self.assertEqual(r.returncode, code, r.stderr)
        self.assertTrue(r.stderr.startswith("pact: "), r.stderr)
        self.assertTrue(r.stderr.endswith("\n"), r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)

    # -- the questions ------------------------------------------------------

    def test_jobs_list_shows_the_active_allocations(self):
        jobs = self.json_of("jobs", "list")["jobs"]
        self.assertEqual([j["id"] for j in jobs],
                         [ALLOC_RUNNING, ALLOC_PENDING])
        self.assertEqual(jobs[0], {
            "id": ALLOC_RUNNING, "name": "train", "user": "alice",
            "tenant": "physics", "vcluster": "ml-training",
            "state": "running", "nodes": ["n1"],
            "created_at": "2026-11-30T08:00:00Z",
            "started_at": "2026-11-30T08:01:00Z",
            "entrypoint": "python train.py"})
        text = self.ok("jobs", "list").stdout.splitlines()
        self.assertEqual(text[0].split(), ["ID", "NAME", "USER", "TENANT",
                                           "VCLUSTER", "STATE", "NODES",
                                           "STARTED"])
        self.assertEqual(text[1].split(), [
            ALLOC_RUNNING, "train", "alice", "physics", "ml-training",
            "running", "n1", "2026-11-30T08:01:00Z"])
        self.assertEqual(text[2].split()[-2:], ["-", "-"])  # nodes, started
        # The node filter is pact's, the vCluster's lattice's.
        self.assertEqual([j["id"] for j in self.json_of(
            "jobs", "list", "--node", "n1")["jobs"]], [ALLOC_RUNNING])
        self.assertEqual(self.ok("jobs", "list", "--vcluster",
                                 "interactive").stdout,
                         "no active allocations\n")
        asked = [c["request"]["vcluster"]
                 for c in self.lattice.calls("List")]
        self.assertEqual(asked, ["", "", "", "interactive"])

    def test_jobs_inspect_shows_one_allocation(self):
        job = self.json_of("jobs", "inspect", ALLOC_DONE)["job"]
        self.assertEqual(job["state"], "completed")
        self.assertEqual(job["completed_at"], "2026-11-29T12:00:00Z")
        self.assertEqual(job["project"], "sim")
        self.assertEqual(job["exit_code"], 0)
        text = self.ok("jobs", "inspect", ALLOC_DONE).stdout
        self.assertRegex(text, r"(?m)^  state +completed$")
        self.assertRegex(text, r"(?m)^  nodes +n2$")
        self.assertEqual(self.lattice.calls("Get")[0]["request"]
                         ["allocation_id"], ALLOC_DONE)
        r = self.cli("jobs", "inspect", "c0ffee00-0000-4000-8000-00000000dead")
        self.assert_failed(r, 1)
        self.assert_failed(self.cli("jobs", "inspect"), 1, "name the")
        self.assert_failed(self.cli("jobs", "frob"), 1, "unknown action")

    def test_queue_per_vcluster(self):
        queues = self.json_of("queue")["queues"]
        self.assertEqual(queues, [
            {"vcluster": "ml-training", "pending": 1, "running": 1,
             "total": 2},
            {"vcluster": "interactive", "pending": 0, "running": 0,
             "total": 0}])
        text = self.ok("queue", "--vcluster", "ml-training").stdout
        self.assertEqual([ln.split() for ln in text.splitlines()],
                         [["VCLUSTER", "PENDING", "RUNNING", "TOTAL"],
                          ["ml-training", "1", "1", "2"]])
        self.assertEqual(self.lattice.calls("GetVClusterQueue")[-1]
                         ["request"]["vcluster_id"], "ml-training")

    def test_nodes_list_and_inspect(self):
        nodes = self.json_of("nodes", "list")["nodes"]
        self.assertEqual([n["node"] for n in nodes], ["n1", "n2", "n3", "n4"])
        self.assertEqual(nodes[3]["reason"], "heartbeat lost")
        self.assertEqual(nodes[0]["allocations"], [ALLOC_RUNNING])
        self.assertEqual([n["node"] for n in self.json_of(
            "nodes", "list", "--state", "drained")["nodes"]], ["n3"])
        self.assertEqual([n["node"] for n in self.json_of(
            "nodes", "list", "--vcluster", "ml-training")["nodes"]], ["n1"])
        self.assertEqual(self.lattice.calls("ListNodes")[1]["request"]
                         ["state"], "drained")
        text = self.ok("nodes", "list").stdout.splitlines()
        self.assertEqual(text[0].split()[:3], ["NODE", "STATE", "REASON"])
        self.assertIn("heartbeat lost", text[4])
        self.assertIn("4x GH200", text[1])
        node = self.json_of("nodes", "inspect", "n1")["node"]
        self.assertEqual(node["owner_allocation"], ALLOC_RUNNING)
        self.assertEqual(node["features"], ["nvme", "slingshot"])
        text = self.ok("nodes", "inspect", "n1").stdout
        self.assertRegex(text, r"(?m)^  gpus +4x GH200$")
        self.assertRegex(text, r"(?m)^  features +nvme,slingshot$")
        self.assert_failed(self.cli("nodes", "inspect", "no-such-node"), 1)

    def test_dag_list_and_inspect(self):
        dags = self.json_of("dag", "list")["dags"]
        self.assertEqual(dags, [{"id": "dag-prep-train", "state": "running",
                                 "steps": 2, "steps_done": 1,
                                 "created_at": "2026-11-30T06:00:00Z",
                                 "completed_at": ""}])
        text = self.ok("dag", "list", "--tenant", "physics").stdout
        self.assertEqual(text.splitlines()[1].split(),
                         ["dag-prep-train", "running", "1/2",
                          "2026-11-30T06:00:00Z", "-"])
        self.assertEqual(self.lattice.calls("ListDags")[-1]["request"]
                         ["tenant"], "physics")
        dag = self.json_of("dag", "inspect", "dag-prep-train")["dag"]
        self.assertEqual([s["id"] for s in dag["steps"]],
                         [DAG_STEP_1, DAG_STEP_2])
        self.assertEqual(dag["steps"][0]["name"], "prep")
        text = self.ok("dag", "inspect", "dag-prep-train").stdout
        self.assertIn("Steps (2):", text)
        self.assertIn("train-after-prep", text)
        # pact never cancels a DAG.
        self.assert_failed(self.cli("dag", "cancel", "dag-prep-train"), 1,
                           "unknown action")
        self.assertEqual(self.lattice.calls("CancelDag"), [])

    def test_accounting(self):
        view = self.json_of("accounting")
        self.assertEqual(view["days"], 30)
        self.assertTrue(view["usage"])
        r = self.lattice.calls("GetAccountingUsage")[0]["request"]
        self.assertEqual(r["tenant_id"], "")
        self.assertEqual(self.ok("accounting").stdout.splitlines()[2].split(),
                         ["(all)", "-", "2320.5", "322.5", "-", "59"])
        view = self.json_of("accounting", "--tenant", "physics", "--days",
                            "7")
        self.assertEqual(view["days"], 7)
        self.assertEqual(view["usage"][0]["tenant"], "physics")
        self.assertEqual(view["usage"][0]["cpu_hours"], 1520.5)
        self.assertEqual(view["usage"][0]["allocations"], 42)
        view = self.json_of("accounting", "--user", "alice")
        self.assertEqual(view["usage"], [{
            "tenant": "physics", "user": "alice", "cpu_hours": None,
            "gpu_hours": 200.0, "node_hours": 80.0, "allocations": None}])
        self.assertEqual(self.lattice.calls("GetUserUsage")[0]["request"],
                         {"user": "alice", "days": 30})
        text = self.ok("accounting", "--tenant", "physics").stdout
        self.assertEqual(text.splitlines()[0], "usage over the last 30 days")
        self.assertEqual(text.splitlines()[2].split(),
                         ["physics", "-", "1520.5", "310", "-", "42"])

    def test_budget_of_a_tenant_and_a_user(self):
        b = self.json_of("budget", "tenant", "physics")["budget"]
        self.assertEqual((b["kind"], b["id"], b["gpu_hours_used"],
                          b["gpu_hours_budget"]),
                         ("tenant", "physics", 310.0, 1000.0))
        self.assertIsNone(b["node_hours_budget"])
        self.assertEqual(self.lattice.calls("GetTenantUsage")[0]["request"],
                         {"tenant_id": "physics", "days": 0})
        b = self.json_of("budget", "user", "alice", "--days", "14")["budget"]
        self.assertEqual(b["tenants"][0]["tenant"], "physics")
        self.assertEqual(self.lattice.calls("GetUserUsage")[0]["request"]
                         ["days"], 14)
        text = self.ok("budget", "user", "alice").stdout
        self.assertRegex(text, r"(?m)^  GPU hours used +200$")
        self.assertIn("Tenants:", text)
        self.assertRegex(text, r"(?m)^  physics +200 +1000 +80 +-$")
        self.assert_failed(self.cli("budget", "tenant", "nobody"), 1)

    def test_backup_verify(self):
        good = os.path.join(self.tmp, "good.backup")
        with open(good, "w") as f:
            json.dump({"format": "pact-lattice-contract-backup/1",
                       "timestamp": "2026-12-01T10:00:00Z", "node_count": 4,
                       "allocation_count": 3, "tenant_count": 2,
                       "snapshot_term": 7, "snapshot_index": 1042}, f)
        view = self.json_of("backup", "verify", good)
        self.assertEqual(view, {
            "path": good, "ok": True,
            "message": "Backup valid: 4 nodes, 3 allocations, 2 tenants",
            "taken_at": "2026-12-01T10:00:00Z", "snapshot_term": 7,
            "snapshot_index": 1042})
        text = self.ok("backup", "verify", good).stdout
        self.assertRegex(text, r"(?m)^  valid +yes$")
        self.assertRegex(text, r"(?m)^  snapshot index +1042$")
        bad = os.path.join(self.tmp, "bad.backup")
        with open(bad, "w") as f:
            f.write("not json")
        r = self.cli("backup", "verify", bad)
        self.assert_failed(r, 1, f"backup {bad} does not verify: Backup "
                                 "verification failed: not a backup")
        self.assertEqual(r.stdout, "")
        r = self.cli("--output", "json", "backup", "verify", bad)
        self.assertEqual(r.returncode, 1)
        self.assertFalse(json.loads(r.stdout)["ok"])
        self.assertEqual(self.lattice.calls("BackupVerify")[0]["request"],
                         {"backup_path": good})
        self.assert_failed(self.cli("backup", "verify"), 1, "name the PATH")
        self.assert_failed(self.cli("backup", "restore", good), 1,
                           "unknown action")

    def test_every_call_carries_the_token(self):
        for args in EVERY_COMMAND:
            self.cli(*args)
        records = self.lattice.records()
        self.assertGreaterEqual(len(records), len(EVERY_COMMAND))
        self.assertEqual({r["authorization"] for r in records},
                         {"Bearer " + TOKEN})

    def test_control_characters_from_lattice_are_escaped(self):
        fixture = default_fixture()
        fixture["nodes"][3]["state_reason"] = "lost\x1b[2J\nn9 ready"
        lc = self.start_lattice("evil", fixture)
        text = self.ok("nodes", "list", endpoint=lc.endpoint).stdout
        self.assertNotIn("\x1b", text)
        self.assertIn("lost\\x1b[2J\\nn9 ready", text)
        self.assertEqual(len(text.splitlines()), 5)
        j = self.json_of("nodes", "list", endpoint=lc.endpoint)
        self.assertEqual(j["nodes"][3]["reason"], "lost\x1b[2J\nn9 ready")

    # -- bad arguments -------------------------------------------------------

    def test_bad_arguments_name_the_flag(self):
        for args, words in (
                (("accounting", "--days", "0"), "--days 0 is outside"),
                (("accounting", "--days", "3651"), "--days 3651"),
                (("accounting", "--tenant", "a", "--user", "b"),
                 "--tenant or --user"),
                (("accounting", "--days", "many"), "--days"),
                (("budget", "group", "x"), "unknown kind 'group'"),
                (("budget", "tenant", "physics", "--days", "0"), "--days 0"),
                (("budget", "tenant"), "name the tenant"),
                (("jobs", "inspect", ALLOC_RUNNING, "--node", "n1"),
                 "--node applies to list only"),
                (("nodes", "inspect", "n1", "--state", "down"), "--state"),
                (("jobs", "list", "--node", "bad node!"), "bad node!")):
            with self.subTest(args=args):
                self.assert_failed(self.cli(*args), 1, words)
        self.assertEqual(self.lattice.records(), [])

    # -- lattice missing, refusing or slow -----------------------------------

    def test_not_configured_is_exit_1_before_any_token(self):
        for args in EVERY_COMMAND:
            with self.subTest(args=args):
                r = self.pact(*args)  # neither lattice nor pact token
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertEqual(r.stderr, NOT_CONFIGURED)
                self.assertEqual(r.stdout, "")

    def test_lattice_down_is_exit_5_naming_the_endpoint(self):
        dead = f"http://127.0.0.1:{free_port()}"
        for args in (("jobs", "list"), ("queue",), ("nodes", "list")):
            with self.subTest(args=args):
                self.assert_failed(self.cli(*args, endpoint=dead), 5, dead)

    def test_a_refused_token_is_exit_2(self):
        r = self.cli("jobs", "list", token="wrong")
        self.assert_failed(r, 2, self.lattice.endpoint)
        self.assertEqual(self.lattice.records()[0]["answer"],
                         "UNAUTHENTICATED")

    def test_tls_endpoint_verified_with_the_site_ca(self):
        d = os.path.join(self.tmp, "tls")
        os.makedirs(d)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-nodes"]
        for ca in ("ca", "other-ca"):
            openssl("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out",
                    f"{ca}.crt", "-days", "1", "-subj", f"/CN={ca}", cwd=d)
        openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=localhost", cwd=d)
        with open(os.path.join(d, "san.cnf"), "w") as f:
            f.write("subjectAltName=DNS:localhost\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt",
                "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt",
                "-days", "1", "-extfile", "san.cnf", cwd=d)
        lc = self.start_lattice("lattice-tls", tls=(
            os.path.join(d, "server.crt"), os.path.join(d, "server.key")))
        self.assertTrue(lc.endpoint.startswith("https://localhost:"))
        view = self.json_of("queue", "--vcluster", "ml-training",
                            endpoint=lc.endpoint,
                            env={"PACT_CA_BUNDLE": os.path.join(d, "ca.crt")})
        self.assertEqual(view["queues"][0]["total"], 2)
        r = self.cli("queue", endpoint=lc.endpoint,
                     env={"PACT_CA_BUNDLE": os.path.join(d, "other-ca.crt")})
        self.assert_failed(r, 2, "certificate does not verify")
        # pact's sentence alone: no library's own log line.
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    # -- cluster and health: pact's journal beside lattice --------------------

    def test_cluster_shows_both_quorums(self):
        view = json.loads(self.journal_cli("--output", "json",
                                           "cluster").stdout)
        self.assertEqual(view["lattice"]["leader_id"], 1)
        self.assertEqual(view["lattice"]["term"], 7)
        self.assertEqual([m["address"] for m in view["lattice"]["members"]],
                         ["lattice-1:9000", "lattice-2:9000",
                          "lattice-3:9000"])
        # pact's side is `pact status`'s "raft": a one-member dev quorum
        # that leads itself.
        pact = view["pact"]
        self.assertEqual(pact["leader_id"], pact["node_id"])
        self.assertEqual(pact["role"], "leader")
        self.assertEqual(pact["voters"], [pact["node_id"]])
        self.assertGreater(pact["commit_index"], 0)
        r = self.journal_cli("cluster")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^pact journal\n  leader (\d+), term \d+, "
                                   r"commit \d+, applied \d+\n  answered by "
                                   r"\1 \(leader\), voters \1\n")
        self.assertIn(f"\nlattice ({self.lattice.endpoint})\n"
                      "  leader 1, term 7, commit 1042, applied 1042\n",
                      r.stdout)
        self.assertRegex(r.stdout, r"(?m)^  3 +lattice-3:9000 +follower "
                                   r"+1040 +2026-12-01T14:59:58Z$")

    def test_cluster_without_lattice_still_shows_pact(self):
        r = self.journal_cli("cluster", env={"PACT_LATTICE_ENDPOINT": ""})
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, NOT_CONFIGURED)
        self.assertRegex(r.stdout, r"^pact journal\n  leader \d+")
        self.assertIn("\nlattice\n  unavailable: lattice endpoint not "
                      "configured (set PACT_LATTICE_ENDPOINT)\n", r.stdout)
        r = self.journal_cli("--output", "json", "cluster",
                             env={"PACT_LATTICE_ENDPOINT": ""})
        view = json.loads(r.stdout)
        self.assertIn("leader_id", view["pact"])
        self.assertEqual(view["lattice"]["error"]["exit_code"], 1)

    def test_cluster_when_lattice_does_not_answer_in_time(self):
        slow = self.start_lattice("slow", delay_ms=6000,
                                  delay_method="GetRaftStatus")
        r = self.journal_cli("cluster", endpoint=slow.endpoint)
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("did not answer", r.stderr)
        self.assertIn(slow.endpoint, r.stderr)
        self.assertRegex(r.stdout, r"^pact journal\n  leader \d+")
        self.assertIn("unavailable: ", r.stdout)

    def test_cluster_without_the_journal_still_shows_lattice(self):
        dead = f"http://127.0.0.1:{free_port()}"
        r = self.cli("--endpoint", dead, "--timeout", "2", "cluster",
                     env={"PACT_TOKEN": "x"})
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn(dead, r.stderr)
        self.assertIn("leader 1, term 7", r.stdout)
        self.assertRegex(r.stdout, r"^pact journal\n  unavailable: ")

    def test_health_all_up(self):
        self.journal = self.start_journal()
        admin = self.token_of(self.journal)
        # No agent has reported yet: the agents are down.
        view = json.loads(self.journal_cli("--output", "json",
                                           "health").stdout)
        self.assertEqual(view["components"][2], {
            "name": "agents", "status": "down",
            "detail": "no agent has reported to the journal"})
        self.start_healthy_agent()
        wait_for(lambda: json.loads(self.pact(
            "--endpoint", self.journal.gateway, "--output", "json", "status",
            token=admin).stdout)["nodes"], what="the agent's first report")
        r = self.journal_cli("--output", "json", "health")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        view = json.loads(r.stdout)
        self.assertEqual([c["name"] for c in view["components"]],
                         ["pact-journal", "lattice", "agents"])
        self.assertEqual({c["status"] for c in view["components"]}, {"up"})
        self.assertRegex(view["components"][0]["detail"],
                         r"^leader \d+, term \d+, commit index \d+$")
        self.assertEqual(view["components"][1]["detail"],
                         f"at {self.lattice.endpoint}: healthy, version "
                         "contract")
        self.assertEqual(view["components"][2]["detail"], "1 of 1 reporting")
        r = self.journal_cli("health")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        self.assertEqual(r.stdout.splitlines()[0].split(),
                         ["COMPONENT", "STATUS", "DETAIL"])
        self.assertRegex(r.stdout, r"(?m)^  lattice +up +at http://")
        self.assertRegex(r.stdout, r"(?m)^  agents +up +1 of 1 reporting$")

    def test_health_with_lattice_degraded_or_down_is_exit_1(self):
        fixture = default_fixture()
        fixture["health"] = {"status": "degraded", "version": "0.9.1",
                             "uptime_secs": 7300}
        lc = self.start_lattice("degraded", fixture)
        r = self.journal_cli("--output", "json", "health",
                             endpoint=lc.endpoint)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "pact: health: not up: lattice "
                                   "(degraded), agents (down)\n")
        lattice = json.loads(r.stdout)["components"][1]
        self.assertEqual(lattice, {"name": "lattice", "status": "degraded",
                                   "detail": f"at {lc.endpoint}: degraded, "
                                             "version 0.9.1"})
        dead = f"http://127.0.0.1:{free_port()}"
        r = self.journal_cli("health", endpoint=dead)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"(?m)^  lattice +down +.*" + dead)
        self.assertRegex(r.stdout, r"(?m)^  pact-journal +up ")
        r = self.journal_cli("health", env={"PACT_LATTICE_ENDPOINT": ""})
        self.assertEqual(r.returncode, 1)
        self.assertIn("lattice endpoint not configured", r.stdout)


if __name__ == "__main__":
    unittest.main()
