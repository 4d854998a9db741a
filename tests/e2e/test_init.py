"""pact-agent as init (issue 12 item 5; docs/agent.md "Running as PID 1"):
in a PID namespace of its own (`unshare --pid --fork`), the agent is PID 1;
an orphan reparented to it is reaped when it exits (no zombie stays), and
SIGTERM to PID 1 stops the agent cleanly, ends what is left, and exits
with the agent's status. With --init but not PID 1 it is a subreaper for
its tree's orphans and signals only its own children at the end."""
import os
import shutil
import signal
import subprocess
import time
import unittest

from harness import PactTestCase, make_token, wait_for

NODE = "node-i1"
VC = "e2e"
SPEC = f"""[vcluster.{VC}]
[vcluster.{VC}.policy]
exec_whitelist = ["true", "sh"]
"""
PROGRAMS = ("true", "sh", "setsid", "sleep")


def proc_status(pid):
    """/proc/PID/status as a dict; None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f
                        if ":\t" in line)
    except (FileNotFoundError, ProcessLookupError):
        return None


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_status(d)
            if st and st.get("PPid") == str(pid):
                out.append(int(d))
    return out


def unshare_works():
    if shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "--pid", "--fork", "true"],
                       capture_output=True)
    return r.returncode == 0


class InitTest(PactTestCase):
    def start(self, prefix=()):
        self.agent = self.start_operated_node(
            SPEC, NODE, VC, PROGRAMS, '[agent]\nwhitelist_mode = "strict"\n',
            extra=("--init",), prefix=prefix)
        self.ops = make_token(self.secret, sub="olga",
                              groups=(f"pact-ops-{VC}",))
        wait_for(lambda: self.exec("true").returncode == 0,
                 what="the agent's boot (policy known)")

    def exec(self, *argv):
        return self.pact("exec", NODE, "--", *argv, token=self.ops,
                         env={"PACT_AGENT_ENDPOINT": self.agent.api})

    def orphan(self, seconds):
        """A process that leaves the exec's process group (setsid) and
        outlives the command that started it: an orphan for init. Returns
        its host pid."""
        r = self.exec("sh", "-c", f"setsid sleep {seconds} >/dev/null 2>&1 & "
                      "sleep 0.5")
        self.assertEqual(r.returncode, 0, r.stderr)
        found = []

        def appeared():
            for d in os.listdir("/proc"):
                if not d.isdigit():
                    continue
                try:
                    with open(f"/proc/{d}/cmdline", "rb") as f:
                        cmd = f.read().split(b"\0")
                except OSError:
                    continue
                if cmd[:2] == [b"sleep", str(seconds).encode()]:
                    found.append(int(d))
                    return True
            return False
        wait_for(appeared, what="the orphan")
        return found[0]

    def wait_gone(self, pid, what, timeout=20):
        # Gone, not a zombie: a zombie keeps its /proc entry (state Z).
        wait_for(lambda: proc_status(pid) is None, timeout=timeout, what=what)

    @unittest.skipUnless(unshare_works(), "unshare --pid needs root")
    def test_pid1_in_a_pid_namespace_reaps_orphans_and_stops_on_sigterm(self):
        self.start(prefix=("unshare", "--pid", "--fork"))
        (init,) = children(self.agent.proc.pid)
        try:
            self.check_pid1(init)
        except BaseException:
            # unshare ignores SIGTERM; the harness's stop reaches it only
            # once its child, init, has gone.
            os.kill(init, signal.SIGKILL)
            raise

    def check_pid1(self, init):
        # PID 1 in its namespace, the agent its child.
        self.assertTrue(proc_status(init)["NSpid"].split()[-1] == "1")
        (agent,) = [c for c in children(init)
                    if proc_status(c)["Name"].startswith("pact-agent")]
        orphan = self.orphan(f"2.{os.getpid()}")
        self.assertEqual(proc_status(orphan)["PPid"], str(init))
        self.wait_gone(orphan, "the orphan reaped by init")
        # SIGTERM to PID 1: the agent stops, what is left ends, init exits
        # with the agent's status.
        lingering = self.orphan(f"300.{os.getpid()}")
        started = time.monotonic()
        os.kill(init, signal.SIGTERM)
        self.assertEqual(self.agent.proc.wait(timeout=30), 0,
                         self.agent.read_log())
        self.assertLess(time.monotonic() - started, 25)
        self.assertIsNone(proc_status(agent))
        self.assertIsNone(proc_status(lingering))
        self.assertIn("received signal 15", self.agent.read_log())

    def test_init_flag_without_namespace_is_a_subreaper(self):
        self.start()
        init = self.agent.proc.pid
        orphan = self.orphan(f"2.{os.getpid()}")
        # Reparented to the agent's init process, not to the host's init.
        self.assertEqual(proc_status(orphan)["PPid"], str(init))
        self.wait_gone(orphan, "the orphan reaped")
        lingering = self.orphan(f"300.{os.getpid()}")
        os.kill(init, signal.SIGTERM)
        self.assertEqual(self.agent.proc.wait(timeout=30), 0,
                         self.agent.read_log())
        self.wait_gone(lingering, "the lingering orphan ended", timeout=10)
        # Nothing else on the host was signalled: this test process lives.


if __name__ == "__main__":
    unittest.main()
