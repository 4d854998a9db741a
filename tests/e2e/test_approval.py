"""Two-person approval and emergency mode against a 3-replica journal
(issue 14): the guide's workflow word for word, every refusal with its exit
code and message and what the journal holds afterwards, approval expiry
and the emergency window driven by short timeouts, and a pending approval's
deadline kept across kill -9 of the leader."""
import json
import os
import signal
import subprocess
import time
import unittest

from harness import ClusterTestCase, binary, make_token, wait_for


class ApprovalTestBase(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.start_cluster(3)
        self.wait_converged()
        self.endpoint = ",".join(r.gateway for r in self.replicas.values())
        tok = lambda sub, *groups: make_token(self.SECRET, sub=sub,
                                              groups=groups)
        self.root = self.token
        self.alice = tok("alice@site", "pact-ops-ml")
        self.bob = tok("bob@site", "pact-regulated-ml")
        self.carol = tok("carol@site", "pact-ops-ml")
        self.admin2 = tok("root2@site", "pact-platform-admin")
        self.ai = make_token(self.SECRET, sub="claude@mcp",
                             groups=("pact-platform-admin",),
                             principal_type="agent")
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write('[vcluster.ml]\nbase_image = "img"\n'
                    '[vcluster.ml.sysctl]\n"vm.a" = "1"\n'
                    '[vcluster.hpc]\nbase_image = "img"\n'
                    '[vcluster.hpc.policy]\nemergency_allowed = false\n')
        self.ok(self.root, "apply", spec)
        self.ok(self.root, "enroll", "n1", "--vcluster", "ml")
        # Two-person from now on: every later write to ml waits.
        policy = os.path.join(self.tmp, "ml-policy.toml")
        with open(policy, "w") as f:
            f.write("two_person_approval = true\n"
                    f"approval_timeout_seconds = {self.TIMEOUT}\n")
        self.ok(self.root, "group", "set-policy", "ml", "--file", policy)

    TIMEOUT = 1800

    def run_pact(self, token, *args, timeout=60):
        return self.pact("--endpoint", self.endpoint, *args, token=token,
                         timeout=timeout)

    def ok(self, token, *args):
        r = self.run_pact(token, *args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def fails(self, code, text, token, *args):
        r = self.run_pact(token, *args)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertIn(text, r.stderr)
        return r

    def start_waiting(self, token, *args):
        """A `pact` command that will wait for approval, and the id it
        printed."""
        env = dict(self.env)
        env["PACT_TOKEN"] = token
        p = subprocess.Popen([binary("pact"), "--endpoint", self.endpoint,
                              *args], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        lines = []
        while True:
            line = p.stderr.readline()
            if not line:  # ended without waiting: say how
                self.fail("pact ended before waiting: " + "".join(lines)
                          + p.stdout.read())
            lines.append(line)
            if line.startswith("Waiting for approval..."):
                break
        text = "".join(lines)
        self.assertIn("Approval required (two-person policy on vcluster: ml)",
                      text)
        pending = [l for l in lines if l.startswith("Pending approval: ")]
        self.assertEqual(len(pending), 1, text)
        approval_id = pending[0].split()[2]
        self.assertRegex(approval_id, r"^ap-[a-z2-9]{8}$")
        return p, approval_id, pending[0]

    def log_json(self, token=None, n=20):
        r = self.ok(token or self.root, "log", "-n", str(n), "--output",
                    "json")
        return json.loads(r.stdout)["entries"]

    def declared(self, key):
        r = self.ok(self.root, "group", "show", "ml", "--output", "json")
        items = json.loads(r.stdout)["items"]
        return {i["key"]: i["value"] for i in items}.get(key)

    def approvals(self, token, *extra):
        r = self.ok(token, "approve", "list", "--output", "json", *extra)
        return {a["id"]: a for a in json.loads(r.stdout)}


class ApprovalTest(ApprovalTestBase):
    def test_commit_waits_for_a_second_admin_and_ends_with_its_result(self):
        p, aid, line = self.start_waiting(
            self.alice, "commit", "-m", "raise vm.a", "vc:ml", "--set",
            "kernel:vm.a=2")
        self.assertIn("(expires in 30 min)", line)
        # Nothing applied while it waits; the request is in the journal.
        self.assertEqual(self.declared("vm.a"), "1")
        listed = self.approvals(self.bob)
        self.assertEqual(listed[aid]["requester"], "alice@site")
        self.assertEqual(listed[aid]["scope"], "vc:ml")
        self.assertEqual(listed[aid]["state"], "pending")
        text = self.ok(self.bob, "approve", "list").stdout
        for column in ("ID", "SCOPE", "ACTION", "REQUESTER", "AGE",
                       "EXPIRES", aid, "alice@site"):
            self.assertIn(column, text)
        # Self-approval: an authorization error, even for an admin role.
        alice_admin = make_token(self.SECRET, sub="alice@site",
                                 groups=("pact-platform-admin",))
        self.fails(2, "may not approve their own request", alice_admin,
                   "approve", "accept", aid)
        # An operator of ml is not an approver; an AI principal never is.
        self.fails(2, "needs pact-regulated-ml or pact-platform-admin",
                   self.carol, "approve", "accept", aid)
        self.fails(2, "AI principals never may", self.ai, "approve",
                   "accept", aid)
        self.assertEqual(self.approvals(self.bob)[aid]["state"], "pending")
        r = self.ok(self.bob, "approve", "accept", aid)
        self.assertIn("approved " + aid, r.stdout)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn("committed 1 change to vc:ml", out)
        self.assertEqual(self.declared("vm.a"), "2")
        # Decided once.
        self.fails(4, "was already approved by bob@site", self.admin2,
                   "approve", "accept", aid)
        entries = self.log_json()
        kinds = [(e["type"], e["author"]["principal"]) for e in entries[:3]]
        self.assertEqual(kinds, [("commit", "alice@site"),
                                 ("approval-decision", "bob@site"),
                                 ("pending-approval", "alice@site")])
        self.assertIn("approval", entries[1]["flags"])
        self.assertEqual(entries[1]["approval"]["state"], "approved")
        text = self.ok(self.root, "log", "-n", "3").stdout
        self.assertIn(f"[APPROVAL {aid} pending]", text)

    def test_ctrl_c_leaves_it_pending_and_a_denial_discards_it(self):
        p, aid, _ = self.start_waiting(
            self.alice, "commit", "-m", "m", "vc:ml", "--set",
            "kernel:vm.a=3")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=15)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn(f"backgrounded: {aid} stays pending", err)
        self.assertEqual(self.approvals(self.bob)[aid]["state"], "pending")
        status = json.loads(self.ok(self.bob, "status", "--output",
                                    "json").stdout)
        self.assertIn(aid, [a["id"] for a in status["pending_approvals"]])
        self.fails(1, "give the reason with -m", self.bob, "approve", "deny",
                   aid)
        self.ok(self.bob, "approve", "deny", aid, "-m",
                "not scheduled in the change window")
        self.assertEqual(self.declared("vm.a"), "1")
        every = self.approvals(self.bob, "--all")
        self.assertEqual(every[aid]["state"], "denied")
        self.assertEqual(every[aid]["reason"],
                         "not scheduled in the change window")
        self.fails(4, "was already denied", self.bob, "approve", "accept",
                   aid)
        self.fails(1, "no approval ap-zzzzzzzz", self.bob, "approve",
                   "accept", "ap-zzzzzzzz")

    def test_a_denied_wait_exits_3(self):
        p, aid, _ = self.start_waiting(
            self.alice, "group", "set-policy", "ml", "--file",
            self.policy_file())
        self.ok(self.bob, "approve", "deny", aid, "-m", "no")
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 3, err)
        self.assertIn(f"approval {aid} was denied by bob@site: no", err)

    def policy_file(self):
        path = os.path.join(self.tmp, "policy.toml")
        with open(path, "w") as f:
            f.write("two_person_approval = true\nenforcement_mode = "
                    '"warn"\n')
        return path


class ApprovalExpiryTest(ApprovalTestBase):
    TIMEOUT = 8

    def test_expiry_survives_kill_9_of_the_leader(self):
        p, aid, line = self.start_waiting(
            self.alice, "commit", "-m", "m", "vc:ml", "--set",
            "kernel:vm.a=4")
        self.assertIn("(expires in 8 s)", line)
        pending = self.approvals(self.bob)[aid]
        lead, _ = self.leader()
        lead.proc.send_signal(signal.SIGKILL)
        lead.proc.wait(timeout=10)
        del self.replicas[lead.node_id]
        self.endpoint = ",".join(r.gateway for r in self.replicas.values())
        wait_for(self.leader, 15, "a new leader")
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 5, err)
        self.assertIn(f"approval {aid} expired", err)
        every = self.approvals(self.bob, "--all")
        self.assertEqual(every[aid]["state"], "expired")
        # The same deadline, recorded after it by the journal itself.
        self.assertEqual(every[aid]["expires"], pending["expires"])
        entry = [e for e in self.log_json()
                 if e.get("approval", {}).get("id") == aid
                 and e["type"] == "approval-decision"]
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry[0]["author"]["principal"], "pact-journal")
        self.assertEqual(self.declared("vm.a"), "1")
        self.fails(4, "was already expired", self.bob, "approve", "accept",
                   aid)


