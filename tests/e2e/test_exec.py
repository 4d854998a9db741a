"""pact exec against a real pact-journal --dev and pact-agent under a
temporary --root (issue 12 items 2, 4 and 7): the programs the agent may run
are copies of host binaries under ROOT/usr/bin; the vCluster policy
whitelists some of them and names one read-only command. Allowed commands
stream their output and exit with their own status; a refused one (6) or a
viewer's non-read-only one (2) never starts; injection attempts run nothing;
a timeout kills the command's whole process group; output is capped; every
exec is in the journal, exactly once, even across a journal outage."""
import json
import os
import signal
import subprocess
import time
import unittest

from harness import PactTestCase, binary, free_port, make_token, wait_for

NODE = "node-x1"
VC = "e2e"
SPEC = f"""[vcluster.{VC}]
[vcluster.{VC}.policy]
exec_whitelist = ["echo", "sh", "sleep", "true", "head", "/usr/bin/cat"]
read_only_commands = ["cat"]
"""
PROGRAMS = ("echo", "sh", "sleep", "cat", "true", "head", "touch")


def process_gone(pid):
    """`pid` has exited; a zombie reparented to init counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[1].split()[0] == "Z"
    except OSError:
        return True


class ExecTest(PactTestCase):
    def start(self, mode="strict", extra_config="", listen="127.0.0.1:0"):
        self.agent = self.start_operated_node(
            SPEC, NODE, VC, PROGRAMS,
            f'[agent]\nwhitelist_mode = "{mode}"\n' + extra_config, listen)
        self.ops = make_token(self.secret, sub="olga",
                              groups=(f"pact-ops-{VC}",))
        self.viewer = make_token(self.secret, sub="vera",
                                 groups=(f"pact-viewer-{VC}",))
        # The policy arrives with the agent's boot.
        wait_for(lambda: self.exec("true").returncode == 0,
                 what="the agent's boot (policy known)")

    def exec(self, *argv, token=None, opts=(), timeout=60):
        return self.pact("exec", NODE, *opts, "--", *argv,
                         token=token or self.ops,
                         env={"PACT_AGENT_ENDPOINT": self.agent.api},
                         timeout=timeout)

    def marker(self, name="marker"):
        return os.path.join(self.tmp, name)

    def exec_entries(self):
        r = self.pact("log", "--scope", f"node:{NODE}", "-n", "1000",
                      "--output", "json", "--endpoint", self.journal.gateway,
                      token=self.admin)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [e for e in json.loads(r.stdout)["entries"]
                if e["type"] == "exec-log"]

    def test_allowed_command_streams_and_exits_with_its_status(self):
        self.start()
        r = self.exec("sh", "-c", "echo one; echo two >&2; exit 3")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertEqual(r.stdout, "one\n")
        self.assertEqual(r.stderr, "two\n")
        # Output is written as it comes, not at the end.
        p = subprocess.Popen(
            [binary("pact"), "exec", NODE, "--", "sh", "-c",
             "echo first; sleep 3; echo second"],
            env={**self.env, "PACT_TOKEN": self.ops,
                 "PACT_AGENT_ENDPOINT": self.agent.api},
            stdout=subprocess.PIPE, text=True)
        try:
            started = time.monotonic()
            self.assertEqual(p.stdout.readline(), "first\n")
            self.assertLess(time.monotonic() - started, 2.5)
            self.assertEqual(p.stdout.readline(), "second\n")
            self.assertEqual(p.wait(timeout=30), 0)
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
        # A signal death is 128 + signo, as ssh reports it.
        r = self.exec("sh", "-c", "kill -TERM $$")
        self.assertEqual(r.returncode, 128 + signal.SIGTERM, r.stderr)
        # The journal holds the started and finished records.
        entries = self.exec_entries()
        finished = [e for e in entries if e["exec"]["phase"] == "finished"
                    and e["exec"]["argv"][:2] == ["sh", "-c"]]
        self.assertTrue(any(e["exec"]["exit_code"] == 3 for e in finished))
        e = finished[0]
        self.assertEqual(e["exec"]["caller"]["principal"], "olga")
        self.assertEqual(e["exec"]["resolved_path"], "/usr/bin/sh")
        self.assertEqual(e["author"]["principal"], NODE)

    def test_not_whitelisted_exits_6_and_never_starts(self):
        self.start()
        m = self.marker()
        r = self.exec("touch", m)
        self.assertEqual(r.returncode, 6, r.stderr)
        self.assertIn("command not whitelisted", r.stderr)
        self.assertTrue(r.stderr.startswith("pact: "), r.stderr)
        self.assertFalse(os.path.exists(m))
        # An absolute path outside the whitelist, and one that climbs back
        # out with "..", are the same program.
        for cmd in ("/usr/bin/touch", "/usr/bin/../bin/../../usr/bin/touch"):
            r = self.exec(cmd, m)
            self.assertEqual(r.returncode, 6, r.stderr)
        self.assertFalse(os.path.exists(m))
        refused = [e for e in self.exec_entries()
                   if e["exec"]["phase"] == "refused"]
        self.assertEqual(len(refused), 3)
        self.assertIn("command not whitelisted", refused[0]["exec"]["detail"])

    def test_viewer_runs_only_read_only_commands(self):
        self.start()
        path = self.marker("readme")
        with open(path, "w") as f:
            f.write("hello\n")
        r = self.exec("echo", "hi", token=self.viewer)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("policy: denied", r.stderr)
        r = self.exec("cat", path, token=self.viewer)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "hello\n")
        # A stranger to the vCluster runs nothing.
        other = make_token(self.secret, sub="otto",
                           groups=("pact-ops-elsewhere",))
        r = self.exec("true", token=other)
        self.assertEqual(r.returncode, 2, r.stderr)
        # An AI principal where the policy does not allow AI exec: refused
        # (3), and the refusal is in the journal like any other (a tester:
        # the journal refused to record it).
        ai = make_token(self.secret, sub="claude", groups=("pact-service-ai",))
        r = self.exec("cat", path, token=ai)
        self.assertEqual(r.returncode, 3, r.stderr)
        wait_for(lambda: [e for e in self.exec_entries()
                          if e.get("exec", {}).get("phase") == "refused"
                          and "claude" in json.dumps(e["exec"])] or None,
                 what="the AI refusal's entry")

    def test_injection_attempts_run_nothing(self):
        self.start()
        m = self.marker()
        for arg in ("$(touch %s)" % m, "`touch %s`" % m, "; touch %s" % m,
                    "x\ntouch %s" % m, "&& touch %s" % m):
            r = self.exec("echo", arg)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, arg + "\n")
        for cmd in ("touch %s; true" % m, "true; touch %s" % m,
                    "$(touch %s)" % m, "true\ntouch %s" % m):
            r = self.exec(cmd)
            self.assertEqual(r.returncode, 6, r.stderr)
        self.assertFalse(os.path.exists(m))

    def test_timeout_kills_the_command_and_its_children(self):
        self.start()
        pidfile = self.marker("pid")
        started = time.monotonic()
        r = self.exec("sh", "-c", f"sleep 300 & echo $! > {pidfile}; wait",
                      opts=("--timeout", "1"))
        self.assertLess(time.monotonic() - started, 20)
        self.assertEqual(r.returncode, 128 + signal.SIGKILL, r.stderr)
        self.assertIn("timeout", r.stderr)
        with open(pidfile) as f:
            pid = int(f.read())

        wait_for(lambda: process_gone(pid), timeout=5,
                 what="the background child to be killed")

    def test_sigterm_during_a_long_command_stops_the_agent_at_once(self):
        """`systemctl stop pact-agent` must not wait for a command's own
        timeout (up to an hour): the agent kills what it runs and exits."""
        self.start()
        pidfile = self.marker("pid")
        runner = subprocess.Popen(
            [binary("pact"), "exec", NODE, "--", "sh", "-c",
             f"echo $$ > {pidfile}; sleep 300"],
            env={**self.env, "PACT_TOKEN": self.ops,
                 "PACT_AGENT_ENDPOINT": self.agent.api},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: os.path.exists(pidfile)
                     and os.path.getsize(pidfile) > 0,
                     what="the command to start")
            with open(pidfile) as f:
                pid = int(f.read())
            started = time.monotonic()
            self.agent.proc.send_signal(signal.SIGTERM)
            self.assertEqual(self.agent.proc.wait(timeout=15), 0)
            self.assertLess(time.monotonic() - started, 12)
            wait_for(lambda: process_gone(pid), timeout=5,
                     what="the command to be killed")
        finally:
            runner.kill()
            runner.wait()

    def test_output_cap_and_json(self):
        self.start(extra_config="[agent.exec]\nmax_output_bytes = 1000\n")
        r = self.exec("head", "-c", "5000", "/dev/zero", opts=("--output",
                                                                "json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(len(doc["stdout"]), 1000)
        self.assertTrue(doc["truncated"])
        r = self.exec("sh", "-c", "echo out; echo err >&2; exit 4",
                      opts=("--output", "json"))
        self.assertEqual(r.returncode, 4, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(doc["exit_code"], 4)
        self.assertEqual(doc["stdout"], "out\n")
        self.assertEqual(doc["stderr"], "err\n")
        self.assertFalse(doc["truncated"])
        r = self.exec("head", "-c", "5000", "/dev/zero")
        self.assertEqual(len(r.stdout), 1000)
        self.assertIn("truncated", r.stderr)

    def test_learning_mode_runs_and_records(self):
        self.start(mode="learning")
        m = self.marker()
        r = self.exec("touch", m)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(m))
        started = [e for e in self.exec_entries()
                   if e["exec"]["phase"] == "started"
                   and e["exec"]["argv"][0] == "touch"]
        self.assertEqual(len(started), 1)
        self.assertEqual(started[0]["exec"]["detail"],
                         "learning: not whitelisted")
        self.assertIn("learning mode", self.agent.read_log())

    def emergency(self, *args):
        """An emergency-start or -end entry for the node, as `pact
        emergency` will write it (tests/e2e/tools/journal_command.cpp)."""
        r = subprocess.run([binary("pact-test-command"),
                            self.journal.gateway, *args],
                           env={**self.env, "PACT_TOKEN": self.admin},
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_emergency_relaxes_the_whitelist(self):
        self.start()
        m = self.marker()
        self.assertEqual(self.exec("touch", m).returncode, 6)
        self.emergency("emergency-start", NODE, "disk full, need touch")
        wait_for(lambda: self.exec("touch", m).returncode == 0,
                 what="the node's emergency at its agent")
        self.assertTrue(os.path.exists(m))
        runs = [e["exec"] for e in self.exec_entries()
                if e["exec"]["argv"][0] == "touch"
                and e["exec"]["phase"] == "finished"]
        self.assertEqual(runs[-1]["detail"], "emergency: not whitelisted")
        # Rights are not relaxed: a viewer still runs only read-only ones.
        self.assertEqual(self.exec("touch", m, token=self.viewer).returncode,
                         2)
        self.emergency("emergency-end", NODE)
        wait_for(lambda: self.exec("touch", m).returncode == 6,
                 what="the emergency's end at the agent")

    def test_audit_survives_a_journal_outage_exactly_once(self):
        port = free_port()
        self.start(listen=f"127.0.0.1:{port}")
        p = subprocess.Popen(
            [binary("pact"), "exec", NODE, "--", "sh", "-c",
             "sleep 2; echo done"],
            env={**self.env, "PACT_TOKEN": self.ops,
                 "PACT_AGENT_ENDPOINT": self.agent.api},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)  # started and recorded (the record may be sent)
        self.journal.stop(sig=signal.SIGKILL)
        self.daemons.remove(self.journal)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(out, "done\n")
        # While the journal is down another exec is refused with nothing
        # lost: its refusal waits in the outbox too.
        r = self.exec("touch", self.marker())
        self.assertEqual(r.returncode, 6, r.stderr)
        self.journal = self.start_journal(listen=f"127.0.0.1:{port}")

        def delivered():
            try:
                entries = self.exec_entries()
            except AssertionError:
                return None
            phases = [e["exec"]["phase"] for e in entries
                      if e["exec"]["argv"][:2] == ["sh", "-c"]
                      or e["exec"]["argv"][0] == "touch"]
            return phases if len(phases) >= 3 else None
        wait_for(delivered, timeout=60, what="the outbox to be delivered")
        time.sleep(3)  # anything sent twice would show by now
        entries = self.exec_entries()
        run = [e["exec"]["phase"] for e in entries
               if e["exec"]["argv"][:2] == ["sh", "-c"]]
        self.assertEqual(sorted(run), ["finished", "started"])
        refused = [e for e in entries if e["exec"]["argv"][0] == "touch"]
        self.assertEqual(len(refused), 1)
        # In order: started before finished before the refusal.
        seqs = {e["exec"]["phase"]: e["sequence"] for e in entries
                if e["exec"]["argv"][0] in ("sh", "touch")}
        self.assertLess(seqs["started"], seqs["finished"])
        self.assertLess(seqs["finished"], seqs["refused"])


if __name__ == "__main__":
    unittest.main()
