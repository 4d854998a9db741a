"""Every row of docs/cli.md's "Exit codes by command" table, provoked
through the real `pact` binary against a real (single-replica, development)
journal (issue 8 item 14). A row without a provocation fails, and so does a
provocation whose row is gone, so the table and the CLI cannot drift."""
import json
import os
import re
import shutil
import signal
import subprocess

from harness import (BIN, PactTestCase, binary, free_port, make_token,
                     wait_for)
from lattice_contract import LatticeContract, default_fixture
from oidc_idp import SERVICE_SECRET, IdentityProvider

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CLI_DOC = os.path.join(ROOT, "docs", "cli.md")
EXAMPLE = os.path.join(ROOT, "deploy", "examples", "ml-training.toml")
TABLE_HEADING = "### Exit codes by command"
VC = "ml-training"


def documented_rows():
    """(command, condition) -> exit code, from the table under
    TABLE_HEADING."""
    with open(CLI_DOC) as f:
        lines = f.read().split(TABLE_HEADING, 1)[1].splitlines()
    rows = {}
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        if cells[0] == "command" or set(cells[0]) <= set("-: "):
            continue
        if len(cells) != 3 or not re.fullmatch(r"\d+", cells[2]):
            raise AssertionError(f"malformed exit-code row: {ln}")
        key = (cells[0], cells[1])
        if key in rows:
            raise AssertionError(f"duplicate exit-code row: {ln}")
        rows[key] = int(cells[2])
    return rows


