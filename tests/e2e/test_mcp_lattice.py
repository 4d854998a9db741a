"""pact-mcp's lattice tools against the lattice contract server
(pact-lattice-contract, tests/e2e/lattice_contract.py) and a real
pact-journal, driven by the official MCP TypeScript SDK client
(mcp/session.mjs, which also validates every structuredContent against its
tool's outputSchema with ajv besides the SDK's own check): every tool once
against the fixture, the writes recorded in pact's journal and authorized
there (AI principals, two-person approval), and lattice's failures with
the CLI's exit codes (docs/mcp.md, "The lattice tools";
docs/delegation.md)."""
import os
import time
import unittest

from harness import binary, free_port
from lattice_contract import (ALLOC_DONE, ALLOC_PENDING, ALLOC_RUNNING,
                              DAG_STEP_1, DAG_STEP_2, LatticeContract,
                              default_fixture)
from test_mcp_interop import AI, InteropCase

LATTICE_TOKEN = "lattice-e2e-token"
# The development journal's admin token names this principal.
ADMIN = "dev-admin"
UNSET = "lattice endpoint not configured (set PACT_LATTICE_ENDPOINT)"

# ml lets AI principals write, hpc does not; n1 (ready, running an
# allocation) and n3 (drained) are ml's, n2 is hpc's.
SPEC = """[vcluster.ml]
base_image = "img-1"
[vcluster.ml.policy]
ai_write_allowed = true

[vcluster.hpc]
base_image = "img-1"
"""
ENROLL = (("n1", "ml"), ("n3", "ml"), ("n2", "hpc"))


def bin_dir():
    return os.path.dirname(binary("pact-lattice-contract"))


class LatticeCase(InteropCase):
    spec = SPEC

    def setUp(self):
        super().setUp()
        self.start_spec_journal(spec=self.spec, enroll=ENROLL)

    def start_lattice(self, name="lattice", token=LATTICE_TOKEN, **kw):
        lc = LatticeContract(bin_dir(), os.path.join(self.tmp, name),
                             default_fixture(), token=token, **kw).start()
        self.addCleanup(lc.stop)
        return lc

    def lattice_env(self, lc, token=None, lattice_token=LATTICE_TOKEN,
                    endpoint=None):
        extra = {"PACT_LATTICE_ENDPOINT": endpoint or lc.endpoint}
        if lattice_token is not None:
            extra["PACT_LATTICE_TOKEN"] = lattice_token
        return self.bridge_env(token=token, **extra)

    def delegations(self, action=None):
        """The delegation entries of the journal's log, oldest first."""
        return [e for e in reversed(self.log_entries(100))
                if e["type"] == "delegation"
                and (action is None or e["delegation"]["action"] == action)]

    def assert_recorded(self, action, principal, phase, node="", path=""):
        """The last request of `action` and its outcome `phase`; returns
        the outcome entry."""
        entries = self.delegations(action)
        self.assertGreaterEqual(len(entries), 2, entries)
        request, outcome = entries[-2], entries[-1]
        for e in (request, outcome):
            self.assertEqual(e["author"]["principal"], principal, e)
            self.assertEqual(e["delegation"]["backend"], "lattice", e)
            self.assertEqual(e["delegation"]["node"], node, e)
            self.assertEqual(e["delegation"]["path"], path, e)
        self.assertEqual(request["delegation"]["phase"], "requested")
        self.assertEqual(outcome["delegation"]["phase"], phase)
        self.assertEqual(outcome["delegation"]["request_sequence"],
                         request["sequence"])
        return outcome


