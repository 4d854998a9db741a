"""pact-agent boots from the journal (issue 11 item 1): real pact-journal and
pact-agent processes, the agent under a temporary --root with a node
credential; boot from the journal, from the cache with every replica down
and catch-up, the node credential's limits, and bad agent configuration."""
import json
import os
import socket
import stat
import subprocess

from harness import PactTestCase, binary, make_token, wait_for

SPEC = """
[vcluster.ml]
[vcluster.ml.sysctl]
"vm.swappiness" = "{swappiness}"
[vcluster.ml.files]
"/etc/motd" = {{ content = "{motd}", mode = "0640" }}
[vcluster.ml.mounts]
"/scratch" = {{ type = "nfs", source = "storage01:/scratch" }}
[vcluster.ml.packages]
cuda = "12.4"
[vcluster.ml.network]
mtu = 9000
"""

FAST = "[agent.journal]\nreconnect_max_seconds = 2\nreport_interval_seconds = 1\n"


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


class AgentBootTest(PactTestCase):
    def admin(self, journal, *args):
        r = self.pact(*args, "--endpoint", journal.gateway,
                      token=self.token_of(journal))
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def apply(self, journal, motd, swappiness="10"):
        path = os.path.join(self.tmp, "spec.toml")
        with open(path, "w") as f:
            f.write(SPEC.format(motd=motd, swappiness=swappiness))
        self.admin(journal, "apply", path, "-m", "spec " + motd)

    def fast_config(self):
        path = os.path.join(self.tmp, "agent.toml")
        with open(path, "w") as f:
            f.write(FAST)
        return ["--config", path]

    def declared_node(self, journal, node):
        """The journal's record of `node`; None while it knows none (the
        boot record may not have landed yet)."""
        r = self.pact("status", node, "--output", "json", "--endpoint",
                      journal.gateway, token=self.token_of(journal))
        if r.returncode != 0 and "is not known to this journal" in r.stderr:
            return None
        self.assertEqual(r.returncode, 0, r.stderr)
        nodes = json.loads(r.stdout).get("declared", {}).get("nodes", [])
        return next((n for n in nodes if n["node"] == node), None)

    def test_boot_applies_declared_state_and_records_the_endpoint(self):
        journal = self.start_journal()
        self.apply(journal, "hello from pact")
        agent = self.start_agent(journal, "node-b1", "ml")
        motd = os.path.join(agent.root, "etc", "motd")
        # Logged once everything is applied and reported on.
        wait_for(lambda: "pact-agent ready in" in agent.read_log(),
                 what="the agent to be configured")
        self.assertEqual(read(motd), "hello from pact")
        self.assertEqual(stat.S_IMODE(os.stat(motd).st_mode), 0o640)
        self.assertEqual(
            read(os.path.join(agent.root, "proc/sys/vm/swappiness")), "10\n")
        network = json.loads(read(os.path.join(agent.root,
                                               "run/pact/network.json")))
        self.assertEqual(network, {"mtu": 9000})
        # Mounts and packages are recorded, not done, under a test root.
        report = json.loads(read(os.path.join(agent.state_dir,
                                              "last-boot.json")))
        self.assertEqual(report["source"], "journal")
        outcome = {i["key"]: (i["outcome"], i["detail"])
                   for i in report["items"]}
        self.assertEqual(outcome["/scratch"],
                         ("recorded", "would mount nfs storage01:/scratch on "
                                      "/scratch read-write"))
        self.assertEqual(outcome["cuda"],
                         ("recorded", "would install package cuda 12.4"))
        self.assertFalse(os.path.exists(os.path.join(agent.root, "scratch")))
        self.assertIn("recorded, not applied (mounts /scratch)",
                      agent.read_log())
        # Any replica tells a client where the node's agent is.
        node = wait_for(lambda: (self.declared_node(journal, "node-b1") or {})
                        .get("agent_endpoint") and
                        self.declared_node(journal, "node-b1"),
                        what="the boot record")
        self.assertEqual(node["agent_endpoint"], agent.api)
        text = self.admin(journal, "status", "node-b1").stdout
        self.assertIn("agent at " + agent.api, text)
        # Not enrolled: listed under the vCluster it booted from, and a
        # viewer of ml reads it on a gateway it does not report to (a
        # tester's F8: it was missing from `status --vcluster ml`).
        self.assertEqual(node["vcluster"], "")
        self.assertEqual(node["booted_vcluster"], "ml")
        listing = self.admin(journal, "status", "--vcluster", "ml").stdout
        self.assertIn("journal: vcluster ml: 1 node\n", listing)
        self.assertRegex(listing, r"node-b1 +\S+ \(not enrolled\)")
        self.assertIn("vcluster ml (not enrolled; its agent",
                      self.admin(journal, "status", "node-b1").stdout)
        with open(journal.secret_path) as f:
            secret = f.read().strip()
        viewer = make_token(secret, "vera",
                            ["pact-viewer-ml"])
        r = self.pact("status", "--vcluster", "ml", "--endpoint",
                      journal.gateway, token=viewer)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("node-b1", r.stdout)
        r = self.pact("status", "--vcluster", "ml", "--endpoint",
                      journal.gateway,
                      token=make_token(secret, "sam",
                                       ["pact-viewer-storage"]))
        self.assertNotIn("node-b1", r.stdout)
        entries = json.loads(self.admin(journal, "log", "--output",
                                        "json").stdout)["entries"]
        boots = [e for e in entries
                 if e.get("agent_endpoint") == agent.api]
        self.assertTrue(boots, entries)
        self.assertEqual(boots[0]["author"]["principal"], "node-b1")
        self.assertEqual(boots[0]["author"]["role"], "pact-node")

    def test_an_agent_whose_api_port_is_taken_changes_nothing(self):
        # It must exit before booting: no file applied under its root, no
        # endpoint recorded over the running agent's (tester, issue 11).
        journal = self.start_journal()
        self.apply(journal, "declared")
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        self.addCleanup(taken.close)
        port = taken.getsockname()[1]
        with open(journal.secret_path) as f:
            secret = f.read().strip()
        token = os.path.join(self.tmp, "n-taken.token")
        with open(token, "w") as f:
            f.write(make_token(secret, sub="node-b9",
                               groups=("pact-node",)) + "\n")
        root = os.path.join(self.tmp, "taken-root")
        os.makedirs(root)
        env = dict(self.env)
        env["PACT_OIDC_HMAC_SECRET"] = secret
        r = subprocess.run(
            [binary("pact-agent"), "--node-id", "node-b9", "--vcluster", "ml",
             "--journal", journal.gateway, "--listen", f"127.0.0.1:{port}",
             "--root", root, "--state-dir", os.path.join(self.tmp, "b9"),
             "--token-file", token],
            env=env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        self.assertIn("pact-agent: ", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(root, "etc", "motd")),
                         "the agent applied its configuration")
        entries = json.loads(self.admin(journal, "log", "--output",
                                        "json").stdout)["entries"]
        by_node = [e for e in entries
                   if e["author"]["principal"] == "node-b9"]
        self.assertEqual(by_node, [], "the agent recorded a boot")

    def test_boot_from_cache_with_the_journal_down_then_catch_up(self):
        journal = self.start_journal()
        port = journal.gateway.rsplit(":", 1)[1]
        self.apply(journal, "v1")
        agent = self.start_agent(journal, "node-c1", "ml",
                                 extra=self.fast_config())
        motd = os.path.join(agent.root, "etc", "motd")
        wait_for(lambda: read(motd) == "v1", what="the first boot")
        wait_for(lambda: "agent_endpoint" in (
            self.declared_node(journal, "node-c1") or {}),
            what="the boot record")
        self.assertEqual(agent.stop(), 0)
        self.apply(journal, "v2", swappiness="20")
        admin_token = self.token_of(journal)
        self.assertEqual(journal.stop(), 0)

        os.remove(motd)
        agent = self.start_agent(journal, "node-c1", "ml",
                                 extra=self.fast_config())
        wait_for(lambda: "booted from the boot cache" in agent.read_log(),
                 what="the boot from cache")
        self.assertEqual(read(motd), "v1")

        # `pact status` of the agent says so while the journal is down.
        def link_row():
            r = self.pact("status", "--endpoint", agent.api, "--output",
                          "json", token=admin_token)
            self.assertEqual(r.returncode, 0, r.stderr)
            tree = json.loads(r.stdout)["agent"]
            row = {a["name"]: a for a in tree["actors"]}["agent/journal-link"]
            return row if "boot cache" in row["detail"] else None
        link = wait_for(link_row, what="the link's health detail")
        self.assertEqual(link["state"], "degraded")
        self.assertIn("running from the boot cache", link["detail"])

        journal2 = self.start_journal(listen=f"127.0.0.1:{port}")
        self.assertEqual(journal2.gateway, journal.gateway)
        wait_for(lambda: read(motd) == "v2", timeout=30, what="the catch-up")
        self.assertEqual(
            read(os.path.join(agent.root, "proc/sys/vm/swappiness")), "20\n")
        wait_for(lambda: "caught up" in agent.read_log(), what="the log")

    def test_a_restart_over_a_local_edit_records_it_and_the_state_follows(
            self):
        # Tester, issue 11: under observe, an agent restart overwrote an
        # uncommitted edit silently and the journal stayed `drifted`.
        journal = self.start_journal()
        self.apply(journal, "from pact")
        agent = self.start_agent(journal, "node-r1", "ml",
                                 extra=self.fast_config())
        motd = os.path.join(agent.root, "etc", "motd")
        wait_for(lambda: read(motd) == "from pact", what="the boot")
        wait_for(lambda: "pact-agent ready in" in agent.read_log(),
                 what="the agent to be configured")
        with open(motd, "w") as f:
            f.write("a local edit\n")
        state = lambda: (self.declared_node(journal, "node-r1") or {}).get(
            "state")
        wait_for(lambda: state() == "drifted", what="the drift recorded")
        agent.stop()
        agent = self.start_agent(journal, "node-r1", "ml",
                                 extra=self.fast_config())
        wait_for(lambda: read(motd) == "from pact", what="the boot again")

        def replaced():
            r = self.admin(journal, "log", "--scope", "node:node-r1",
                           "--output", "json")
            return [e for e in json.loads(r.stdout)["entries"]
                    if e["type"] == "boot-config"
                    and "replaced 1 uncommitted local edit(s): "
                        "files:/etc/motd" in e["message"]]
        wait_for(replaced, what="the boot record naming the edit")
        wait_for(lambda: state() not in ("drifted", "converging"),
                 what="the node state after the boot")

    def test_a_declaration_that_goes_away_is_undone_on_the_node(self):
        journal = self.start_journal()
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write('[vcluster.ml]\n[vcluster.ml.files]\n'
                    '"/etc/motd" = { content = "from pact" }\n'
                    '"/etc/extra.conf" = { content = "x = 1" }\n')
        self.admin(journal, "apply", spec, "-m", "with files")
        root = os.path.join(self.tmp, "node-u1-root")
        os.makedirs(os.path.join(root, "etc"))
        with open(os.path.join(root, "etc", "motd"), "w") as f:
            f.write("from the image\n")
        agent = self.start_agent(journal, "node-u1", "ml",
                                 extra=self.fast_config())
        motd = os.path.join(root, "etc", "motd")
        extra = os.path.join(root, "etc", "extra.conf")
        # Both: the boot writes them one after the other.
        wait_for(lambda: read(extra) == "x = 1" and read(motd) == "from pact",
                 what="the boot")
        # The overlay no longer declares either file.
        with open(spec, "w") as f:
            f.write('[vcluster.ml]\n[vcluster.ml.sysctl]\n'
                    '"vm.swappiness" = "10"\n')
        self.admin(journal, "apply", spec, "-m", "without files")
        wait_for(lambda: read(extra) is None and
                 read(motd) == "from the image\n", timeout=10,
                 what="the files put back")
        wait_for(lambda: "put back what the node held before these items "
                 "were declared: restored 2 item(s)" in agent.read_log(),
                 what="the agent's record")

    def test_a_file_a_node_commit_unsets_is_removed_at_once(self):
        # Issue 11, a tester's finding (F4): `pact commit --unset files:P
        # NODE` of a file only the node's delta declared left it in place
        # as drift ("added"), removed only by an enforce window's expiry.
        journal = self.start_journal()
        self.apply(journal, "from pact")
        root = os.path.join(self.tmp, "node-u2-root")
        self.start_agent(journal, "node-u2", "ml", extra=self.fast_config())
        motd = os.path.join(root, "etc", "motd")
        wait_for(lambda: read(motd) == "from pact", what="the boot")
        path = os.path.join(root, "etc", "node.conf")
        self.admin(journal, "commit", "-m", "node file", "node-u2", "--set",
                   "files:/etc/node.conf="
                   + json.dumps({"content": "n = 1\n", "mode": "0644"}))
        wait_for(lambda: read(path) == "n = 1\n", timeout=10,
                 what="the node's file")
        self.admin(journal, "commit", "-m", "no node file", "node-u2",
                   "--unset", "files:/etc/node.conf")
        wait_for(lambda: read(path) is None, timeout=10,
                 what="the file the node delta declares absent removed")
        # The overlay's file is untouched, and nothing is left as drift.
        self.assertEqual(read(motd), "from pact")
        r = self.admin(journal, "diff", "node-u2", "--output", "json")
        self.assertEqual(json.loads(r.stdout)["items"], [])

    def test_any_replica_serves_the_boot(self):
        journal = self.start_journal()
        self.apply(journal, "first replica down")
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        down = "http://127.0.0.1:%d" % dead.getsockname()[1]
        dead.close()
        agent = self.start_agent(journal, "node-r1", "ml",
                                 journals=[down, journal.gateway])
        motd = os.path.join(agent.root, "etc", "motd")
        wait_for(lambda: read(motd) == "first replica down",
                 what="the boot through the second endpoint")
        self.assertIn("trying the next replica", agent.read_log())

    def test_node_credential_acts_for_its_own_node_only(self):
        journal = self.start_journal()
        self.apply(journal, "x")
        host = socket.gethostname()
        node_token_path = os.path.join(os.path.dirname(journal.token_path),
                                       "node.token")
        self.assertTrue(os.path.exists(node_token_path))
        node_token = read(node_token_path).strip()

        def as_node(*args):
            return self.pact(*args, "--endpoint", journal.gateway,
                             token=node_token)
        r = as_node("commit", "-m", "m", "other-node", "--set",
                    "kernel:vm.swappiness=1")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"policy: denied: {host} may not write to node "
                      "other-node (a node credential writes for its own node "
                      "only)", r.stderr)
        r = as_node("commit", "-m", "m", host, "--set",
                    "kernel:vm.swappiness=1")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("may not run this command", r.stderr)
        # It reads nothing either (its boot stream aside).
        for read_cmd in ("log", "status"):
            r = as_node(read_cmd)
            self.assertEqual(r.returncode, 2, (read_cmd, r.stderr))

        # The development node token boots this host's agent.
        agent = self.start_agent(journal, host, "ml", token=node_token_path)
        wait_for(lambda: read(os.path.join(agent.root, "etc", "motd")) == "x",
                 what="the boot with the dev node token")
        # A credential of another node boots nothing and reports nothing.
        secret = read(journal.secret_path).strip()
        stolen = os.path.join(self.tmp, "stolen.token")
        with open(stolen, "w") as f:
            f.write(make_token(secret, sub="node-a", groups=("pact-node",)))
        impostor = self.start_agent(journal, "node-z", "ml", token=stolen)
        wait_for(lambda: "refused the boot" in impostor.read_log(),
                 what="the refusal")
        self.assertIn("node-a may not read the boot configuration of node "
                      "node-z", impostor.read_log())
        self.assertFalse(os.path.exists(os.path.join(impostor.root, "etc")))
        # A refused boot is not ready (it said "pact-agent ready in N ms
        # ... nothing applied").
        self.assertNotRegex(impostor.read_log(), r"\bready\b")
        wait_for(lambda: "dropped a node report" in journal.read_log(),
                 what="the dropped report")
        r = self.admin(journal, "status", "--output", "json")
        ids = [n["node_id"] for n in json.loads(r.stdout)["nodes"]]
        self.assertIn(host, ids)
        self.assertNotIn("node-z", ids)


