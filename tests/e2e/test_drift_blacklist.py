"""The blacklist on a running agent (issue 11 items 2 and 8): `pact
blacklist add`, global or per vCluster, takes effect on a running
pact-agent without a restart; the journal refuses a pattern no agent could
use; and an inotify queue overflow is a rescan, never a crash or a missed
change."""
import os
import signal
import time
import unittest

from harness import PactTestCase, wait_for

QUEUE_LIMIT = "/proc/sys/fs/inotify/max_queued_events"


class DriftBlacklistTest(PactTestCase):
    def start(self):
        self.journal = self.start_journal()
        self.token = self.token_of(self.journal)
        self.root = os.path.join(self.tmp, "node-042-root")
        self.write("/etc/app.conf", "a\n")
        cfg = os.path.join(self.tmp, "agent.toml")
        with open(cfg, "w") as f:
            f.write("[agent.journal]\nreport_interval_seconds = 1\n")
        self.agent = self.start_agent(self.journal, "node-042", "ml-training",
                                      extra=("--config", cfg))
        self.agent_env = {"PACT_AGENT_ENDPOINT": self.agent.api}
        wait_for(lambda: self.diff().returncode == 0, what="the agent")

    def diff(self):
        return self.pact("diff", "node-042", token=self.token,
                         env=self.agent_env)

    def cli(self, *args, expect=0):
        r = self.pact(*args, "--endpoint", self.journal.gateway,
                      token=self.token)
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        return r

    def shows(self, path):
        return wait_for(lambda: (lambda r: r if path in r.stdout else None)(
            self.diff()), timeout=5, what=path + " in pact diff")

    def test_blacklist_add_reaches_a_running_agent(self):
        self.start()
        # The vCluster needs an overlay for a --vcluster pattern.
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write('[vcluster.ml-training.sysctl]\n"vm.swappiness" = "10"\n')
        self.cli("apply", spec, "-m", "spec")
        self.write("/opt/scratch/job.out", "1\n")
        self.write("/srv/cache/blob", "1\n")
        self.shows("/opt/scratch/job.out")
        self.shows("/srv/cache/blob")

        self.cli("blacklist", "add", "/opt/scratch/**")  # global
        self.cli("blacklist", "add", "/srv/cache/**", "--vcluster",
                 "ml-training")
        # Within a few report intervals both are gone, with no restart.
        gone = wait_for(lambda: (lambda r: r if "/opt/scratch" not in r.stdout
                                 and "/srv/cache" not in r.stdout
                                 else None)(self.diff()), timeout=10,
                        what="the blacklisted paths to leave pact diff")
        self.assertEqual(gone.returncode, 0, gone.stderr)
        # New writes there are not drift either; elsewhere they are.
        self.write("/opt/scratch/job2.out", "2\n")
        self.write("/srv/cache/blob2", "2\n")
        self.write("/etc/other.conf", "x\n")
        r = self.shows("/etc/other.conf")
        self.assertNotIn("/opt/scratch", r.stdout)
        self.assertNotIn("/srv/cache", r.stdout)
        self.assertIsNone(self.agent.proc.poll(), "the agent keeps running")

        # Removing the global pattern watches the tree again.
        self.cli("blacklist", "remove", "/opt/scratch/**")
        time.sleep(2.5)  # the agent's next asks pick the removal up
        self.write("/opt/scratch/job3.out", "3\n")
        self.shows("/opt/scratch/job3.out")

    def test_the_journal_refuses_a_pattern_no_agent_can_use(self):
        self.journal = self.start_journal()
        self.token = self.token_of(self.journal)
        for bad in ("vm.*", "/var/**log", "/a/[b", "relative/**"):
            r = self.cli("blacklist", "add", bad, expect=1)
            self.assertIn("blacklist pattern '" + bad + "'", r.stderr)
        listed = self.cli("blacklist", "list")
        for bad in ("vm.*", "/var/**log"):
            self.assertNotIn(bad, listed.stdout)
        # `*` stays within one segment, as on the agents.
        self.cli("blacklist", "add", "/scratch/*")
        self.cli("commit", "-m", "deep", "global", "--set",
                 "files:/scratch/a/b=x")
        r = self.cli("commit", "-m", "flat", "global", "--set",
                     "files:/scratch//a=x", expect=3)
        self.assertIn("'/scratch//a' is blacklisted by pattern '/scratch/*'",
                      r.stderr)

    @unittest.skipUnless(os.access(QUEUE_LIMIT, os.W_OK),
                         "needs root to lower fs.inotify.max_queued_events")
    def test_an_inotify_queue_overflow_is_a_rescan(self):
        # A tiny queue for the agent's first inotify instance (the limit is
        # read when an instance is created; restored at once).
        with open(QUEUE_LIMIT) as f:
            saved = f.read().strip()
        try:
            with open(QUEUE_LIMIT, "w") as f:
                f.write("16\n")
            self.start()
            # The instance exists once the first walk is logged.
            wait_for(lambda: "drift: baseline of" in self.agent.read_log(),
                     what="the drift watcher's first walk")
        finally:
            with open(QUEUE_LIMIT, "w") as f:
                f.write(saved + "\n")
        # The burst goes into a directory already watched (a new one's
        # files are found by walking it, with no events to overflow).
        self.write("/etc/burst/first", "0\n")
        self.shows("/etc/burst/first")
        # Far more events than the queue holds, while the agent cannot read
        # it (it wakes on each event, and could keep up with the burst).
        os.kill(self.agent.proc.pid, signal.SIGSTOP)
        try:
            for i in range(200):
                self.write(f"/etc/burst/f{i:03d}", f"{i}\n")
        finally:
            os.kill(self.agent.proc.pid, signal.SIGCONT)
        wait_for(lambda: "inotify queue overflowed" in self.agent.read_log(),
                 timeout=10, what="the overflow warning")
        r = self.shows("/etc/burst/f199")
        self.assertIn("/etc/burst/f000", r.stdout)
        self.assertIsNone(self.agent.proc.poll(), "the agent keeps running")
        # Watching goes on after the rescan.
        self.write("/etc/after-overflow.conf", "x\n")
        self.shows("/etc/after-overflow.conf")


if __name__ == "__main__":
    unittest.main()
