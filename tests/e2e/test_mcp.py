"""pact-mcp driven by the official MCP TypeScript SDK client."""
import json
import os
import shutil
import subprocess
import unittest

from harness import PactTestCase, binary

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.join(HERE, "mcp", "node_modules", "@modelcontextprotocol",
                   "sdk")


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
        env["PACT_ENDPOINT"] = journal.gateway
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


if __name__ == "__main__":
    unittest.main()
