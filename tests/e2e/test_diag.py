"""pact diag against a real pact-journal --dev and pact-agents under
temporary roots (issue 12 items 6 and 7): the ring buffer is a file of kmsg
records at ROOT/dev/kmsg, syslog is ROOT/var/log/syslog, and a supervised
service prints numbered lines. The filters (--grep, --lines, --source,
--service) run on the agent and cut lines are marked; bad patterns and
service names exit 1 having asked no agent; viewers may read, others are
refused (exit 2); every diag and refusal is an exec-log entry; it works
with the journal down (cached policy); and a fleet diag over three agents
with one down keeps the two answers and lists the third."""
import json
import os
import socket
import stat
import time

from harness import PactTestCase, make_token, wait_for

VC = "dg"
NODE = "node-d1"
SPEC = f"""
[vcluster.{VC}.services.chatty]
binary = "/usr/bin/chatty"
[vcluster.other]
"""
KMSG = ("6,1,1000000,-;Linux version 6.1.0\n"
        " SUBSYSTEM=cpu\n"
        "3,2,2500000,-;NVRM: Xid 79: GPU has fallen off the bus\n"
        "4,3,3000000,-;EXT4-fs (sda1): warning\n"
        "3,4,4000000,-;NVRM: Xid 48: double bit ECC error\n")
CHATTY = ("#!/bin/sh\ni=1\nwhile [ $i -le 300 ]; do echo \"svc line $i\"; "
          "i=$((i+1)); done\nexec sleep 600\n")


def syslog_text():
    lines = [f"Nov 30 12:00:{i % 60:02d} host app[1]: event {i}"
             for i in range(1, 501)]
    lines.insert(250, "Nov 30 12:00:00 host kernel: Out of memory: Killed "
                      "process 4242")
    # A line a backtracking engine would never finish with (a+)+$.
    lines.append("a" * 4000 + "!")
    return "\n".join(lines) + "\n"


