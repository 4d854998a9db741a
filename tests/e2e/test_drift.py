"""Live drift on a node (issue 11 items 2 and 3): a real pact-journal --dev
and pact-agent under a temporary --root; a file written under the root shows
in `pact diff NODE` (asked of the agent through PACT_AGENT_ENDPOINT) within
one second, with a unified diff; blacklisted paths never do (the agent's own
state directory is covered by tests/unit/actors/agent)."""
import json
import os
import shutil
import time
import unittest

from harness import PactTestCase, wait_for


class DriftTest(PactTestCase):
    def write(self, root, path, text):
        full = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def start(self):
        journal = self.start_journal()
        self.root = os.path.join(self.tmp, "node-042-root")
        self.write(self.root, "/etc/app.conf", "threads = 4\nmode = fast\n")
        self.write(self.root, "/var/log/app.log", "start\n")
        agent = self.start_agent(journal, "node-042", "ml-training")
        self.token = self.token_of(journal)
        self.agent_env = {"PACT_AGENT_ENDPOINT": agent.api}
        return journal, agent

    def diff(self, *extra, env=None):
        return self.pact("diff", "node-042", *extra, token=self.token,
                         env=env if env is not None else self.agent_env)

    def test_a_write_shows_in_diff_within_one_second(self):
        _, agent = self.start()
        r = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(
            self.diff()), what="the agent's drift answer")
        self.assertEqual(r.stdout, "node node-042: no drift\n"
                         "note: the agent has no declared state from the "
                         "journal yet; drift is measured against its boot "
                         "baseline\n")

        self.write(self.root, "/etc/app.conf", "threads = 8\nmode = fast\n")
        written = time.monotonic()
        r = wait_for(lambda: (lambda r: r if "/etc/app.conf" in r.stdout
                              else None)(self.diff()),
                     timeout=5, what="the drift in pact diff")
        elapsed = time.monotonic() - written
        self.assertLess(elapsed, 1.0, r.stdout)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("files  /etc/app.conf  modified", r.stdout)
        self.assertIn("-threads = 4\n+threads = 8\n mode = fast\n", r.stdout)
        self.assertIn("1 drifted item, magnitude 1.00, commit window open",
                      r.stdout)

        j = self.diff("--output", "json")
        self.assertEqual(j.returncode, 0, j.stderr)
        d = json.loads(j.stdout)
        self.assertEqual(d["node"], "node-042")
        self.assertEqual(len(d["items"]), 1)
        item = d["items"][0]
        self.assertEqual(item["dimension"], "files")
        self.assertEqual(item["declared"], "threads = 4\nmode = fast\n")
        self.assertEqual(item["actual"], "threads = 8\nmode = fast\n")
        self.assertEqual(d["window"]["state"], "open")

        # More writes to the same file are the same episode: one record.
        for i in range(5):
            self.write(self.root, "/etc/app.conf", f"threads = {i}\n")
            time.sleep(0.05)
        wait_for(lambda: "drift detected: files:/etc/app.conf"
                 in agent.read_log(), what="the episode's record")
        time.sleep(1.0)
        self.assertEqual(agent.read_log().count("drift: drift detected"), 1)

    def test_a_drift_episode_is_recorded_in_the_journal(self):
        # The seam between the drift watcher and the journal link: the
        # episode becomes one node entry that `pact log` shows.
        journal = self.start_journal()
        self.token = self.token_of(journal)
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write('[vcluster.ml-training.sysctl]\n"vm.swappiness" = "10"\n')
        r = self.pact("apply", spec, "-m", "spec", "--endpoint",
                      journal.gateway, token=self.token)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.pact("enroll", "node-042", "--vcluster", "ml-training",
                      "--endpoint", journal.gateway, token=self.token)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.root = os.path.join(self.tmp, "node-042-root")
        self.write(self.root, "/etc/app.conf", "a\n")
        agent = self.start_agent(journal, "node-042", "ml-training")
        self.agent_env = {"PACT_AGENT_ENDPOINT": agent.api}
        wait_for(lambda: self.diff().returncode == 0, what="the agent")
        self.write(self.root, "/etc/app.conf", "b\n")

        def logged():
            r = self.pact("log", "--scope", "node:node-042", "--output",
                          "json", "--endpoint", journal.gateway,
                          token=self.token)
            if r.returncode != 0:
                return None
            kinds = [e["type"] for e in json.loads(r.stdout)["entries"]]
            return kinds if "drift-detected" in kinds else None
        kinds = wait_for(logged, timeout=10, what="the drift entry")
        self.assertEqual(kinds.count("drift-detected"), 1, kinds)

        # Without PACT_AGENT_ENDPOINT the CLI finds the agent through the
        # endpoint it recorded in the journal at boot (any replica).
        r = self.diff("--endpoint", journal.gateway, env={})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("files  /etc/app.conf  modified", r.stdout)
        r = self.pact("cap", "node-042", "--output", "json", "--endpoint",
                      journal.gateway, token=self.token)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["node"], "node-042")
        # A node whose agent never booted: diff shows its declared delta,
        # cap says where to look.
        r = self.pact("enroll", "node-043", "--vcluster", "ml-training",
                      "--endpoint", journal.gateway, token=self.token)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.pact("diff", "node-043", "--endpoint", journal.gateway,
                      token=self.token)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.pact("cap", "node-043", "--endpoint", journal.gateway,
                      token=self.token)
        self.assertEqual(r.returncode, 1)
        self.assertIn("node node-043 has no agent endpoint in the journal",
                      r.stderr)

    def test_names_and_contents_that_are_not_utf8(self):
        # Host bytes go into protobuf strings and JSON, which need UTF-8:
        # the agent reports them escaped instead of aborting.
        journal = self.start_journal()
        self.token = self.token_of(journal)
        self.root = os.path.join(self.tmp, "node-042-root")
        self.write(self.root, "/etc/app.conf", "a\n")
        agent = self.start_agent(journal, "node-042", "ml-training")
        self.agent_env = {"PACT_AGENT_ENDPOINT": agent.api}
        wait_for(lambda: self.diff().returncode == 0, what="the agent")
        with open(os.path.join(self.root.encode(), b"etc/x\xff"), "wb") as f:
            f.write(b"\xfe\xff binary\n")
        r = wait_for(lambda: (lambda r: r if "x\\xff" in r.stdout
                              else None)(self.diff()), timeout=5,
                     what="the escaped name in pact diff")
        self.assertEqual(r.returncode, 0, r.stderr)
        # Its size is of its bytes, not of their escaped text.
        self.assertIn("actual:   (10 bytes)", r.stdout)
        j = self.diff("--output", "json")
        self.assertEqual(j.returncode, 0, j.stderr)
        items = {i["key"]: i for i in json.loads(j.stdout)["items"]}
        self.assertIn("/etc/x\\xff", items)
        self.assertEqual(items["/etc/x\\xff"]["actual_bytes"], 10)
        self.assertIsNone(agent.proc.poll(), "the agent is still running")
        self.assertNotIn("malformed node command", agent.read_log())

    def test_an_observe_vcluster_keeps_the_operators_change(self):
        # A running agent applies only what the declared state changed: the
        # drift it reports (which changes the node's journal state) must not
        # make it re-apply the declared file over the operator's copy.
        journal = self.start_journal()
        self.token = self.token_of(journal)
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write('[vcluster.ml-training.files]\n'
                    '"/etc/motd" = { content = "welcome\\n" }\n'
                    '[vcluster.ml-training.policy]\n'
                    'enforcement_mode = "observe"\n')
        for args in (("apply", spec, "-m", "spec"),
                     ("enroll", "node-042", "--vcluster", "ml-training")):
            r = self.pact(*args, "--endpoint", journal.gateway,
                          token=self.token)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.root = os.path.join(self.tmp, "node-042-root")
        os.makedirs(os.path.join(self.root, "etc"))
        cfg = os.path.join(self.tmp, "agent.toml")
        with open(cfg, "w") as f:
            f.write("[agent.journal]\nreport_interval_seconds = 1\n")
        agent = self.start_agent(journal, "node-042", "ml-training",
                                 extra=("--config", cfg))
        motd = os.path.join(self.root, "etc", "motd")
        wait_for(lambda: os.path.exists(motd), what="the booted motd")
        self.agent_env = {"PACT_AGENT_ENDPOINT": agent.api}
        self.write(self.root, "/etc/motd", "mine\n")
        wait_for(lambda: "/etc/motd" in self.diff().stdout,
                 what="the drift")
        time.sleep(4)  # several report intervals: the link re-checks
        with open(motd) as f:
            self.assertEqual(f.read(), "mine\n")

    def test_blacklisted_paths_never_drift(self):
        _, agent = self.start()
        wait_for(lambda: self.diff().returncode == 0, what="the agent")
        self.write(self.root, "/var/log/app.log", "noise\n")
        self.write(self.root, "/tmp/scratch", "x\n")
        self.write(self.root, "/etc/new.conf", "x\n")
        r = wait_for(lambda: (lambda r: r if "/etc/new.conf" in r.stdout
                              else None)(self.diff()), timeout=5,
                     what="the new file")
        self.assertIn("files  /etc/new.conf  added", r.stdout)
        self.assertNotIn("/var/log", r.stdout)
        self.assertNotIn("/tmp", r.stdout)

    def test_past_the_watch_limit_subtrees_are_hash_scanned(self):
        journal = self.start_journal()
        self.root = os.path.join(self.tmp, "node-042-root")
        self.write(self.root, "/etc/app.conf", "a\n")
        cfg = os.path.join(self.tmp, "agent.toml")
        with open(cfg, "w") as f:
            f.write("[agent.drift]\nmax_watches = 1\n"
                    "scan_interval_seconds = 1\n")
        agent = self.start_agent(journal, "node-042", "ml-training",
                                 extra=("--config", cfg))
        self.token = self.token_of(journal)
        self.agent_env = {"PACT_AGENT_ENDPOINT": agent.api}
        r = wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(
            self.diff()), what="the agent's drift answer")
        # /etc at least (the agent's own /run/pact under --root may add
        # /run, depending on when the GPU poller wrote its manifest).
        self.assertRegex(r.stdout, r"note: inotify watch limit reached; "
                         r"periodic hash scans cover: (.* )?/etc( |\n)")
        self.write(self.root, "/etc/app.conf", "b\n")
        r = wait_for(lambda: (lambda r: r if "/etc/app.conf" in r.stdout
                              else None)(self.diff()), timeout=5,
                     what="the periodic scan to find the change")
        self.assertIn("-a\n+b\n", r.stdout)

    def start_root_watcher(self, scan_s=1):
        """An agent scanning every `scan_s` seconds, its drift watcher's
        detail read through `pact status --endpoint AGENT`."""
        journal = self.start_journal()
        self.token = self.token_of(journal)
        self.root = os.path.join(self.tmp, "node-042-root")
        self.write(self.root, "/etc/app.conf", "a\n")
        cfg = os.path.join(self.tmp, "agent.toml")
        with open(cfg, "w") as f:
            f.write(f"[agent.drift]\nscan_interval_seconds = {scan_s}\n")
        agent = self.start_agent(journal, "node-042", "ml-training",
                                 extra=("--config", cfg))
        self.agent_env = {"PACT_AGENT_ENDPOINT": agent.api}
        wait_for(lambda: self.diff().returncode == 0, what="the agent")

        def watcher_detail():
            r = self.pact("status", "--endpoint", agent.api,
                          token=self.token)
            return r.stdout if "was it removed or moved?" in r.stdout \
                else None
        return agent, watcher_detail

    def test_a_removed_root_is_reported_not_running(self):
        # Deleting --root left the watcher "running" with 0 watches.
        agent, watcher_detail = self.start_root_watcher()
        shutil.rmtree(self.root)
        out = wait_for(watcher_detail, timeout=10,
                       what="the drift watcher to report the lost root")
        self.assertIn(self.root + " is gone (was it removed or moved?)", out)
        self.assertIsNone(agent.proc.poll(), "the agent keeps running")
        # `pact diff` says so too, not a bare "no drift" (a tester's F6).
        r = self.diff()
        self.assertEqual(r.returncode, 0, r.stderr)
        # (With what was seen before the root went listed, or none.)
        self.assertIn("drift detection is degraded", r.stdout)
        self.assertIn("was it removed or moved?", r.stdout)
        self.assertNotIn(": no drift\n", r.stdout)
        r = self.diff("--output", "json")
        self.assertIn("is gone", json.loads(r.stdout)["watcher_problem"])
        # The root comes back: watching resumes.
        self.write(self.root, "/etc/app.conf", "b\n")
        wait_for(lambda: "/etc/app.conf" in self.diff().stdout, timeout=10,
                 what="watching to resume")

    def test_a_moved_root_is_reported_not_its_files_removed(self):
        # Tester, issue 11: after `mv ROOT ROOT.old` the watches followed
        # the directory, and a write in ROOT.old read as a file removed
        # under ROOT.
        agent, watcher_detail = self.start_root_watcher()
        old = self.root + ".old"
        os.rename(self.root, old)
        self.write(old, "/etc/app.conf", "b\n")
        out = wait_for(watcher_detail, timeout=10,
                       what="the drift watcher to report the moved root")
        self.assertIn(self.root + " is gone (was it removed or moved?)", out)
        time.sleep(1.5)  # a scan and many polls with the root away
        r = self.diff()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("/etc/app.conf", r.stdout)
        self.assertFalse(os.path.exists(self.root),
                         "nothing recreates the root meanwhile")
        # Moved back: watched again, and the change made meanwhile is
        # drift of the file, not a removal.
        os.rename(old, self.root)
        r = wait_for(lambda: (lambda r: r if "/etc/app.conf" in r.stdout
                              else None)(self.diff()), timeout=10,
                     what="watching to resume")
        self.assertIn("files  /etc/app.conf  modified", r.stdout)
        self.assertIsNone(agent.proc.poll(), "the agent keeps running")

    def test_a_root_moved_back_is_watched_again_before_the_next_scan(self):
        # Tester, issue 11: after `mv ROOT.x ROOT` watching resumed only at
        # the next scan (8-26 s later with the default 30 s); every poll
        # checks the root (docs/drift.md).
        agent, watcher_detail = self.start_root_watcher(scan_s=300)
        away = self.root + ".x"
        os.rename(self.root, away)
        wait_for(watcher_detail, timeout=10,
                 what="the drift watcher to report the moved root")
        os.rename(away, self.root)
        self.write(self.root, "/etc/after-return.conf", "x\n")
        wait_for(lambda: "/etc/after-return.conf" in self.diff().stdout,
                 timeout=5, what="watching to resume within a few polls")
        self.assertIsNone(agent.proc.poll(), "the agent keeps running")

    def test_a_node_argument_that_is_not_a_name_is_refused(self):
        for cmd in ("diff", "cap", "status"):
            r = self.pact(cmd, "", "--endpoint", "http://127.0.0.1:1",
                          token="x")
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("'' is not a node name", r.stderr)

    def test_an_endpoint_of_the_other_kind_is_named(self):
        # PACT_AGENT_ENDPOINT at a journal, --endpoint at an agent: the
        # answer says which server it is and where the request goes
        # (it said "request type not supported by this server").
        journal, agent = self.start()
        wait_for(lambda: self.diff().returncode == 0, what="the agent")
        r = self.diff(env={"PACT_AGENT_ENDPOINT": journal.gateway})
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the pact-journal gateway does not serve drift "
                      "requests (node requests — drift, cap, exec, shell, "
                      "service — go to "
                      "the node's pact-agent; PACT_AGENT_ENDPOINT names one)",
                      r.stderr)
        r = self.pact("log", "-n", "1", "--endpoint", agent.api,
                      token=self.token)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("the pact-agent API does not serve log requests "
                      "(journal requests go to a pact-journal gateway",
                      r.stderr)

    def test_the_agent_refuses_another_nodes_name(self):
        self.start()
        wait_for(lambda: self.diff().returncode == 0, what="the agent")
        r = self.pact("diff", "node-007", token=self.token, env=self.agent_env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("this agent serves node 'node-042', not 'node-007'",
                      r.stderr)

    def test_without_an_agent_endpoint_diff_asks_the_journal(self):
        journal, _ = self.start()
        # The node was never enrolled: only the journal answers this way.
        r = self.pact("diff", "node-042", "--endpoint", journal.gateway,
                      token=self.token, env={})
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("node 'node-042' is not known to this journal",
                      r.stderr)
        # --committed always asks the journal.
        r = self.pact("diff", "node-042", "--committed", "--endpoint",
                      journal.gateway, token=self.token, env=self.agent_env)
        self.assertIn("not known to this journal", r.stderr)

    def test_a_bad_blacklist_glob_stops_the_agent_before_it_starts(self):
        import subprocess
        from harness import binary
        cfg = os.path.join(self.tmp, "agent.toml")
        with open(cfg, "w") as f:
            f.write('[agent.blacklist]\npatterns = ["/tmp/**", "/var/**log"]\n')
        root = os.path.join(self.tmp, "r")
        os.makedirs(root)
        r = subprocess.run([binary("pact-agent"), "--config", cfg,
                            "--root", root, "--state-dir",
                            os.path.join(self.tmp, "s")],
                           env=self.env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{cfg}:2: agent.blacklist.patterns: blacklist pattern "
                      "'/var/**log' uses '**' inside a segment", r.stderr)


if __name__ == "__main__":
    unittest.main()
