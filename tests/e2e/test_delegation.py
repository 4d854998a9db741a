"""Delegated node operations through a real journal (issue 17 items 2-3):
`pact drain|undrain|cordon|uncordon|backup create` against the lattice
contract server and `pact reboot|reimage` against the node-management
contract servers. Each one is recorded in the journal before it is sent
and authorized there like a write to the node; its outcome closes it;
a refused one is never sent; a two-person vCluster waits for a second
person's grant."""
import json
import os
import subprocess
import unittest

from harness import PactTestCase, binary, make_token
from lattice_contract import LatticeContract, default_fixture
from node_mgmt_server import NodeMgmtServer

LATTICE_TOKEN = "lattice-secret"
IDLE = "x1000c0s0b0n1"
BUSY = "x1000c0s0b0n2"


class DelegationCase(PactTestCase):
    """pact against a journal and a lattice contract server (set up by
    subclasses)."""

    def run_pact(self, token, *args, env=None, timeout=60):
        e = dict(self.lenv)
        e.update(env or {})
        return self.pact("--endpoint", self.journal.gateway, *args,
                         token=token, env=e, timeout=timeout)

    def ok(self, token, *args, env=None):
        r = self.run_pact(token, *args, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def fails(self, code, text, token, *args, env=None):
        r = self.run_pact(token, *args, env=env)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertIn(text, r.stderr)
        return r

    def delegations(self):
        r = self.ok(self.admin, "log", "-n", "200", "--output", "json")
        return [e for e in json.loads(r.stdout)["entries"]
                if e["type"] == "delegation"]

class DelegationTest(DelegationCase):
    def setUp(self):
        super().setUp()
        self.start_dev_journal()
        self.lenv = {}
        tok = lambda sub, *groups: make_token(self.secret, sub=sub,
                                              groups=groups)
        self.alice = tok("alice@site", "pact-ops-ml-training")
        self.viewer = tok("vera@site", "pact-viewer-ml-training")
        self.other = tok("otto@site", "pact-ops-physics")
        self.carol = tok("carol@site", "pact-regulated-secure")
        self.sam = tok("sam@site", "pact-ops-secure")
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write('[vcluster.ml-training]\nbase_image = "img"\n'
                    '[vcluster.physics]\nbase_image = "img"\n'
                    '[vcluster.secure]\nbase_image = "img"\n')
        self.ok(self.admin, "apply", spec)
        for node, vc in (("n1", "ml-training"), ("n2", "ml-training"),
                         ("n3", "ml-training"), ("n5", "secure"),
                         (IDLE, "ml-training"), (BUSY, "ml-training")):
            self.ok(self.admin, "enroll", node, "--vcluster", vc)
        # Two-person from now on: every later write to secure waits.
        policy = os.path.join(self.tmp, "secure-policy.toml")
        with open(policy, "w") as f:
            f.write("two_person_approval = true\n")
        self.ok(self.admin, "group", "set-policy", "secure", "--file", policy)
        fixture = default_fixture()
        fixture["nodes"].append({"node_id": "n5", "state": "ready",
                                 "owner_vcluster": "secure"})
        # Node management keys nodes by xname: one idle, one busy.
        fixture["nodes"].append({"node_id": IDLE, "state": "ready",
                                 "owner_vcluster": "ml-training"})
        fixture["nodes"].append({"node_id": BUSY, "state": "ready",
                                 "owner_vcluster": "ml-training",
                                 "allocation_ids": ["job-7"]})
        self.lattice = LatticeContract(os.path.dirname(binary("pact")),
                                       os.path.join(self.tmp, "lattice"),
                                       fixture, token=LATTICE_TOKEN)
        self.lattice.start()
        self.addCleanup(self.lattice.stop)
        self.lenv = {"PACT_LATTICE_ENDPOINT": self.lattice.endpoint,
                     "PACT_LATTICE_TOKEN": LATTICE_TOKEN}

    def test_drain_is_recorded_before_it_is_sent_and_closed_after(self):
        r = self.ok(self.alice, "drain", "n1", "-r", "bad DIMM")
        self.assertIn("n1: draining (1 allocation(s) still running", r.stdout)
        calls = self.lattice.calls("DrainNode")
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0]["request"]["node_id"], "n1")
        self.assertEqual(calls[0]["request"]["reason"], "bad DIMM")
        self.assertEqual(calls[0]["authorization"], "Bearer " + LATTICE_TOKEN)
        entries = sorted(self.delegations(), key=lambda e: e["sequence"])
        self.assertEqual([e["delegation"]["phase"] for e in entries],
                         ["requested", "succeeded"])
        req, out = entries
        self.assertEqual(req["author"]["principal"], "alice@site")
        self.assertEqual(req["author"]["role"], "pact-ops-ml-training")
        self.assertEqual(req["scope"], "node:n1")
        self.assertEqual(req["delegation"]["reason"], "bad DIMM")
        self.assertEqual(req["delegation"]["backend"], "lattice")
        self.assertEqual(req["delegation"]["endpoint"], self.lattice.endpoint)
        self.assertEqual(out["delegation"]["request_sequence"],
                         req["sequence"])
        self.assertIn('"active_allocations":1', out["delegation"]["detail"])
        # JSON output carries both entries.
        r = self.ok(self.alice, "drain", "n2", "--output", "json")
        answer = json.loads(r.stdout)
        self.assertEqual(answer["state"], "drained")
        self.assertGreater(answer["outcome_sequence"],
                           answer["request_sequence"])

    def test_refused_operations_are_never_sent(self):
        self.fails(2, "may not drain nodes of vCluster ml-training",
                   self.viewer, "drain", "n1")
        self.fails(2, "policy: denied", self.other, "cordon", "n2")
        self.fails(2, "back up lattice's state", self.alice, "backup",
                   "create", os.path.join(self.tmp, "b.json"))
        # A node enrolled nowhere: platform admins only.
        self.fails(2, "enrolled in no vCluster", self.alice, "drain", "n4")
        self.assertEqual(self.lattice.records(), [])
        self.assertEqual(self.delegations(), [])

    def test_lattice_refusal_is_the_recorded_outcome(self):
        # n1 is draining, not drained: lattice refuses to undrain it.
        self.ok(self.alice, "drain", "n1")
        r = self.fails(4, "lattice at " + self.lattice.endpoint
                       + " refused NodeService/UndrainNode: Cannot undrain",
                       self.alice, "undrain", "n1")
        last = max(self.delegations(), key=lambda e: e["sequence"])
        self.assertEqual(last["delegation"]["phase"], "failed")
        self.assertIn("Cannot undrain", last["delegation"]["detail"])
        # n3 is drained: it comes back.
        r = self.ok(self.alice, "undrain", "n3")
        self.assertIn("n3: ready", r.stdout)

    def test_cordon_and_uncordon(self):
        self.assertIn("n2: down", self.ok(self.alice, "cordon", "n2").stdout)
        self.assertIn("n2: ready",
                      self.ok(self.alice, "uncordon", "n2").stdout)
        self.assertEqual([c["request"]["node_id"]
                          for c in self.lattice.calls("DisableNode")
                          + self.lattice.calls("EnableNode")], ["n2", "n2"])

    def test_backup_create_by_a_platform_admin(self):
        path = os.path.join(self.tmp, "lattice-backup.json")
        r = self.ok(self.admin, "backup", "create", path)
        self.assertIn("lattice backup written to " + path, r.stdout)
        self.assertTrue(os.path.exists(path))
        req = min(self.delegations(), key=lambda e: e["sequence"])
        self.assertEqual(req["scope"], "global")
        self.assertEqual(req["delegation"]["path"], path)

    def test_not_configured_unreachable_and_token_fallback(self):
        self.fails(1, "lattice endpoint not configured (set "
                   "PACT_LATTICE_ENDPOINT)", self.alice, "drain", "n1",
                   env={"PACT_LATTICE_ENDPOINT": ""})
        self.assertEqual(self.delegations(), [])
        down = "http://127.0.0.1:1"
        self.fails(5, "lattice at " + down + " is unreachable", self.alice,
                   "drain", "n1", env={"PACT_LATTICE_ENDPOINT": down})
        phases = [e["delegation"]["phase"] for e in self.delegations()]
        self.assertEqual(sorted(phases), ["failed", "requested"])
        # Without PACT_LATTICE_TOKEN the operator's own token goes to
        # lattice, which refuses it here (exit 2).
        self.fails(2, "refused the token (UNAUTHENTICATED", self.alice,
                   "cordon", "n2", env={"PACT_LATTICE_TOKEN": ""})
        self.assertEqual(self.lattice.calls("DisableNode")[0]
                         ["authorization"], "Bearer " + self.alice)

    def test_two_person_vcluster_waits_for_a_grant(self):
        env = dict(self.env)
        env.update(self.lenv)
        env["PACT_TOKEN"] = self.sam
        p = subprocess.Popen([binary("pact"), "--endpoint",
                              self.journal.gateway, "drain", "n5", "-r",
                              "fw update"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        lines = []
        while True:
            line = p.stderr.readline()
            self.assertTrue(line, "pact ended before waiting: "
                            + "".join(lines))
            lines.append(line)
            if line.startswith("Waiting for approval..."):
                break
        self.assertIn("Approval required (two-person policy on vcluster: "
                      "secure)", "".join(lines))
        pending = [l for l in lines if l.startswith("Pending approval: ")]
        approval = pending[0].split()[2]
        # Nothing was sent while it waits.
        self.assertEqual(self.lattice.calls("DrainNode"), [])
        self.fails(2, "may not approve their own request", self.sam,
                   "approve", "accept", approval)
        self.ok(self.carol, "approve", "accept", approval)
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, out + err)
        self.assertIn("n5: drained", out)
        self.assertEqual(len(self.lattice.calls("DrainNode")), 1)
        # The grant was used once: it cannot drain again.
        self.fails(4, "used", self.sam, "drain", "n5", "-r", "fw update",
                   "--approval", approval)
        self.assertEqual(len(self.lattice.calls("DrainNode")), 1)

    def test_reboot_and_reimage_through_node_management(self):
        pcs = NodeMgmtServer("ochami", token="nm-token", nodes=[IDLE, BUSY],
                             boot_params={IDLE: {"kernel": "k",
                                                 "initrd": "i"}})
        pcs.start()
        self.addCleanup(pcs.stop)
        nm = {"PACT_NODE_MGMT_BACKEND": "ochami",
              "PACT_NODE_MGMT_URL": pcs.url,
              "PACT_NODE_MGMT_TOKEN": "nm-token"}
        self.fails(1, "node management not configured", self.alice,
                   "reboot", IDLE)
        # BUSY runs an allocation: not without a drain or --force.
        self.fails(4, BUSY + " runs allocations (job-7", self.alice,
                   "reboot", BUSY, env=nm)
        self.assertEqual(pcs.requests, [])
        r = self.ok(self.alice, "reboot", IDLE, env=nm)
        self.assertIn(IDLE + ": reboot started through ochami", r.stdout)
        posts = [q for q in pcs.requests if q["method"] == "POST"]
        self.assertEqual(posts[0]["body"]["location"][0]["xname"], IDLE)
        self.assertEqual(posts[0]["headers"].get("Authorization"),
                         "Bearer nm-token")
        self.ok(self.alice, "reboot", BUSY, "--force", env=nm)
        req = [e for e in self.delegations()
               if e["delegation"]["phase"] == "requested"
               and e["delegation"]["node"] == BUSY][0]
        self.assertTrue(req["delegation"]["force"])
        self.assertEqual(req["delegation"]["backend"], "ochami")
        self.assertEqual(req["delegation"]["endpoint"], pcs.url)
        self.ok(self.alice, "reimage", IDLE, env=nm)
        # BSS has nothing to boot BUSY into: refused, and recorded so.
        self.fails(1, "no boot parameters for " + BUSY, self.alice,
                   "reimage", BUSY, "--force", env=nm)
        last = max(self.delegations(), key=lambda e: e["sequence"])
        self.assertEqual(last["delegation"]["phase"], "failed")
        # Without the scheduler, a reboot needs --force.
        self.fails(1, "cannot tell whether " + IDLE + " runs allocations",
                   self.alice, "reboot", IDLE,
                   env=dict(nm, PACT_LATTICE_ENDPOINT=""))
        self.fails(2, "may not reboot nodes", self.viewer, "reboot", IDLE,
                   "--force", env=nm)
        # A wrong token for node management: exit 2, recorded as failed.
        self.fails(2, "refused the token", self.alice, "reboot", IDLE,
                   env=dict(nm, PACT_NODE_MGMT_TOKEN="wrong"))

    def test_reimage_through_csm_bos(self):
        bos = NodeMgmtServer("csm", token="csm-token", nodes=[IDLE],
                             templates={"compute-23.7": {}})
        bos.start()
        self.addCleanup(bos.stop)
        nm = {"PACT_NODE_MGMT_BACKEND": "csm",
              "PACT_NODE_MGMT_URL": bos.url,
              "PACT_NODE_MGMT_TOKEN": "csm-token"}
        self.fails(1, "no boot template", self.alice, "reimage", IDLE,
                   env=nm)
        nm["PACT_NODE_MGMT_BOS_TEMPLATE"] = "compute-23.7"
        r = self.ok(self.alice, "reimage", IDLE, "--output", "json", env=nm)
        answer = json.loads(r.stdout)
        self.assertEqual(answer["backend"], "csm")
        self.assertEqual(bos.sessions[0]["template_name"], "compute-23.7")
        self.assertEqual(bos.sessions[0]["limit"], IDLE)
        self.assertEqual(bos.sessions[0]["operation"], "reboot")
        last = max(self.delegations(), key=lambda e: e["sequence"])
        self.assertEqual(last["delegation"]["phase"], "succeeded")
        self.assertEqual(last["delegation"]["backend"], "csm")

    def test_local_mistakes_are_refused_before_anything_is_recorded(self):
        for env, text in (
                ({"PACT_LATTICE_TOKEN": LATTICE_TOKEN + "\n"},
                 "PACT_LATTICE_TOKEN holds characters a bearer token cannot "
                 "have"),
                ({"PACT_LATTICE_ENDPOINT": "http://user:pw@127.0.0.1:1"},
                 "must be https://HOST:PORT"),
                ({"PACT_LATTICE_ENDPOINT": "ipv4:127.0.0.1:1"},
                 "must be https://HOST:PORT"),
                ({"PACT_LATTICE_ENDPOINT": "http://127.0.0.1:99999"},
                 "PORT 1-65535"),
                ({"PACT_LATTICE_ENDPOINT": "https://127.0.0.1:1",
                  "PACT_CA_BUNDLE": self.journal.secret_path},
                 "holds no PEM certificate")):
            self.fails(1, text, self.alice, "drain", "n2", env=env)
        self.fails(1, "not an absolute path", self.admin, "backup", "create",
                   "relative.json")
        self.fails(1, "-r REASON is longer than 1024 bytes", self.alice,
                   "drain", "n2", "-r", "x" * 1100)
        self.assertEqual(self.delegations(), [])
        self.assertEqual(self.lattice.records(), [])

    def test_lattice_state_machine_refusals_keep_lattices_words(self):
        # Enabling a ready node: lattice's state machine refuses it, as
        # INTERNAL with its own text.
        self.fails(1, "refused NodeService/EnableNode: Internal error: "
                   "Invalid node transition", self.alice, "uncordon", "n2")

    def test_two_person_grant_names_the_operation_and_its_reason(self):
        env = dict(self.env)
        env.update(self.lenv)
        env["PACT_TOKEN"] = self.sam
        p = subprocess.Popen([binary("pact"), "--endpoint",
                              self.journal.gateway, "drain", "n5", "-r",
                              "fw update"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        lines = []
        while not lines or not lines[-1].startswith("Waiting for approval"):
            line = p.stderr.readline()
            self.assertTrue(line, "".join(lines))
            lines.append(line)
        approval = [l for l in lines
                    if l.startswith("Pending approval: ")][0].split()[2]
        listed = self.ok(self.carol, "approve", "list").stdout
        self.assertIn('drain n5 (reason "fw update")', listed)
        p.send_signal(2)  # Ctrl-C: the request stays pending
        out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn(f"pact drain --approval {approval} n5 -r 'fw update'",
                      err)
        accepted = self.ok(self.carol, "approve", "accept", approval).stdout
        self.assertIn(f"pact drain --approval {approval} n5", accepted)
        self.assertNotIn("exec", accepted)
        # Another reason is another operation.
        self.fails(2, "approved for exactly what was asked: drain n5 with "
                   "fw update", self.sam, "drain", "n5", "-r", "other",
                   "--approval", approval)
        self.ok(self.sam, "drain", "n5", "-r", "fw update", "--approval",
                approval)
        self.fails(4, "already used by its requester sam@site", self.sam,
                   "drain", "n5", "-r", "fw update", "--approval", approval)


class SlowLatticeTest(DelegationCase):
    """A lattice that carries the drain out but answers after pact's 5 s
    deadline: the outcome is unknown, not failed."""

    def setUp(self):
        super().setUp()
        self.start_dev_journal()
        self.lenv = {}
        self.alice = make_token(self.secret, sub="alice@site",
                                groups=("pact-ops-ml-training",))
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write('[vcluster.ml-training]\nbase_image = "img"\n')
        self.ok(self.admin, "apply", spec)
        self.ok(self.admin, "enroll", "n2", "--vcluster", "ml-training")
        self.lattice = LatticeContract(os.path.dirname(binary("pact")),
                                       os.path.join(self.tmp, "lattice"),
                                       default_fixture(),
                                       token=LATTICE_TOKEN, delay_ms=6500,
                                       delay_method="DrainNode")
        self.lattice.start()
        self.addCleanup(self.lattice.stop)
        self.lenv = {"PACT_LATTICE_ENDPOINT": self.lattice.endpoint,
                     "PACT_LATTICE_TOKEN": LATTICE_TOKEN}

    def test_a_drain_past_the_deadline_is_recorded_as_unknown(self):
        self.fails(5, "it may have been carried out: check lattice",
                   self.alice, "drain", "n2")
        out = max(self.delegations(), key=lambda e: e["sequence"])
        self.assertEqual(out["delegation"]["phase"], "unknown")
        self.assertIn("outcome unknown", out["message"])


if __name__ == "__main__":
    unittest.main()