class AgentConfigTest(PactTestCase):
    """Bad agent configuration names the file, line and key (or the flag)
    and exits non-zero before anything starts: no state dir, no process
    left."""

    def run_agent(self, config_text=None, *flags):
        state = os.path.join(self.tmp, "state")
        args = [binary("pact-agent"), "--node-id", "n1", "--listen",
                "127.0.0.1:0", "--root", self.tmp, *flags]
        if "--state-dir" not in flags and "state_dir" not in (config_text
                                                              or ""):
            args += ["--state-dir", state]
        if config_text is not None:
            path = os.path.join(self.tmp, "agent.toml")
            with open(path, "w") as f:
                f.write(config_text)
            args += ["--config", path]
        r = subprocess.run(args, env=self.env, capture_output=True, text=True,
                           timeout=30)
        return r, state

    def refused(self, r, state, *texts):
        self.assertEqual(r.returncode, 1, r.stderr)
        for t in texts:
            self.assertIn(t, r.stderr)
        self.assertFalse(os.path.exists(state), "the state dir was created")

    def test_unknown_key(self):
        r, state = self.run_agent("[agent]\nvcluster = \"ml\"\n"
                                  "[agent.journal]\nendpoint = \"x\"\n")
        self.refused(r, state, "agent.toml:4", "agent.journal.endpoint")

    def test_bad_names_and_a_root_that_is_a_file(self):
        r, state = self.run_agent("[agent]\nvcluster = \"no such\"\n")
        self.refused(r, state, "agent.toml:2", "agent.vcluster",
                     "is not a vCluster name")
        afile = os.path.join(self.tmp, "afile")
        with open(afile, "w") as f:
            f.write("x\n")
        r = subprocess.run([binary("pact-agent"), "--node-id", "a b",
                            "--listen", "127.0.0.1:0", "--root", self.tmp,
                            "--state-dir", os.path.join(self.tmp, "s1")],
                           env=self.env, capture_output=True, text=True,
                           timeout=30)
        self.refused(r, os.path.join(self.tmp, "s1"), "--node-id",
                     "is not a node name")
        r = subprocess.run([binary("pact-agent"), "--node-id", "n1",
                            "--listen", "127.0.0.1:0", "--root", afile,
                            "--state-dir", os.path.join(self.tmp, "s2")],
                           env=self.env, capture_output=True, text=True,
                           timeout=30)
        self.refused(r, os.path.join(self.tmp, "s2"), "--root",
                     "is not a directory")

    def test_bad_values(self):
        r, state = self.run_agent("[agent.journal]\n"
                                  "reconnect_max_seconds = 0\n")
        self.refused(r, state, "agent.toml:2",
                     "agent.journal.reconnect_max_seconds")
        r, state = self.run_agent("[agent.journal]\n"
                                  "endpoints = [\"nowhere\"]\n")
        self.refused(r, state, "nowhere")

    def test_bad_drift_settings_leave_nothing_in_the_state_dir(self):
        # Tester, issue 11: an empty watch_roots was refused, but only after
        # the boot cache had been made in the state dir. (The drift
        # settings are checked against the state dir, which must exist.)
        for text, key in (("[agent.drift]\nwatch_roots = []\n",
                           "agent.drift.watch_roots"),
                          ("[agent.blacklist]\npatterns = [\"[\"]\n",
                           "agent.blacklist.patterns")):
            r, state = self.run_agent(text)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("agent.toml:2", r.stderr)
            self.assertIn(key, r.stderr)
            left = os.listdir(state) if os.path.isdir(state) else []
            self.assertEqual(left, [], "nothing written in the state dir")

    def test_unreadable_token_file(self):
        missing = os.path.join(self.tmp, "missing.token")
        r, state = self.run_agent(None, "--token-file", missing)
        self.refused(r, state, "--token-file: agent.token_file", missing)
        r, state = self.run_agent(f"[agent]\ntoken_file = \"{self.tmp}\"\n")
        self.refused(r, state, "agent.toml:2: agent.token_file", self.tmp)
        empty = os.path.join(self.tmp, "empty.token")
        open(empty, "w").close()
        r, state = self.run_agent(None, "--token-file", empty)
        self.refused(r, state, "agent.token_file", "is empty")

    def test_unwritable_state_dir(self):
        blocker = os.path.join(self.tmp, "a-file")
        open(blocker, "w").close()
        bad = os.path.join(blocker, "state")
        r, _ = self.run_agent(None, "--state-dir", bad)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("--state-dir: agent.state_dir", r.stderr)
        self.assertIn(blocker, r.stderr)
        r, _ = self.run_agent(f"[agent]\nstate_dir = \"{bad}\"\n")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("agent.toml:2: agent.state_dir", r.stderr)
