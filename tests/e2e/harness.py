"""Real pact processes on loopback for end-to-end tests.

Every daemon listens on port 0 and reports the ports it bound in
endpoints.json, so tests never use fixed ports and never race for them.
Every process a test starts is stopped (SIGTERM, then SIGKILL) and reaped in
tearDown; a process still alive afterwards fails the test.
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import urllib.request
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("PACT_BIN_DIR", os.path.join(os.getcwd(), "bin"))
# PACT_E2E_KEEP=1: replicas log at debug level (every request and the node
# its answer went to) and each test's directory, logs included, is kept.
KEEP = os.environ.get("PACT_E2E_KEEP") == "1"


def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} not built (set PACT_BIN_DIR)")
    return path


def wait_for(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


_HANDED_OUT = set()


def free_port():
    """A port that is free now, for raft ports, which peers must know before
    the replicas start. Chosen below Linux's ephemeral range (32768+) so that
    port-0 binds and outgoing connections of concurrent tests cannot take it
    before the replica binds it."""
    import random
    rng = random.Random(os.getpid() ^ time.monotonic_ns())
    for _ in range(200):
        port = rng.randrange(20000, 32700)
        if port in _HANDED_OUT:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError("no free port found in 20000-32700")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(secret, sub="e2e-admin", groups=("pact-platform-admin",),
               lifetime=3600, principal_type=None, issuer="pact-dev"):
    """An HS256 JWT as an OIDC provider in development mode would issue;
    `principal_type` sets its pact_principal_type claim."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    now = int(time.time())
    claims = {"sub": sub, "iss": issuer, "aud": "pact",
              "groups": list(groups), "iat": now, "exp": now + lifetime}
    if principal_type:
        claims["pact_principal_type"] = principal_type
    payload = b64url(json.dumps(claims).encode())
    signing = f"{header}.{payload}".encode()
    sig = hmac.new(secret.encode(), signing, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(sig)}"


def http_get_json(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


class Daemon:
    def __init__(self, args, state_dir, env, log_path, match_pid=True):
        """`match_pid`: the endpoints file must name this process (false
        when the daemon forks, as pact-agent --init does: the file is then
        removed before the start instead)."""
        self.args = args
        self.match_pid = match_pid
        if not match_pid:
            try:
                os.unlink(os.path.join(state_dir, "endpoints.json"))
            except FileNotFoundError:
                pass
        self.state_dir = state_dir
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def endpoints(self, timeout=15.0):
        path = os.path.join(self.state_dir, "endpoints.json")

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.args[0]} exited with {self.proc.returncode}:\n"
                    + self.read_log())
            if not os.path.exists(path):
                return None
            with open(path) as f:
                data = json.load(f)
            if self.match_pid and data.get("pid") != self.proc.pid:
                return None
            return data
        return wait_for(ready, timeout, f"{self.args[0]} to listen")

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def dump_stacks(self):
        """Thread stacks of a hung daemon into its log, when gdb exists."""
        if shutil.which("gdb"):
            subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex",
                            "thread apply all bt 15"], stdout=self.log,
                           stderr=subprocess.STDOUT, timeout=60)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.dump_stacks()
                self.proc.kill()
                self.proc.wait()
                frames = [l for l in self.read_log().splitlines()
                          if l.startswith("#") and ("pact" in l
                                                    or "caf::" in l)]
                raise AssertionError(f"{self.args[0]} ignored {sig}; stacks:\n"
                                     + "\n".join(frames[:60]))
        self.log.close()
        return self.proc.returncode


