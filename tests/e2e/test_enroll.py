"""`pact enroll` against a real development journal (issue 16; docs/cli.md
"pact enroll"): the one-time token is printed once and never stored or
logged in clear, `status` shows the enrollment record, `revoke` is for
platform admins, enrolling again issues a fresh token, and `status` /
`revoke` are never node names. The certificate request itself is the
agent's (tests/unit/runtime/journal/enroll_issue_test.cpp covers the
journal's side of it without the network)."""
import json
import os
import re
import subprocess
import unittest

from harness import PactTestCase, binary, make_token

VC = "ml-training"
OTHER = "hpc"
TOKEN = re.compile(r"^enrollment token: (pact-enroll-[A-Za-z0-9_-]{43})$",
                   re.M)
HW = "uuid:4c4c4544-0042-3510-8051-b4c04f4e4d32"


class EnrollTest(PactTestCase):
    def setUp(self):
        super().setUp()
        self.start_dev_journal()
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(f'[vcluster.{VC}.sysctl]\n"vm.swappiness" = "10"\n'
                    f'[vcluster.{OTHER}.sysctl]\n"vm.swappiness" = "20"\n')
        self.ok("apply", spec, "-m", "spec")

    def cli(self, *args, token=None):
        return self.pact("--endpoint", self.journal.gateway, *args,
                         token=token or self.admin)

    def ok(self, *args, token=None):
        r = self.cli(*args, token=token)
        self.assertEqual(r.returncode, 0, f"{args}: {r.stderr}")
        return r

    def enroll(self, node, *extra):
        """Enrolls `node` in VC; returns (stdout, token)."""
        r = self.ok("enroll", node, "--vcluster", VC, *extra)
        m = TOKEN.search(r.stdout)
        self.assertIsNotNone(m, r.stdout)
        return r.stdout, m.group(1)

    def status(self, node, token=None):
        r = self.ok("--output", "json", "enroll", "status", node,
                    token=token)
        return json.loads(r.stdout)

    def test_enroll_prints_a_one_time_token_never_stored_in_clear(self):
        out, token = self.enroll("node-042")
        self.assertRegex(out, r"^enrolled node-042 in vcluster ml-training "
                              r"\(entry \d+\)\n")
        self.assertIn("--enroll-token-file; it works once", out)
        self.assertEqual(out.count(token), 1)
        # Not in the journal's log, entries, state or data files.
        log = self.ok("--output", "json", "log", "-n", "50").stdout
        self.assertIn("node-enrolled", log)
        self.assertNotIn(token, log)
        state = self.ok("--output", "json", "enroll", "status",
                        "node-042").stdout
        self.assertNotIn(token, state)
        with open(self.journal.log_path, errors="replace") as f:
            self.assertNotIn(token, f.read())
        for root, _, files in os.walk(self.journal.state_dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    self.assertNotIn(token.encode(), f.read(), name)
        # JSON output: the token and the hardware id.
        r = self.ok("--output", "json", "enroll", "node-043", "--vcluster",
                    VC, "--hardware-id", HW)
        j = json.loads(r.stdout)
        self.assertEqual(j["node"], "node-043")
        self.assertEqual(j["vcluster"], VC)
        self.assertEqual(j["hardware_id"], HW)
        self.assertRegex(j["enroll_token"], r"^pact-enroll-[A-Za-z0-9_-]{43}$")
        self.assertGreater(j["sequence"], 0)

    def test_status_shows_the_enrollment_record(self):
        self.enroll("node-042", "--hardware-id", HW)
        st = self.status("node-042")
        self.assertEqual(st["state"], "registered")
        self.assertEqual(st["vcluster"], VC)
        self.assertEqual(st["hardware_id"], HW)
        self.assertEqual(st["cert_serial"], "")
        self.assertIsNone(st["cert_not_after"])
        self.assertFalse(st["cert_expired"])
        self.assertIsNone(st["activated"])
        self.assertGreater(st["enrolled_sequence"], 0)
        self.assertEqual(st["revoked_sequence"], 0)
        text = self.ok("enroll", "status", "node-042").stdout
        self.assertIn("state:       registered", text)
        self.assertIn("hardware id: " + HW, text)
        self.assertIn("certificate: none issued yet", text)
        self.assertIn("waiting for the node's first certificate request",
                      text)
        # Viewers of the vCluster read it; others may not.
        viewer = make_token(self.secret, sub="vic@site",
                            groups=[f"pact-viewer-{VC}"])
        self.assertEqual(self.status("node-042", token=viewer)["state"],
                         "registered")
        stranger = make_token(self.secret, sub="hal@site",
                              groups=[f"pact-viewer-{OTHER}"])
        r = self.cli("enroll", "status", "node-042", token=stranger)
        self.assertEqual(r.returncode, 2, r.stderr)
        # Unknown node: exit 1 with a clear message.
        r = self.cli("enroll", "status", "no-such-node")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("pact: node 'no-such-node' is not known to the journal",
                      r.stderr)

    def test_enrolling_again_issues_a_fresh_token_and_binding(self):
        _, first = self.enroll("node-042", "--hardware-id", "uuid:wrong")
        before = self.status("node-042")
        # The troubleshooting guide's fix for a hardware mismatch.
        _, second = self.enroll("node-042", "--hardware-id", HW)
        self.assertNotEqual(first, second)
        after = self.status("node-042")
        self.assertEqual(after["hardware_id"], HW)
        self.assertEqual(after["state"], "registered")
        self.assertGreater(after["enrolled_sequence"],
                           before["enrolled_sequence"])
        # Without --hardware-id the binding is cleared.
        self.enroll("node-042")
        self.assertEqual(self.status("node-042")["hardware_id"], "")
        # Moving to another vCluster still works (and registers anew).
        r = self.ok("enroll", "node-042", "--vcluster", OTHER)
        self.assertTrue(TOKEN.search(r.stdout), r.stdout)
        self.assertEqual(self.status("node-042")["vcluster"], OTHER)

    def test_revoke_is_for_platform_admins(self):
        self.enroll("node-042")
        ops = make_token(self.secret, sub="olga@site",
                         groups=[f"pact-ops-{VC}"])
        r = self.cli("enroll", "revoke", "node-042", token=ops)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("needs pact-platform-admin", r.stderr)
        self.assertEqual(self.status("node-042")["state"], "registered")
        r = self.ok("enroll", "revoke", "node-042")
        self.assertRegex(r.stdout, r"^revoked the enrollment of node-042 "
                                   r"\(entry \d+\)")
        st = self.status("node-042")
        self.assertEqual(st["state"], "revoked")
        self.assertGreater(st["revoked_sequence"], 0)
        self.assertIn("revoked:     entry",
                      self.ok("enroll", "status", "node-042").stdout)
        # Again: nothing changes.
        r = self.ok("--output", "json", "enroll", "revoke", "node-042")
        j = json.loads(r.stdout)
        self.assertTrue(j["unchanged"])
        self.assertEqual(j["sequence"], st["revoked_sequence"])
        log = self.ok("log", "-n", "5").stdout
        self.assertIn("node-revoked", log)
        # Unknown node.
        r = self.cli("enroll", "revoke", "no-such-node")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("enrollment: unknown node no-such-node", r.stderr)
        # Enrolling again lifts the revocation.
        self.enroll("node-042")
        st = self.status("node-042")
        self.assertEqual(st["state"], "registered")
        self.assertEqual(st["revoked_sequence"], 0)

    def test_status_and_revoke_are_not_node_names(self):
        for action in ("status", "revoke"):
            with self.subTest(action=action):
                r = self.cli("enroll", action, "--vcluster", VC)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn(f"enroll {action}: name the NODE", r.stderr)
                self.assertIn(f"'{action}' cannot be a node name", r.stderr)
        r = self.cli("enroll", "status", "a", "b")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("unexpected argument 'b'", r.stderr)
        r = self.cli("enroll", "status", "node-042", "--hardware-id", HW)
        self.assertEqual(r.returncode, 1, r.stderr)
        r = self.cli("enroll")
        self.assertEqual(r.returncode, 1, r.stderr)
        # Nothing was enrolled under those names.
        state = self.ok("--output", "json", "status").stdout
        self.assertNotIn('"status"', state)
        r = self.cli("enroll", "status", "status")
        self.assertEqual(r.returncode, 1, r.stderr)

    def test_writers_of_the_vcluster_only(self):
        viewer = make_token(self.secret, sub="vic@site",
                            groups=[f"pact-viewer-{VC}"])
        r = self.cli("enroll", "node-042", "--vcluster", VC, token=viewer)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertNotIn("pact-enroll-", r.stdout + r.stderr)
        ops = make_token(self.secret, sub="olga@site",
                         groups=[f"pact-ops-{VC}"])
        r = self.cli("enroll", "node-042", "--vcluster", VC, token=ops)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(TOKEN.search(r.stdout))

    def test_two_person_vcluster_prints_the_token_once_approved(self):
        policy = os.path.join(self.tmp, "reg.toml")
        with open(policy, "w") as f:
            f.write("two_person_approval = true\n")
        self.ok("group", "set-policy", "reg", "--file", policy)
        env = dict(self.env, PACT_TOKEN=self.admin)
        p = subprocess.Popen([binary("pact"), "--endpoint",
                              self.journal.gateway, "enroll", "n9",
                              "--vcluster", "reg"],
                             env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            lines = []
            while not lines or not lines[-1].startswith("Waiting for"):
                line = p.stderr.readline()
                self.assertTrue(line, "".join(lines))
                lines.append(line)
            aid = next(ln.split()[2] for ln in lines
                       if ln.startswith("Pending approval: "))
            rita = make_token(self.secret, sub="rita@site",
                              groups=["pact-regulated-reg"])
            self.ok("approve", "accept", aid, token=rita)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
        self.assertEqual(p.returncode, 0, err)
        m = TOKEN.search(out)
        self.assertIsNotNone(m, out)
        self.assertEqual(self.status("n9")["state"], "registered")


if __name__ == "__main__":
    unittest.main()