class DiagTest(PactTestCase):
    def start(self, nodes=(NODE,)):
        self.journal = self.start_journal()
        self.admin = self.token_of(self.journal)
        with open(self.journal.secret_path) as f:
            self.secret = f.read().strip()
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(SPEC)
        r = self.jpact("apply", spec, "-m", "diag")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.agents = {}
        for n in nodes:
            r = self.jpact("enroll", n, "--vcluster", VC)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.root = os.path.join(self.tmp, n + "-root")
            self.write("/dev/kmsg", KMSG.replace("Linux", f"Linux {n}"))
            self.write("/var/log/syslog", syslog_text())
            self.write("/usr/bin/chatty", CHATTY)
            chatty = os.path.join(self.root, "usr/bin/chatty")
            os.chmod(chatty, os.stat(chatty).st_mode | stat.S_IXUSR)
            self.agents[n] = self.start_agent(self.journal, n, VC)
        self.agent = self.agents[nodes[0]]
        self.ops = make_token(self.secret, sub="olga",
                              groups=(f"pact-ops-{VC}",))
        self.viewer = make_token(self.secret, sub="vera",
                                 groups=(f"pact-viewer-{VC}",))
        self.stranger = make_token(self.secret, sub="sam",
                                   groups=("pact-ops-other",))
        # The policy arrives with the agent's boot; the service's 300
        # lines with its start.
        for n in nodes:
            wait_for(lambda: "svc line 300" in self.diag(
                "--source", "service", node=n, agent=self.agents[n]).stdout,
                what=f"{n}'s boot and its service's output")

    def jpact(self, *args, token=None):
        return self.pact(*args, "--endpoint", self.journal.gateway,
                         token=token or self.admin)

    def diag(self, *args, node=NODE, token=None, agent=None):
        agent = agent or self.agent
        return self.pact("diag", node, *args, token=token or self.ops,
                         env={"PACT_AGENT_ENDPOINT": agent.api})

    def blocks(self, r):
        """{source: [lines]} of a text answer, "(truncated)" kept."""
        self.assertEqual(r.returncode, 0, r.stderr)
        out, cur = {}, None
        for line in r.stdout.splitlines():
            if line.startswith("--- ") and line.endswith(" ---"):
                cur = line[4:-4]
                out[cur] = []
            else:
                out[cur].append(line)
        return out

    def diag_records(self):
        r = self.jpact("log", "--scope", f"node:{NODE}", "-n", "1000",
                       "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return [e["exec"] for e in json.loads(r.stdout)["entries"]
                if e["type"] == "exec-log"
                and e["exec"]["argv"][0] == "pact-diag"]

    def test_sources_and_filters(self):
        self.start()
        b = self.blocks(self.diag())
        self.assertEqual(list(b), ["dmesg", "syslog /var/log/syslog",
                                   "service chatty"])
        # dmesg: records as dmesg shows them, dictionary lines dropped.
        self.assertEqual(b["dmesg"][0], f"[    1.000000] Linux {NODE} "
                                        "version 6.1.0")
        self.assertEqual(len(b["dmesg"]), 4)
        # Default 200 lines per source: syslog and the service are cut.
        self.assertEqual(b["syslog /var/log/syslog"][0], "(truncated)")
        self.assertEqual(len(b["syslog /var/log/syslog"]), 201)
        self.assertEqual(b["service chatty"][0], "(truncated)")
        self.assertEqual(b["service chatty"][-1], "svc line 300")
        # --grep on the node, RE2 syntax; --source narrows.
        b = self.blocks(self.diag("--source", "dmesg", "--grep", r"Xid \d+"))
        self.assertEqual(b, {"dmesg": [
            "[    2.500000] NVRM: Xid 79: GPU has fallen off the bus",
            "[    4.000000] NVRM: Xid 48: double bit ECC error"]})
        b = self.blocks(self.diag("--grep", "(?i)out of memory"))
        self.assertEqual(b["syslog /var/log/syslog"],
                         ["Nov 30 12:00:00 host kernel: Out of memory: "
                          "Killed process 4242"])
        self.assertEqual(b["dmesg"], [])
        # --lines: the newest N, "(truncated)" when older matches exist.
        b = self.blocks(self.diag("--source", "syslog", "--lines", "3",
                                  "--grep", "event"))
        self.assertEqual(b["syslog /var/log/syslog"],
                         ["(truncated)", "Nov 30 12:00:18 host app[1]: "
                          "event 498", "Nov 30 12:00:19 host app[1]: "
                          "event 499", "Nov 30 12:00:20 host app[1]: "
                          "event 500"])
        b = self.blocks(self.diag("--source", "service", "--service",
                                  "chatty", "--grep", r"line 2\d\d$",
                                  "--lines", "2"))
        self.assertEqual(b, {"service chatty": [
            "(truncated)", "svc line 298", "svc line 299"]})
        b = self.blocks(self.diag("--source", "service", "--grep",
                                  "line 1$"))
        self.assertEqual(b, {"service chatty": ["svc line 1"]})
        # A catastrophic-backtracking pattern costs what any pattern does.
        started = time.monotonic()
        b = self.blocks(self.diag("--source", "syslog", "--grep", "(a+)+$"))
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(b["syslog /var/log/syslog"], [])
        # JSON: the same blocks.
        r = self.diag("--source", "dmesg", "--lines", "1", "--output", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {
            "node": NODE, "lines": 1, "blocks": [{
                "source": "dmesg", "truncated": True, "note": "",
                "lines": ["[    4.000000] NVRM: Xid 48: double bit ECC "
                          "error"]}]})
        # A service that is not declared here is the caller's mistake.
        r = self.diag("--source", "service", "--service", "nosuch")
        self.assertEqual(r.returncode, 1, r.stderr)
        # Each diag is in the journal with its flags and the caller (the
        # agent's outbox delivers the records soon after the answers).
        recs = wait_for(lambda: (lambda rs: rs if any(
            "nosuch" in x["argv"] for x in rs) else None)(
            self.diag_records()), what="the diag records")
        finished = [x for x in recs if x.get("phase") == "finished"]
        self.assertTrue(any(x["argv"] == ["pact-diag", "--lines", "3",
                                          "--source", "syslog", "--grep",
                                          "event"] for x in finished), recs)
        self.assertEqual(finished[0]["caller"]["principal"], "olga")
        self.assertTrue(any(x.get("phase") == "refused"
                            and "nosuch" in x["argv"] for x in recs), recs)
        # With the journal down the agent still answers (its cached
        # policy), and keeps the record for later.
        self.journal.stop()
        b = self.blocks(self.diag("--source", "dmesg", "--grep", "Xid 79"))
        self.assertEqual(len(b["dmesg"]), 1)
        r = self.diag("--source", "dmesg", token=self.stranger)
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_bad_requests_exit_1_and_ask_nobody(self):
        self.start()
        # The outbox delivers in order: once a marker diag's record is in
        # the journal, so is every record written before it.
        def records_up_to(marker):
            self.assertEqual(self.diag("--grep", marker).returncode, 0)
            return wait_for(lambda: (lambda rs: rs if any(
                x["argv"][-1] == marker for x in rs) else None)(
                self.diag_records()), what=f"the record of {marker}")
        before = records_up_to("marker-one")
        for args, says in (
                (("--grep", "(unclosed"), "is not an RE2 pattern"),
                (("--grep", "(?=lookahead)"), "is not an RE2 pattern"),
                (("--grep", "a{5000}"), "is not an RE2 pattern"),
                (("--service", "../../etc/shadow"), "is not a service name"),
                (("--service", "a/b"), "is not a service name"),
                (("--service", ".."), "is not a service name"),
                (("--lines", "0"), "outside 1..10000"),
                (("--lines", "10001"), "outside 1..10000"),
                (("--source", "kernel"), "is not one of"),
                (("--source", "dmesg", "--service", "chatty"),
                 "--service is for")):
            with self.subTest(args=args):
                r = self.diag(*args)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertTrue(r.stderr.startswith("pact: diag: "), r.stderr)
                self.assertIn(says, r.stderr)
                self.assertEqual(r.stdout, "")
        # Refused before anything was sent: the agent recorded nothing
        # between the two markers.
        after = records_up_to("marker-two")
        self.assertEqual(len(after), len(before) + 1)
        r = self.diag(node="bad/name")
        self.assertEqual(r.returncode, 1, r.stderr)

    def test_viewers_read_others_are_refused_and_recorded(self):
        self.start()
        r = self.diag("--source", "dmesg", token=self.viewer)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Xid 79", r.stdout)
        r = self.diag("--source", "dmesg", token=self.stranger)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("policy: denied: sam may not read the diagnostics",
                      r.stderr)
        self.assertEqual(r.stdout, "")
        # AI principals: only where the policy allows AI exec (it does not).
        ai = make_token(self.secret, sub="bot", groups=("pact-service-ai",))
        r = self.diag("--source", "dmesg", token=ai)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("AI diag is not allowed by the policy of vCluster "
                      f"{VC}", r.stderr)
        # Another node's name at this agent is refused (exit 1).
        r = self.diag("--source", "dmesg", node="node-zz")
        self.assertEqual(r.returncode, 1, r.stderr)
        recs = wait_for(lambda: (lambda rs: rs if {"vera", "sam", "bot"} <= {
            x["caller"]["principal"] for x in rs} else None)(
            self.diag_records()), what="the diag records")
        self.assertTrue(any(x["caller"]["principal"] == "vera"
                            and x.get("phase") == "finished" for x in recs))
        self.assertTrue(any(x["caller"]["principal"] == "sam"
                            and x.get("phase") == "refused" for x in recs))
        self.assertTrue(any(x["caller"]["principal"] == "bot"
                            and x.get("phase") == "refused" for x in recs))
        # A request without flags is recorded as such.
        self.assertTrue(any(x["argv"] == ["pact-diag", "--source", "dmesg"]
                            and x["caller"]["principal"] == "vera"
                            for x in recs), recs)

    def test_fleet_diag_three_agents_one_down(self):
        nodes = ("node-f1", "node-f2", "node-f3")
        self.start(nodes)
        down = self.agents["node-f2"]
        down.stop()
        # Hold its port, bound but not listening (connections are refused),
        # so that no agent started meanwhile by a test running in parallel
        # takes it and answers in its place.
        hold = socket.socket()
        self.addCleanup(hold.close)
        # Connections of the stopped agent may linger in TIME_WAIT.
        hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hold.bind(("127.0.0.1", int(down.api.rsplit(":", 1)[1])))
        started = time.monotonic()
        r = self.pact("diag", "--vcluster", VC, "--grep", "Xid 79",
                      "--source", "dmesg", "--endpoint", self.journal.gateway,
                      token=self.ops)
        self.assertLess(time.monotonic() - started, 20)
        # Partial results are kept; the exit code is the missing node's.
        self.assertEqual(r.returncode, 5, r.stderr)
        lines = r.stdout.splitlines()
        for n in ("node-f1", "node-f3"):
            self.assertIn(f"[{n}] --- dmesg ---", lines)
            self.assertIn(f"[{n}] [    2.500000] NVRM: Xid 79: GPU has "
                          "fallen off the bus", lines)
        self.assertFalse(any(l.startswith("[node-f2]") for l in lines))
        tail = r.stdout.split("--- unreachable: 1 of 3 nodes did not "
                              "answer ---\n", 1)
        self.assertEqual(len(tail), 2, r.stdout)
        self.assertTrue(tail[1].startswith("node-f2: "), tail[1])
        # JSON: the answers and the missing node.
        r = self.pact("diag", "--vcluster", VC, "--source", "dmesg",
                      "--lines", "1", "--output", "json", "--endpoint",
                      self.journal.gateway, token=self.ops)
        self.assertEqual(r.returncode, 5, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual([n["node"] for n in j["nodes"]],
                         ["node-f1", "node-f3"])
        self.assertEqual([u["node"] for u in j["unreachable"]], ["node-f2"])
        self.assertEqual(j["unreachable"][0]["exit_code"], 5)
        # All answering: exit 0. An unknown vCluster: exit 1.
        hold.close()
        self.agents["node-f2"] = self.start_agent(self.journal, "node-f2", VC)
        wait_for(lambda: self.pact(
            "diag", "--vcluster", VC, "--source", "dmesg", "--endpoint",
            self.journal.gateway, token=self.ops).returncode == 0,
            what="node-f2's agent back")
        r = self.pact("diag", "--vcluster", "nosuch", "--endpoint",
                      self.journal.gateway, token=self.admin)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("vcluster 'nosuch' is not known", r.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main()
