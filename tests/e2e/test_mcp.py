"""pact-mcp driven by the official MCP TypeScript SDK client."""
import json
import os
import re
import queue
import shutil
import subprocess
import threading
import unittest

from harness import PactTestCase, binary, make_token

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.join(HERE, "mcp", "node_modules", "@modelcontextprotocol",
                   "sdk")
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "deploy",
                       "examples", "ml-training.toml")
VC = "ml-training"
# The id a refusal names ("(request command#1a2b3c4d)"), per request.
REQUEST_ID = re.compile(r" \(request [^)]*\)")


class McpTest(PactTestCase):
    def setUp(self):
        super().setUp()
        if not shutil.which("node") or not os.path.isdir(SDK):
            self.fail("node and the MCP SDK are required: run "
                      "deploy/test.sh (npm ci in tests/e2e/mcp)")

    def test_sdk_client_initializes_lists_and_calls_pact_status(self):
        journal = self.start_journal()
        self.start_agent(journal, "node-mcp")
        examples = os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                "deploy", "examples", "ml-training.toml")
        applied = self.pact("--endpoint", journal.gateway, "apply", examples,
                            token=self.token_of(journal))
        self.assertEqual(applied.returncode, 0, applied.stderr)
        env = dict(self.env)
        # Several endpoints, the first one down: the bridge moves on to the
        # next (issue 8 item 2).
        env["PACT_ENDPOINT"] = "http://127.0.0.1:1," + journal.gateway
        env["PACT_MCP_TOKEN"] = self.token_of(journal)
        r = subprocess.run(["node", os.path.join(HERE, "mcp",
                                                 "mcp_client.mjs"),
                            binary("pact-mcp")],
                           env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(out["serverVersion"]["name"], "pact-mcp")
        self.assertIn("tools", out["capabilities"])
        self.assertIn("pact_status", out["tools"])
        status = out["status"]
        self.assertFalse(status["isError"], status["text"])
        names = [a["name"] for a in status["structured"]["journal"]["actors"]]
        self.assertIn("journal/gateway", names)
        self.assertIn("journal/gateway", status["text"])
        self.assertIn("pact_log", out["tools"])
        log = out["log"]
        self.assertFalse(log["isError"], log["text"])
        self.assertEqual(log["structured"]["entries"][0]["type"],
                         "overlay-apply")
        self.assertTrue(log["structured"]["verify"]["ok"])
        self.assertIn("overlay-apply", log["text"])
        self.assertTrue(out["diff"]["isError"])
        self.assertIn("no-such-node", out["diff"]["text"])

    def test_tool_error_when_journal_unreachable(self):
        env = dict(self.env)
        env["PACT_ENDPOINT"] = "http://127.0.0.1:1"
        env["PACT_MCP_TOKEN"] = "x"
        r = subprocess.run(["node", os.path.join(HERE, "mcp",
                                                 "mcp_client.mjs"),
                            binary("pact-mcp")],
                           env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertTrue(out["status"]["isError"])
        self.assertIn("http://127.0.0.1:1", out["status"]["text"])



class McpMatchesCliTest(PactTestCase):
    """pact-mcp and pact give the same answer to the same question (issue 9
    item 4): one client library asks, one renderer prints, one table maps
    errors to messages and exit codes. The MCP tool's text is what `pact`
    prints on stdout (or, for a failure, its stderr line without "pact: "),
    its structured content what `pact --output json` prints (or the exit
    code `pact` gives)."""

    def setUp(self):
        super().setUp()
        if not shutil.which("node") or not os.path.isdir(SDK):
            self.fail("node and the MCP SDK are required: run "
                      "deploy/test.sh (npm ci in tests/e2e/mcp)")
        self.journal = self.start_journal()
        self.admin = self.token_of(self.journal)
        with open(self.journal.secret_path) as f:
            secret = f.read().strip()
        self.ops = make_token(secret, sub="olga@site",
                              groups=[f"pact-ops-{VC}"])
        for args in (("apply", EXAMPLE),
                     ("enroll", "n1", "--vcluster", VC),
                     ("enroll", "n2", "--vcluster", VC),
                     ("commit", "-m", "hugepages", "n1",
                      "--set", "kernel:vm.nr_hugepages=4096",
                      "--set", "kernel:vm.swappiness=10")):
            r = self.cli(*args)
            self.assertEqual(r.returncode, 0, f"setup {args}: {r.stderr}")

    def cli(self, *args, token=None, endpoint=None):
        return self.pact("--endpoint", endpoint or self.journal.gateway,
                         *args, token=token or self.admin, timeout=60)

    def mcp(self, calls, token=None, endpoint=None):
        env = dict(self.env)
        env["PACT_ENDPOINT"] = endpoint or self.journal.gateway
        env["PACT_MCP_TOKEN"] = token or self.admin
        r = subprocess.run(["node", os.path.join(HERE, "mcp", "ask.mjs"),
                            binary("pact-mcp"), json.dumps(calls)],
                           env=env, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout.strip().splitlines()[-1])

    def assert_same(self, answer, args, token=None, endpoint=None,
                    flags_as_arguments=False):
        """`answer` (one MCP tool result) says what `pact ARGS` says; with
        `flags_as_arguments`, a message naming the CLI's flags (--set,
        --unset) names the tool's arguments instead (set, unset)."""
        text = self.cli(*args, token=token, endpoint=endpoint)
        if text.returncode != 0:
            self.assertTrue(answer["isError"], answer)
            stderr = text.stderr
            if flags_as_arguments:
                stderr = stderr.replace("--unset", "unset").replace(
                    "--set", "set")
            # Each process sent its own request, under its own id.
            self.assertEqual(REQUEST_ID.sub("", stderr),
                             "pact: " + REQUEST_ID.sub("", answer["text"])
                             + "\n")
            self.assertEqual(answer["structured"]["error"]["exit_code"],
                             text.returncode)
            self.assertEqual(answer["structured"]["error"]["message"],
                             answer["text"])
            return
        self.assertFalse(answer["isError"], answer["text"])
        self.assertEqual(answer["text"], text.stdout)
        js = self.cli("--output", "json", *args, token=token,
                      endpoint=endpoint)
        self.assertEqual(js.returncode, 0, js.stderr)
        self.assertEqual(answer["structured"], json.loads(js.stdout))

    def test_same_answers_as_the_cli(self):
        questions = [
            (("diff", "n1"), {"name": "pact_diff",
                              "arguments": {"node": "n1"}}),
            (("diff", "n1", "--committed"),
             {"name": "pact_diff",
              "arguments": {"node": "n1", "committed": True}}),
            (("diff", "n2"), {"name": "pact_diff",
                              "arguments": {"node": "n2"}}),
            (("diff", "no-such-node"),
             {"name": "pact_diff", "arguments": {"node": "no-such-node"}}),
            (("log", "-n", "5", "--verify"),
             {"name": "pact_log", "arguments": {"limit": 5, "verify": True}}),
            (("log", "--scope", "node:n1"),
             {"name": "pact_log", "arguments": {"scope": "node:n1"}}),
            (("log", "--scope", "vc:nobody"),
             {"name": "pact_log", "arguments": {"scope": "vc:nobody"}}),
            (("status", "no-such-node"),
             {"name": "pact_status", "arguments": {"node": "no-such-node"}}),
        ]
        answers = self.mcp([q for _, q in questions])
        for (args, _), answer in zip(questions, answers):
            with self.subTest(args=args):
                self.assert_same(answer, args)
        diff = answers[0]
        self.assertIn("vm.nr_hugepages = 4096", diff["text"])
        self.assertIn("[committed]", diff["text"])
        self.assertIn("[in overlay]", diff["text"])
        log = answers[4]
        self.assertIn("hash chain verified: ", log["text"])
        self.assertTrue(log["structured"]["verify"]["ok"])
        self.assertEqual(answers[3]["structured"]["error"]["exit_code"], 1)

    def test_same_answers_for_writes_and_their_refusals(self):
        """The write tools answer with what `pact commit`, `rollback`,
        `apply` and `emergency` print (runtime/render/write_render). The
        bridge's requests are an AI principal's (Request.ai_agent), so the
        vCluster lets AI principals write."""
        policy = os.path.join(self.tmp, "policy.toml")
        with open(policy, "w") as f:
            f.write("ai_write_allowed = true\n")
        r = self.cli("group", "set-policy", VC, "--file", policy)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(EXAMPLE) as f:
            spec = f.read()
        questions = [
            (("apply", "--dry-run", EXAMPLE),
             {"name": "pact_apply", "arguments": {"spec": spec,
                                                  "dry_run": True}}),
            (("commit", "-m", "x", f"vc:{VC}", "--set", "kernel:oops"),
             {"name": "pact_commit",
              "arguments": {"target": f"vc:{VC}", "message": "x",
                            "set": ["kernel:oops"]}}),
            (("commit", "-m", "x", "n1", "--set", "kernel:a=1",
              "--unset", "kernel:a"),
             {"name": "pact_commit",
              "arguments": {"target": "n1", "message": "x",
                            "set": ["kernel:a=1"], "unset": ["kernel:a"]}}),
            (("rollback", "9999"),
             {"name": "pact_rollback", "arguments": {"sequence": 9999}}),
            (("emergency", "end", "n2"),
             {"name": "pact_emergency",
              "arguments": {"action": "end", "node": "n2"}}),
        ]
        answers = self.mcp([q for _, q in questions])
        for (args, q), answer in zip(questions, answers):
            with self.subTest(args=args):
                self.assert_same(answer, args, flags_as_arguments=(
                    q["name"] == "pact_commit"))
        self.assertEqual(answers[0]["structured"]["vclusters"][0]["vcluster"],
                         VC)
        # A commit, then the same question to both: the entry as recorded.
        done, = self.mcp([{"name": "pact_commit",
                           "arguments": {"target": f"vc:{VC}",
                                         "message": "swappiness",
                                         "set": ["kernel:vm.swappiness=5"]}}])
        self.assertFalse(done["isError"], done["text"])
        seq = done["structured"]["sequences"][0]
        self.assertEqual(done["text"].splitlines()[0],
                         f"committed 1 change to vc:{VC} as entry {seq}")
        self.assertEqual(done["structured"]["changes"][0]["previous"], "10")
        # Emergency status: the CLI prints the array, the tool wraps it.
        status, = self.mcp([{"name": "pact_emergency",
                             "arguments": {"action": "status"}}])
        cli = self.cli("emergency", "status")
        self.assertEqual(status["text"], cli.stdout)
        js = self.cli("--output", "json", "emergency", "status")
        self.assertEqual(status["structured"]["emergencies"],
                         json.loads(js.stdout))

    def test_same_status_facts(self):
        status, = self.mcp([{"name": "pact_status",
                             "arguments": {"node": "n1"}}])
        self.assertFalse(status["isError"], status["text"])
        cli = self.cli("status", "n1")
        self.assertEqual(cli.returncode, 0, cli.stderr)
        js = json.loads(self.cli("--output", "json", "status", "n1").stdout)
        m = status["structured"]
        self.assertEqual(m["declared"], js["declared"])
        self.assertEqual(m["declared"]["nodes"][0]["node"], "n1")
        self.assertEqual(m["nodes"], js["nodes"])
        for k in ("node_id", "leader_id", "voters", "role"):
            self.assertEqual(m["raft"][k], js["raft"][k], k)
        # The declared view closes the text report (the health tables
        # before it date their rows, so they differ by the second).
        self.assertIn("\njournal: node n1 ", cli.stdout)
        tail = cli.stdout[cli.stdout.index("\njournal: "):]
        self.assertIn("4096", tail)
        self.assertTrue(status["text"].endswith(tail), status["text"])

    def test_same_error_for_a_denied_read_and_an_unreachable_journal(self):
        denied, = self.mcp([{"name": "pact_log",
                             "arguments": {"scope": "vc:storage-ops"}}],
                           token=self.ops)
        self.assert_same(denied, ("log", "--scope", "vc:storage-ops"),
                         token=self.ops)
        self.assertEqual(denied["structured"]["error"]["exit_code"], 2)
        # Both read timeout_seconds from the same cli.toml.
        conf = os.path.join(self.tmp, ".config", "pact")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "cli.toml"), "w") as f:
            f.write("timeout_seconds = 2\n")
        dead = "http://127.0.0.1:1"
        down, = self.mcp([{"name": "pact_log", "arguments": {}}],
                         endpoint=dead)
        self.assert_same(down, ("log",), endpoint=dead)
        self.assertEqual(down["structured"]["error"]["exit_code"], 5)
        self.assertIn(dead, down["text"])


