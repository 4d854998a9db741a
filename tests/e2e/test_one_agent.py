"""One agent per node (docs/agent.md, "One agent per node"; tester, issue
11): a second pact-agent with the same node id, under another --root and
--state-dir, is refused by the journal instead of taking over the node's
recorded agent endpoint, so `pact diff NODE` keeps reaching the real agent
after the second one exits; a restarted real agent (a new port) is the
node's agent again at once."""
import json
import os
import subprocess

from harness import Daemon, PactTestCase, binary, wait_for

SPEC = """
[vcluster.ml]
[vcluster.ml.files]
"/etc/motd" = { content = "from pact" }
"""
FAST = "[agent.journal]\nreconnect_max_seconds = 2\nreport_interval_seconds = 1\n"
NODE = "node-o1"


class OneAgentTest(PactTestCase):
    def admin(self, journal, *args):
        return self.pact(*args, "--endpoint", journal.gateway,
                         token=self.token_of(journal))

    def recorded_endpoint(self, journal):
        r = self.admin(journal, "status", NODE, "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        nodes = json.loads(r.stdout).get("declared", {}).get("nodes", [])
        return next((n.get("agent_endpoint") for n in nodes
                     if n["node"] == NODE), None)

    def test_a_second_agent_for_a_node_is_refused(self):
        journal = self.start_journal()
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(SPEC)
        self.assertEqual(self.admin(journal, "apply", spec).returncode, 0)
        config = os.path.join(self.tmp, "agent.toml")
        with open(config, "w") as f:
            f.write(FAST)
        real = self.start_agent(journal, NODE, "ml",
                                extra=["--config", config])
        wait_for(lambda: self.recorded_endpoint(journal) == real.api,
                 what="the real agent's recorded endpoint")

        # The same node id, its own root and state dir, the same credential.
        dup_state = os.path.join(self.tmp, "dup-state")
        dup_root = os.path.join(self.tmp, "dup-root")
        os.makedirs(dup_root)
        args = [binary("pact-agent"), "--node-id", NODE, "--vcluster", "ml",
                "--journal", journal.gateway, "--listen", "127.0.0.1:0",
                "--root", dup_root, "--state-dir", dup_state,
                "--token-file", os.path.join(self.tmp, NODE + ".token"),
                "--config", config]
        env = dict(self.env)
        with open(journal.secret_path) as f:
            env["PACT_OIDC_HMAC_SECRET"] = f.read().strip()
        dup = Daemon(args, dup_state, env, os.path.join(self.tmp, "dup.log"))
        self.daemons.append(dup)
        dup.endpoints()
        wait_for(lambda: "refused this agent: node 'node-o1' is served by "
                         "another pact-agent" in dup.read_log(),
                 what="the refusal of the second agent")
        self.assertIn("second agent with the same node id is refused",
                      dup.read_log())
        wait_for(lambda: "dropped a node report" in journal.read_log(),
                 what="its reports dropped")
        self.assertEqual(self.recorded_endpoint(journal), real.api)

        # Once it is gone, `pact diff NODE` still reaches the real agent.
        dup.stop()
        r = self.admin(journal, "diff", NODE)
        self.assertEqual(r.returncode, 0, r.stderr)

        # The real agent restarts on another port: its connection went with
        # it, so it is the node's agent again at once (not after a silence).
        real.stop()
        again = self.start_agent(journal, NODE, "ml",
                                 extra=["--config", config])
        self.assertNotEqual(again.api, real.api)
        wait_for(lambda: self.recorded_endpoint(journal) == again.api,
                 timeout=10, what="the restarted agent's endpoint")
        r = self.admin(journal, "diff", NODE)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_a_second_agent_on_the_same_state_dir_is_refused_at_start(self):
        """Tester (issue 18): a second agent on a running one's --state-dir
        booted, applied the node's files and rewrote endpoints.json before
        the journal refused it. Now it stops before touching anything."""
        journal = self.start_journal()
        real = self.start_agent(journal, NODE, "ml")
        state = os.path.join(self.tmp, NODE)
        endpoints = os.path.join(state, "endpoints.json")
        with open(endpoints) as f:
            before = f.read()
        other_root = os.path.join(self.tmp, "other-root")
        os.makedirs(other_root)
        r = subprocess.run(
            [binary("pact-agent"), "--node-id", NODE, "--vcluster", "ml",
             "--journal", journal.gateway, "--listen", "127.0.0.1:0",
             "--metrics-listen", "127.0.0.1:0", "--root", other_root,
             "--state-dir", state],
            env=self.env, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the directory is in use by another process (a running "
                      "pact-agent holds " + state + "/owner.lock)", r.stderr)
        self.assertIn("give each agent its own --state-dir", r.stderr)
        with open(endpoints) as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(os.listdir(other_root), [])
        # The real one is untouched; once it stops, the directory is free.
        real.stop()
        again = self.start_agent(journal, NODE, "ml")
        self.assertTrue(again.api)

