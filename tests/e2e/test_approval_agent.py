"""Two-person approval of agent actions on a live node (issue 14 items 1
and 4; docs/agent.md "Approval"): a real pact-journal --dev and pact-agent
on a vCluster whose policy sets two_person_approval. An operator's exec of
a command that is not read-only is refused by the agent until a second
person grants it: the CLI asks the journal, prints the guide's three lines,
waits, and runs the command once bob accepts, finishing with the command's
own output and status. Read-only commands run at once. Ctrl-C leaves the
request pending; the grant is used later with `--approval ID`, once, by
its requester only and for exactly the approved command. A denial exits 3.
Service restarts wait likewise. The owner of the node's emergency is
granted at once, and the journal records it. A drift commit through the
agent is held for approval and waits like a journal write. Without a
journal no grant is checked: nothing runs (exit 5)."""
import json
import os
import queue
import re
import shutil
import signal
import stat
import subprocess
import threading
import time

from harness import PactTestCase, binary, make_token, wait_for

NODE = "node-reg"
VC = "reg"
SPEC = f"""[vcluster.{VC}]
[vcluster.{VC}.services.web]
binary = "/usr/sbin/websvc"
[vcluster.{VC}.policy]
exec_whitelist = ["echo", "sh", "touch", "cat", "true"]
read_only_commands = ["cat"]
"""
# Set after the node is enrolled: with two-person approval on, the
# enrollment itself would wait for a second person.
POLICY = """exec_whitelist = ["echo", "sh", "touch", "cat", "true"]
read_only_commands = ["cat"]
two_person_approval = true
"""
PROGRAMS = ("echo", "sh", "touch", "cat", "true")
AGENT = ("[agent.journal]\nreport_interval_seconds = 1\n"
         "[agent.drift]\nscan_interval_seconds = 1\n")
PENDING = r"^Pending approval: (ap-[a-z2-9]{8}) \(expires in {}\)$"