class Bridge:
    """A pact-mcp process driven line by line over its stdio."""

    def __init__(self, env, stderr_path):
        self.err = open(stderr_path, "wb")
        self.proc = subprocess.Popen([binary("pact-mcp")], env=env,
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, data):
        if isinstance(data, (dict, list)):
            data = json.dumps(data).encode()
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def reply(self, timeout=10):
        line = self.lines.get(timeout=timeout)
        if line is None:
            raise AssertionError("pact-mcp closed stdout (exit %s)"
                                 % self.proc.wait(timeout=5))
        return json.loads(line)

    def request(self, data, timeout=10):
        self.send(data)
        return self.reply(timeout)

    def peak_rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise AssertionError("no VmHWM for pact-mcp")

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.err.close()


PING = {"jsonrpc": "2.0", "id": "ping", "method": "ping"}


def initialize(version, id_=0):
    return {"jsonrpc": "2.0", "id": id_, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {},
                       "clientInfo": {"name": "e2e", "version": "1"}}}


def call(name, arguments, id_=5):
    return ("{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\","
            "\"params\":{\"name\":\"%s\",\"arguments\":%s}}"
            % (id_, name, arguments)).encode()


# Malformed and mistyped input, each with the JSON-RPC error code and the
# id of its reply (issue 8 item 5).
BAD_LINES = [
    (b'{"jsonrpc":2.0,"id":1,"method":"ping"}', -32600, 1),
    (b'{"jsonrpc":"2.0","id":2,"method":7}', -32600, 2),
    (b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', -32600, None),
    (b'{"jsonrpc":"2.0","id":1.5,"method":"ping"}', -32600, None),
    (b'{"jsonrpc":"2.0","id":true,"method":"ping"}', -32600, None),
    (b'{"jsonrpc":"2.0","id":3,"method":"ping","params":"x"}', -32600, 3),
    (b'{"jsonrpc":"2.0","id":4,"method":"ping","params":[1]}', -32602, 4),
    (b'{"jsonrpc":"2.0","id":5,"method":"notifications/initialized"}',
     -32600, 5),
    (b'{"jsonrpc":"2.0","id":6,"method":"resources/list"}', -32601, 6),
    (b'{"jsonrpc":"2.0","id":7,"method":"initialize","params":'
     b'{"protocolVersion":20250618}}', -32602, 7),
    (b'[1,2,3]', -32600, None),
    (b'42', -32600, None),
    (b'{not json', -32700, None),
    (b'{"jsonrpc":"2.0","id":8,"method":"\xff"}', -32700, None),
    (b'"\\ud800"', -32700, None),
    (b'1e400', -32700, None),
    (b'[' * 200000, -32700, None),
    (b'{"jsonrpc":"2.0","id":9,"method":"ping","params":{"a":'
     + b'[' * 100 + b']' * 100 + b'}}', -32600, 9),
    (call("pact_log", '{"limit":"5"}'), -32602, 5),
    (call("pact_log", '{"limit":0}'), -32602, 5),
    (call("pact_log", '{"limit":1e300}'), -32602, 5),
    (call("pact_log", '{"verify":"yes"}'), -32602, 5),
    (call("pact_status", '{"node":[]}'), -32602, 5),
    (call("pact_diff", '{}'), -32602, 5),
    (call("pact_diff", '"node"'), -32602, 5),
    (call("no_such_tool", '{}'), -32602, 5),
    (b'{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":1}}',
     -32602, 10),
]


class McpBadInputTest(PactTestCase):
    """pact-mcp as a client author would break it: raw lines on stdin."""

    def bridge(self):
        env = dict(self.env)
        env["PACT_ENDPOINT"] = "http://127.0.0.1:1"
        env["PACT_MCP_TOKEN"] = "x"
        b = Bridge(env, os.path.join(self.tmp, "mcp.stderr"))
        self.addCleanup(b.close)
        return b

    def test_bad_lines_get_their_error_and_the_next_ping_is_served(self):
        b = self.bridge()
        self.assertEqual(b.request(initialize("2025-06-18"))["result"]
                         ["protocolVersion"], "2025-06-18")
        for line, code, id_ in BAD_LINES:
            with self.subTest(line=line[:80]):
                r = b.request(line)
                self.assertEqual(r.get("error", {}).get("code"), code, r)
                self.assertEqual(r["id"], id_)
                self.assertEqual(b.request(PING),
                                 {"jsonrpc": "2.0", "id": "ping",
                                  "result": {}})
        self.assertIsNone(b.proc.poll(), "pact-mcp exited")

    def test_a_line_over_4_mib_is_refused_without_buffering_it(self):
        b = self.bridge()
        self.assertIn("result", b.request(PING))
        before = b.peak_rss_kib()
        # 64 MiB in one line: the reply names the limit; the bridge keeps
        # at most 4 MiB of it, so its peak memory grows far less than 64 MiB.
        big = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"p":"' \
            + b"x" * (64 << 20) + b'"}}'
        r = b.request(big, timeout=60)
        self.assertEqual(r["error"]["code"], -32600)
        self.assertIsNone(r["id"])
        self.assertIn("4 MiB", r["error"]["message"])
        self.assertLess(b.peak_rss_kib() - before, 24 << 10)
        just = b'{"jsonrpc":"2.0","id":2,"method":"ping","params":{"p":"'
        just += b"x" * ((4 << 20) - len(just) - 3) + b'"}}'
        self.assertEqual(len(just), 4 << 20)
        self.assertEqual(b.request(just)["id"], 2)
        self.assertEqual(b.request(PING)["result"], {})
        self.assertIsNone(b.proc.poll())

    def test_batch_under_2025_03_26(self):
        b = self.bridge()
        self.assertEqual(b.request(initialize("2025-03-26"))["result"]
                         ["protocolVersion"], "2025-03-26")
        b.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        r = b.request([{"jsonrpc": "2.0", "id": 1, "method": "ping"},
                       {"jsonrpc": "2.0", "method": "notifications/x"},
                       {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                       {"jsonrpc": "2.0", "id": 3, "method": "nope"}])
        self.assertIsInstance(r, list)
        self.assertEqual([m["id"] for m in r], [1, 2, 3])
        self.assertEqual(r[0]["result"], {})
        self.assertIn("pact_status",
                      [t["name"] for t in r[1]["result"]["tools"]])
        self.assertEqual(r[2]["error"]["code"], -32601)
        # Only notifications: no reply at all, so the ping's is next.
        b.send([{"jsonrpc": "2.0", "method": "notifications/x"}])
        self.assertEqual(b.request(PING)["id"], "ping")
        empty = b.request([])
        self.assertEqual(empty["error"]["code"], -32600)
        self.assertIsNone(empty["id"])

    def test_batch_refused_under_2025_06_18(self):
        b = self.bridge()
        b.request(initialize("2025-06-18"))
        r = b.request([{"jsonrpc": "2.0", "id": 1, "method": "ping"}])
        self.assertIsInstance(r, dict)
        self.assertEqual(r["error"]["code"], -32600)
        self.assertIsNone(r["id"])
        self.assertIn("2025-06-18", r["error"]["message"])
        self.assertEqual(b.request(PING)["result"], {})


if __name__ == "__main__":
    unittest.main()
