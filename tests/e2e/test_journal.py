"""The journal service end to end (issue 4): a 3-replica cluster driven
through the real `pact` binary — apply, enroll, commit, log, rollback,
promote, the promote → apply round trip, watch (with a reconnect), groups,
blacklists, extend — with requests sent to followers, linearizable reads
from every replica, authorization, and a bad spec that changes nothing."""
import glob
import json
import os
import subprocess
import time

from harness import PactTestCase, binary, free_port, make_token, wait_for

SECRET = "e2e-journal-secret-0123456789abcdef"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "deploy", "examples")
VC = "ml-training"


def read(path):
    with open(path) as fh:
        return fh.read()


class JournalTest(PactTestCase):
    def setUp(self):
        super().setUp()
        self.members = {i: free_port() for i in (1, 2, 3)}
        self.ports = {i: free_port() for i in (1, 2, 3)}
        self.replicas = {i: self.start(i, bootstrap=True) for i in (1, 2, 3)}
        self.admin = make_token(SECRET)
        self.ops = make_token(SECRET, sub="olga@site",
                              groups=[f"pact-ops-{VC}"])
        self.viewer = make_token(SECRET, sub="vic@site",
                                 groups=[f"pact-viewer-{VC}"])
        self.lead = wait_for(self.leader, 20, "a leader")
        self.follower = next(r for r in self.replicas.values()
                             if r is not self.lead)

    def start(self, i, bootstrap=False):
        return self.start_replica(i, self.members, SECRET,
                                  bootstrap=bootstrap,
                                  listen=f"127.0.0.1:{self.ports[i]}")

    def leader(self):
        for r in self.replicas.values():
            if r.proc.poll() is None:
                h = self.health(r)
                if h and h["role"] == "leader":
                    return r
        return None

    def run_pact(self, replica, *args, token=None, expect=0):
        r = self.pact("--endpoint", replica.gateway, *args,
                      token=token or self.admin)
        self.assertEqual(r.returncode, expect,
                         f"pact {' '.join(args)}: rc {r.returncode}\n"
                         f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def json_of(self, replica, *args, token=None):
        r = self.run_pact(replica, *args, "--output", "json", token=token)
        return json.loads(r.stdout)

    def overlay(self, replica, vc=VC):
        return self.json_of(replica, "group", "show", vc)

    def sysctl(self, overlay, key):
        for item in overlay["items"]:
            if item["category"] == "kernel" and item["key"] == key:
                return item["value"]
        return None

    def last_sequence(self, replica):
        return self.json_of(replica, "log", "-n", "1")["last_sequence"]

    def test_operator_workflow_across_replicas(self):
        f, lead = self.follower, self.lead
        others = [r for r in self.replicas.values() if r is not f]

        # apply, sent to a follower; visible from every replica at once
        # (reads are linearizable).
        self.run_pact(f, "apply", os.path.join(EXAMPLES, "ml-training.toml"))
        for r in self.replicas.values():
            ov = self.overlay(r)
            self.assertEqual(ov["vcluster"], VC)
            self.assertEqual(ov["version"], 1)
        base = self.sysctl(self.overlay(lead), "vm.nr_hugepages")
        self.assertIsNotNone(base)

        # Every shipped example applies.
        examples = sorted(glob.glob(os.path.join(EXAMPLES, "*.toml")))
        self.assertGreaterEqual(len(examples), 3)
        for path in examples:
            out = self.json_of(f, "apply", path)
            self.assertTrue(out["applied"], path)
        vcs = {g["vcluster"] for g in
               self.json_of(others[0], "group", "list")["vclusters"]}
        self.assertIn(VC, vcs)
        self.assertGreater(len(vcs), 1)

        # enroll and commit (by an operator of the vCluster, via a follower)
        for n in ("n1", "n2"):
            self.run_pact(f, "enroll", n, "--vcluster", VC)
        out = self.json_of(f, "commit", "-m", "hugepages for training", "n1",
                           "--set", "kernel:vm.nr_hugepages=4096",
                           token=self.ops)
        commit_seq = out["sequences"][0]

        # log: newest first, with sequence, type, scope, author, time and
        # message; the same on every replica.
        log = self.json_of(f, "log", "-n", "20")
        seqs = [e["sequence"] for e in log["entries"]]
        self.assertEqual(seqs, sorted(seqs, reverse=True))
        top = log["entries"][0]
        self.assertEqual(top["sequence"], commit_seq)
        self.assertEqual(top["type"], "commit")
        self.assertEqual(top["scope"], "node:n1")
        self.assertEqual(top["author"]["principal"], "olga@site")
        self.assertEqual(top["author"]["role"], f"pact-ops-{VC}")
        self.assertEqual(top["message"], "hugepages for training")
        self.assertRegex(top["timestamp"], r"^\d{4}-\d\d-\d\dT")
        for r in others:
            self.assertEqual(self.json_of(r, "log", "-n", "1")
                             ["entries"][0]["hash"], top["hash"])
        text = self.run_pact(f, "log", "-n", "3").stdout
        self.assertIn("SEQ", text)
        self.assertIn("olga@site", text)
        v = self.run_pact(lead, "log", "--verify", "-n", "5")
        self.assertIn("hash chain verified", v.stdout)
        self.run_pact(lead, "log", "-n", "0", expect=1)
        r = self.run_pact(lead, "log", "--scope", "vc:", expect=1)
        self.assertIn("scope 'vc:'", r.stderr)
        scoped = self.json_of(lead, "log", "--scope", "node:n1")
        self.assertTrue(all(e["scope"] == "node:n1"
                            for e in scoped["entries"]))

        # diff --committed shows the node delta not yet promoted.
        d = self.json_of(others[1], "diff", "n1", "--committed")
        self.assertEqual([(c["key"], c["value"]) for c in d["committed"]],
                         [("vm.nr_hugepages", "4096")])

        # rollback of a vCluster change restores the earlier value.
        before = self.last_sequence(lead)
        self.run_pact(f, "commit", "-m", "try swappiness", f"vc:{VC}",
                      "--set", "kernel:vm.swappiness=77")
        self.assertEqual(self.sysctl(self.overlay(lead), "vm.swappiness"),
                         "77")
        # (The scope defaults to that of entry `before`, a node commit;
        # name the vCluster.)
        self.run_pact(f, "rollback", str(before), "--scope", f"vc:{VC}")
        self.assertNotEqual(self.sysctl(self.overlay(lead), "vm.swappiness"),
                            "77")
        self.assertEqual(self.json_of(lead, "log", "-n", "1")["entries"][0]
                         ["type"], "rollback")

        # promote: another node disagrees on the key -> conflict, exit 4.
        self.run_pact(f, "commit", "-m", "n2 differs", "n2", "--set",
                      "kernel:vm.nr_hugepages=8192")
        r = self.run_pact(f, "promote", "n1", "--dry-run", expect=4)
        self.assertIn("n2", r.stderr)
        self.assertIn("--ack-conflicts", r.stderr)
        spec = os.path.join(self.tmp, "promoted.toml")
        self.run_pact(f, "promote", "n1", "--dry-run", "--ack-conflicts",
                      "--write", spec)
        seq_before_apply = self.last_sequence(lead)
        self.run_pact(lead, "apply", spec)  # accepted unchanged
        self.assertEqual(self.last_sequence(lead), seq_before_apply + 1)
        self.assertEqual(self.sysctl(self.overlay(f), "vm.nr_hugepages"),
                         "4096")
        d = self.json_of(f, "diff", "n1", "--committed")
        self.assertEqual(d["committed"], [])
        # Round trip: promoting again renders the overlay just applied,
        # byte for byte (apart from the provenance comment).
        again = self.run_pact(f, "promote", "n1", "--dry-run",
                              "--ack-conflicts").stdout
        with open(spec) as fh:
            first = fh.read()

        def body(t):
            return [ln for ln in t.splitlines() if not ln.startswith("#")]
        self.assertEqual(body(again), body(first))

        # A bad spec names file, line and key and writes nothing.
        bad = os.path.join(self.tmp, "bad.toml")
        with open(bad, "w") as fh:
            fh.write(f'[vcluster.{VC}]\nbase_image = "x"\n\n'
                     f'[vcluster.{VC}.mounts]\n'
                     '"/scratch" = { source = "nfs01:/s" }\n')
        seq = self.last_sequence(lead)
        r = self.run_pact(f, "apply", bad, expect=1)
        self.assertIn("bad.toml:5", r.stderr)
        self.assertIn("type", r.stderr)
        self.assertEqual(self.last_sequence(lead), seq)
        # ... and so does a spec that is valid TOML but whose second
        # vCluster is refused: all or nothing.
        with open(bad, "w") as fh:
            fh.write(f'[vcluster.{VC}.sysctl]\n"vm.swappiness" = "1"\n'
                     '[vcluster.other.policy]\n'
                     'base_commit_window_seconds = 1\n')
        r = self.run_pact(f, "apply", bad, expect=1)
        self.assertIn("base_commit_window_seconds", r.stderr)
        self.assertEqual(self.last_sequence(lead), seq)

        # Authorization: a viewer reads but may not write; an operator of
        # another vCluster may not write here.
        self.json_of(f, "group", "show", VC, token=self.viewer)
        r = self.run_pact(f, "commit", "-m", "nope", "n1", "--set",
                          "kernel:vm.swappiness=1", token=self.viewer,
                          expect=2)
        self.assertIn("policy: denied", r.stderr)
        # Reads: a viewer reads its vCluster's entries, not everybody's.
        self.run_pact(f, "log", token=self.viewer, expect=2)
        self.json_of(f, "log", "--scope", f"vc:{VC}", token=self.viewer)
        self.run_pact(f, "watch", "--count", "1", token=self.viewer,
                      expect=2)
        st = self.json_of(f, "status", "n1", token=self.viewer)
        self.assertEqual(st["declared"]["nodes"][0]["node"], "n1")
        self.assertEqual(st["declared"]["nodes"][0]["vcluster"], VC)
        text = self.run_pact(f, "status", "n1").stdout
        self.assertIn("journal: node n1", text)
        stranger = make_token(SECRET, sub="sam@site",
                              groups=["pact-ops-other"])
        self.run_pact(f, "apply", os.path.join(EXAMPLES, "ml-training.toml"),
                      token=stranger, expect=2)
        self.assertEqual(self.last_sequence(lead), seq)

        # Conflicts and policy refusals map to their exit codes.
        self.run_pact(f, "commit", "-m", "dup", f"vc:{VC}", "--unset",
                      "kernel:no.such.key", expect=4)
        self.run_pact(f, "commit", "-m", "ttl", "n1", "--set",
                      "kernel:vm.swappiness=1", "--ttl", "10", expect=1)

        # blacklist and group policy: replicated writes, visible everywhere.
        self.run_pact(f, "blacklist", "add", "/var/log/**")
        for r in self.replicas.values():
            self.assertIn("/var/log/**", self.json_of(
                r, "blacklist", "list")["patterns"])
        self.run_pact(f, "blacklist", "add", "/scratch/tmp/**",
                      "--vcluster", VC)
        self.assertIn("/scratch/tmp/**", self.json_of(
            lead, "blacklist", "list", "--vcluster", VC)["patterns"])
        self.run_pact(f, "blacklist", "remove", "/var/log/**")
        self.assertEqual(self.json_of(lead, "blacklist", "list")["patterns"],
                         [])
        policy = os.path.join(self.tmp, "policy.toml")
        with open(policy, "w") as fh:
            fh.write('enforcement_mode = "warn"\n'
                     'approval_timeout_seconds = 3600\n')
        self.run_pact(f, "group", "set-policy", "fresh-vc", "--file", policy)
        for r in self.replicas.values():
            g = self.json_of(r, "group", "show", "fresh-vc")
            self.assertEqual(g["policy"]["enforcement_mode"], "warn")
            self.assertEqual(g["policy"]["approval_timeout_seconds"], 3600)

        # extend: the node's commit window, recorded in the journal.
        out = self.json_of(f, "extend", "30", "--node", "n1", token=self.ops)
        self.assertIn("commit_window_ends", out)
        self.run_pact(f, "extend", "100000", "--node", "n1", expect=1)

        # The hash chain over everything above is intact on every replica.
        for r in self.replicas.values():
            self.run_pact(r, "log", "--verify", "-n", "1")

    def test_watch_streams_and_resumes_after_reconnect(self):
        f = self.follower
        self.run_pact(self.lead, "apply",
                      os.path.join(EXAMPLES, "ml-training.toml"))
        env = dict(self.env)
        env["PACT_TOKEN"] = self.admin
        out_path = os.path.join(self.tmp, "watch.out")
        err_path = os.path.join(self.tmp, "watch.err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            watch = subprocess.Popen(
                [binary("pact"), "--endpoint", f.gateway, "watch",
                 "--count", "4", "--output", "json", "--timeout", "3"],
                env=env, stdout=out, stderr=err)
        try:
            wait_for(lambda: "watching" in read(err_path), 15,
                     "watch to start")
            self.run_pact(self.lead, "blacklist", "add", "/w1/**")
            wait_for(lambda: read(out_path).count("\n") >= 1, 15,
                     "the first entry")
            # The follower the watch talks to goes away; entries committed
            # meanwhile must not be skipped when it comes back.
            f.stop()
            self.run_pact(self.lead, "blacklist", "add", "/w2/**")
            self.run_pact(self.lead, "blacklist", "add", "/w3/**")
            wait_for(lambda: "reconnecting" in read(err_path), 15,
                     "watch to notice")
            self.replicas[f.node_id] = self.start(f.node_id)
            self.run_pact(self.lead, "blacklist", "add", "/w4/**")
            self.assertEqual(watch.wait(timeout=60), 0,
                             read(err_path))
        finally:
            if watch.poll() is None:
                watch.kill()
                watch.wait()
        lines = [json.loads(ln) for ln in read(out_path).splitlines()]
        self.assertEqual([e["blacklist_change"]["pattern"] for e in lines],
                         ["/w1/**", "/w2/**", "/w3/**", "/w4/**"])
        seqs = [e["sequence"] for e in lines]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + 4)))

    def test_stored_text_cannot_drive_the_terminal(self):
        """Issue 8 item 6: an escape sequence in a commit message is shown
        as visible text by `pact log` and `pact watch`, exact in JSON."""
        attack = "\x1b[2K\r\x1b[32mall clear\nSEQ 99 \u009b31mfake"
        seq = self.json_of(self.lead, "commit", "-m", attack, "global",
                           "--set", "kernel:vm.swappiness=11")["sequences"][0]
        for args in (("log", "-n", "3"), ("watch", "--from", str(seq),
                                          "--count", "1")):
            text = self.run_pact(self.follower, *args).stdout
            self.assertNotIn("\x1b", text)
            self.assertNotIn("\r", text)
            self.assertNotIn("\u009b", text)
        log = self.run_pact(self.follower, "log", "-n", "3").stdout
        self.assertIn("\\x1b[2K\\r\\x1b[32mall clear\\nSEQ 99 \\u009b31mfake",
                      log)
        entries = self.json_of(self.follower, "log", "-n", "3")["entries"]
        self.assertIn(attack, [e["message"] for e in entries])
        # A header and a row per entry: the message's newline made no row.
        self.assertEqual(len(log.splitlines()), 1 + len(entries), log)
        # Server text quoted in an error goes through the same filter.
        r = self.run_pact(self.lead, "blacklist", "remove", "/no\x1b[2K/**",
                          expect=4)
        self.assertNotIn("\x1b", r.stderr)
        self.assertIn("/no\\x1b[2K/**", r.stderr)

    def pact_to_full_disk(self, env, *args):
        """Runs pact against the leader with stdout on /dev/full (ENOSPC on
        every write)."""
        with open("/dev/full", "w") as full:
            return subprocess.run(
                [binary("pact"), "--endpoint", self.lead.gateway, *args],
                stdout=full, stderr=subprocess.PIPE, env=env, text=True,
                timeout=30)

    def test_unwritable_output_is_an_error(self):
        """Issue 8 item 7: output that cannot be written exits 1 and says
        so; a reader that went away (EPIPE) exits 1 quietly."""
        env = dict(self.env, PACT_TOKEN=self.admin)
        for args in (["log", "-n", "5"], ["status"], ["--help"],
                     ["log", "-n", "5", "--output", "json"]):
            r = self.pact_to_full_disk(env, *args)
            self.assertEqual(r.returncode, 1, f"{args}: {r.stderr}")
            self.assertIn("pact: cannot write output: No space left on "
                          "device", r.stderr, args)
        # A write whose confirmation cannot be printed still landed: the
        # message says so, so that nobody runs it again.
        r = self.pact_to_full_disk(env, "blacklist", "add", "/landed/**")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("(the command itself completed)", r.stderr)
        # A closed pipe: exit 1, no message, no death by SIGPIPE.
        for _ in range(3):
            self.run_pact(self.lead, "blacklist", "add",
                          f"/pipe-{time.monotonic_ns()}/**")
        # A stream stops at the first entry it cannot write.
        r = self.pact_to_full_disk(env, "watch", "--from", "1")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("pact: cannot write output", r.stderr)
        p = subprocess.Popen(
            [binary("pact"), "--endpoint", self.lead.gateway, "log", "-n",
             "2000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env)
        p.stdout.close()
        err = p.stderr.read().decode()
        p.stderr.close()
        self.assertEqual(p.wait(timeout=30), 1, err)
        self.assertEqual(err, "")


if __name__ == "__main__":
    import unittest
    unittest.main()
