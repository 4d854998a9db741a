"""pact shell against a real pact-journal --dev and pact-agent under a
temporary --root (issue 12 items 3, 4 and 7). A session is driven through a
real PTY, as an operator's terminal: the prompt, echo, a pipeline,
refusals (whitelist, grammar) that run nothing, Ctrl-C reaching the running
command, a window change, `exit N`. Without a terminal the shell reads a
script. Viewers run only read-only commands; the per-node session limit and
the idle timeout close what they should. Every line and its status, the
open and the close, are journal entries."""
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
import unittest

from harness import PactTestCase, binary, free_port, make_token, wait_for

NODE = "node-s1"
VC = "e2e"
SPEC = f"""[vcluster.{VC}]
[vcluster.{VC}.policy]
exec_whitelist = ["true"]
shell_whitelist = ["echo", "tr", "sleep", "cat", "stty", "head"]
read_only_commands = ["cat"]
"""
PROGRAMS = ("echo", "tr", "sleep", "cat", "true", "touch", "stty", "head")
PROMPT = f"pact:{NODE}> "
# Durations unique to this test process, so that looking for a command by
# its argv never finds another test's (ctest runs tests in parallel).
LONG = f"300.{os.getpid()}"
LONGER = f"307.{os.getpid()}"


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Terminal:
    """`pact shell` on the slave side of a PTY; the test types on the
    master side and reads what the operator would see."""

    def __init__(self, env, rows=30, cols=100, node=NODE):
        self.master, slave = pty.openpty()
        set_winsize(slave, rows, cols)
        self.proc = subprocess.Popen(
            [binary("pact"), "shell", node], stdin=slave, stdout=slave,
            stderr=slave, env={**env, "TERM": "xterm"},
            start_new_session=True)
        os.close(slave)
        self.seen = ""
        self.pos = 0

    def type(self, keys):
        os.write(self.master, keys.encode())

    def expect(self, text, timeout=20):
        """Reads until `text` appears after what earlier calls consumed;
        returns what came up to and including it (later bytes are kept
        for the next call)."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.pos:]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} not seen in "
                                     f"{self.seen[self.pos:]!r}")
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    data = b""
                if not data:
                    raise AssertionError(f"{text!r} not seen before the end "
                                         f"in {self.seen[self.pos:]!r}")
                self.seen += data.decode(errors="replace")
        end = self.seen.index(text, self.pos) + len(text)
        out = self.seen[self.pos:end]
        self.pos = end
        return out

    def run(self, line, timeout=20):
        """Types `line` and Enter; returns the output up to the next
        prompt."""
        self.type(line + "\r")
        out = self.expect(PROMPT, timeout)
        return out[:-len(PROMPT)]

    def wait(self, timeout=20):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            os.close(self.master)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass


class ShellTest(PactTestCase):
    def start(self, extra_config="", listen="127.0.0.1:0"):
        self.agent = self.start_operated_node(
            SPEC, NODE, VC, PROGRAMS,
            '[agent]\nwhitelist_mode = "strict"\n' + extra_config, listen)
        self.ops = make_token(self.secret, sub="olga",
                              groups=(f"pact-ops-{VC}",))
        self.viewer = make_token(self.secret, sub="vera",
                                 groups=(f"pact-viewer-{VC}",))
        self.agent_env = {"PACT_AGENT_ENDPOINT": self.agent.api}
        wait_for(lambda: self.pact("exec", NODE, "--", "true",
                                   token=self.ops,
                                   env=self.agent_env).returncode == 0,
                 what="the agent's boot (policy known)")

    def terminal(self, token=None, **kw):
        t = Terminal({**self.env, **self.agent_env,
                      "PACT_TOKEN": token or self.ops}, **kw)
        self.addCleanup(t.close)
        return t

    def script(self, text, token=None, timeout=60):
        e = {**self.env, **self.agent_env, "PACT_TOKEN": token or self.ops}
        return subprocess.run([binary("pact"), "shell", NODE], input=text,
                              env=e, capture_output=True, text=True,
                              timeout=timeout)

    def shell_entries(self):
        r = self.pact("log", "--scope", f"node:{NODE}", "-n", "1000",
                      "--output", "json", "--endpoint", self.journal.gateway,
                      token=self.admin)
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted((e for e in json.loads(r.stdout)["entries"]
                       if e["type"] == "shell-session"),
                      key=lambda e: e["sequence"])

    def test_session_through_a_real_terminal(self):
        self.start()
        marker = os.path.join(self.tmp, "marker")
        t = self.terminal(rows=33, cols=101)
        banner = t.expect(PROMPT)
        self.assertIn("whitelisted commands only", banner)
        # A pipeline; the keys are echoed as typed.
        out = t.run("echo hello world | tr a-z A-Z")
        self.assertIn("echo hello world | tr a-z A-Z\r\n", out)
        self.assertIn("HELLO WORLD\r\n", out)
        # Not whitelisted: refused, nothing runs.
        out = t.run(f"touch {marker}")
        self.assertIn("pact: command not whitelisted: /usr/bin/touch", out)
        # The grammar: each injection attempt refused, nothing runs.
        for line, why in ((f"echo x; touch {marker}", "';' is not allowed"),
                          (f"echo $(touch {marker})", "'$' is not allowed"),
                          (f"echo `touch {marker}`", "backquotes"),
                          (f"echo x > {marker}", "redirections"),
                          (f"PATH=/tmp echo x", "environment assignments")):
            self.assertIn(why, t.run(line))
        self.assertFalse(os.path.exists(marker))
        # The terminal's size reaches the command, and so does a change.
        self.assertIn("33 101\r\n", t.run("stty size"))
        set_winsize(t.master, 40, 120)
        t.proc.send_signal(signal.SIGWINCH)
        wait_for(lambda: "40 120" in t.run("stty size"),
                 what="the new window size")
        # Ctrl-C reaches the running command, and the prompt comes back.
        started = time.monotonic()
        t.type("sleep 60\r")
        t.expect("sleep 60\r\n")
        time.sleep(0.5)
        t.type("\x03")
        t.expect(PROMPT)
        self.assertLess(time.monotonic() - started, 20)
        # Input typed while a command runs is the command's.
        t.type("head -n 1\r")
        t.expect("head -n 1\r\n")
        t.type("typed ahead\r")
        out = t.expect(PROMPT)
        self.assertIn("typed ahead\r\ntyped ahead\r\n", out)
        # exit N ends the session with N.
        t.type("exit 7\r")
        self.assertEqual(t.wait(), 7)
        # The journal: open, every line (refused ones too) with its status,
        # the close.
        entries = self.shell_entries()
        recs = [e["exec"] for e in entries]
        self.assertEqual(recs[0]["phase"], "opened")
        self.assertEqual(recs[0]["caller"]["principal"], "olga")
        session = recs[0]["session_id"]
        self.assertTrue(all(r["session_id"] == session for r in recs))
        pipe = [r for r in recs if r["line"].startswith("echo hello")]
        self.assertEqual([r["phase"] for r in pipe], ["started", "finished"])
        self.assertEqual(pipe[1]["resolved_paths"],
                         ["/usr/bin/echo", "/usr/bin/tr"])
        self.assertEqual(pipe[1]["exit_code"], 0)
        refused = [r for r in recs if r["phase"] == "refused"]
        self.assertEqual(len(refused), 6)
        self.assertEqual(refused[0]["exit_code"], 6)
        self.assertIn("command not whitelisted", refused[0]["detail"])
        sleep = [r for r in recs if r["line"] == "sleep 60"
                 and r["phase"] == "finished"]
        self.assertEqual(sleep[0]["exit_code"], 128 + signal.SIGINT)
        self.assertEqual(recs[-1]["phase"], "closed")
        self.assertEqual(recs[-1]["exit_code"], 7)
        for e in entries:
            self.assertEqual(e["author"]["principal"], NODE)

    def test_script_without_a_terminal(self):
        self.start()
        r = self.script("echo one\necho two | tr a-z A-Z\ncat\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        # No prompt, no echo; a command reading its input gets none.
        self.assertEqual(r.stdout, "one\nTWO\n")
        # The last line counts even without its newline; the status is the
        # last line's: 6 for a refused command.
        r = self.script("echo a\ntouch x")
        self.assertEqual(r.returncode, 6, r.stdout + r.stderr)
        self.assertIn("pact: command not whitelisted", r.stdout)
        r = self.script("exit 3\necho never\n")
        self.assertEqual(r.returncode, 3)
        self.assertEqual(r.stdout, "")

    def test_viewer_runs_read_only_commands_and_others_are_refused(self):
        self.start()
        path = os.path.join(self.tmp, "readme")
        with open(path, "w") as f:
            f.write("hello\n")
        r = self.script(f"cat {path}\necho hi\n", token=self.viewer)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("hello\n", r.stdout)
        self.assertIn("may run only the read_only_commands", r.stdout)
        # No role on the vCluster: no session at all, and the refusal is
        # recorded.
        nobody = make_token(self.secret, sub="nemo", groups=("other",))
        r = self.script("echo hi\n", token=nobody)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertTrue(r.stderr.startswith("pact: "), r.stderr)
        wait_for(lambda: any(e["exec"]["phase"] == "refused"
                             and e["exec"]["caller"]["principal"] == "nemo"
                             for e in self.shell_entries()),
                 what="the refused open in the journal")

    def test_session_limit_and_idle_timeout(self):
        self.start("[agent.shell]\nmax_sessions = 1\n"
                   "idle_timeout_seconds = 10\n")
        t = self.terminal()
        t.expect(PROMPT)
        started = time.monotonic()
        r = self.script("echo hi\n")
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertIn("agent.shell.max_sessions", r.stderr)
        # Idle at the prompt: closed by the agent.
        t.expect("session closed", timeout=30)
        self.assertEqual(t.wait(), 0)
        self.assertGreater(time.monotonic() - started, 8)
        r = self.script("echo again\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "again\n")
        closed = [e["exec"] for e in self.shell_entries()
                  if e["exec"]["phase"] == "closed"]
        self.assertIn("idle timeout", closed[0]["detail"])

    def test_client_gone_kills_the_running_line(self):
        self.start()
        t = self.terminal()
        t.expect(PROMPT)
        t.type(f"sleep {LONG}\r")
        t.expect(f"sleep {LONG}\r\n")
        time.sleep(0.5)
        t.proc.kill()
        t.proc.wait()

        def sleeping():
            out = subprocess.run(["pgrep", "-f", f"sleep {LONG}"],
                                 capture_output=True, text=True)
            return out.stdout.strip()
        wait_for(lambda: not sleeping(), what="the line killed")
        wait_for(lambda: any(e["exec"]["phase"] == "closed"
                             and "client gone" in e["exec"]["detail"]
                             for e in self.shell_entries()),
                 what="the close recorded")

    def test_interrupts_and_pastes_are_not_lost(self):
        self.start()
        t = self.terminal()
        t.expect(PROMPT)
        # Ctrl-C in the same write as Enter still reaches the command.
        started = time.monotonic()
        t.type("sleep 50\r\x03")
        t.expect(PROMPT)
        self.assertLess(time.monotonic() - started, 15)
        # Ctrl-C after more input than the terminal holds (the command
        # reads none of it) still stops the command.
        t.type("sleep 51\r")
        t.expect("sleep 51\r\n")
        time.sleep(0.5)
        t.type(("q" * 500 + "\r") * 10)
        time.sleep(0.5)
        started = time.monotonic()
        t.type("\x03")
        t.expect(PROMPT)
        self.assertLess(time.monotonic() - started, 15)
        # Several lines pasted at once all run, in order.
        t.type("".join(f"echo pasted{i}\r" for i in range(5)))
        for i in range(5):
            t.expect(f"pasted{i}\r\n")
        t.expect(PROMPT)
        t.type("exit\r")
        self.assertEqual(t.wait(), 0)

    def test_agent_killed_during_a_line_takes_the_line_along(self):
        self.start()
        t = self.terminal()
        t.expect(PROMPT)
        t.type(f"sleep {LONGER}\r")
        t.expect(f"sleep {LONGER}\r\n")
        time.sleep(0.5)
        self.agent.proc.kill()
        self.agent.proc.wait()

        def sleeping():
            out = subprocess.run(["pgrep", "-f", f"sleep {LONGER}"],
                                 capture_output=True, text=True)
            return out.stdout.strip()
        wait_for(lambda: not sleeping(), what="the line gone with the agent")
        # Nothing of the agent's is left holding its listening port.
        port = self.agent.api.rsplit(":", 1)[1]
        ss = subprocess.run(["ss", "-ltnH", f"sport = :{port}"],
                            capture_output=True, text=True)
        self.assertEqual(ss.stdout.strip(), "")
        self.assertEqual(t.wait(timeout=30), 5)

    def test_script_output_errors_and_control_bytes(self):
        self.start()
        e = {**self.env, **self.agent_env, "PACT_TOKEN": self.ops}
        with open("/dev/full", "w") as full:
            r = subprocess.run([binary("pact"), "shell", NODE],
                               input="echo hi\n", stdout=full, env=e,
                               capture_output=False, stderr=subprocess.PIPE,
                               text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("pact: cannot write output", r.stderr)
        # A reader that stops reading ends the session and its line.
        p = subprocess.Popen(
            f"printf 'cat /dev/zero\\n' | {binary('pact')} shell {NODE}"
            " | head -c 10 > /dev/null", shell=True, env=e)
        self.assertEqual(p.wait(timeout=60), 0)
        r = self.script("echo a\x1b[31mb\n")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("control characters are not allowed", r.stdout)
        # A line killed with its session says so in its record.
        p = subprocess.Popen([binary("pact"), "shell", NODE],
                             stdin=subprocess.PIPE, env=e,
                             stdout=subprocess.DEVNULL)
        p.stdin.write(b"sleep 100\n")
        p.stdin.flush()
        time.sleep(1.5)
        p.kill()
        p.wait()
        p.stdin.close()
        wait_for(lambda: any(
            x["exec"]["phase"] == "finished"
            and x["exec"]["line"] == "sleep 100"
            and "killed: the session closed (client gone)"
            in x["exec"]["detail"] for x in self.shell_entries()),
            what="the killed line's record")

    def test_emergency_relaxes_the_whitelist_never_the_grammar(self):
        self.start()
        marker = os.path.join(self.tmp, "m")
        self.assertEqual(self.script(f"touch {marker}\n").returncode, 6)
        r = subprocess.run([binary("pact-test-command"),
                            self.journal.gateway, "emergency-start", NODE,
                            "need touch"],
                           env={**self.env, "PACT_TOKEN": self.admin},
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for(lambda: self.script(f"touch {marker}\n").returncode == 0,
                 what="the node's emergency at its agent")
        self.assertTrue(os.path.exists(marker))
        os.unlink(marker)
        r = self.script(f"echo x; touch {marker}\n")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("';' is not allowed", r.stdout)
        self.assertFalse(os.path.exists(marker))
        started = [e["exec"] for e in self.shell_entries()
                   if e["exec"]["phase"] == "started"
                   and e["exec"]["line"].startswith("touch")]
        self.assertEqual(started[-1]["detail"], "emergency: not whitelisted")

    def test_audit_survives_a_journal_outage_exactly_once(self):
        port = free_port()
        self.start(listen=f"127.0.0.1:{port}")
        self.journal.stop(sig=signal.SIGKILL)
        self.daemons.remove(self.journal)
        # The agent decides alone and keeps every record in its outbox.
        r = self.script("echo while down\ntouch x\nexit 4\n")
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertIn("while down\n", r.stdout)
        self.journal = self.start_journal(listen=f"127.0.0.1:{port}")

        def delivered():
            try:
                recs = [e["exec"] for e in self.shell_entries()]
            except AssertionError:
                return None
            return recs if any(x["phase"] == "closed" for x in recs) else None
        wait_for(delivered, timeout=60, what="the outbox to be delivered")
        time.sleep(3)  # anything sent twice would show by now
        recs = [e["exec"] for e in self.shell_entries()]
        self.assertEqual([x["phase"] for x in recs],
                         ["opened", "started", "finished", "refused",
                          "closed"])
        self.assertEqual(recs[1]["line"], "echo while down")
        self.assertEqual(recs[-1]["exit_code"], 4)
        # Each record says when it happened, not when the journal, back,
        # accepted it.
        for e in self.shell_entries():
            self.assertGreater(e["exec"]["occurred_unix_ms"], 0)
            self.assertLess(e["exec"]["occurred_unix_ms"],
                            e["timestamp_unix_ms"])


if __name__ == "__main__":
    unittest.main()
