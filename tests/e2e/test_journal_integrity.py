"""Journal integrity end to end (issue 8 items 9, 12, 13): concurrent
commits of one key record the value each really replaced and
`--if-previous` refuses a moved value (3 replicas); an unchanged apply or
policy writes nothing; and every read command shows an outside role
nothing of another vCluster (agents of two vClusters reporting)."""
import json
import os
import subprocess

from harness import PactTestCase, binary, free_port, make_token, wait_for

SECRET = "e2e-integrity-secret-0123456789abcdef"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "deploy", "examples")
VC = "ml-training"


class Cli:
    """`pact` against one gateway, with assertions on the exit code."""

    def __init__(self, case, gateway, token):
        self.case, self.gateway, self.token = case, gateway, token

    def run(self, *args, token=None, expect=0):
        r = self.case.pact("--endpoint", self.gateway, *args,
                           token=token or self.token)
        self.case.assertEqual(
            r.returncode, expect,
            f"pact {' '.join(args)}: rc {r.returncode}\n"
            f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def json(self, *args, token=None):
        return json.loads(self.run(*args, "--output", "json",
                                   token=token).stdout)

    def last_sequence(self):
        return self.json("log", "-n", "1")["last_sequence"]


def kernel(entry, key):
    return next(i for i in entry["delta"]
                if i["category"] == "kernel" and i["key"] == key)


class ConcurrentCommitTest(PactTestCase):
    """Items 12 and 9 on a 3-replica cluster."""

    def setUp(self):
        super().setUp()
        members = {i: free_port() for i in (1, 2, 3)}
        self.replicas = [self.start_replica(i, members, SECRET)
                         for i in (1, 2, 3)]
        self.admin = make_token(SECRET)
        wait_for(self.leader, 20, "a leader")
        self.cli = Cli(self, self.replicas[0].gateway, self.admin)

    def leader(self):
        for r in self.replicas:
            h = self.health(r)
            if h and h["role"] == "leader":
                return r
        return None

    def test_concurrent_commits_chain_previous_values(self):
        self.cli.run("apply", os.path.join(EXAMPLES, "ml-training.toml"))
        self.cli.run("enroll", "n1", "--vcluster", VC)
        env = dict(self.env)
        env["PACT_TOKEN"] = self.admin
        # Four operators at once, through all three gateways.
        procs = [subprocess.Popen(
            [binary("pact"), "--endpoint",
             self.replicas[n % 3].gateway, "commit", "n1", "-m",
             f"swappiness {n}", "--set", f"kernel:vm.swappiness={n}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True) for n in range(11, 15)]
        for p in procs:
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, out + err)
        log = self.cli.json("log", "--scope", "node:n1", "-n", "10")
        entries = sorted((e for e in log["entries"] if e["type"] == "commit"),
                         key=lambda e: e["sequence"])
        self.assertEqual(len(entries), 4)
        # The overlay declares 10; each entry replaced its predecessor's.
        before = "10"
        for e in entries:
            item = kernel(e, "vm.swappiness")
            self.assertEqual(item.get("previous", ""), before, entries)
            before = item["value"]
        self.assertEqual(sorted(kernel(e, "vm.swappiness")["value"]
                                for e in entries),
                         ["11", "12", "13", "14"])

        # --if-previous: a moved value is a conflict and writes nothing.
        seq = self.cli.last_sequence()
        stale = "11" if before != "11" else "12"
        r = self.cli.run("commit", "n1", "-m", "guarded", "--set",
                         "kernel:vm.swappiness=20", "--if-previous",
                         f"kernel:vm.swappiness={stale}", expect=4)
        self.assertIn(f"is '{before}', not '{stale}'", r.stderr)
        self.cli.run("commit", "n1", "-m", "guarded", "--set",
                     "kernel:vm.swappiness=20", "--if-previous",
                     "kernel:vm.swappiness", expect=4)  # expects unset
        self.cli.run("commit", f"vc:{VC}", "-m", "guarded", "--set",
                     "kernel:vm.swappiness=20", "--if-previous",
                     "kernel:vm.swappiness=99", expect=4)
        self.assertEqual(self.cli.last_sequence(), seq)
        # The current value: it lands, and says what it replaced.
        out = self.cli.json("commit", "n1", "-m", "guarded", "--set",
                            "kernel:vm.swappiness=20", "--if-previous",
                            f"kernel:vm.swappiness={before}")
        self.assertEqual(out["changes"][0]["previous"], before)
        self.assertEqual(self.cli.last_sequence(), seq + 1)

    def test_unchanged_writes_append_nothing(self):
        spec = os.path.join(EXAMPLES, "ml-training.toml")
        self.cli.run("apply", spec)
        seq = self.cli.last_sequence()
        dry = self.cli.run("apply", spec, "--dry-run").stdout
        self.assertIn("0 item changes", dry)
        r = self.cli.run("apply", spec)
        self.assertIn(f"vcluster {VC}: unchanged (version 1)", r.stdout)
        out = self.cli.json("apply", spec)
        self.assertEqual(out["applied"], [{"vcluster": VC, "version": 1,
                                           "unchanged": True}])
        self.assertEqual(self.cli.last_sequence(), seq)
        policy = os.path.join(self.tmp, "policy.toml")
        with open(policy, "w") as fh:
            fh.write('enforcement_mode = "warn"\n')
        self.cli.run("group", "set-policy", VC, "--file", policy)
        seq = self.cli.last_sequence()
        r = self.cli.run("group", "set-policy", VC, "--file", policy)
        self.assertIn(f"vcluster {VC}: unchanged (version {seq})", r.stdout)
        # A vCluster commit of the declared value, a rollback to the
        # current state.
        r = self.cli.run("commit", f"vc:{VC}", "-m", "same", "--set",
                         "kernel:vm.swappiness=10")
        self.assertIn("unchanged", r.stdout)
        r = self.cli.run("rollback", str(seq), "--scope", f"vc:{VC}")
        self.assertIn("unchanged", r.stdout)
        self.assertEqual(self.cli.last_sequence(), seq)
        self.assertEqual(self.cli.json("group", "show", VC)["version"], seq)
        # Writes that assert a change stay conflicts.
        self.cli.run("blacklist", "add", "/x/**")
        self.cli.run("blacklist", "add", "/x/**", expect=4)


class ReadVisibilityTest(PactTestCase):
    """Item 13: agents of ml-training and storage-ops report to one
    journal; outside roles see nothing of the vClusters they may not
    read, through every read command."""

    def test_every_read_command_hides_other_vclusters(self):
        journal = self.start_journal()
        with open(journal.secret_path) as fh:
            secret = fh.read().strip()
        admin = Cli(self, journal.gateway, self.token_of(journal))
        spec = os.path.join(self.tmp, "two.toml")
        with open(spec, "w") as fh:
            fh.write('[vcluster.storage-ops]\nbase_image = "st"\n'
                     '[vcluster.storage-ops.sysctl]\n"vm.st" = "1"\n')
        admin.run("apply", os.path.join(EXAMPLES, "ml-training.toml"))
        admin.run("apply", spec)
        # node-ml: enrolled in ml-training. node-st: reports storage-ops,
        # enrolled nowhere. node-mix: reports ml-training but is enrolled
        # in storage-ops (the enrollment wins).
        admin.run("enroll", "node-ml", "--vcluster", VC)
        admin.run("enroll", "node-mix", "--vcluster", "storage-ops")
        # node-quiet: enrolled in storage-ops, no agent has reported yet;
        # asked for by name it is still "denied", never "not known".
        admin.run("enroll", "node-quiet", "--vcluster", "storage-ops")
        admin.run("commit", "node-mix", "-m", "st change", "--set",
                  "kernel:vm.secret=1")
        admin.run("blacklist", "add", "/st/**", "--vcluster", "storage-ops")
        for node, vc in (("node-ml", VC), ("node-st", "storage-ops"),
                         ("node-mix", VC)):
            self.start_agent(journal, node, vc)
        reported = lambda: len(admin.json("status")["nodes"]) == 3  # noqa
        wait_for(reported, what="three agents reporting")
        hidden = ("node-st", "node-mix", "node-quiet", "storage-ops",
                  "vm.secret", "/st/")

        def clean(text, what):
            for h in hidden:
                self.assertNotIn(h, text, f"{what} shows {h}:\n{text}")

        for groups in ([f"pact-ops-{VC}"], ["pact-viewer-chemistry"]):
            who = Cli(self, journal.gateway,
                      make_token(secret, sub="outsider", groups=groups))
            denied = [("status", "node-st"), ("status", "node-mix"),
                      ("status", "node-quiet"), ("diff", "node-quiet"),
                      ("status", "--vcluster", "storage-ops"),
                      ("diff", "node-st"), ("diff", "node-mix"),
                      ("log",), ("log", "--scope", "vc:storage-ops"),
                      ("log", "--scope", "node:node-mix"),
                      ("log", "--scope", "node:node-st"),
                      ("watch", "--count", "1", "--timeout", "2"),
                      ("watch", "--vcluster", "storage-ops", "--count", "1"),
                      ("group", "show", "storage-ops"),
                      ("blacklist", "list", "--vcluster", "storage-ops")]
            for args in denied:
                r = who.run(*args, expect=2)
                self.assertIn("policy: denied", r.stderr, args)
                clean(r.stdout, args)
            for args in (("status",), ("group", "list"), ("diff",),
                         ("log", "--scope", "global"), ("blacklist", "list")):
                clean(who.run(*args).stdout, args)
                clean(who.run(*args, "--output", "json").stdout, args)
            st = who.json("status")
            visible = [n["node_id"] for n in st["nodes"]]
            self.assertEqual(visible, ["node-ml"] if VC in groups[0] else [])
        # Its own vCluster's node stays visible to the operator.
        ops = Cli(self, journal.gateway,
                  make_token(secret, sub="olga", groups=[f"pact-ops-{VC}"]))
        self.assertEqual(ops.json("diff", "node-ml")["node"], "node-ml")
        ops.run("log", "--scope", "node:node-ml")
        # The admin still sees everything.
        self.assertEqual(len(admin.json("status")["nodes"]), 3)