class EveryToolTest(LatticeCase):
    """Each of the 13 tools once, with the platform admin's token."""

    def test_every_tool_answers_from_the_fixture(self):
        lc = self.start_lattice()
        # The contract server writes the backup where it is told.
        backup_path = os.path.join(self.tmp, "backups", "lattice-1")
        os.makedirs(os.path.dirname(backup_path))
        calls = [
            ("pact_jobs_list", {}),
            ("pact_jobs_list", {"node": "n1"}),
            ("pact_queue_status", {}),
            ("pact_cluster_health", {}),
            ("pact_system_health", {}),
            ("pact_accounting", {"tenant": "physics", "days": 7}),
            ("pact_undrain", {"node": "n3"}),
            ("pact_dag_list", {}),
            ("pact_dag_inspect", {"dag_id": "dag-prep-train"}),
            ("pact_budget", {"kind": "tenant", "id": "physics"}),
            ("pact_backup_create", {"path": backup_path}),
            ("pact_backup_verify", {"path": backup_path}),
            ("pact_nodes_list", {"state": "drained"}),
            ("pact_node_inspect", {"node": "n1"}),
        ]
        results, done = self.calls(self.lattice_env(lc), calls)
        self.assertEqual(done["client_errors"], [])
        by_name = {}
        for (name, _), r in zip(calls, results):
            self.assertEqual(r["name"], name)
            self.assertFalse(r["isError"], r)
            by_name.setdefault(name, []).append(r["structured"])

        jobs, on_n1 = by_name["pact_jobs_list"]
        self.assertEqual({j["id"] for j in jobs["jobs"]},
                         {ALLOC_RUNNING, ALLOC_PENDING})
        self.assertNotIn(ALLOC_DONE, [j["id"] for j in jobs["jobs"]])
        self.assertEqual(on_n1["jobs"],
                         [j for j in jobs["jobs"] if j["id"] == ALLOC_RUNNING])
        running = on_n1["jobs"][0]
        self.assertEqual((running["user"], running["tenant"],
                          running["vcluster"], running["state"],
                          running["nodes"], running["entrypoint"],
                          running["started_at"]),
                         ("alice", "physics", "ml-training", "running",
                          ["n1"], "python train.py", "2026-11-30T08:01:00Z"))

        (queues,) = by_name["pact_queue_status"]
        self.assertEqual(queues["queues"], [
            {"vcluster": "ml-training", "pending": 1, "running": 1,
             "total": 2},
            {"vcluster": "interactive", "pending": 0, "running": 0,
             "total": 0}])

        (cluster,) = by_name["pact_cluster_health"]
        self.assertEqual(cluster["lattice"]["leader_id"], 1)
        self.assertEqual(cluster["lattice"]["term"], 7)
        self.assertEqual(cluster["lattice"]["commit_index"], 1042)
        self.assertEqual([m["address"] for m in cluster["lattice"]["members"]],
                         ["lattice-1:9000", "lattice-2:9000",
                          "lattice-3:9000"])
        # pact's side is the journal's own Raft status (a one-member dev
        # quorum that leads itself).
        self.assertEqual(cluster["pact"]["role"], "leader")
        self.assertEqual(cluster["pact"]["leader_id"],
                         cluster["pact"]["node_id"])

        (health,) = by_name["pact_system_health"]
        components = {c["name"]: c for c in health["components"]}
        self.assertEqual(list(components),
                         ["pact-journal", "lattice", "agents"])
        self.assertEqual(components["pact-journal"]["status"], "up")
        self.assertEqual(components["lattice"]["status"], "up",
                         components["lattice"])
        self.assertIn(lc.endpoint, components["lattice"]["detail"])
        # No agent runs in this test: the journal has heard from none.
        self.assertEqual(components["agents"]["status"], "down")

        (usage,) = by_name["pact_accounting"]
        self.assertEqual(usage["days"], 7)
        self.assertEqual(usage["usage"], [
            {"tenant": "physics", "user": "", "cpu_hours": 1520.5,
             "gpu_hours": 310.0, "node_hours": None, "allocations": 42}])

        (undrain,) = by_name["pact_undrain"]
        self.assertEqual(undrain, {"node": "n3", "state": "ready"})

        (dags,) = by_name["pact_dag_list"]
        self.assertEqual([(d["id"], d["state"], d["steps"], d["steps_done"])
                          for d in dags["dags"]],
                         [("dag-prep-train", "running", 2, 1)])
        (dag,) = by_name["pact_dag_inspect"]
        self.assertEqual([(s["id"], s["state"]) for s in dag["dag"]["steps"]],
                         [(DAG_STEP_1, "completed"), (DAG_STEP_2, "pending")])

        (budget,) = by_name["pact_budget"]
        b = budget["budget"]
        self.assertEqual((b["kind"], b["id"], b["gpu_hours_used"],
                          b["gpu_hours_budget"], b["node_hours_used"]),
                         ("tenant", "physics", 310.0, 1000.0, 120.0))

        (backup,) = by_name["pact_backup_create"]
        self.assertEqual(backup["path"], backup_path)
        self.assertTrue(backup["ok"])
        self.assertNotIn("bytes", backup)
        for count in ("nodes", "allocations", "tenants", "audit_entries"):
            self.assertIsInstance(backup[count], (int, float), count)
        self.assertEqual(backup["nodes"], 4)
        (verify,) = by_name["pact_backup_verify"]
        self.assertEqual(verify["path"], backup_path)
        self.assertTrue(verify["ok"], verify)

        (drained,) = by_name["pact_nodes_list"]
        # n3 was drained, and undrained earlier in this session.
        self.assertEqual(drained["nodes"], [])
        (n1,) = by_name["pact_node_inspect"]
        self.assertEqual((n1["node"]["node"], n1["node"]["state"],
                          n1["node"]["gpu_type"], n1["node"]["gpu_count"],
                          n1["node"]["vcluster"],
                          n1["node"]["owner_allocation"],
                          n1["node"]["features"]),
                         ("n1", "ready", "GH200", 4, "ml-training",
                          ALLOC_RUNNING, ["nvme", "slingshot"]))

        # The writes: each recorded before and after the call, and
        # lattice was called once with its own token.
        outcome = self.assert_recorded("undrain", ADMIN, "succeeded",
                                       node="n3")
        self.assertEqual(outcome["delegation"]["endpoint"], lc.endpoint)
        self.assert_recorded("backup.create", ADMIN, "succeeded",
                             path=backup_path)
        (call,) = lc.calls("UndrainNode")
        self.assertEqual(call["request"]["node_id"], "n3")
        self.assertEqual(call["answer"], "OK")
        self.assertEqual(call["authorization"], "Bearer " + LATTICE_TOKEN)
        self.assertEqual(len(lc.calls("CreateBackup")), 1)
        # `pact log` as an operator reads it names the delegation.
        text = self.cli_ok("log", "-n", "20").stdout
        self.assertIn("delegation", text)