class Waiting:
    """A `pact` process that waits for a decision: its stderr is read
    line by line as it comes."""

    def __init__(self, args, env):
        self.proc = subprocess.Popen([binary("pact"), *args], env=env,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.err = []

        def read():
            for line in self.proc.stderr:
                self.lines.put(line.rstrip("\n"))
            self.lines.put(None)
        threading.Thread(target=read, daemon=True).start()

    def until_waiting(self, timeout=20, expires=r"30 min"):
        """The guide's three lines; returns the approval id. `expires`: a
        pattern of the deadline as the CLI words it."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.1, deadline -
                                              time.monotonic()))
            if line is None:
                raise AssertionError("pact ended before waiting: "
                                     + "\n".join(self.err))
            self.err.append(line)
            if line.startswith("Waiting for approval"):
                break
        head = self.err[-3:]
        assert head[0] == ("Approval required (two-person policy on "
                           f"vcluster: {VC})"), self.err
        m = re.match(PENDING.replace("{}", expires), head[1])
        assert m, self.err
        assert head[2] == "Waiting for approval... (Ctrl-C to background)", \
            self.err
        return m.group(1)

    def finish(self, timeout=30):
        out = self.proc.stdout.read()
        code = self.proc.wait(timeout=timeout)
        while True:
            line = self.lines.get(timeout=5)
            if line is None:
                break
            self.err.append(line)
        return code, out, "\n".join(self.err)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class ApprovalAgentTest(PactTestCase):
    def setUp(self):
        super().setUp()
        self.start_dev_journal()
        self.alice = make_token(self.secret, sub="alice",
                                groups=(f"pact-ops-{VC}",))
        self.bob = make_token(self.secret, sub="bob",
                              groups=(f"pact-regulated-{VC}",))
        self.carol = make_token(self.secret, sub="carol",
                                groups=(f"pact-ops-{VC}",))
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(SPEC)
        policy = os.path.join(self.tmp, "policy.toml")
        with open(policy, "w") as f:
            f.write(POLICY)
        for args in (("apply", spec, "-m", "regulated node"),
                     ("enroll", NODE, "--vcluster", VC),
                     ("group", "set-policy", VC, "--file", policy)):
            r = self.jpact(*args)
            self.assertEqual(r.returncode, 0, (args, r.stderr))
        self.root = os.path.join(self.tmp, NODE + "-root")
        os.makedirs(os.path.join(self.root, "usr", "bin"))
        for p in PROGRAMS:
            self.copy_program(p)
        self.write("/usr/sbin/websvc", "#!/bin/sh\nexec sleep 600\n")
        svc = os.path.join(self.root, "usr/sbin/websvc")
        os.chmod(svc, os.stat(svc).st_mode | stat.S_IXUSR)
        config = os.path.join(self.tmp, "agent.toml")
        with open(config, "w") as f:
            f.write(AGENT)
        self.agent = self.start_agent(self.journal, NODE, VC,
                                      extra=("--config", config))
        self.env_both = {"PACT_AGENT_ENDPOINT": self.agent.api,
                         "PACT_ENDPOINT": self.journal.gateway}
        # The two-person policy arrives with the agent's boot.

        def booted():
            r = self.pact("diff", NODE, "--output", "json",
                          token=self.alice, env=self.env_both)
            return r.returncode == 0 and \
                json.loads(r.stdout)["declared_state_known"]
        wait_for(booted, what="the agent's boot with the two-person policy")

    def copy_program(self, name):
        shutil.copy(shutil.which(name),
                    os.path.join(self.root, "usr", "bin", name))

    def jpact(self, *args, token=None):
        return self.pact(*args, "--endpoint", self.journal.gateway,
                         token=token or self.admin)

    def exec(self, *argv, token=None, opts=(), timeout=60):
        return self.pact("exec", *opts, NODE, "--", *argv,
                         token=token or self.alice, env=self.env_both,
                         timeout=timeout)

    def waiting(self, *args, token=None):
        env = {**self.env, **self.env_both, "PACT_TOKEN": token or self.alice}
        w = Waiting(args, env)
        self.addCleanup(w.kill)
        return w

    def marker(self, name):
        return os.path.join(self.tmp, name)

    def entries(self, type_=None):
        r = self.jpact("log", "--scope", f"node:{NODE}", "-n", "1000",
                       "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        es = json.loads(r.stdout)["entries"]
        return [e for e in es if type_ is None or e["type"] == type_]

    def accept(self, ap):
        r = self.jpact("approve", "accept", ap, token=self.bob)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_exec_waits_for_a_second_person_then_runs(self):
        m = self.marker("did-it")
        w = self.waiting("exec", NODE, "--", "sh", "-c",
                         f"touch {m}; echo ran; echo err >&2; exit 7")
        ap = w.until_waiting()
        # Nothing ran while it waits; the journal holds the request.
        time.sleep(0.5)
        self.assertFalse(os.path.exists(m))
        refused = [e for e in self.entries("exec-log")
                   if e["exec"]["phase"] == "refused"]
        self.assertTrue(any("approval required (two-person policy on "
                            f"vcluster: {VC})" in e["exec"]["detail"]
                            for e in refused), refused)
        # Self-approval is the journal's to refuse; bob's accept lets it
        # run, and the command's own output and status come back.
        self.accept(ap)
        code, out, err = w.finish()
        self.assertEqual(code, 7, err)
        self.assertEqual(out, "ran\n")
        self.assertIn(f"Approved by bob ({ap})", err)
        self.assertTrue(err.endswith("err"), err)
        self.assertTrue(os.path.exists(m))
        finished = [e for e in self.entries("exec-log")
                    if e["exec"]["phase"] == "finished"
                    and e["exec"]["argv"][0] == "sh"]
        self.assertEqual(len(finished), 1)
        self.assertEqual(finished[0]["exec"]["exit_code"], 7)
        self.assertIn(f"approved: {ap}", finished[0]["exec"]["detail"])
        self.assertEqual(finished[0]["exec"]["caller"]["principal"], "alice")
        # The grant was used: the journal shows it redeemed.
        states = [e["approval"]["state"] for e in self.entries()
                  if e.get("approval", {}).get("id") == ap]
        self.assertIn("used", states)
        # A read-only command runs at once, without a second person.
        readme = self.marker("readme")
        with open(readme, "w") as f:
            f.write("hello\n")
        r = self.exec("cat", readme)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "hello\n")
        self.assertNotIn("Approval required", r.stderr)

    def test_backgrounded_grant_is_used_once_by_its_requester(self):
        m = self.marker("later")
        w = self.waiting("exec", NODE, "--", "touch", m)
        ap = w.until_waiting()
        w.proc.send_signal(signal.SIGINT)
        code, out, err = w.finish()
        self.assertEqual(code, 0, err)
        self.assertIn(f"backgrounded: {ap} stays pending", err)
        self.assertIn(f"pact exec --approval {ap} {NODE} -- touch {m}", err)
        # Still pending: using it now runs nothing (4).
        r = self.exec("touch", m, opts=("--approval", ap))
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("still pending", r.stderr)
        self.accept(ap)
        # Another operator may not use alice's grant (2), nor alice for
        # another command (2); nothing runs.
        r = self.exec("touch", m, opts=("--approval", ap), token=self.carol)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("was granted to alice, not to carol", r.stderr)
        r = self.exec("touch", m + "-other", opts=("--approval", ap))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("grants a different action", r.stderr)
        self.assertFalse(os.path.exists(m))
        self.assertFalse(os.path.exists(m + "-other"))
        # Alice runs it, once.
        r = self.exec("touch", m, opts=("--approval", ap))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Approval required", r.stderr)
        self.assertTrue(os.path.exists(m))
        os.unlink(m)
        r = self.exec("touch", m, opts=("--approval", ap))
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertFalse(os.path.exists(m))
        # Something that is no approval id is refused before anything is
        # sent.
        r = self.exec("touch", m, opts=("--approval", "ap-nope"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("is not an approval id", r.stderr)
        refusals = [e["exec"]["detail"] for e in self.entries("exec-log")
                    if e["exec"]["phase"] == "refused"
                    and e["exec"]["detail"].startswith(f"approval {ap}: ")]
        self.assertEqual(len(refusals), 4, refusals)
        # No journal, no grant: nothing runs (5).
        self.journal.stop()
        r = self.exec("touch", m, opts=("--approval", ap))
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn(f"approval {ap}", r.stderr)
        self.assertFalse(os.path.exists(m))

    def test_denied_exec_exits_3_and_runs_nothing(self):
        m = self.marker("denied")
        w = self.waiting("exec", NODE, "--", "touch", m)
        ap = w.until_waiting()
        r = self.jpact("approve", "deny", ap, "-m", "not today",
                       token=self.bob)
        self.assertEqual(r.returncode, 0, r.stderr)
        code, _, err = w.finish()
        self.assertEqual(code, 3, err)
        self.assertIn("denied by bob: not today", err)
        self.assertFalse(os.path.exists(m))

    def test_service_restart_waits_for_a_second_person(self):
        def web():
            r = self.pact("service", "status", "web", "--node", NODE,
                          "--output", "json", token=self.alice,
                          env=self.env_both)
            if r.returncode != 0:
                return None
            s = json.loads(r.stdout)["services"][0]
            return s if s["state"] == "running" else None
        before = wait_for(web, what="web running")["pid"]
        w = self.waiting("service", "restart", "web", "--node", NODE)
        ap = w.until_waiting()
        time.sleep(0.5)
        self.assertEqual(web()["pid"], before)
        self.accept(ap)
        code, out, err = w.finish()
        self.assertEqual(code, 0, err)
        self.assertIn("web", out)
        self.assertNotEqual(web()["pid"], before)
        wait_for(lambda: [e for e in self.entries("service-lifecycle")
                          if "restarted by alice" in e["message"]
                          and f"with approval {ap}" in e["message"]],
                 what="the restart entry naming the grant")
        # The grant was used up.
        r = self.pact("service", "restart", "web", "--node", NODE,
                      "--approval", ap, token=self.alice, env=self.env_both)
        self.assertEqual(r.returncode, 4, r.stderr)

    def test_emergency_owner_is_granted_at_once(self):
        r = self.jpact("emergency", "start", NODE, "-r", "disk full",
                       token=self.alice)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = self.marker("emergency")
        r = self.exec("touch", m)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Waiting for approval", r.stderr)
        self.assertTrue(os.path.exists(m))
        granted = [e for e in self.entries()
                   if e.get("approval", {}).get("state") == "approved"
                   and e["approval"]["action"] == "exec"]
        self.assertEqual(len(granted), 1, granted)
        self.assertIn("approval-skipped", granted[0]["flags"])
        self.assertEqual(granted[0]["approval"]["requester"], "alice")
        ran = [e for e in self.entries("exec-log")
               if e["exec"]["phase"] == "finished"]
        self.assertEqual(len(ran), 1)
        self.assertIn("emergency", ran[0]["flags"])
        self.assertIn("approved: " + granted[0]["approval"]["id"],
                      ran[0]["exec"]["detail"])

    def test_drift_commit_is_held_for_approval(self):
        self.write("/etc/app.conf", "threads = 8\n")

        def drift():
            r = self.pact("diff", NODE, "--output", "json",
                          token=self.alice, env=self.env_both)
            return r.returncode == 0 and any(
                i["key"] == "/etc/app.conf"
                for i in json.loads(r.stdout)["items"])
        wait_for(drift, what="the drift in pact diff")
        w = self.waiting("commit", "-m", "more threads", NODE)
        ap = w.until_waiting()
        # Held, not committed: the drift is still drift.
        self.assertFalse(self.entries("commit"))
        self.assertTrue(drift())
        self.accept(ap)
        code, out, err = w.finish()
        self.assertEqual(code, 0, err)
        self.assertIn(f"committed 1 change to node:{NODE} as entry", out)
        self.assertIn("/etc/app.conf", out)
        commits = self.entries("commit")
        self.assertEqual(len(commits), 1)
        self.assertEqual(commits[0]["author"]["principal"], "alice")
        wait_for(lambda: not drift(), what="no drift after the approval")

    def test_exec_nobody_decides_expires_with_5(self):
        # A short deadline: the policy change itself waits for bob.
        short = os.path.join(self.tmp, "short.toml")
        with open(short, "w") as f:
            f.write(POLICY + "approval_timeout_seconds = 2\n")
        w = self.waiting("--endpoint", self.journal.gateway, "group",
                         "set-policy", VC, "--file", short, token=self.admin)
        self.accept(w.until_waiting())
        code, _, err = w.finish()
        self.assertEqual(code, 0, err)
        m = self.marker("expired")
        w = self.waiting("exec", NODE, "--", "touch", m)
        w.until_waiting(expires=r"[12] s")
        code, _, err = w.finish()
        self.assertEqual(code, 5, err)
        self.assertIn("expired: nobody decided in time", err)
        self.assertFalse(os.path.exists(m))
