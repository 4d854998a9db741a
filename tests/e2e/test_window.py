"""Commit windows on a live node (issue 11 items 4 and 6): a real
pact-journal --dev and pact-agent under a temporary --root. A window that
expires is recorded once in the journal ("commit window expired", shown by
`pact log` and `pact status NODE`); under enforce the agent puts the file
back, records the convergence and the drift is gone; `pact extend` reaches
the running agent's window. The agent's test-only
agent.drift.test_window_divisor turns the policy's 60 s floor into 3 s."""
import json
import os
import time
import unittest

from harness import PactTestCase, wait_for

NODE = "node-042"
VC = "ml-training"


class WindowTest(PactTestCase):
    def start(self, mode, base=60, sensitivity=2.0, scan_interval=30):
        self.journal = self.start_journal()
        self.token = self.token_of(self.journal)
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(f'[vcluster.{VC}.sysctl]\n"vm.swappiness" = "10"\n'
                    f'[vcluster.{VC}.policy]\n'
                    f'base_commit_window_seconds = {base}\n'
                    f'drift_sensitivity = {sensitivity}\n'
                    f'enforcement_mode = "{mode}"\n')
        for args in (("apply", spec, "-m", "spec"),
                     ("enroll", NODE, "--vcluster", VC)):
            r = self.jpact(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.root = os.path.join(self.tmp, NODE + "-root")
        self.write("/etc/app.conf", "threads = 4\n")
        cfg = os.path.join(self.tmp, "agent.toml")
        with open(cfg, "w") as f:
            f.write("[agent.journal]\nreport_interval_seconds = 1\n"
                    "[agent.drift]\ntest_window_divisor = 20\n"
                    f"scan_interval_seconds = {scan_interval}\n")
        self.agent = self.start_agent(self.journal, NODE, VC,
                                      extra=("--config", cfg))
        self.agent_env = {"PACT_AGENT_ENDPOINT": self.agent.api}
        wait_for(lambda: self.diff().returncode == 0, what="the agent")

    def jpact(self, *args):
        return self.pact(*args, "--endpoint", self.journal.gateway,
                         token=self.token)

    def diff(self, *extra):
        return self.pact("diff", NODE, *extra, token=self.token,
                         env=self.agent_env)

    def entries(self):
        r = self.jpact("log", "--scope", "node:" + NODE, "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["entries"]

    def wait_entry(self, kind, timeout=15):
        def found():
            es = [e for e in self.entries() if e["type"] == kind]
            return es or None
        return wait_for(found, timeout=timeout, what="a " + kind + " entry")

    def status(self):
        r = self.jpact("status", NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_expiry_under_observe_is_recorded_once(self):
        self.start("observe")
        self.write("/etc/app.conf", "threads = 8\n")
        expired = self.wait_entry("window-expired")
        self.assertIn("commit window expired: 1 drifted item(s) flagged for "
                      "review: files:/etc/app.conf", expired[0]["message"])
        text = self.jpact("log", "--scope", "node:" + NODE).stdout
        self.assertIn("commit window expired", text)
        st = self.status()
        self.assertIn("journal: node %s drifted" % NODE, st)
        self.assertIn("journal: commit window expired ", st)
        self.assertIn("drift flagged for review", st)
        self.assertIn("last report", st)
        self.assertIn("agent/drift-watcher", st)
        # Observe changes nothing on the node, and records the expiry once.
        time.sleep(3)
        self.assertEqual(self.read("/etc/app.conf"), "threads = 8\n")
        kinds = [e["type"] for e in self.entries()]
        self.assertEqual(kinds.count("window-expired"), 1, kinds)
        self.assertNotIn("auto-converge", kinds)
        self.assertIn("commit window expired", self.diff().stdout)
        # A committed node delta that differs from the overlay makes the
        # vCluster heterogeneous: --vcluster says so and points at promote.
        r = self.jpact("commit", "-m", "tune", NODE, "--set",
                       "kernel:vm.swappiness=20")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.jpact("status", "--vcluster", VC)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: committed node deltas make vcluster %s "
                      "heterogeneous" % VC, r.stdout)
        self.assertIn("  kernel vm.swappiness: %s\n" % NODE, r.stdout)
        self.assertIn("pact promote NODE", r.stdout)
        j = json.loads(self.jpact("status", "--vcluster", VC, "--output",
                                  "json").stdout)
        self.assertEqual(j["declared"]["overlays"][0]["heterogeneous"],
                         [{"category": "kernel", "key": "vm.swappiness",
                           "nodes": [NODE]}])

    def test_expiry_under_enforce_converges(self):
        self.start("enforce")
        self.write("/etc/app.conf", "threads = 8\n")
        self.write("/etc/extra.conf", "x\n")
        conv = self.wait_entry("auto-converge")
        self.assertIn("restored 2 item(s)", conv[0]["message"])
        self.assertEqual(self.read("/etc/app.conf"), "threads = 4\n")
        self.assertFalse(os.path.exists(os.path.join(self.root, "etc",
                                                     "extra.conf")))
        self.wait_entry("drift-resolved")
        r = wait_for(lambda: (lambda r: r if "no drift" in r.stdout
                              else None)(self.diff()), what="no drift")
        self.assertEqual(r.returncode, 0, r.stderr)
        kinds = [e["type"] for e in reversed(self.entries())]  # oldest first
        order = [k for k in kinds if k in ("drift-detected", "window-expired",
                                           "auto-converge", "drift-resolved")]
        self.assertEqual(order, ["drift-detected", "window-expired",
                                 "auto-converge", "drift-resolved"], kinds)
        st = self.status()
        self.assertIn("journal: node %s observe-only" % NODE, st)
        self.assertIn("journal: commit window none open", st)
        # The vCluster view lists the node with its state.
        r = self.jpact("status", "--vcluster", VC)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("journal: vcluster %s: 1 node\n" % VC, r.stdout)
        self.assertIn(NODE, r.stdout)
        # A vCluster the journal does not know is an error, as an unknown
        # node is (it listed "0 nodes" and exited 0).
        r = self.jpact("status", "--vcluster", "no-such-vc")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertEqual(r.stderr, "pact: vcluster 'no-such-vc' is not known "
                                   "to this journal\n")

    def test_enforce_converges_again_after_the_root_moved_away_and_back(self):
        # Tester, issue 11: with ROOT moved away the agent recorded drift of
        # its items as if deleted, its expiry "restored 0", and after the
        # move back nothing converged and the node stayed "converging".
        self.start("enforce", scan_interval=1)
        self.write("/etc/app.conf", "threads = 8\n")
        self.wait_entry("drift-detected")
        away = self.root + ".x"
        os.rename(self.root, away)
        time.sleep(5)  # past the 3 s window, several scans with it gone
        kinds = [e["type"] for e in self.entries()]
        self.assertEqual(kinds.count("drift-detected"), 1, kinds)
        self.assertNotIn("window-expired", kinds)
        self.assertNotIn("auto-converge", kinds)
        os.rename(away, self.root)
        conv = self.wait_entry("auto-converge")
        self.assertIn("restored 1 item(s): files:/etc/app.conf",
                      conv[0]["message"])
        self.assertEqual(self.read("/etc/app.conf"), "threads = 4\n")
        self.wait_entry("drift-resolved")
        wait_for(lambda: "observe-only" in self.status(),
                 what="the node to leave converging")
        # New drift converges again.
        self.write("/etc/app.conf", "threads = 16\n")
        wait_for(lambda: self.read("/etc/app.conf") == "threads = 4\n",
                 timeout=15, what="the new drift to converge")

    def test_enforce_restores_a_file_a_directory_took_the_place_of(self):
        self.start("enforce")
        path = os.path.join(self.root, "etc", "app.conf")
        os.remove(path)  # rm app.conf; mkdir app.conf; a file in it
        os.makedirs(path)
        self.write("/etc/app.conf/new", "x\n")
        conv = self.wait_entry("auto-converge")
        self.assertIn("restored 2 item(s)", conv[0]["message"])
        self.assertEqual(self.read("/etc/app.conf"), "threads = 4\n")
        self.wait_entry("drift-resolved")

    def test_extend_reaches_the_running_agent(self):
        # A 10 s window (200 s / 20): time for the extension to arrive.
        self.start("enforce", base=200, sensitivity=0.0)
        self.write("/etc/app.conf", "threads = 8\n")
        written = time.monotonic()
        self.wait_entry("drift-detected")
        r = self.jpact("extend", "1", "--node", NODE)
        self.assertEqual(r.returncode, 0, r.stderr)

        def extended():
            d = json.loads(self.diff("--output", "json").stdout)
            return d if d["window"]["state"] == "open" and \
                "extended in the journal" in self.agent.read_log() else None
        wait_for(extended, timeout=10, what="the agent's longer window")
        # Past the 10 s window: the extension holds, nothing converged.
        time.sleep(max(0.0, written + 13 - time.monotonic()))
        self.assertEqual(self.read("/etc/app.conf"), "threads = 8\n")
        self.assertNotIn("window-expired",
                         [e["type"] for e in self.entries()])
        self.assertIn("journal: commit window open, ends in", self.status())


if __name__ == "__main__":
    unittest.main()