class AiWriteTest(LatticeCase):
    """The bridge's AI principal: the journal decides."""

    def test_ai_undrain_succeeds_then_fails_with_lattice_refusal(self):
        lc = self.start_lattice()
        (ok, refused), _ = self.calls(
            self.lattice_env(lc, token=self.ai),
            [("pact_undrain", {"node": "n3"}),
             ("pact_undrain", {"node": "n1"})])
        self.assertFalse(ok["isError"], ok)
        self.assertEqual(ok["structured"], {"node": "n3", "state": "ready"})
        # n1 is ready, not drained: lattice's FAILED_PRECONDITION.
        self.assert_tool_error(refused, "refused", exit_code=4)
        self.assertIn("must be in Drained state", refused["text"])
        entries = self.delegations("undrain")
        self.assertEqual(len(entries), 4, entries)
        for e in entries:
            self.assertEqual(e["author"]["principal"], AI, e)
            self.assertEqual(e["author"]["principal_type"], "agent", e)
        failed = self.assert_recorded("undrain", AI, "failed", node="n1")
        self.assertIn("must be in Drained state",
                      failed["delegation"]["detail"])
        self.assertEqual([(c["request"]["node_id"], c["answer"])
                          for c in lc.calls("UndrainNode")],
                         [("n3", "OK"), ("n1", "FAILED_PRECONDITION")])

    def test_ai_undrain_refused_where_ai_writes_are_not_allowed(self):
        lc = self.start_lattice()
        r, _ = self.call(self.lattice_env(lc, token=self.ai), "pact_undrain",
                         {"node": "n2"})
        self.assert_tool_error(r, "ai_write_allowed", exit_code=3)
        # Refused by the journal: lattice was never called.
        self.assertEqual(lc.calls("UndrainNode"), [])
        self.assertEqual(self.delegations(), [])

    def test_ai_backup_create_refused_platform_admins_only(self):
        lc = self.start_lattice()
        r, _ = self.call(self.lattice_env(lc, token=self.ai),
                         "pact_backup_create", {"path": "/backups/ai"})
        self.assert_tool_error(r, "needs pact-platform-admin", exit_code=2)
        self.assertEqual(lc.calls("CreateBackup"), [])
        self.assertEqual(self.delegations(), [])