class EmergencyTest(ApprovalTestBase):
    def test_owner_rules_force_end_and_audit(self):
        self.fails(1, "give the reason with -r", self.alice, "emergency",
                   "start", "n1")
        r = self.ok(self.alice, "emergency", "start", "n1", "-r",
                    "GPU ECC errors on n1")
        self.assertIn("emergency started on node:n1", r.stdout)
        status = json.loads(self.ok(self.carol, "status", "--output",
                                    "json").stdout)
        self.assertEqual([e["owner"] for e in status["emergencies"]],
                         ["alice@site"])
        # Anyone else's write to the node: refused, naming the owner.
        self.fails(4, "started by alice@site", self.carol, "commit", "-m",
                   "x", "n1", "--set", "kernel:vm.b=1")
        self.fails(4, "started by alice@site", self.root, "commit", "-m",
                   "x", "n1", "--set", "kernel:vm.b=1")
        # The owner's write skips the second person, flagged.
        self.ok(self.alice, "commit", "-m", "fix", "n1", "--set",
                "kernel:vm.b=2")
        last = self.log_json(n=1)[0]
        self.assertEqual(last["type"], "commit")
        self.assertIn("approval-skipped", last["flags"])
        self.assertIn("emergency", last["flags"])
        # Ending: not another's; force by platform admins only.
        self.fails(4, "belongs to alice@site", self.carol, "emergency",
                   "end", "n1")
        self.fails(2, "may not force-end alice@site's emergency",
                   self.carol, "emergency", "end", "n1", "--force")
        self.ok(self.root, "emergency", "end", "n1", "--force")
        end = self.log_json(n=1)[0]
        self.assertEqual(end["type"], "emergency-end")
        self.assertTrue(end["emergency_forced"])
        self.assertEqual(end["emergency_owner"]["principal"], "alice@site")
        self.assertEqual(end["emergency_reason"], "GPU ECC errors on n1")
        self.assertEqual(end["author"]["principal"], "e2e-admin")
        # The regulated audit lists it all.
        audit = json.loads(self.ok(self.root, "log", "--emergency",
                                   "--output", "json").stdout)
        self.assertEqual(len(audit), 1)
        self.assertEqual(audit[0]["started_by"], "alice@site")
        self.assertEqual(audit[0]["reason"], "GPU ECC errors on n1")
        self.assertEqual(audit[0]["ended_by"], "e2e-admin")
        self.assertEqual([e["type"] for e in audit[0]["during"]], ["commit"])
        text = self.ok(self.root, "log", "--emergency").stdout
        self.assertIn("EMERGENCY on node:n1", text)
        self.assertIn("forced: it was alice@site's", text)
        # Writes by others go through again (and wait for approval on ml).
        p, aid, _ = self.start_waiting(self.carol, "commit", "-m", "x",
                                       "n1", "--set", "kernel:vm.b=3")
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=15)

    def test_refusals_ai_and_policy(self):
        self.fails(2, "AI principals never may", self.ai, "emergency",
                   "start", "n1", "-r", "why")
        self.fails(3, "emergency_allowed = false", self.root, "emergency",
                   "start", "--vcluster", "hpc", "-r", "why")
        self.fails(4, "no emergency is active on node:n1", self.alice,
                   "emergency", "end", "n1")
        entries = self.log_json(n=5)
        self.assertFalse(any(e["type"].startswith("emergency")
                             for e in entries))