class ExitCodeTest(PactTestCase):
    def setUp(self):
        super().setUp()
        self.journal = self.start_journal()
        self.admin = self.token_of(self.journal)
        with open(self.journal.secret_path) as f:
            self.secret = f.read().strip()
        self.ops = make_token(self.secret, sub="olga@site",
                              groups=[f"pact-ops-{VC}"])
        self.viewer = make_token(self.secret, sub="vic@site",
                                 groups=[f"pact-viewer-{VC}"])

    def run_cli(self, *args, token=None, endpoint=None, stdout=None):
        env = dict(self.env)
        if token != "":
            env["PACT_TOKEN"] = token or self.admin
        cmd = [binary("pact"), "--endpoint", endpoint or self.journal.gateway,
               *args]
        if stdout is not None:
            return subprocess.run(cmd, env=env, stdout=stdout,
                                  stderr=subprocess.PIPE, text=True,
                                  timeout=60)
        return subprocess.run(cmd, env=env, capture_output=True, text=True,
                              timeout=60)

    def untrusted_tls_server(self):
        """`pact log` against a TLS server (openssl s_server) whose
        self-signed certificate is not in the CA bundle the CLI is given."""
        for name in ("server", "other"):
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                 os.path.join(self.tmp, f"{name}.key"), "-out",
                 os.path.join(self.tmp, f"{name}.crt"), "-days", "1",
                 "-subj", "/CN=127.0.0.1"],
                check=True, capture_output=True, timeout=60)
        port = free_port()
        server = subprocess.Popen(
            ["openssl", "s_server", "-quiet", "-accept", str(port),
             "-cert", os.path.join(self.tmp, "server.crt"),
             "-key", os.path.join(self.tmp, "server.key")],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            saved = dict(self.env)
            self.env["PACT_CA_BUNDLE"] = os.path.join(self.tmp, "other.crt")
            for _ in range(50):  # until it listens
                r = self.run_cli("log", "--timeout", "3",
                                 endpoint=f"https://127.0.0.1:{port}")
                if r.returncode != 5:
                    return r
            return r
        finally:
            self.env = saved
            server.kill()
            server.wait()

    def ok(self, *args, **kw):
        r = self.run_cli(*args, **kw)
        self.assertEqual(r.returncode, 0, f"setup {args}: {r.stderr}")
        return r

    def file(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def to_full(self, *args):
        with open("/dev/full", "w") as full:
            return self.run_cli(*args, stdout=full)

    def seed(self):
        """A vCluster, two enrolled nodes whose committed deltas disagree on
        one key, and a blacklist pattern."""
        self.ok("apply", EXAMPLE, "-m", "seed")
        for n in ("n1", "n2"):
            self.ok("enroll", n, "--vcluster", VC)
        self.ok("commit", "-m", "n2", "n2", "--set", "kernel:vm.swappiness=30")
        self.ok("commit", "-m", "n1", "n1", "--set", "kernel:vm.swappiness=20")
        self.ok("blacklist", "add", "/opt/scratch/**")

    # -- two-person approval and emergencies (issue 14) ---------------------

    def two_person(self):
        """vClusters reg (approvals wait 30 min) and reg2 (2 s), both
        two-person, and noem (emergencies not allowed)."""
        if not hasattr(self, "_two_person"):
            for vc, extra in (("reg", ""), ("reg2", "approval_timeout_seconds = 2\n")):
                self.ok("group", "set-policy", vc, "--file", self.file(
                    vc + ".toml", "two_person_approval = true\n" + extra))
            self.ok("group", "set-policy", "noem", "--file", self.file(
                "noem.toml", "emergency_allowed = false\n"))
            self.regulated = make_token(self.secret, sub="rita@site",
                                        groups=["pact-regulated-reg"])
            self._two_person = True

    def waiting(self, vc="reg"):
        """A commit to vc:VC waiting for approval, and its id."""
        self.two_person()
        env = dict(self.env, PACT_TOKEN=self.admin)
        p = subprocess.Popen([binary("pact"), "--endpoint",
                              self.journal.gateway, "commit", "-m", "m",
                              f"vc:{vc}", "--set", "kernel:vm.e=1"],
                             env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        lines = []
        while not lines or not lines[-1].startswith("Waiting for approval"):
            line = p.stderr.readline()
            if not line:
                self.fail("pact commit did not wait: " + "".join(lines))
            lines.append(line)
        aid = next(l.split()[2] for l in lines
                   if l.startswith("Pending approval: "))
        return p, aid

    def finish(self, p):
        out, err = p.communicate(timeout=60)
        return subprocess.CompletedProcess(p.args, p.returncode, out, err)

    def backgrounded(self):
        """A pending approval left by Ctrl-C: (completed process, id)."""
        p, aid = self.waiting()
        p.send_signal(signal.SIGINT)
        return self.finish(p), aid

    def denied_wait(self):
        p, aid = self.waiting()
        self.ok("approve", "deny", aid, "-m", "no", token=self.regulated)
        return self.finish(p)

    def decided(self):
        _, aid = self.backgrounded()
        self.ok("approve", "deny", aid, "-m", "no", token=self.regulated)
        return aid

    def emergency_on_n2(self):
        if not hasattr(self, "_emergency"):
            self.ok("emergency", "start", "n2", "-r", "exit-code test")
            self._emergency = True

    def login_journal(self):
        """A journal whose issuer is a running identity provider, started
        on first use; (journal, provider)."""
        if not hasattr(self, "_login"):
            idp = IdentityProvider(self.tmp)
            self.addCleanup(idp.stop)
            saved = dict(self.env)
            self.env.update(PACT_OIDC_ISSUER=idp.issuer)
            journal = self.start_journal(name="login-journal")
            self.env = saved
            self._login = (journal, idp)
        return self._login

    def login(self, *args, trust=True, **creds):
        journal, idp = self.login_journal()
        env = dict(self.env)
        if trust:
            env["PACT_OIDC_CA_BUNDLE"] = idp.ca_path
        env.update(creds)
        return subprocess.run(
            [binary("pact"), "--endpoint", journal.gateway, "login", *args],
            env=env, capture_output=True, text=True, timeout=60)

    def login_cache(self, record, mode=0o600):
        """Writes a login cache for the development journal."""
        directory = os.path.join(self.tmp, ".config", "pact", "tokens")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        path = os.path.join(directory, self.journal.gateway.replace(
            "://", "___").replace(":", "_") + ".json")
        with open(path, "w") as f:
            json.dump({"server": self.journal.gateway, **record}, f)
        os.chmod(path, mode)
        return path

    def with_cache(self, record, mode, run):
        """Runs `run` with a login cache for the development journal."""
        path = self.login_cache(record, mode)
        try:
            return run()
        finally:
            os.unlink(path)

    def lattice(self, *args, endpoint=None, token="exit-codes",
                pact_token=None, extra_env=None):
        """`pact ARGS` with PACT_LATTICE_ENDPOINT `endpoint` (default: a
        lattice contract server, started on first use; "" unsets it) and
        PACT_LATTICE_TOKEN `token`; `pact_token` is pact's own (default:
        the admin's), `extra_env` more variables."""
        if not hasattr(self, "_lattice"):
            lc = LatticeContract(BIN, os.path.join(self.tmp, "lattice"),
                                 default_fixture(), token="exit-codes")
            lc.start()
            self.addCleanup(lc.stop)
            self._lattice = lc
        saved = dict(self.env)
        self.env.update(
            PACT_LATTICE_ENDPOINT=(self._lattice.endpoint if endpoint is None
                                   else endpoint),
            PACT_LATTICE_TOKEN=token, **(extra_env or {}))
        try:
            return self.run_cli(*args, token=pact_token)
        finally:
            self.env = saved

    def health_all_up(self):
        """`pact health` once an agent reports whose capability probes find
        what they read under its --root (else it reports itself
        degraded)."""
        root = os.path.join(self.tmp, "hx-root")
        for d in ("proc", "sys/class/net/eth0", "sys/block"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        for name in ("cpuinfo", "meminfo"):
            shutil.copy("/proc/" + name, os.path.join(root, "proc", name))
        self.file("hx-root/proc/mounts", "/dev/sda1 / ext4 rw 0 0\n")
        self.file("hx-root/proc/modules", "")
        self.start_agent(self.journal, node_id="hx")
        wait_for(lambda: "hx" in self.run_cli("status", "hx").stdout,
                 what="the agent's first report")
        return self.lattice("health")

    def provocations(self):
        c = self.run_cli
        dead = f"http://127.0.0.1:{free_port()}"
        bad_spec = self.file("bad.toml", "[vcluster.x]\nbogus_key = 1\n")
        bad_policy = self.file("bad-policy.toml",
                               "[policy]\ndrift_sensitivity = \"high\"\n")
        long_lived = make_token(self.secret, lifetime=30 * 86400)
        forged = make_token("not-the-secret")
        return {
            ("`pact`", "no command given"): lambda: c(),
            ("`pact COMMAND`", "unknown command"): lambda: c("frobnicate"),
            ("`pact --help`", "usage printed"): lambda: c("--help"),
            ("`pact COMMAND --help`", "usage printed"):
                lambda: c("log", "--help"),
            ("any command", "unknown option or malformed option value"):
                lambda: c("log", "--no-such-option"),
            ("any command", "stdout cannot be written"):
                lambda: self.to_full("log", "-n", "1"),
            ("any journal command", "no token found"):
                lambda: c("log", token=""),
            ("any journal command",
             "token refused (bad signature, expired, lifetime too long)"):
                lambda: (c("log", token=forged).returncode == 2
                         and c("log", token=long_lived)),
            ("any journal command", "journal unreachable or no answer in time"):
                lambda: c("log", "--timeout", "2", endpoint=dead),
            ("any journal command",
             "the `https://` journal's certificate does not verify"):
                self.untrusted_tls_server,
            ("any journal command",
             "the CA bundle for an `https://` endpoint cannot be read"):
                lambda: (self.env.update(PACT_CA_BUNDLE="/nonexistent/ca.crt"),
                         c("log", endpoint=dead.replace("http:", "https:")),
                         self.env.pop("PACT_CA_BUNDLE"))[1],
            ("`login --service-account`", "success (tokens cached)"):
                lambda: self.login(
                    "--service-account", PACT_CLIENT_ID="pact-service",
                    PACT_CLIENT_SECRET=SERVICE_SECRET),
            ("`login --service-account`", "`PACT_CLIENT_ID` or "
             "`PACT_CLIENT_SECRET` unset, or refused by the provider"):
                lambda: (self.login("--service-account").returncode == 2
                         and self.login("--service-account",
                                        PACT_CLIENT_ID="pact-service",
                                        PACT_CLIENT_SECRET="wrong")),
            ("`login`", "the journal names no identity provider "
             "(development journal)"): lambda: c("login"),
            ("`login`", "journal unreachable"):
                lambda: c("login", "--timeout", "2", endpoint=dead),
            ("`login`", "identity provider unreachable, or its certificate "
             "untrusted"): lambda: self.login(trust=False),
            ("`logout`", "success (also when not logged in, or when "
             "revocation failed)"): lambda: c("logout"),
            ("any journal command", "login cache open to other users or "
             "owned by another"):
                lambda: self.with_cache(
                    {"access_token": self.admin}, 0o644,
                    lambda: c("log", token="")),
            ("any journal command", "login expired and not renewable"):
                lambda: self.with_cache(
                    {"access_token": self.admin, "expires_at_unix": 1000,
                     "obtained_at_unix": 900}, 0o600,
                    lambda: c("log", token="")),
            ("`status`", "success"): lambda: c("status"),
            ("`status NODE`", "node unknown to the journal"):
                lambda: c("status", "no-such-node"),
            ("`status --vcluster V`", "vCluster unknown (no overlay, no node)"):
                lambda: c("status", "--vcluster", "no-such-vc"),
            ("`log`", "success"): lambda: c("log"),
            ("`log`", "`-n` outside 1 .. 10000"): lambda: c("log", "-n", "0"),
            ("`log`", "malformed `--scope`"):
                lambda: c("log", "--scope", "cluster:x"),
            ("`log`", "the role may not read the scope"):
                lambda: c("log", "--scope", "vc:storage-ops",
                          token=self.ops),
            ("`log`", "malformed `--since` or `--until`"):
                lambda: c("log", "--since", "yesterday"),
            ("`log --export FILE`", "FILE exists"):
                lambda: c("log", "--export", self.file("taken.jsonl", "x")),
            ("`log --verify --file FILE`", "the file does not verify"):
                lambda: c("log", "--verify", "--file",
                          self.file("bad-export.jsonl", "{}\n")),
            ("`diff NODE`", "success"): lambda: c("diff", "n1"),
            ("`diff --vcluster V`", "vCluster unknown (no overlay, no node)"):
                lambda: c("diff", "--vcluster", "no-such-vc"),
            ("`commit`", "success"):
                lambda: c("commit", "-m", "m", "n1", "--set",
                          "kernel:vm.dirty_ratio=5"),
            ("`commit`",
             "no `--set` or `--unset`, and no agent known for the node"):
                lambda: c("commit", "-m", "m", "n1"),
            ("`commit`", "`--ttl` outside 900 .. 864000"):
                lambda: c("commit", "-m", "m", "n1", "--ttl", "10", "--set",
                          "kernel:vm.x=1"),
            ("`commit vc:NAME`", "`--ttl` given (only node deltas expire)"):
                lambda: c("commit", "-m", "m", f"vc:{VC}", "--ttl", "3600",
                          "--set", "kernel:vm.x=1"),
            ("`commit`", "malformed `--set` or `--unset`"):
                lambda: c("commit", "-m", "m", "n1", "--set", "nocategory"),
            ("`commit`", "the role may not write the scope"):
                lambda: c("commit", "-m", "m", "n1", "--set",
                          "kernel:vm.x=1", token=self.viewer),
            ("`commit`", "an AI principal where the vCluster policy has "
                         "`ai_write_allowed = false`"):
                lambda: c("commit", "-m", "m", "n1", "--set",
                          "kernel:vm.x=1", token=make_token(
                              self.secret, sub="claude",
                              groups=("pact-service-ai",))),
            ("`commit`", "an item matches a blacklist pattern"):
                lambda: c("commit", "-m", "m", "n1", "--set",
                          "files:/opt/scratch/a.conf=x"),
            ("`commit vc:NAME`", "vCluster unknown"):
                lambda: c("commit", "-m", "m", "vc:no-such-vc", "--set",
                          "kernel:vm.x=1"),
            ("`commit vc:NAME --unset C:K`", "key not declared"):
                lambda: c("commit", "-m", "m", f"vc:{VC}", "--unset",
                          "kernel:vm.not_declared"),
            ("`rollback SEQ`", "no entry SEQ"):
                lambda: c("rollback", "99999", "--scope", "global"),
            ("`extend`", "MINUTES outside 1 .. 1440"):
                lambda: c("extend", "0", "--node", "n1"),
            ("`extend`", "NODE not known to the journal (never enrolled, "
                         "committed or booted)"):
                lambda: c("extend", "30", "--node", "no-such-node"),
            ("`extend`", "the window would pass the policy's emergency window"):
                lambda: c("extend", "1440", "--node", "n1"),
            ("`apply`", "spec invalid"): lambda: c("apply", bad_spec),
            ("`apply`", "spec file unreadable"):
                lambda: c("apply", os.path.join(self.tmp, "missing.toml")),
            ("`promote NODE`",
             "other nodes' committed deltas disagree on a key"):
                lambda: c("promote", "n1"),
            ("`group`", "unknown action"): lambda: c("group", "frob"),
            ("`group show NAME`", "vCluster unknown"):
                lambda: c("group", "show", "no-such-vc"),
            ("`group set-policy NAME`", "policy file invalid"):
                lambda: c("group", "set-policy", VC, "--file", bad_policy),
            ("`blacklist`", "unknown action"):
                lambda: c("blacklist", "frob"),
            ("`blacklist add`", "pattern already present"):
                lambda: c("blacklist", "add", "/opt/scratch/**"),
            ("`blacklist remove`", "pattern absent"):
                lambda: c("blacklist", "remove", "/opt/never-added/**"),
            ("`blacklist list --vcluster V`", "vCluster unknown"):
                lambda: c("blacklist", "list", "--vcluster", "no-such-vc"),
            ("`enroll NODE --vcluster V`", "vCluster unknown"):
                lambda: c("enroll", "n3", "--vcluster", "no-such-vc"),
            ("`enroll NODE --vcluster V`",
             "node already enrolled in V (a fresh token is printed)"):
                lambda: c("enroll", "n1", "--vcluster", VC),
            ("`enroll NODE --vcluster V`", "the role may not write V"):
                lambda: c("enroll", "n5", "--vcluster", VC,
                          token=self.viewer),
            ("`enroll status`", "no NODE (`status` is not a node name)"):
                lambda: c("enroll", "status", "--vcluster", VC),
            ("`enroll status NODE`", "success"):
                lambda: c("enroll", "status", "n1"),
            ("`enroll status NODE`", "node unknown to the journal"):
                lambda: c("enroll", "status", "no-such-node"),
            ("`enroll status NODE`",
             "the role may not read the node's vCluster"):
                lambda: c("enroll", "status", "n1", token=make_token(
                    self.secret, sub="val@site",
                    groups=["pact-viewer-elsewhere"])),
            ("`enroll revoke NODE`", "success"):
                lambda: c("enroll", "revoke", "n2"),
            ("`enroll revoke NODE`", "node unknown to the journal"):
                lambda: c("enroll", "revoke", "no-such-node"),
            ("`enroll revoke NODE`", "not a `pact-platform-admin`"):
                lambda: c("enroll", "revoke", "n1", token=self.ops),
            ("`commit`", "the scope is in another principal's emergency"):
                lambda: (self.emergency_on_n2(),
                         c("commit", "-m", "m", "n2", "--set",
                           "kernel:vm.x=1", token=self.ops))[1],
            ("any write on a two-person vCluster",
             "backgrounded with Ctrl-C while waiting for approval"):
                lambda: self.backgrounded()[0],
            ("any write on a two-person vCluster", "the approval is denied"):
                self.denied_wait,
            ("any write on a two-person vCluster",
             "nobody decides before the approval expires"):
                lambda: self.finish(self.waiting("reg2")[0]),
            ("`approve`", "unknown action"): lambda: c("approve", "frob"),
            ("`approve list`", "success"): lambda: c("approve", "list"),
            ("`approve accept ID`", "no approval ID"):
                lambda: c("approve", "accept", "ap-zzzzzzzz"),
            ("`approve accept ID`", "your own request"):
                lambda: c("approve", "accept", self.backgrounded()[1]),
            ("`approve accept ID`",
             "neither `pact-regulated-{vc}` nor `pact-platform-admin`"):
                lambda: c("approve", "accept", self.backgrounded()[1],
                          token=self.ops),
            ("`approve accept ID`", "already decided or expired"):
                lambda: c("approve", "accept", self.decided(),
                          token=self.regulated),
            ("`approve deny ID`", "no `-m REASON`"):
                lambda: c("approve", "deny", "ap-zzzzzzzz"),
            ("`emergency start`", "no `-r REASON`"):
                lambda: c("emergency", "start", "n1"),
            ("`emergency start`", "an AI principal"):
                lambda: c("emergency", "start", "n1", "-r", "x",
                          token=make_token(self.secret, sub="claude",
                                           groups=("pact-platform-admin",),
                                           principal_type="agent")),
            ("`emergency start`",
             "the vCluster policy has `emergency_allowed = false`"):
                lambda: (self.two_person(),
                         c("emergency", "start", "--vcluster", "noem", "-r",
                           "x"))[1],
            ("`emergency start`", "an emergency is already active there"):
                lambda: (self.emergency_on_n2(),
                         c("emergency", "start", "n2", "-r", "again"))[1],
            ("`emergency end`", "another admin's emergency, without `--force`"):
                lambda: (self.emergency_on_n2(),
                         c("emergency", "end", "n2", token=self.ops))[1],
            ("`emergency end --force`", "not a `pact-platform-admin`"):
                lambda: (self.emergency_on_n2(),
                         c("emergency", "end", "n2", "--force",
                           token=self.ops))[1],
            ("`emergency end`", "no emergency is active there"):
                lambda: c("emergency", "end", "n1"),
            ("`log --emergency`", "success"): lambda: c("log", "--emergency"),
            ("any lattice command", "`PACT_LATTICE_ENDPOINT` unset"):
                lambda: self.lattice("queue", endpoint=""),
            ("any lattice command", "lattice unreachable or no answer in time"):
                lambda: self.lattice("queue", endpoint=dead),
            ("any lattice command", "lattice refuses the token"):
                lambda: self.lattice("queue", token="wrong"),
            ("`jobs list`", "success"): lambda: self.lattice("jobs", "list"),
            ("`jobs inspect ID`", "no allocation ID"):
                lambda: self.lattice("jobs", "inspect",
                                     "c0ffee00-0000-4000-8000-00000000dead"),
            ("`accounting`", "`--days` outside 1 .. 3650"):
                lambda: self.lattice("accounting", "--days", "0"),
            ("`budget`", "kind neither `tenant` nor `user`"):
                lambda: self.lattice("budget", "group", "physics"),
            ("`backup verify PATH`", "the backup does not verify"):
                lambda: self.lattice("backup", "verify",
                                     self.file("not-a-backup", "x")),
            ("`cluster`", "lattice not configured (pact's quorum still "
                          "shown)"):
                lambda: self.lattice("cluster", endpoint=""),
            ("`drain NODE`", "success (recorded in the journal, then sent)"):
                lambda: self.lattice("drain", "n2", "-r", "exit codes"),
            ("`drain NODE`",
             "the role may not write the node's vCluster (nothing is sent)"):
                lambda: self.lattice("drain", "n1", pact_token=self.viewer),
            ("`undrain NODE`", "lattice refuses: the node is not drained"):
                lambda: self.lattice("undrain", "n1"),
            ("`reboot NODE`", "node management not configured"):
                lambda: self.lattice("reboot", "n2"),
            ("`reboot NODE`", "the node runs allocations, without `--force`"):
                lambda: self.lattice("reboot", "n1", extra_env={
                    "PACT_NODE_MGMT_BACKEND": "ochami",
                    "PACT_NODE_MGMT_URL": "http://127.0.0.1:1"}),
            ("`health`", "every component up"): self.health_all_up,
            ("`health`", "a component degraded or down"):
                lambda: self.lattice("health", endpoint=dead),
        }

    def test_every_documented_exit_code(self):
        rows = documented_rows()
        self.assertGreater(len(rows), 20)
        self.seed()
        provoke = self.provocations()
        missing = sorted(set(rows) - set(provoke))
        stale = sorted(set(provoke) - set(rows))
        self.assertEqual(missing, [], "rows of docs/cli.md without a "
                                      "provocation in this test")
        self.assertEqual(stale, [], "provocations for rows no longer in "
                                    "docs/cli.md")
        failures = []
        for key, code in rows.items():
            r = provoke[key]()
            if r is False:
                failures.append(f"{key}: a first provocation did not exit "
                                f"{code}")
            elif r.returncode != code:
                failures.append(f"{key}: exit {r.returncode}, documented "
                                f"{code}\n  stderr: {r.stderr.strip()}")
            elif code != 0 and not any(
                    ln.startswith(("pact: ", "Usage: "))
                    for ln in r.stderr.splitlines()):
                failures.append(f"{key}: exit {code} without a message: "
                                f"{r.stderr!r}")
        self.assertEqual(failures, [], "\n".join(failures))


if __name__ == "__main__":
    import unittest
    unittest.main()
