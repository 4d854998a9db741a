"""pact-mcp with the clients an operator really connects: the official MCP
TypeScript SDK (its StdioClientTransport with raw JSON-RPC at each protocol
version, its Client at the newest) and the MCP Inspector in CLI mode,
against a real pact-journal and pact-agent. Covers version gating, tools/list
paging, every schema compiled with ajv, the read tools, AI writes with
elicitation, cancellation and concurrency, two-person approval, a journal
that comes up after the bridge, and the lattice tools without lattice
(docs/mcp.md; the operator guide's "Using the MCP Server")."""
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import unittest

from harness import PactTestCase, binary, free_port, make_token, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(HERE, "mcp")
SDK = os.path.join(NODE_DIR, "node_modules", "@modelcontextprotocol", "sdk")
INSPECTOR_BUILD = os.path.join(NODE_DIR, "node_modules",
                               "@modelcontextprotocol", "inspector-cli",
                               "build")

VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")

# The operator guide's tool table ("Using the MCP Server"), in its order.
GUIDE_TOOLS = (
    "pact_status", "pact_diff", "pact_log", "pact_cap",
    "pact_service_status", "pact_query_fleet", "pact_commit",
    "pact_rollback", "pact_apply", "pact_exec", "pact_emergency",
    "pact_jobs_list", "pact_queue_status", "pact_cluster_health",
    "pact_system_health", "pact_accounting", "pact_undrain",
    "pact_dag_list", "pact_dag_inspect", "pact_budget",
    "pact_backup_create", "pact_backup_verify", "pact_nodes_list",
    "pact_node_inspect")

# The 13 lattice tools, each with the arguments its inputSchema requires.
LATTICE_CALLS = (
    ("pact_jobs_list", {}),
    ("pact_queue_status", {}),
    ("pact_cluster_health", {}),
    ("pact_system_health", {}),
    ("pact_accounting", {}),
    ("pact_undrain", {"node": "n1"}),
    ("pact_dag_list", {}),
    ("pact_dag_inspect", {"dag_id": "dag-1"}),
    ("pact_budget", {"kind": "tenant", "id": "physics"}),
    ("pact_backup_create", {"path": "/backups/lattice-1"}),
    ("pact_backup_verify", {"path": "/backups/lattice-1"}),
    ("pact_nodes_list", {}),
    ("pact_node_inspect", {"node": "n1"}),
)
LATTICE_UNSET = "lattice endpoint not configured (set PACT_LATTICE_ENDPOINT)"

# ml lets AI principals write; hpc does not (the default).
SPEC = """[vcluster.ml]
base_image = "img-1"
[vcluster.ml.sysctl]
"vm.swappiness" = "10"
[vcluster.ml.policy]
ai_write_allowed = true

[vcluster.hpc]
base_image = "img-1"
"""
AI = "claude"