class EmergencyScopeTest(ApprovalTestBase):
    def test_vcluster_from_the_environment_covers_its_nodes(self):
        env = {"PACT_VCLUSTER": "ml"}
        r = self.pact("--endpoint", self.endpoint, "emergency", "start",
                      "-r", "fabric down", token=self.alice, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("emergency started on vc:ml", r.stdout)
        listed = json.loads(self.ok(self.carol, "emergency", "status",
                                    "--output", "json").stdout)
        self.assertEqual([(e["scope"], e["owner"]) for e in listed],
                         [("vc:ml", "alice@site")])
        node = json.loads(self.ok(self.root, "status", "n1", "--output",
                                  "json").stdout)
        self.assertEqual(node["declared"]["nodes"][0]["state"], "emergency")
        # The vCluster's nodes are its scope too.
        self.fails(4, "vc:ml is in an emergency started by alice@site",
                   self.carol, "commit", "-m", "x", "n1", "--set",
                   "kernel:vm.b=1")
        r = self.pact("--endpoint", self.endpoint, "emergency", "end",
                      token=self.alice, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        node = json.loads(self.ok(self.root, "status", "n1", "--output",
                                  "json").stdout)
        self.assertEqual(node["declared"]["nodes"][0]["state"],
                         "observe-only")


class EmergencyWindowTest(ApprovalTestBase):
    def test_the_session_actor_ends_it_when_the_window_runs_out(self):
        policy = os.path.join(self.tmp, "short.toml")
        with open(policy, "w") as f:
            f.write("emergency_window_seconds = 60\n")
        self.ok(self.root, "group", "set-policy", "hpc2", "--file", policy)
        self.ok(self.root, "enroll", "n2", "--vcluster", "hpc2")
        self.ok(self.root, "emergency", "start", "n2", "-r",
                "short window")

        def ended():
            es = self.log_json(n=3)
            return [e for e in es if e["type"] == "emergency-end"] or None
        end = wait_for(ended, 90, "the emergency window to run out")[0]
        self.assertTrue(end["emergency_window_ran_out"])
        self.assertEqual(end["author"]["principal"], "pact-journal")
        self.assertEqual(end["emergency_owner"]["principal"], "e2e-admin")


if __name__ == "__main__":
    unittest.main()