class PactTestCase(unittest.TestCase):
    """Starts journals and agents under a private temporary directory."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pact-e2e-")
        self.daemons = []
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("PACT_")}
        self.env["HOME"] = self.tmp  # no stray ~/.config/pact/cli.toml

    def write(self, path, text):
        """Writes node path `path` under the test node's root (self.root),
        creating its directories."""
        full = os.path.join(self.root, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)

    def read(self, path):
        """The text of node path `path` under self.root."""
        with open(os.path.join(self.root, path.lstrip("/"))) as f:
            return f.read()

    def tearDown(self):
        errors = []
        for d in reversed(self.daemons):
            try:
                d.stop()
            except AssertionError as e:
                errors.append(str(e))
        for d in self.daemons:
            if d.proc.poll() is None:
                errors.append(f"leaked process {d.proc.pid}")
        if KEEP:
            print(f"\nkept {self.tmp} (PACT_E2E_KEEP)")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if errors:
            self.fail("; ".join(errors))

    def start_journal(self, name="journal", listen="127.0.0.1:0", extra=()):
        data = os.path.join(self.tmp, name)
        args = [binary("pact-journal"), "--dev", "--data-dir", data,
                "--listen", listen, "--raft-listen", "127.0.0.1:0",
                "--metrics-listen", "127.0.0.1:0", *extra]
        d = Daemon(args, data, self.env, os.path.join(self.tmp, name + ".log"))
        self.daemons.append(d)
        d.gateway = d.endpoints()["gateway"]
        d.token_path = os.path.join(data, "dev", "admin.token")
        d.secret_path = os.path.join(data, "dev", "hmac-secret")
        return d

    def start_agent(self, journal, node_id="node-e2e", vcluster="e2e",
                    extra=(), journals=None, secret=None, token=True,
                    prefix=()):
        """A pact-agent under a temporary --root. It authenticates with a
        node credential for `node_id` minted with the journal's secret
        (token=False: none; a string: that token file). `journals` lists
        gateway URLs (default: the journal's). Restarting the same node
        reuses its state dir (and so its boot cache) and its root.
        `prefix`: a command the agent runs under (`unshare --pid --fork`);
        it or the agent may fork, so the endpoints file is not matched by
        pid then."""
        state = os.path.join(self.tmp, node_id)
        root = os.path.join(self.tmp, node_id + "-root")
        os.makedirs(root, exist_ok=True)
        env = dict(self.env)
        if secret is None:
            with open(journal.secret_path) as f:
                secret = f.read().strip()
        env["PACT_OIDC_HMAC_SECRET"] = secret
        args = [*prefix, binary("pact-agent"), "--node-id", node_id,
                "--vcluster", vcluster, "--journal",
                ",".join(journals or [journal.gateway]),
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                "--root", root, "--state-dir", state, *extra]
        if isinstance(token, str):
            args += ["--token-file", token]
        elif token:
            path = os.path.join(self.tmp, node_id + ".token")
            with open(path, "w") as f:
                f.write(make_token(secret, sub=node_id,
                                   groups=("pact-node",)) + "\n")
            args += ["--token-file", path]
        d = Daemon(args, state, env, os.path.join(self.tmp, node_id + ".log"),
                   match_pid=not prefix and "--init" not in extra)
        self.daemons.append(d)
        d.api = d.endpoints()["agent_api"]
        d.root = root
        return d

    def start_dev_journal(self, listen="127.0.0.1:0"):
        """A development journal as self.journal, with self.admin (its
        admin token) and self.secret (its HS256 secret, for make_token)."""
        self.journal = self.start_journal(listen=listen)
        self.admin = self.token_of(self.journal)
        with open(self.journal.secret_path) as f:
            self.secret = f.read().strip()
        return self.journal

    def start_operated_node(self, spec, node_id, vcluster, programs,
                            agent_config, listen="127.0.0.1:0", extra=(),
                            prefix=()):
        """A journal with `spec` applied and `node_id` enrolled in
        `vcluster`, and the node's agent under a root whose /usr/bin holds
        copies of the host's `programs` (what exec and shell tests run),
        configured with the TOML text `agent_config`. Sets self.journal,
        self.admin (the journal's admin token), self.secret (its HS256
        secret) and returns the agent."""
        self.start_dev_journal(listen=listen)
        path = os.path.join(self.tmp, "spec.toml")
        with open(path, "w") as f:
            f.write(spec)
        for args in (("apply", path, "-m", "operated node policy"),
                     ("enroll", node_id, "--vcluster", vcluster)):
            r = self.pact(*args, "--endpoint", self.journal.gateway,
                          token=self.admin)
            self.assertEqual(r.returncode, 0, r.stderr)
        root = os.path.join(self.tmp, node_id + "-root")
        os.makedirs(os.path.join(root, "usr", "bin"))
        for p in programs:
            shutil.copy(shutil.which(p), os.path.join(root, "usr", "bin", p))
        config = os.path.join(self.tmp, "agent.toml")
        with open(config, "w") as f:
            f.write(agent_config)
        return self.start_agent(self.journal, node_id, vcluster,
                                extra=("--config", config, *extra),
                                prefix=prefix)

    def start_replica(self, node_id, members, secret, name=None,
                      bootstrap=True, config=None, scheme="http",
                      listen="127.0.0.1:0"):
        """One member of a multi-replica cluster; `members` maps id to raft
        port. Reuses the data directory of an earlier start of `name`."""
        name = name or f"replica{node_id}"
        data = os.path.join(self.tmp, name)
        peers = ",".join(f"{i}={scheme}://127.0.0.1:{p}"
                         for i, p in members.items())
        args = [binary("pact-journal"), "--node-id", str(node_id),
                "--data-dir", data, "--listen", listen,
                "--raft-listen", f"{scheme}://127.0.0.1:{members[node_id]}",
                "--metrics-listen", "127.0.0.1:0", "--peers", peers]
        if bootstrap:
            args.append("--bootstrap")
        if KEEP:
            args += ["--log-level", "debug"]
        if config:
            path = os.path.join(self.tmp, name + ".toml")
            with open(path, "w") as f:
                f.write(config)
            args += ["--config", path]
        env = dict(self.env)
        env["PACT_OIDC_HMAC_SECRET"] = secret
        d = Daemon(args, data, env, os.path.join(self.tmp, name + ".log"))
        self.daemons.append(d)
        eps = d.endpoints()
        d.gateway = eps["gateway"]
        d.metrics = eps["metrics"]
        d.node_id = node_id
        d.data = data
        return d

    def health(self, replica):
        try:
            return http_get_json(replica.metrics + "/health")
        except OSError:
            return None

    def pact(self, *args, token=None, env=None, timeout=30):
        e = dict(self.env)
        if token is not None:
            e["PACT_TOKEN"] = token
        e.update(env or {})
        return subprocess.run([binary("pact"), *args], env=e,
                              capture_output=True, text=True,
                              timeout=timeout)

    @staticmethod
    def token_of(journal):
        with open(journal.token_path) as f:
            return f.read().strip()


class ClusterTestCase(PactTestCase):
    """A multi-replica cluster of real pact-journal processes (no tests of
    its own, so importing it runs nothing twice)."""

    SECRET = "e2e-cluster-secret-0123456789abcdef"

    def start_cluster(self, n=3, config=None):
        self.members = {i: free_port() for i in range(1, n + 1)}
        self.config = config
        self.replicas = {i: self.start_replica(i, self.members, self.SECRET,
                                               config=config)
                         for i in self.members}
        self.token = make_token(self.SECRET)
        return self.replicas

    def restart(self, node_id):
        r = self.start_replica(node_id, self.members, self.SECRET,
                               bootstrap=False, config=self.config)
        self.replicas[node_id] = r
        return r

    def alive(self):
        return [r for r in self.replicas.values() if r.proc.poll() is None]

    def dump(self, replica):
        """The stopped replica's Raft log: (head, {index: (term, data)})."""
        r = subprocess.run([binary("pact-journal"), "--dump-log",
                            "--data-dir", replica.data],
                           capture_output=True, text=True, timeout=60,
                           env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        head = json.loads(lines[0])
        entries = {}
        for line in lines[1:]:
            e = json.loads(line)
            entries[e["index"]] = (e["term"], e["data"])
        return head, entries

    def leader(self):
        for r in self.alive():
            h = self.health(r)
            if h and h["role"] == "leader":
                return r, h
        return None

    def wait_converged(self, timeout=30):
        def same():
            hs = [self.health(r) for r in self.alive()]
            if any(h is None for h in hs):
                return None
            applied = {h["applied_index"] for h in hs}
            digests = {h["digest"] for h in hs}
            leaders = {h["leader_id"] for h in hs}
            if len(applied) == 1 and len(digests) == 1 and 0 not in leaders \
                    and len(leaders) == 1:
                return hs
            return None
        return wait_for(same, timeout, "replicas to converge")
