"""The operator's loop on a live node (issue 11 items 3 and 8): a real
pact-journal --dev and pact-agent under a temporary --root. A file written
under the root shows in `pact diff NODE` within one second; `pact commit -m
MSG NODE` records it as the node's delta (pact log shows it) and the diff is
empty; after another change `pact rollback SEQ` restores the file and the
diff is empty again. A commit whose declared state moved underneath is a
conflict (exit 4), a rollback that needs a file known only by its hash is
refused naming it, and one that would unmount a mount in use exits 10
unless forced; none of them writes anything."""
import json
import os
import time
import unittest

from harness import PactTestCase, wait_for

NODE = "node-042"
SPEC = '[vcluster.ml-training.sysctl]\n"vm.swappiness" = "10"\n'
# The link re-reads declared state rarely, so that the agent does not learn
# of a commit made behind its back before the test commits its drift.
SLOW = ("[agent.journal]\nreport_interval_seconds = 600\n"
        "[agent.drift]\nscan_interval_seconds = 1\n")


class DriftCommitTest(PactTestCase):
    def cli(self, *args):
        return self.pact(*args, "--endpoint", self.journal.gateway,
                         token=self.token, env=self.agent_env)

    def start(self, files):
        self.journal = self.start_journal()
        self.token = self.token_of(self.journal)
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(SPEC)
        self.agent_env = {}
        for args in (("apply", spec, "-m", "spec"),
                     ("enroll", NODE, "--vcluster", "ml-training")):
            r = self.cli(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.root = os.path.join(self.tmp, NODE + "-root")
        for path, text in files.items():
            self.write(path, text)
        config = os.path.join(self.tmp, "agent.toml")
        with open(config, "w") as f:
            f.write(SLOW)
        self.agent = self.start_agent(self.journal, NODE, "ml-training",
                                      extra=("--config", config))
        self.agent_env = {"PACT_AGENT_ENDPOINT": self.agent.api}

        def booted():
            r = self.cli("diff", NODE, "--output", "json")
            return r.returncode == 0 and \
                json.loads(r.stdout)["declared_state_known"]
        wait_for(booted, what="the agent's declared state")

    def drift_keys(self):
        r = self.cli("diff", NODE, "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return [i["key"] for i in json.loads(r.stdout)["items"]]

    def log(self):
        r = self.cli("log", "--scope", f"node:{NODE}", "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["entries"]

    def episodes(self):
        return [e for e in self.log() if e["type"] == "drift-detected"]

    def wait_for_episode(self, count):
        # The agent records an episode 300 ms after the drift settles; wait
        # for it so that entry counts below are not raced by it.
        wait_for(lambda: len(self.episodes()) >= count, timeout=5,
                 what="the drift-detected entry")

    def operator_writes(self):
        """What a refused commit or rollback must not add: the agent may
        record drift episodes and their end at any moment meanwhile."""
        return [e["sequence"] for e in self.log()
                if e["type"] in ("commit", "rollback", "auto-converge")]

    def test_drift_commit_log_rollback(self):
        self.start({"/etc/app.conf": "threads = 4\n"})
        self.write("/etc/app.conf", "threads = 8\n")
        written = time.monotonic()
        wait_for(lambda: "/etc/app.conf" in self.drift_keys(), timeout=5,
                 what="the drift in pact diff")
        self.assertLess(time.monotonic() - written, 1.0)
        self.wait_for_episode(1)

        r = self.cli("commit", "-m", "more threads", NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"committed 1 change to node:{NODE} as entry", r.stdout)
        self.assertIn("/etc/app.conf", r.stdout)
        entries = self.log()
        commit = next(e for e in entries if e["type"] == "commit")
        self.assertEqual(commit["message"], "more threads")
        seq = commit["sequence"]
        self.assertEqual(self.drift_keys(), [])
        r = self.cli("diff", NODE)
        self.assertEqual(r.stdout, f"node {NODE}: no drift\n")
        # Nothing left to commit: nothing is written.
        r = self.cli("commit", "-m", "again", NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("has no drift; nothing to commit", r.stdout)
        # No commit was written (the agent may record the episode's end,
        # drift-resolved, at any moment: that is not the CLI's write).
        commits = [e["sequence"] for e in entries if e["type"] == "commit"]
        self.assertEqual([e["sequence"] for e in self.log()
                          if e["type"] == "commit"], commits)

        # Another change, then back to the commit.
        self.write("/etc/app.conf", "threads = 1\n")
        self.write("/etc/new.conf", "x\n")
        wait_for(lambda: len(self.drift_keys()) == 2, timeout=5,
                 what="the new drift")
        r = self.cli("rollback", str(seq))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("applied  files /etc/app.conf", r.stdout)
        self.assertEqual(self.read("/etc/app.conf"), "threads = 8\n")
        self.assertFalse(os.path.exists(os.path.join(self.root,
                                                     "etc/new.conf")))
        self.assertEqual(self.drift_keys(), [])
        wait_for(lambda: "auto-converge" in [e["type"] for e in self.log()],
                 timeout=5, what="the restore's record")

        # Back to before the commit: the journal drops the node's file and
        # the agent puts back what it held at boot.
        self.write("/etc/app.conf", "threads = 2\n")
        wait_for(lambda: self.drift_keys() == ["/etc/app.conf"], timeout=5,
                 what="the drift")
        earlier = max(e["sequence"] for e in entries if e["sequence"] < seq)
        r = self.cli("rollback", str(earlier), "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertFalse(out["unchanged"])
        self.assertEqual(out["restored"][0]["key"], "/etc/app.conf")
        self.assertEqual(self.read("/etc/app.conf"), "threads = 4\n")
        self.assertEqual(self.drift_keys(), [])
        types = [e["type"] for e in self.log()]
        self.assertIn("rollback", types)
        # The restore's auto-converge made the journal say converging; with
        # no drift left the agent resolves it (tester, issue 11: converging
        # stayed in `pact status` after commit + rollback).
        wait_for(lambda: self.node_state() not in ("drifted", "converging"),
                 timeout=5, what="the node state to follow the agent")

    def node_state(self):
        r = self.cli("status", NODE, "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        nodes = json.loads(r.stdout)["declared"]["nodes"]
        return next(n["state"] for n in nodes if n["node"] == NODE)

    def test_a_commit_behind_the_agents_back_is_a_conflict(self):
        self.start({"/etc/app.conf": "a\n"})
        self.write("/etc/app.conf", "b\n")
        wait_for(lambda: self.drift_keys() == ["/etc/app.conf"], timeout=5,
                 what="the drift")
        self.wait_for_episode(1)
        # Someone declares the file for the node meanwhile; the agent, which
        # compared against its baseline, has not heard of it.
        r = self.cli("commit", "-m", "by hand", NODE, "--set",
                     "files:/etc/app.conf=" + json.dumps(
                         {"content": "c\n", "mode": "0644"}))
        self.assertEqual(r.returncode, 0, r.stderr)
        before = self.operator_writes()
        r = self.cli("commit", "-m", "mine", NODE)
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertIn("declared state changed since its drift was shown",
                      r.stderr)
        self.assertIn("/etc/app.conf", r.stderr)
        self.assertEqual(self.operator_writes(), before)

    def test_what_only_a_hash_is_known_of_is_refused_by_name(self):
        big = "x" * 20000  # over agent.drift.baseline_max_file_bytes
        self.start({"/etc/big.dat": big, "/etc/app.conf": "a\n"})
        newest = self.log()[0]["sequence"]
        self.write("/etc/big.dat", big + "y")
        wait_for(lambda: "/etc/big.dat" in self.drift_keys(), timeout=5,
                 what="the drift")
        self.wait_for_episode(1)
        before = self.operator_writes()
        r = self.cli("commit", "-m", "big", NODE)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("/etc/big.dat is known only by its hash", r.stderr)
        r = self.cli("rollback", str(newest))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cannot restore /etc/big.dat", r.stderr)
        self.assertEqual(self.operator_writes(), before)
        self.assertEqual(self.read("/etc/big.dat"), big + "y")

    def test_unmounting_a_mount_in_use_is_blocked_unless_forced(self):
        # /proc under the root stands in for the kernel's: an empty mount
        # table at boot, then /scratch mounted and a process working in it.
        self.start({"/proc/mounts": ""})
        newest = self.log()[0]["sequence"]
        self.write("/proc/mounts",
                   "storage01:/scratch /scratch nfs rw,relatime 0 0\n")
        os.makedirs(os.path.join(self.root, "proc/4242"))
        os.symlink("/scratch/job", os.path.join(self.root, "proc/4242/cwd"))
        wait_for(lambda: self.drift_keys() == ["/scratch"], timeout=5,
                 what="the mount's drift")
        self.wait_for_episode(1)
        before = self.operator_writes()
        r = self.cli("rollback", str(newest))
        self.assertEqual(r.returncode, 10, r.stdout + r.stderr)
        self.assertIn("rollback blocked by active consumers: /scratch would "
                      "be unmounted but process 4242 uses /scratch/job",
                      r.stderr)
        self.assertEqual(self.operator_writes(), before)
        # Forced: not root under a temporary root, so the unmount is
        # recorded (what it would do), not done.
        r = self.cli("rollback", str(newest), "--force")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("recorded  mounts /scratch (would unmount /scratch)",
                      r.stdout)

    def test_a_file_a_directory_took_the_place_of_is_restored(self):
        self.start({"/etc/app.conf": "threads = 4\n"})
        newest = self.log()[0]["sequence"]
        path = os.path.join(self.root, "etc/app.conf")
        os.remove(path)  # rm app.conf; mkdir app.conf; a file in it
        os.makedirs(os.path.join(path, "sub"))
        self.write("/etc/app.conf/sub/new.conf", "x\n")
        wait_for(lambda: sorted(self.drift_keys()) == [
            "/etc/app.conf", "/etc/app.conf/sub/new.conf"], timeout=5,
            what="the drift")
        self.wait_for_episode(1)
        r = self.cli("rollback", str(newest))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("applied  files /etc/app.conf", r.stdout)
        self.assertEqual(self.read("/etc/app.conf"), "threads = 4\n")
        self.assertEqual(self.drift_keys(), [])

    def test_a_rolled_back_sysctl_leaves_no_false_drift_entry(self):
        self.start({})
        self.assertEqual(self.read("/proc/sys/vm/swappiness"), "10\n")
        newest = self.log()[0]["sequence"]
        self.write("/proc/sys/vm/swappiness", "60\n")
        wait_for(lambda: self.drift_keys() == ["vm.swappiness"], timeout=5,
                 what="the sysctl's drift")
        self.wait_for_episode(1)
        r = self.cli("commit", "-m", "swap more", NODE)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.cli("rollback", str(newest))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.read("/proc/sys/vm/swappiness"), "10\n")
        rollback = max(e["sequence"] for e in self.log()
                       if e["type"] == "rollback")
        time.sleep(1.5)  # past the 300 ms an episode settles in, and a scan
        self.assertEqual(self.drift_keys(), [])
        after = [e for e in self.episodes() if e["sequence"] > rollback]
        self.assertEqual(after, [], after)


if __name__ == "__main__":
    unittest.main()