class TwoPersonTest(LatticeCase):
    """A two-person vCluster holds the AI's undrain; a human's grant lets
    the same call through once."""

    def setUp(self):
        super().setUp()
        # After the enrolments, which two-person approval would hold too.
        path = os.path.join(self.tmp, "two-person.toml")
        with open(path, "w") as f:
            f.write(SPEC.replace(
                "ai_write_allowed = true",
                "ai_write_allowed = true\ntwo_person_approval = true"))
        self.cli_ok("apply", path, "-m", "two-person ml")

    def test_undrain_held_then_done_with_the_grant(self):
        lc = self.start_lattice()
        env = self.lattice_env(lc, token=self.ai)
        r, _ = self.call(env, "pact_undrain", {"node": "n3"})
        self.assertFalse(r["isError"], r)
        pending = r["structured"]["pending_approval"]
        self.assertRegex(pending["id"], r"^ap-[a-z2-9]{8}$")
        self.assertEqual(pending["requester"], AI)
        self.assertIn("call pact_undrain again with approval_id "
                      + pending["id"], r["text"])
        self.assertEqual(lc.calls("UndrainNode"), [])
        self.cli_ok("approve", "accept", pending["id"])
        r, _ = self.call(env, "pact_undrain",
                         {"node": "n3", "approval_id": pending["id"]})
        self.assertFalse(r["isError"], r)
        self.assertEqual(r["structured"], {"node": "n3", "state": "ready"})
        outcome = self.assert_recorded("undrain", AI, "succeeded", node="n3")
        self.assertEqual(len(lc.calls("UndrainNode")), 1)
        # The grant is used once.
        r, _ = self.call(env, "pact_undrain",
                         {"node": "n3", "approval_id": pending["id"]})
        self.assert_tool_error(r)
        self.assertEqual(self.delegations("undrain")[-1]["sequence"],
                         outcome["sequence"])


class FailureTest(LatticeCase):
    """lattice's failures as the CLI reports them."""

    def test_not_configured(self):
        env = self.bridge_env()
        results, _ = self.calls(env, [("pact_jobs_list", {}),
                                      ("pact_undrain", {"node": "n3"})])
        for r in results:
            self.assert_tool_error(r, exit_code=1)
            self.assertEqual(r["text"], UNSET)
        self.assertEqual(self.delegations(), [])

    def test_lattice_down(self):
        endpoint = f"http://127.0.0.1:{free_port()}"
        env = self.bridge_env(PACT_LATTICE_ENDPOINT=endpoint,
                              PACT_LATTICE_TOKEN=LATTICE_TOKEN)
        (jobs, health, undrain), _ = self.calls(
            env, [("pact_jobs_list", {}), ("pact_system_health", {}),
                  ("pact_undrain", {"node": "n3"})])
        self.assert_tool_error(jobs, "unreachable", exit_code=5)
        self.assertIn(endpoint, jobs["text"])
        # The health check is a success that says what is down.
        self.assertFalse(health["isError"], health)
        lattice = [c for c in health["structured"]["components"]
                   if c["name"] == "lattice"]
        self.assertEqual(lattice[0]["status"], "down", lattice)
        self.assertIn("unreachable", lattice[0]["detail"])
        # The undrain was recorded, then its failure.
        self.assert_tool_error(undrain, "unreachable", exit_code=5)
        self.assert_recorded("undrain", ADMIN, "failed", node="n3")

    def test_wrong_token(self):
        lc = self.start_lattice()
        r, _ = self.call(self.lattice_env(lc, lattice_token="not-it"),
                         "pact_nodes_list")
        self.assert_tool_error(r, "check PACT_LATTICE_TOKEN", exit_code=2)
        self.assertEqual(lc.calls("ListNodes")[0]["authorization"],
                         "Bearer not-it")

    def test_token_falls_back_to_the_bridges_own(self):
        # Without PACT_LATTICE_TOKEN the bridge's token (PACT_MCP_TOKEN)
        # goes to lattice: the site's identity provider serves both.
        lc = self.start_lattice(token=self.admin)
        r, _ = self.call(self.lattice_env(lc, lattice_token=None),
                         "pact_queue_status", {"vcluster": "ml-training"})
        self.assertFalse(r["isError"], r)
        self.assertEqual(r["structured"]["queues"][0]["pending"], 1)

    def test_deadline_exceeded(self):
        lc = self.start_lattice(delay_ms=6000, delay_method="ListNodes")
        started = time.monotonic()
        (slow, fast), _ = self.calls(self.lattice_env(lc),
                                     [("pact_nodes_list", {}),
                                      ("pact_jobs_list", {})])
        self.assert_tool_error(slow, "deadline exceeded", exit_code=5)
        self.assertIn("within 5 s", slow["text"])
        self.assertFalse(fast["isError"], fast)
        self.assertLess(time.monotonic() - started, 30)


if __name__ == "__main__":
    unittest.main()