class Session:
    """session.mjs as a running process, for a test that changes the world
    between the steps of one MCP session (a "wait_line" step)."""

    def __init__(self, env, plan):
        self.proc = subprocess.Popen(
            ["node", os.path.join(NODE_DIR, "session.mjs"),
             binary("pact-mcp"), json.dumps(plan)],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.events = queue.Queue()
        self.err = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr),
                         daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.events.put(json.loads(line))
        self.events.put(None)

    def next(self, timeout=30):
        e = self.events.get(timeout=timeout)
        if e is None:
            raise AssertionError("session.mjs ended (exit %s): %s"
                                 % (self.proc.wait(timeout=10),
                                    "".join(self.err)))
        return e

    def go_on(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()


class InteropCase(PactTestCase):
    def setUp(self):
        super().setUp()
        if not shutil.which("node") or not os.path.isdir(SDK):
            self.fail("node and the MCP SDK are required: run "
                      "deploy/test.sh (npm ci in tests/e2e/mcp)")

    # -- fixtures ---------------------------------------------------------

    def start_spec_journal(self, spec=SPEC, enroll=(("n1", "ml"),)):
        """A dev journal with `spec` applied and nodes enrolled; sets
        self.journal, self.admin, self.secret and self.ai (an AI token:
        role pact-service-ai)."""
        self.start_dev_journal()
        self.ai = make_token(self.secret, sub=AI, groups=("pact-service-ai",))
        path = os.path.join(self.tmp, "spec.toml")
        with open(path, "w") as f:
            f.write(spec)
        self.cli_ok("apply", path, "-m", "vClusters")
        for node, vc in enroll:
            self.cli_ok("enroll", node, "--vcluster", vc)

    def cli(self, *args, token=None):
        return self.pact("--endpoint", self.journal.gateway, *args,
                         token=token or self.admin, timeout=60)

    def cli_ok(self, *args, token=None):
        r = self.cli(*args, token=token)
        self.assertEqual(r.returncode, 0, f"pact {args}: {r.stderr}")
        return r

    def log_entries(self, n=50):
        r = self.cli_ok("log", "-n", str(n), "--output", "json")
        return json.loads(r.stdout)["entries"]

    def last_sequence(self):
        r = self.cli_ok("log", "-n", "1", "--output", "json")
        return json.loads(r.stdout)["last_sequence"]

    def bridge_env(self, token=None, endpoint=None, **extra):
        env = dict(self.env)
        env["PACT_ENDPOINT"] = endpoint or self.journal.gateway
        env["PACT_MCP_TOKEN"] = token or self.admin
        env.update(extra)
        return env

    # -- sessions ---------------------------------------------------------

    def check_events(self, events):
        """Every session lists all tools, compiles every schema with ajv
        and validates every structuredContent against its tool's
        outputSchema: any miss fails the test."""
        listing = events[0]
        self.assertEqual(listing["op"], "list", listing)
        self.assertEqual(listing["compile_errors"], [])
        for e in events:
            results = e.get("results", [e]) if e["op"] in (
                "call", "abort", "parallel") else []
            for r in results:
                if not r.get("rejected"):
                    self.assertIsNone(r["schema_errors"],
                                      f"{r['name']}: {r['structured']}")

    def session(self, env, steps, elicitation=None, timeout=90):
        """Runs session.mjs to its end: the events of the list, each step
        and the final "done"."""
        plan = {"elicitation": elicitation, "steps": steps}
        r = subprocess.run(["node", os.path.join(NODE_DIR, "session.mjs"),
                            binary("pact-mcp"), json.dumps(plan)],
                           env=env, capture_output=True, text=True,
                           timeout=timeout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        events = [json.loads(l) for l in r.stdout.splitlines()]
        self.assertEqual(events[-1]["op"], "done", r.stdout)
        self.check_events(events)
        return events

    def calls(self, env, calls, elicitation=None):
        """The results of `calls` ([(name, arguments)]) made one after the
        other on one session, and the session's "done" event."""
        events = self.session(env, [{"op": "call", "name": n,
                                     "arguments": a} for n, a in calls],
                              elicitation)
        return events[1:-1], events[-1]

    def call(self, env, name, arguments=None, elicitation=None):
        (r,), done = self.calls(env, [(name, arguments or {})], elicitation)
        return r, done

    def assert_tool_error(self, r, message=None, exit_code=None):
        self.assertTrue(r["isError"], r)
        err = r["structured"]["error"]
        self.assertEqual(err["message"], r["text"])
        if message is not None:
            self.assertIn(message, r["text"])
        if exit_code is not None:
            self.assertEqual(err["exit_code"], exit_code, r)
        return err


class VersionTest(InteropCase):
    """The raw handshake at each version, every response accepted
    by the SDK's zod schemas, and what tools/list and tools/call show at
    each version (docs/mcp.md "Protocol")."""

    def test_initialize_list_and_call_at_each_version(self):
        self.start_spec_journal(enroll=())
        r = subprocess.run(
            ["node", os.path.join(NODE_DIR, "versions.mjs"),
             binary("pact-mcp"), json.dumps(VERSIONS),
             json.dumps({"name": "pact_log", "arguments": {"limit": 2}})],
            env=self.bridge_env(), capture_output=True, text=True,
            timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = json.loads(r.stdout.strip().splitlines()[-1])
        for v in VERSIONS:
            with self.subTest(version=v):
                at = seen[v]
                for step in ("initialize", "list", "call"):
                    self.assertIsNone(at[step]["zod"],
                                      f"{step}: {at[step]}")
                self.assertIsNone(at["call"]["schema_errors"])
                init = at["initialize"]["result"]
                self.assertEqual(init["protocolVersion"], v)
                self.assertEqual(init["serverInfo"]["name"], "pact-mcp")
                self.assertEqual(init["capabilities"]["tools"],
                                 {"listChanged": False})
                tools = at["list"]["result"]["tools"]
                self.assertEqual(sorted(t["name"] for t in tools),
                                 sorted(GUIDE_TOOLS))
                newer = v in ("2025-11-25", "2025-06-18")
                for t in tools:
                    self.assertIn("inputSchema", t)
                    self.assertEqual("outputSchema" in t, newer, t["name"])
                    self.assertEqual("title" in t, newer, t["name"])
                    if v == "2024-11-05":
                        self.assertNotIn("annotations", t)
                        continue
                    a = t["annotations"]
                    for hint in ("readOnlyHint", "destructiveHint",
                                 "idempotentHint", "openWorldHint"):
                        self.assertIsInstance(a[hint], bool,
                                              (t["name"], hint))
                    self.assertEqual("title" in a, v == "2025-03-26",
                                     t["name"])
                call = at["call"]["result"]
                self.assertFalse(call.get("isError", False), call)
                self.assertEqual(call["content"][0]["type"], "text")
                self.assertIn("overlay-apply", call["content"][0]["text"])
                if newer:
                    self.assertEqual(
                        call["structuredContent"]["entries"][0]["type"],
                        "overlay-apply")
                else:
                    self.assertNotIn("structuredContent", call)


class ToolListTest(InteropCase):
    """Paging with the SDK Client and every schema compiled by
    ajv (session.mjs compiles them in every session)."""

    def test_five_pages_of_the_guides_24_tools(self):
        env = self.bridge_env(token="x", endpoint="http://127.0.0.1:1",
                              PACT_MCP_PAGE_SIZE="5")
        listing = self.session(env, [])[0]
        self.assertEqual([p["count"] for p in listing["pages"]],
                         [5, 5, 5, 5, 4])
        cursors = [p["nextCursor"] for p in listing["pages"]]
        self.assertIsNone(cursors[-1])
        self.assertTrue(all(isinstance(c, str) and c for c in cursors[:-1]),
                        cursors)
        names = [t["name"] for t in listing["tools"]]
        self.assertEqual(len(set(names)), 24)
        self.assertEqual(sorted(names), sorted(GUIDE_TOOLS))
        for t in listing["tools"]:
            with self.subTest(tool=t["name"]):
                self.assertIn("outputSchema", t)
                self.assertEqual(t["inputSchema"]["type"], "object")
                self.assertEqual(t["outputSchema"]["type"], "object")
                self.assertTrue(t["title"])
        self.assertEqual(listing["compile_errors"], [])
        # The default page holds every tool: one page, no cursor.
        listing = self.session(self.bridge_env(
            token="x", endpoint="http://127.0.0.1:1"), [])[0]
        self.assertEqual(listing["pages"], [{"count": 24,
                                             "nextCursor": None}])


class ReadToolsTest(InteropCase):
    """Each read tool against a real journal and agent."""

    def test_read_tools(self):
        self.start_spec_journal()
        agent = self.start_agent(self.journal, "n1", "ml")
        # What the agent really reports, asked with the CLI.
        cap = wait_for(lambda: self._cap_json(agent), what="n1's manifest")
        gpus = cap.get("gpus", {}).get("count", 0)
        env = self.bridge_env(token=self.ai)
        (status, diff, log, mcap, svc, fleet, fleet_none, fleet_min,
         fleet_healthy), _ = self.calls(env, [
            ("pact_status", {}),
            ("pact_diff", {"node": "n1"}),
            ("pact_log", {"limit": 5, "verify": True}),
            ("pact_cap", {"node": "n1"}),
            ("pact_service_status", {"node": "n1"}),
            ("pact_query_fleet", {}),
            ("pact_query_fleet", {"gpu_health": "none"}),
            ("pact_query_fleet", {"min_gpus": 1}),
            ("pact_query_fleet", {"vcluster": "ml",
                                  "gpu_health": "healthy"}),
        ])
        for r in (status, diff, log, mcap, svc, fleet, fleet_none,
                  fleet_min, fleet_healthy):
            self.assertFalse(r["isError"], f"{r['name']}: {r['text']}")
        self.assertIn("journal/gateway",
                      [a["name"] for a in
                       status["structured"]["journal"]["actors"]])
        self.assertEqual(diff["structured"]["node"], "n1")
        self.assertEqual(diff["structured"]["vcluster"], "ml")
        self.assertTrue(log["structured"]["verify"]["ok"])
        types = [e["type"] for e in log["structured"]["entries"]]
        self.assertIn("node-enrolled", types)
        self.assertEqual(types[-2:], ["overlay-apply", "overlay-apply"])
        self.assertEqual(mcap["structured"]["node"], "n1")
        self.assertEqual(mcap["structured"]["schema"], "pact.capability/1")
        for k in ("count", "status", "devices", "problems"):
            self.assertEqual(mcap["structured"]["gpus"][k], cap["gpus"][k],
                             k)
        self.assertEqual(svc["structured"]["node"], "n1")
        self.assertIsInstance(svc["structured"]["services"], list)
        rows = {n["node"]: n for n in fleet["structured"]["nodes"]}
        self.assertEqual(rows["n1"]["vcluster"], "ml")
        self.assertEqual(fleet["structured"]["matched"], len(rows))
        # The GPU filters ask the agent: n1 has what its manifest says.
        self.assertEqual(fleet_none["structured"]["unreachable"], [])
        none = [n["node"] for n in fleet_none["structured"]["nodes"]]
        self.assertEqual("n1" in none, gpus == 0, fleet_none)
        at_least_one = [n["node"] for n in fleet_min["structured"]["nodes"]]
        self.assertEqual("n1" in at_least_one, gpus >= 1, fleet_min)
        for row in fleet_none["structured"]["nodes"]:
            self.assertEqual(row["gpus"]["count"], 0)
            self.assertEqual(row["gpus"]["health"], "none")
        healthy = [n["node"] for n in fleet_healthy["structured"]["nodes"]]
        if gpus == 0:
            self.assertEqual(healthy, [])
            self.assertEqual(fleet_healthy["structured"]["matched"], 0)

    def _cap_json(self, agent):
        r = self.pact("cap", "n1", "--output", "json", token=self.admin,
                      env={"PACT_ENDPOINT": self.journal.gateway,
                           "PACT_AGENT_ENDPOINT": agent.api})
        return json.loads(r.stdout) if r.returncode == 0 else None


class AiWriteTest(InteropCase):
    """AI writes where the policy allows them, confirmed by
    the human through elicitation (or by PACT_MCP_ALLOW_DESTRUCTIVE)."""

    def setUp(self):
        super().setUp()
        self.start_spec_journal()

    def commit(self, value, vc="ml"):
        return ("pact_commit", {"target": f"vc:{vc}",
                                "message": f"swappiness {value}",
                                "set": [f"kernel:vm.swappiness={value}"]})

    def rollback_to(self, seq):
        return ("pact_rollback", {"sequence": seq, "scope": "vc:ml"})

    def test_ai_commit_then_rollback_confirmed_by_elicitation(self):
        before = self.last_sequence()
        env = self.bridge_env(token=self.ai)
        (committed,), _ = self.calls(env, [self.commit("30")])
        self.assertFalse(committed["isError"], committed["text"])
        self.assertEqual(committed["structured"]["scope"], "vc:ml")
        seq = committed["structured"]["sequences"][0]
        self.assertGreater(seq, before)
        (rolled,), done = self.calls(env, [self.rollback_to(before)],
                                     elicitation="accept")
        self.assertFalse(rolled["isError"], rolled["text"])
        self.assertEqual(rolled["structured"]["rollback_to"], before)
        # The human was asked, with a form of one boolean.
        self.assertEqual(len(done["elicitations"]), 1)
        asked = done["elicitations"][0]
        self.assertEqual(asked["mode"], "form")
        self.assertEqual(asked["requestedSchema"]["properties"]["confirm"]
                         ["type"], "boolean")
        self.assertEqual(asked["message"],
                         f"An AI agent asks to roll vc:ml back to entry "
                         f"{before} through pact. Allow it?")
        # Both entries in the journal, by the AI principal as an agent.
        entries = {e["sequence"]: e for e in self.log_entries()}
        self.assertEqual(entries[seq]["type"], "commit")
        rb = [e for e in entries.values() if e["type"] == "rollback"]
        self.assertEqual(len(rb), 1, entries)
        self.assertEqual(rb[0]["rollback_to"], before)
        for e in (entries[seq], rb[0]):
            self.assertEqual(e["author"]["principal"], AI, e)
            self.assertEqual(e["author"]["principal_type"], "agent", e)
            self.assertEqual(e["author"]["role"], "pact-service-ai", e)
        declared = json.loads(self.cli_ok("group", "show", "ml", "--output",
                                          "json").stdout)["items"]
        self.assertEqual({i["key"]: i["value"] for i in declared}
                         ["vm.swappiness"], "10")

    def test_ai_commit_refused_where_the_policy_says_no(self):
        before = self.last_sequence()
        r, _ = self.call(self.bridge_env(token=self.ai),
                         *self.commit("30", vc="hpc"))
        self.assert_tool_error(
            r, "AI write is not allowed by the policy of vCluster hpc "
               "(ai_write_allowed = false)", exit_code=3)
        self.assertEqual(self.last_sequence(), before)

    def test_declined_elicitation_does_nothing(self):
        env = self.bridge_env(token=self.ai)
        before = self.last_sequence()
        (c,), _ = self.calls(env, [self.commit("30")])
        self.assertFalse(c["isError"], c["text"])
        after_commit = self.last_sequence()
        (r,), done = self.calls(env, [self.rollback_to(before)],
                                elicitation="decline")
        self.assertEqual(len(done["elicitations"]), 1)
        # docs/mcp.md "Destructive tools ask a human first".
        self.assert_tool_error(r, "declined by the user: ", exit_code=3)
        self.assertIn("was not done", r["text"])
        self.assertEqual(self.last_sequence(), after_commit)

    def test_without_elicitation_refused_unless_the_operator_allows(self):
        env = self.bridge_env(token=self.ai)
        before = self.last_sequence()
        (c,), _ = self.calls(env, [self.commit("30")])
        self.assertFalse(c["isError"], c["text"])
        after_commit = self.last_sequence()
        r, _ = self.call(env, *self.rollback_to(before))
        # A refusal (3, as a decline), not a retryable failure.
        self.assert_tool_error(r, "PACT_MCP_ALLOW_DESTRUCTIVE", exit_code=3)
        self.assertTrue(r["text"].startswith("refused: "), r["text"])
        self.assertEqual(self.last_sequence(), after_commit)
        r, done = self.call(dict(env, PACT_MCP_ALLOW_DESTRUCTIVE="1"),
                            *self.rollback_to(before))
        self.assertFalse(r["isError"], r["text"])
        self.assertEqual(done["elicitations"], [])
        self.assertGreater(self.last_sequence(), after_commit)
        self.assertEqual(self.log_entries(1)[0]["type"], "rollback")


class HumanTokenTest(InteropCase):
    """A bridge started with a person's token (the CLI token it falls back
    to without PACT_MCP_TOKEN) is still held to the AI rules: every request
    is marked ai_agent (docs/mcp.md "Identity and policy")."""

    def test_admin_token_through_the_bridge_is_an_ai_principal(self):
        self.start_spec_journal()
        before = self.last_sequence()
        env = self.bridge_env()
        del env["PACT_MCP_TOKEN"]
        env["PACT_TOKEN"] = self.admin
        (start, commit_hpc, commit_ml), _ = self.calls(env, [
            ("pact_emergency", {"action": "start", "node": "n1",
                                "reason": "stuck GPU"}),
            ("pact_commit", {"target": "vc:hpc", "message": "x",
                             "set": ["kernel:vm.swappiness=30"]}),
            ("pact_commit", {"target": "vc:ml", "message": "y",
                             "set": ["kernel:vm.swappiness=31"]})])
        self.assert_tool_error(start, "AI principals never may", exit_code=2)
        self.assert_tool_error(commit_hpc, "(ai_write_allowed = false)",
                               exit_code=3)
        self.assertFalse(commit_ml["isError"], commit_ml["text"])
        entry = self.log_entries(1)[0]
        self.assertEqual(entry["sequence"], before + 1)
        self.assertEqual(entry["author"]["principal_type"], "agent", entry)
        # The same token through the CLI is a person's, as before.
        self.cli_ok("commit", "-m", "z", "vc:hpc",
                    "--set", "kernel:vm.swappiness=32")
        self.assertEqual(self.log_entries(1)[0]["author"]["principal_type"],
                         "human")


class EmergencyTest(InteropCase):
    """An AI never starts an emergency; it may look."""

    def test_ai_emergency_start_refused_status_answers(self):
        self.start_spec_journal()
        before = self.last_sequence()
        env = self.bridge_env(token=self.ai)
        (start, status), _ = self.calls(env, [
            ("pact_emergency", {"action": "start", "node": "n1",
                                "reason": "stuck GPU"}),
            ("pact_emergency", {"action": "status"}),
        ])
        self.assert_tool_error(start, "AI principals never may",
                               exit_code=2)
        self.assertIn("may not start an emergency", start["text"])
        self.assertEqual(self.last_sequence(), before)
        self.assertFalse(status["isError"], status["text"])
        self.assertEqual(status["structured"], {"emergencies": []})


EXEC_VC = "e2e"
EXEC_NODE = "node-x1"
EXEC_SPEC = f"""[vcluster.{EXEC_VC}]
[vcluster.{EXEC_VC}.policy]
ai_exec_allowed = true
exec_whitelist = ["sleep", "true", "echo"]
read_only_commands = ["sleep", "true"]
"""


class ExecTest(InteropCase):
    """A slow pact_exec cancelled with the SDK's AbortSignal, and
    run beside a fast call on one session."""

    def setUp(self):
        super().setUp()
        self.agent = self.start_operated_node(
            EXEC_SPEC, EXEC_NODE, EXEC_VC, ("sleep", "true", "echo"),
            '[agent]\nwhitelist_mode = "strict"\n')
        self.ai = make_token(self.secret, sub=AI, groups=("pact-service-ai",))
        # The policy arrives with the agent's boot.
        wait_for(lambda: self.pact(
            "exec", EXEC_NODE, "--", "true", token=self.ai,
            env={"PACT_AGENT_ENDPOINT": self.agent.api}).returncode == 0,
            what="the agent's boot (policy known)")
        self.env_ai = self.bridge_env(token=self.ai)

    def exec(self, seconds):
        return {"name": "pact_exec",
                "arguments": {"node": EXEC_NODE,
                              "command": ["sleep", str(seconds)]}}

    def exec_finished(self, argv):
        """The agent's `finished` exec-log record of `argv`, if any."""
        r = self.cli_ok("log", "--scope", f"node:{EXEC_NODE}", "-n", "100",
                        "--output", "json")
        for e in json.loads(r.stdout)["entries"]:
            x = e.get("exec", {})
            if x.get("phase") == "finished" and x.get("argv") == argv:
                return e
        return None

    def test_cancel_a_slow_exec_and_keep_serving(self):
        s = Session(self.env_ai, {"elicitation": None, "steps": [
            {"op": "abort", **self.exec(20), "after_ms": 1000},
            {"op": "call", "name": "pact_status", "arguments": {}},
            {"op": "wait_line"}]})
        self.addCleanup(s.close)
        events = [s.next(), s.next(timeout=30)]
        aborted = events[1]
        # The SDK rejects an aborted request with an McpError that wraps
        # the signal's AbortError, having sent notifications/cancelled.
        self.assertTrue(aborted.get("rejected"), aborted)
        self.assertIn("AbortError: This operation was aborted",
                      aborted["error"]["message"])
        self.assertLess(aborted["ms"], 5000)
        status = s.next()
        self.assertEqual(status["name"], "pact_status")
        self.assertFalse(status["isError"], status["text"])
        self.assertLess(status["ms"], 5000)
        self.assertEqual(s.next()["op"], "waiting")
        # The command itself runs on to its end (agent_exec.hpp); once it
        # has, the bridge has had every chance to answer the cancelled
        # call, and must not have.
        wait_for(lambda: self.exec_finished(["sleep", "20"]), timeout=40,
                 what="sleep 20 to finish on the node")
        s.go_on()
        events += [status, s.next()]
        done = events[-1]
        self.assertEqual(done["op"], "done")
        self.check_events(events)
        self.assertEqual(done["client_errors"], [])

    def test_ai_exec_of_a_command_not_read_only(self):
        """The bridge asks the human first (a command not among the
        read_only_commands is destructive); the agent then refuses it to
        an AI principal all the same (docs/mcp.md "Identity and policy")."""
        echo = {"node": EXEC_NODE, "command": ["echo", "hi"]}
        (asked,), done = self.calls(self.env_ai, [("pact_exec", echo)],
                                    elicitation="accept")
        self.assertEqual(len(done["elicitations"]), 1)
        self.assertIn("`echo` (not a read-only command) on " + EXEC_NODE,
                      done["elicitations"][0]["message"])
        # docs/mcp.md "Identity and policy": a command beyond the
        # read_only_commands is denied to the AI principal (exit code 2),
        # as to a viewer (test_exec.py).
        self.assert_tool_error(asked, "may run only the read_only_commands",
                               exit_code=2)
        (refused,), done = self.calls(self.env_ai, [("pact_exec", echo)])
        self.assertEqual(done["elicitations"], [])
        self.assert_tool_error(refused, "PACT_MCP_ALLOW_DESTRUCTIVE",
                               exit_code=3)
        # A read-only command is not asked about.
        (ran,), done = self.calls(self.env_ai, [(
            "pact_exec", {"node": EXEC_NODE, "command": ["true"]})],
            elicitation="accept")
        self.assertEqual(done["elicitations"], [])
        self.assertFalse(ran["isError"], ran["text"])
        self.assertEqual(ran["structured"]["exit_code"], 0)

    def test_fast_call_answered_while_a_slow_one_runs(self):
        events = self.session(self.env_ai, [
            {"op": "parallel", "calls": [
                self.exec(3), {"name": "pact_status", "arguments": {}}]},
        ])
        par = events[1]
        slow, fast = par["results"]
        self.assertFalse(slow["isError"], slow["text"])
        self.assertEqual(slow["structured"]["exit_code"], 0)
        self.assertFalse(fast["isError"], fast["text"])
        self.assertEqual(par["finished"], [1, 0])
        self.assertLess(fast["ms"], slow["ms"])
        self.assertGreaterEqual(slow["ms"], 3000)


class TwoPersonTest(InteropCase):
    """An AI write held for approval comes back at once."""

    def test_ai_commit_returns_the_pending_approval(self):
        self.start_spec_journal(spec=SPEC.replace(
            "ai_write_allowed = true",
            "ai_write_allowed = true\ntwo_person_approval = true"),
            enroll=())
        before = self.last_sequence()
        started = time.monotonic()
        r, _ = self.call(self.bridge_env(token=self.ai), "pact_commit",
                         {"target": "vc:ml", "message": "swappiness 30",
                          "set": ["kernel:vm.swappiness=30"]})
        elapsed = time.monotonic() - started
        self.assertFalse(r["isError"], r["text"])
        pending = r["structured"]["pending_approval"]
        self.assertRegex(pending["id"], r"^ap-[a-z2-9]{8}$")
        self.assertEqual(pending["scope"], "vc:ml")
        self.assertEqual(pending["requester"], AI)
        self.assertIn(pending["id"], r["text"])
        # At once: the default approval timeout is 30 minutes.
        self.assertLess(elapsed, 20)
        # Requested, not applied.
        entries = self.log_entries(5)
        self.assertGreater(self.last_sequence(), before)
        self.assertNotIn("commit", [e["type"] for e in entries
                                    if e["sequence"] > before])
        declared = json.loads(self.cli_ok("group", "show", "ml", "--output",
                                          "json").stdout)["items"]
        self.assertEqual({i["key"]: i["value"] for i in declared}
                         ["vm.swappiness"], "10")


class BackendDownTest(InteropCase):
    """The journal comes up after the bridge; the same session
    then reaches it."""

    def test_status_fails_then_succeeds_once_the_journal_is_up(self):
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        # The journal's development secret, written before it starts, so
        # that the bridge holds a valid token from the first call.
        secret = "interop-e2e-secret-0123456789abcdef"
        dev = os.path.join(self.tmp, "journal", "dev")
        os.makedirs(dev, mode=0o700)
        with open(os.path.join(dev, "hmac-secret"), "w") as f:
            f.write(secret + "\n")
        s = Session(self.bridge_env(token=make_token(secret),
                                    endpoint=endpoint), {
            "elicitation": None,
            "steps": [{"op": "call", "name": "pact_status", "arguments": {}},
                      {"op": "wait_line"},
                      {"op": "call", "name": "pact_status",
                       "arguments": {}}]})
        self.addCleanup(s.close)
        events = [s.next(), s.next()]
        down = events[1]
        self.assert_tool_error(down, endpoint, exit_code=5)
        self.assertEqual(s.next()["op"], "waiting")
        self.start_journal(listen=f"127.0.0.1:{port}")
        s.go_on()
        up = s.next()
        events += [up, s.next()]
        self.assertEqual(events[-1]["op"], "done")
        self.check_events(events)
        self.assertFalse(up["isError"], up["text"])
        self.assertIn("journal/gateway",
                      [a["name"] for a in
                       up["structured"]["journal"]["actors"]])


class InspectorTest(InteropCase):
    """The MCP Inspector's CLI mode against a real journal."""

    def inspector(self, env, *args):
        # inspector-cli 1.0.3 finds its own package.json (its client
        # identity) as "../package.json" relative to the working directory,
        # not to its module: run it from its build directory.
        return subprocess.run(
            ["node", "index.js", binary("pact-mcp"), *args],
            cwd=INSPECTOR_BUILD, env=env, capture_output=True, text=True,
            timeout=60)

    def test_inspector_lists_and_calls(self):
        self.start_spec_journal()
        # The bridge's environment is the inspector's, inherited: index.js
        # has no -e option (only the launcher cli.js has).
        env = self.bridge_env()
        r = self.inspector(env, "--method", "tools/list")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tools = json.loads(r.stdout)["tools"]
        self.assertEqual(sorted(t["name"] for t in tools),
                         sorted(GUIDE_TOOLS))
        r = self.inspector(env, "--method", "tools/call", "--tool-name",
                           "pact_log", "--tool-arg", "limit=3")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = json.loads(r.stdout)
        self.assertFalse(out.get("isError", False), out)
        # Newest first: n1's enrollment, then the spec's two vClusters.
        self.assertEqual([e["type"] for e in out["structuredContent"]
                          ["entries"]],
                         ["node-enrolled", "overlay-apply", "overlay-apply"])
        self.assertIn("overlay-apply", out["content"][0]["text"])
        v = subprocess.run(
            ["node", os.path.join(NODE_DIR, "validate.mjs")],
            input=json.dumps({"tools": tools, "results": [
                {"name": "pact_log",
                 "structuredContent": out["structuredContent"]}]}),
            capture_output=True, text=True, timeout=30)
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertEqual(json.loads(v.stdout), [None])

    def test_inspector_launcher_passes_e_in_cli_mode(self):
        """The package's bin (build/cli.js, what `npx
        @modelcontextprotocol/inspector-cli` runs) needs --cli for CLI mode
        (else it starts the web client, which this package does not ship);
        it turns `-e KEY=VALUE` into the environment of index.js, which the
        bridge inherits. index.js still resolves "../package.json" from the
        working directory."""
        self.start_spec_journal(enroll=())
        env = self.bridge_env(endpoint="http://127.0.0.1:1")
        r = subprocess.run(
            ["node", "cli.js", "--cli", "-e",
             "PACT_ENDPOINT=" + self.journal.gateway, binary("pact-mcp"),
             "--method", "tools/call", "--tool-name", "pact_log",
             "--tool-arg", "limit=3"],
            cwd=INSPECTOR_BUILD, env=env, capture_output=True, text=True,
            timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        out = json.loads(r.stdout)
        self.assertFalse(out.get("isError", False), out)
        self.assertEqual([e["type"] for e in out["structuredContent"]
                          ["entries"]], ["overlay-apply", "overlay-apply"])

    def test_inspector_e_option_is_not_an_environment(self):
        """index.js has no -e: commander passes the unknown option on as
        arguments of the server command, and pact-mcp refuses an unknown
        argument, so the inspector cannot connect. The environment must be
        inherited (as test_inspector_lists_and_calls does)."""
        self.start_spec_journal(enroll=())
        env = self.bridge_env(endpoint="http://127.0.0.1:1")
        r = self.inspector(env, "-e", "PACT_ENDPOINT=" + self.journal.gateway,
                           "--method", "tools/list")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("Failed to connect to MCP server", r.stdout + r.stderr)


class LatticeTest(InteropCase):
    """Every lattice tool says lattice is not configured."""

    def test_each_lattice_tool_without_endpoint(self):
        env = self.bridge_env(token="x", endpoint="http://127.0.0.1:1")
        results, _ = self.calls(env, LATTICE_CALLS)
        self.assertEqual(len(results), 13)
        for (name, _), r in zip(LATTICE_CALLS, results):
            with self.subTest(tool=name):
                self.assertEqual(r["name"], name)
                self.assertTrue(r["isError"], r)
                self.assertEqual(r["text"], LATTICE_UNSET)
                self.assertEqual(r["structured"]["error"],
                                 {"message": LATTICE_UNSET, "exit_code": 1,
                                  "meaning": "error"})


if __name__ == "__main__":
    unittest.main()
