"""The agent's side of enrollment and mTLS (issue 16; docs/security.md "Node
enrollment", docs/cli.md "pact enroll"), with real processes on loopback:
a one-time token buys a certificate over TLS and the agent boots with it;
a wrong hardware id, a revoked node, a used token and an unknown node are
refused and leave no certificate; an expired certificate is replaced at
start and refused by the gateway's TLS layer; a rotated (ephemeral) node
CA makes a restarted agent enroll again; renewal swaps the certificate
without dropping the journal link; an https:// agent API is verified by
the CLI against the journal's node CA and the node's name; and settings
that cannot work stop the agent at start, naming the key.
"""
import datetime
import json
import os
import re
import shutil
import stat
import subprocess
import time
import unittest

from tls_tools import asn1_time, openssl

# The journal's refusals name the request they refused ("(request
# enroll#1a2b3c4d)", docs/operations.md "Logs"); the sentences around them
# are what these tests read.
REQUEST_ID = re.compile(r" \(request [^)]*\)")


def without_request_ids(text):
    return REQUEST_ID.sub("", text)
from harness import Daemon, PactTestCase, binary, free_port, make_token, \
    wait_for

VC = "ml"
SPEC = (f'[vcluster.{VC}.sysctl]\n"vm.swappiness" = "10"\n'
        f'[vcluster.{VC}.policy]\nexec_whitelist = ["echo"]\n')
HW_A = "uuid:4c4c4544-0042-3510-8051-b4c04f4e4d32"
HW_B = "uuid:0f6e2a51-93d1-4b6c-a0e4-7d1c2b3a4f50"
ISSUED = re.compile(r"enrollment: certificate ([0-9a-f]+) for (\S+) valid "
                    r"until (\S+) \(renewal at (\S+)\)")
CONNECTED = "journal link: connected to "

# `openssl ca` for node certificates signed by a file-based node CA: the
# only way in OpenSSL 3.0 to set a validity window in the past.
NODE_CA_CONFIG = """\
[ca]
default_ca = node
[node]
database = index.txt
new_certs_dir = .
certificate = ca.crt
private_key = ca.key
default_md = sha256
policy = any_cn
copy_extensions = none
x509_extensions = node_cert
rand_serial = yes
unique_subject = no
[any_cn]
commonName = supplied
[node_cert]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth,serverAuth
subjectAltName = DNS:n1
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
"""






class AgentEnrollTest(PactTestCase):
    # --- the journal ---------------------------------------------------

    def start_tls_journal(self, config=None, port=None, raft=None):
        """A development journal with an https gateway (fixed ports when
        given: a restart reuses them and the data directory), its spec
        applied once. Sets self.journal, self.admin, self.secret, self.ca
        (the gateway's CA bundle)."""
        data = os.path.join(self.tmp, "journal")
        args = [binary("pact-journal"), "--dev", "--data-dir", data,
                "--listen", f"https://127.0.0.1:{port or 0}",
                "--raft-listen", f"127.0.0.1:{raft or 0}",
                "--metrics-listen", "127.0.0.1:0"]
        if config:
            path = os.path.join(self.tmp, "journal.toml")
            with open(path, "w") as f:
                f.write(config)
            args += ["--config", path]
        first = not os.path.exists(data)
        j = Daemon(args, data, self.env, os.path.join(self.tmp,
                                                      "journal.log"))
        self.daemons.append(j)
        j.gateway = j.endpoints()["gateway"]
        j.token_path = os.path.join(data, "dev", "admin.token")
        j.secret_path = os.path.join(data, "dev", "hmac-secret")
        self.journal = j
        self.admin = self.token_of(j)
        with open(j.secret_path) as f:
            self.secret = f.read().strip()
        self.ca = os.path.join(data, "dev", "ca.crt")
        if first:
            spec = os.path.join(self.tmp, "spec.toml")
            with open(spec, "w") as f:
                f.write(SPEC)
            self.ok("apply", spec, "-m", "spec")
        return j

    # --- the CLI -------------------------------------------------------

    def cli(self, *args, env=None, timeout=30):
        e = {"PACT_ENDPOINT": self.journal.gateway,
             "PACT_CA_BUNDLE": self.ca}
        e.update(env or {})
        return self.pact(*args, token=self.admin, env=e, timeout=timeout)

    def ok(self, *args, env=None):
        r = self.cli(*args, env=env)
        self.assertEqual(r.returncode, 0, f"{args}: {r.stdout}{r.stderr}")
        return r

    def enroll(self, node, hw=None):
        """`pact enroll NODE --vcluster ml`; returns the path of a file
        holding the one-time token it printed."""
        extra = ("--hardware-id", hw) if hw else ()
        r = self.ok("--output", "json", "enroll", node, "--vcluster", VC,
                    *extra)
        token = json.loads(r.stdout)["enroll_token"]
        self.tokens = getattr(self, "tokens", 0) + 1
        path = os.path.join(self.tmp, f"{node}.enroll{self.tokens}")
        with open(path, "w") as f:
            f.write(token + "\n")
        return path

    def status(self, node):
        return json.loads(self.ok("--output", "json", "enroll", "status",
                                  node).stdout)

    # --- agents --------------------------------------------------------

    def tls_dir(self, node):
        return os.path.join(self.tmp, node + "-tls")

    def agent_args(self, node, enroll_token=None, hw=HW_A, credential=False,
                   listen="127.0.0.1:0", journal=None, config_extra=""):
        """pact-agent's command line for `node`, its certificate under
        tls_dir(node)."""
        x = self.tls_dir(node)
        config = os.path.join(self.tmp, node + "-agent.toml")
        with open(config, "w") as f:
            f.write(f'[agent.journal]\ntls_ca = "{self.ca}"\n{config_extra}'
                    f'[agent.tls]\ncert = "{x}/agent.crt"\n'
                    f'key = "{x}/agent.key"\n')
        root = os.path.join(self.tmp, node + "-root")
        os.makedirs(root, exist_ok=True)
        args = [binary("pact-agent"), "--config", config, "--node-id", node,
                "--vcluster", VC, "--journal",
                journal or self.journal.gateway, "--listen", listen,
                "--state-dir", os.path.join(self.tmp, node), "--root", root]
        if enroll_token:
            args += ["--enroll-token-file", enroll_token]
        if hw:
            args += ["--hardware-id", hw]
        if credential:
            path = os.path.join(self.tmp, node + ".credential")
            with open(path, "w") as f:
                f.write(make_token(self.secret, sub=node,
                                   groups=("pact-node",)) + "\n")
            args += ["--token-file", path]
        return args

    def start_node(self, node, *, wait_listen=True, **kw):
        """A pact-agent for `node` (agent_args' keywords); its log grows
        across restarts of the same node."""
        env = dict(self.env, PACT_OIDC_HMAC_SECRET=self.secret)
        d = Daemon(self.agent_args(node, **kw), os.path.join(self.tmp, node),
                   env, os.path.join(self.tmp, node + ".log"))
        self.daemons.append(d)
        if wait_listen:
            d.api = d.endpoints()["agent_api"]
        return d

    def wait_log(self, daemon, text, timeout=15, count=1):
        """Waits until `text` occurs `count` times in the daemon's log."""
        return wait_for(lambda: daemon.read_log().count(text) >= count,
                        timeout, f"{text!r} x{count} in {daemon.log_path}:\n"
                        + daemon.read_log()[-3000:])

    def issued(self, agent):
        """The serials of every certificate the agent logged it got."""
        return [m.group(1) for m in ISSUED.finditer(agent.read_log())]

    def assert_no_cert(self, node):
        x = self.tls_dir(node)
        for name in ("agent.crt", "agent.key", "agent.crt.ca"):
            self.assertFalse(os.path.exists(os.path.join(x, name)), name)

    def cert_text(self, node):
        return openssl("x509", "-in", os.path.join(self.tls_dir(node),
                                                   "agent.crt"),
                       "-noout", "-subject", "-serial", "-ext",
                       "subjectAltName", cwd=self.tmp)

    # --- 1 -------------------------------------------------------------

    def test_enrolls_and_boots_over_mtls(self):
        self.start_tls_journal()
        tok = self.enroll("n1", hw=HW_A)
        a = self.start_node("n1", enroll_token=tok)
        self.wait_log(a, "booted from the journal at "
                      + self.journal.gateway)
        log = a.read_log()
        serials = self.issued(a)
        self.assertEqual(len(serials), 1, log)
        # Enrollment came first, then the link connected over TLS.
        self.assertLess(log.index("enrollment: certificate"),
                        log.index(CONNECTED + self.journal.gateway), log)
        st = self.status("n1")
        self.assertEqual(st["state"], "active")
        self.assertEqual(st["cert_serial"].lower(), serials[0])
        self.assertEqual(st["hardware_id"], HW_A)
        self.assertFalse(st["cert_expired"])
        text = self.cert_text("n1")
        self.assertRegex(text, r"subject=\s*CN\s*=\s*n1\b")
        self.assertIn("DNS:n1", text)
        self.assertIn(serials[0], text.lower())
        x = self.tls_dir("n1")
        mode = stat.S_IMODE(os.stat(os.path.join(x, "agent.key")).st_mode)
        self.assertEqual(mode, 0o600, oct(mode))
        # The stored CA is the journal's node CA, which signed the cert.
        openssl("verify", "-CAfile", os.path.join(x, "agent.crt.ca"),
                os.path.join(x, "agent.crt"), cwd=self.tmp)
        # The journal's log: node-activated, then boot-config, both by n1
        # (a service principal in the node role; "agent" is for AI
        # callers, docs/authentication.md).
        entries = json.loads(self.ok("--output", "json", "log", "-n",
                                     "20").stdout)["entries"]
        by_type = {e["type"]: e for e in entries}
        activated = by_type["node-activated"]
        booted = by_type["boot-config"]
        for e in (activated, booted):
            self.assertEqual(e["author"]["principal"], "n1", e)
            self.assertEqual(e["author"]["principal_type"], "service", e)
            self.assertEqual(e["author"]["role"], "pact-node", e)
        self.assertLess(activated["sequence"], booted["sequence"])
        self.assertIn(serials[0], activated["message"].lower())
        self.assertIn(HW_A, activated["message"])
        # The token never reaches a log.
        with open(tok) as f:
            token = f.read().strip()
        self.assertNotIn(token, log)
        self.assertNotIn(token, self.journal.read_log())

    # --- 2 -------------------------------------------------------------

    def test_hardware_mismatch_then_enrolled_with_the_right_id(self):
        self.start_tls_journal()
        tok = self.enroll("n1", hw=HW_A)
        a = self.start_node("n1", enroll_token=tok, hw=HW_B,
                            wait_listen=False)
        self.wait_log(a, "enrollment: hardware mismatch")
        self.wait_log(self.journal, "enrollment: refused the certificate "
                      "request of node n1: enrollment: hardware mismatch")
        self.assert_no_cert("n1")
        self.assertEqual(self.status("n1")["state"], "registered")
        a.stop()
        # The troubleshooting guide's fix: enroll again with the right id.
        tok2 = self.enroll("n1", hw=HW_B)
        a = self.start_node("n1", enroll_token=tok2, hw=HW_B)
        self.wait_log(a, "booted from the journal")
        st = self.status("n1")
        self.assertEqual(st["state"], "active")
        self.assertEqual(st["hardware_id"], HW_B)
        self.assertEqual(st["cert_serial"].lower(), self.issued(a)[-1])

    def probe(self, node, csr, token_file=None, credential=None):
        """pact-enroll-probe: one certificate request with `csr`."""
        args = [binary("pact-enroll-probe"), self.journal.gateway, self.ca,
                node, HW_A, csr]
        if token_file:
            args.append(token_file)
        env = dict(self.env)
        env.pop("PACT_TOKEN", None)
        if credential:
            env["PACT_TOKEN"] = credential
        return subprocess.run(args, env=env, capture_output=True, text=True,
                              timeout=60)

    def test_replayed_csr_is_refused(self):
        """The same CSR twice: the first is signed, the second (as a
        renewal with the node's credential, or with another one-time token)
        is refused as a replay, and nothing is issued for it."""
        self.start_tls_journal()
        key = os.path.join(self.tmp, "n1.key")
        csr = os.path.join(self.tmp, "n1.csr")
        openssl("req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", csr, "-subj", "/CN=n1", cwd=self.tmp)
        first = self.probe("n1", csr, token_file=self.enroll("n1", hw=HW_A))
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("BEGIN CERTIFICATE", first.stdout)
        serial = self.status("n1")["cert_serial"]
        self.assertTrue(serial)
        credential = make_token(self.secret, sub="n1", groups=["pact-node"])
        again = self.probe("n1", csr, credential=credential)
        self.assertEqual(again.returncode, 2, again.stderr)
        self.assertIn("enrollment: replayed CSR", again.stderr)
        # With a fresh one-time token too.
        again = self.probe("n1", csr, token_file=self.enroll("n1", hw=HW_A))
        self.assertEqual(again.returncode, 2, again.stderr)
        self.assertIn("enrollment: replayed CSR", again.stderr)
        self.assertEqual(self.status("n1")["cert_serial"], serial)
        # A malformed CSR and one naming another node: refused, exit 2.
        junk = os.path.join(self.tmp, "junk.csr")
        with open(junk, "w") as f:
            f.write("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
                    "-----END CERTIFICATE REQUEST-----\n")
        bad = self.probe("n1", junk, credential=credential)
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("enrollment: malformed CSR", bad.stderr)
        other = self.probe("n2", csr, credential=make_token(
            self.secret, sub="n2", groups=["pact-node"]))
        self.assertEqual(other.returncode, 2, other.stderr)
        self.assertIn("enrollment:", other.stderr)

    def test_hardware_id_read_from_the_root(self):
        """Without --hardware-id the agent reads the SMBIOS UUID under its
        --root (upper case there; compared in lower case)."""
        self.start_tls_journal()
        tok = self.enroll("n1", hw=HW_A)
        root = os.path.join(self.tmp, "n1-root")
        os.makedirs(os.path.join(root, "sys/class/dmi/id"))
        with open(os.path.join(root, "sys/class/dmi/id/product_uuid"),
                  "w") as f:
            f.write(HW_A[len("uuid:"):].upper() + "\n")
        a = self.start_node("n1", enroll_token=tok, hw=None)
        self.wait_log(a, "booted from the journal")
        self.assertEqual(self.status("n1")["state"], "active")

    # --- 3 -------------------------------------------------------------

    def test_revoked_node_is_refused(self):
        self.start_tls_journal()
        tok = self.enroll("n1")
        self.ok("enroll", "revoke", "n1")
        a = self.start_node("n1", enroll_token=tok, wait_listen=False)
        self.wait_log(a, "enrollment: node n1 is revoked")
        self.assert_no_cert("n1")
        self.assertEqual(self.status("n1")["state"], "revoked")

    # --- 4 -------------------------------------------------------------

    def test_used_token_is_refused(self):
        self.start_tls_journal()
        tok = self.enroll("n1")
        a = self.start_node("n1", enroll_token=tok)
        self.wait_log(a, "booted from the journal")
        first = self.status("n1")["cert_serial"]
        a.stop()
        x = self.tls_dir("n1")
        for name in ("agent.crt", "agent.key", "agent.crt.ca"):
            os.unlink(os.path.join(x, name))
        a = self.start_node("n1", enroll_token=tok, wait_listen=False)
        self.wait_log(a, "enrollment: invalid or already used enrollment "
                      "token")
        self.assert_no_cert("n1")
        self.assertEqual(self.status("n1")["cert_serial"], first)

    # --- 5 -------------------------------------------------------------

    def test_node_never_enrolled_is_refused(self):
        self.start_tls_journal()
        self.enroll("n1")  # another node's token exists; n5 has none
        path = os.path.join(self.tmp, "n5.enroll")
        with open(path, "w") as f:
            f.write("pact-enroll-" + "A" * 43 + "\n")
        a = self.start_node("n5", enroll_token=path, wait_listen=False)
        self.wait_log(a, "enrollment: unknown node n5")
        self.assert_no_cert("n5")
        r = self.cli("enroll", "status", "n5")
        self.assertEqual(r.returncode, 1, r.stderr)

    def test_another_nodes_token_is_refused(self):
        """n1's token presented for n2 (enrolled with a token of its own)."""
        self.start_tls_journal()
        tok1 = self.enroll("n1")
        self.enroll("n2")
        a = self.start_node("n2", enroll_token=tok1, wait_listen=False)
        self.wait_log(a, "enrollment: invalid or already used enrollment "
                      "token")
        self.assert_no_cert("n2")
        self.assertEqual(self.status("n1")["state"], "registered")

    # --- 6 -------------------------------------------------------------

    def make_node_ca(self):
        d = os.path.join(self.tmp, "node-ca")
        os.makedirs(d)
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write(NODE_CA_CONFIG)
        open(os.path.join(d, "index.txt"), "w").close()
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key",
                "-out", "ca.crt", "-days", "2", "-subj", "/CN=e2e node CA",
                "-config", "ca.cnf", "-extensions", "ca_ext", cwd=d)
        return d

    def forge(self, ca_dir, name, start, end):
        """An n1 certificate signed by the node CA, valid from now+start to
        now+end; returns (cert, key) paths."""
        openssl("req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                f"{name}.key", "-out", f"{name}.csr", "-subj", "/CN=n1",
                cwd=ca_dir)
        openssl("ca", "-batch", "-config", "ca.cnf", "-in", f"{name}.csr",
                "-out", f"{name}.crt", "-startdate", asn1_time(start),
                "-enddate", asn1_time(end), "-notext", cwd=ca_dir)
        return (os.path.join(ca_dir, f"{name}.crt"),
                os.path.join(ca_dir, f"{name}.key"))

    def s_client(self, port, cert, key, *extra):
        """`openssl s_client` to the gateway presenting cert/key; (exit
        code, output). A line is sent so that a TLS 1.3 server's verdict
        on the certificate (after the client's Finished) is read."""
        try:
            r = subprocess.run(
                ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                 "-CAfile", self.ca, "-cert", cert, "-key", key,
                 "-verify_return_error", *extra],
                input="x\n", capture_output=True, text=True, timeout=5,
                errors="replace")
            return r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired as e:
            return None, str(e.stdout or "") + str(e.stderr or "")

    def handshake_refusals(self):
        return re.findall(r"tls: handshake with 127\.0\.0\.1:\d+: (.*)",
                          self.journal.read_log())

    def test_expired_certificate_is_replaced_at_start_and_refused_by_tls(
            self):
        ca_dir = self.make_node_ca()
        ca_crt = os.path.join(ca_dir, "ca.crt")
        ca_key = os.path.join(ca_dir, "ca.key")
        self.start_tls_journal(config=f'[journal.tls]\nca_cert = "{ca_crt}"'
                               f'\nca_key = "{ca_key}"\n')
        tok = self.enroll("n1")
        a = self.start_node("n1", enroll_token=tok, credential=True)
        self.wait_log(a, "booted from the journal")
        first = self.issued(a)[0]
        a.stop()
        # The stored certificate is now an expired one from the same CA.
        day = datetime.timedelta(days=1)
        hour = datetime.timedelta(hours=1)
        old_crt, old_key = self.forge(ca_dir, "expired", -2 * day, -hour)
        x = self.tls_dir("n1")
        for src, dst in ((old_crt, "agent.crt"), (old_key, "agent.key")):
            with open(src) as f, open(os.path.join(x, dst), "w") as g:
                g.write(f.read())
        a = self.start_node("n1", enroll_token=tok, credential=True)
        self.wait_log(a, "booted from the journal", count=2)
        log = without_request_ids(a.read_log())
        self.assertIn("is expired, names another node, or is signed by a CA "
                      "the journal no longer has", log)
        # The one-time token is used up: the node credential asked.
        self.assertIn("enrollment: invalid or already used enrollment token"
                      "; trying the node credential", log)
        serials = self.issued(a)
        self.assertEqual(len(serials), 2, log)
        self.assertNotEqual(serials[1], first)
        self.assertEqual(self.status("n1")["cert_serial"].lower(),
                         serials[1])
        self.assertIn(serials[1], self.cert_text("n1").lower())
        self.assertEqual(self.handshake_refusals(), [])
        # The gateway's TLS layer refuses the expired certificate: in TLS
        # 1.2 the handshake itself fails...
        port = int(self.journal.gateway.rsplit(":", 1)[1])
        rc, out = self.s_client(port, old_crt, old_key, "-tls1_2")
        self.assertNotEqual(rc, 0, out)
        self.assertRegex(out, r"alert certificate expired", out)
        self.assertNotIn("Verify return code: 0 (ok)\n---\n", out)
        wait_for(lambda: len(self.handshake_refusals()) == 1, 5,
                 "the journal to log the refused handshake")
        self.assertIn("expired", self.handshake_refusals()[0])
        # ...in TLS 1.3 the server refuses after the client's Finished.
        rc, out = self.s_client(port, old_crt, old_key, "-tls1_3")
        wait_for(lambda: len(self.handshake_refusals()) == 2, 5,
                 "the journal to log the refused TLS 1.3 handshake:\n" + out)
        self.assertIn("expired", self.handshake_refusals()[1])
        # A valid certificate from the same CA is taken (the control).
        good_crt, good_key = self.forge(ca_dir, "valid", -hour, day)
        for version in ("-tls1_2", "-tls1_3"):
            rc, out = self.s_client(port, good_crt, good_key, version)
            self.assertRegex(out, r"New, TLSv1\.[23]", out)
        time.sleep(0.5)
        self.assertEqual(len(self.handshake_refusals()), 2,
                         self.handshake_refusals())

    # --- 7 -------------------------------------------------------------

    def rotate_ca_under_a_running_agent(self):
        """An agent enrolled under an ephemeral node CA, then the journal
        restarted (same data, same ports): a new CA. Returns the agent and
        the serial it had."""
        port, raft = free_port(), free_port()
        self.start_tls_journal(port=port, raft=raft)
        self.first_token = self.enroll("n1")
        a = self.start_node("n1", enroll_token=self.first_token,
                            credential=True,
                            config_extra="reconnect_max_seconds = 1\n")
        self.wait_log(a, "booted from the journal")
        first = self.status("n1")["cert_serial"]
        self.journal.stop()
        self.start_tls_journal(port=port, raft=raft)
        # The running agent reconnects with a certificate of the old CA:
        # the gateway refuses it at the TLS layer.
        wait_for(lambda: "certificate verify failed: the certificate is "
                 "signed by a CA that is not trusted here"
                 in self.journal.read_log(), 20,
                 "the journal to refuse the old certificate")
        return a, first

    def test_rotated_ephemeral_ca_makes_a_restarted_agent_enroll_again(self):
        a, first = self.rotate_ca_under_a_running_agent()
        a.stop()
        a = self.start_node("n1", enroll_token=self.first_token,
                            credential=True,
                            config_extra="reconnect_max_seconds = 1\n")
        self.wait_log(a, "booted from the journal", count=2)
        log = without_request_ids(a.read_log())
        self.assertIn("signed by a CA the journal no longer has", log)
        self.assertIn("enrollment: invalid or already used enrollment token"
                      "; trying the node credential", log)
        second = self.status("n1")["cert_serial"]
        self.assertNotEqual(first, second)
        self.assertEqual(self.issued(a)[-1], second.lower())
        self.assertEqual(self.status("n1")["state"], "active")

    # Regression (helper-53): the agent's journal link logged "journal
    # unreachable at URL" when
    # the gateway refuses its client certificate (TLS 1.3: the refusal
    # arrives after the client's handshake completed, so the middleman's
    # "the peer refused our certificate ..." reason never reaches
    # journal_link.cpp's connector); the operator cannot tell a rotated CA
    # from a journal that is down.
    def test_running_agent_says_its_certificate_was_refused(self):
        a, _ = self.rotate_ca_under_a_running_agent()
        wait_for(lambda: re.search(r"journal link: .*certificate",
                                   a.read_log()), 5,
                 "the agent to say its certificate was refused:\n"
                 + a.read_log()[-1500:])

    # --- 8 -------------------------------------------------------------

    def start_short_lived(self):
        """A journal issuing 30 s certificates and n1's agent reporting
        every second; returns the agent, booted."""
        self.start_tls_journal(config="[journal.tls]\n"
                               "node_cert_validity_seconds = 30\n")
        a = self.start_node("n1", enroll_token=self.enroll("n1"),
                            config_extra="report_interval_seconds = 1\n")
        self.wait_log(a, "booted from the journal")
        return a

    def test_renewal_keeps_the_connection(self):
        a = self.start_short_lived()
        self.assertEqual(len(self.issued(a)), 1)
        wait_for(lambda: len(self.issued(a)) >= 2, 35,
                 "a renewed certificate:\n" + a.read_log()[-3000:])
        serials = self.issued(a)
        self.assertNotEqual(serials[0], serials[1])
        self.assertIn(f"enrollment: issued certificate {serials[1]} to node "
                      "n1", self.journal.read_log())
        st = self.status("n1")
        self.assertEqual(st["state"], "active")
        self.assertIn(st["cert_serial"].lower(), serials[1:])
        # The stored certificate is a renewed one.
        stored = self.cert_text("n1").lower()
        self.assertTrue(any(s in stored for s in serials[1:]), stored)
        # Reports keep flowing on the one connection.
        time.sleep(3)
        st = json.loads(self.ok("--output", "json", "status").stdout)
        node = next(n for n in st["nodes"] if n["node_id"] == "n1")
        self.assertLess(node["last_seen_age_ms"], 3000, node)
        log = a.read_log()
        self.assertEqual(log.count(CONNECTED), 1, log)
        self.assertNotIn("journal link: lost", log)

    # Regression (helper-53): node certificates are backdated 300 s (pki
    # backdate_seconds) but node::renew_at takes two thirds of
    # not_after - not_before, backdating included: a 30 s certificate is
    # due 80 s before it was issued, so the renewer asks again every second
    # (a NODE_ACTIVATE entry each time) for as long as the agent runs. Any
    # validity under 150 s storms; under 600 s renews early.
    def test_renewal_comes_at_two_thirds_of_the_life(self):
        a = self.start_short_lived()
        m = ISSUED.search(a.read_log())
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        until = datetime.datetime.strptime(m.group(3), fmt)
        renew = datetime.datetime.strptime(m.group(4), fmt)
        time.sleep(4)
        # Renewal 20 s after issuance (10 s before the end), so none in
        # the first seconds.
        self.assertEqual(len(self.issued(a)), 1, a.read_log())
        self.assertGreaterEqual((until - renew).total_seconds(), 8,
                                m.group(0))

    def test_revoked_or_enrolled_again_node_is_not_renewed(self):
        """docs/cli.md: revoking a node, or enrolling it again, stops the
        renewal of the certificate it holds."""
        self.start_tls_journal(config="[journal.tls]\n"
                               "node_cert_validity_seconds = 30\n")
        a = self.start_node("n1", enroll_token=self.enroll("n1"))
        b = self.start_node("n2", enroll_token=self.enroll("n2"))
        self.wait_log(a, "booted from the journal")
        self.wait_log(b, "booted from the journal")
        self.ok("enroll", "revoke", "n1")
        self.enroll("n2")
        # Refused twice over: the gateway no longer accepts the revoked
        # certificate's token, and enrollment would refuse the renewal.
        self.wait_log(a, "node n1 is revoked", timeout=35)
        self.wait_log(b, "enrollment: node n2 has no active certificate to "
                      "renew", timeout=35)
        self.assertEqual(self.status("n1")["state"], "revoked")
        self.assertEqual(self.status("n2")["state"], "registered")

    # --- 9 -------------------------------------------------------------

    def test_agent_api_over_https_is_verified_by_node_name(self):
        self.start_tls_journal()
        bin_dir = os.path.join(self.tmp, "n1-root", "usr", "bin")
        os.makedirs(bin_dir)
        shutil.copy(shutil.which("echo"), bin_dir)
        a = self.start_node("n1", enroll_token=self.enroll("n1"),
                            listen="https://127.0.0.1:0")
        self.assertTrue(a.api.startswith("https://"), a.api)
        self.wait_log(a, "booted from the journal")
        self.assertIn("agent API listening on https://", a.read_log())
        # The endpoint the agent recorded in the journal.
        r = self.cli("diff", "n1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.cli("cap", "n1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.cli("exec", "n1", "--", "echo", "over-tls")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("over-tls", r.stdout)
        # The certificate names n1, not localhost: the CLI checks the
        # node's name, so another host name for the same agent works.
        port = a.api.rsplit(":", 1)[1]
        r = self.cli("diff", "n1",
                     env={"PACT_AGENT_ENDPOINT": f"https://localhost:{port}"})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Another node's agent given as n1's: its certificate names n2.
        b = self.start_node("n2", enroll_token=self.enroll("n2"),
                            listen="https://127.0.0.1:0")
        self.wait_log(b, "booted from the journal")
        r = self.cli("diff", "n1", env={"PACT_AGENT_ENDPOINT": b.api})
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("certificate", r.stderr)
        self.assertNotRegex(r.stderr, r"SSL routines|error:[0-9A-Fa-f]{8}:")
        self.assertIn("pact: cannot connect to agent at " + b.api
                      + ": certificate verify failed", r.stderr)
        # A plain http:// endpoint for an https agent does not work either.
        r = self.cli("diff", "n1", env={
            "PACT_AGENT_ENDPOINT": "http://127.0.0.1:" + port})
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertIn("use an https:// endpoint", r.stderr)

    def test_no_credentials_for_a_revoked_or_superseded_agent(self):
        """helper-54: after `pact enroll revoke` (or a new enrollment) the
        CLI kept sending the operator's token to the node's agent. It now
        reads the enrollment first: a revoked node's agent is not
        contacted, and an agent must present the certificate the record
        names; the agent's own reports with a superseded certificate are
        dropped."""
        self.start_tls_journal()
        a = self.start_node("n1", enroll_token=self.enroll("n1"),
                            listen="https://127.0.0.1:0")
        self.wait_log(a, "booted from the journal")
        self.assertEqual(self.cli("diff", "n1").returncode, 0)
        # Enrolled anew and a new certificate issued (by the probe tool, as
        # a second machine would): the running agent's is superseded.
        key = os.path.join(self.tmp, "n1b.key")
        csr = os.path.join(self.tmp, "n1b.csr")
        openssl("req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", csr, "-subj", "/CN=n1", cwd=self.tmp)
        got = self.probe("n1", csr, token_file=self.enroll("n1", hw=HW_A))
        self.assertEqual(got.returncode, 0, got.stderr)
        r = self.cli("diff", "n1")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("is not n1's current one", r.stderr)
        harness_wait = time.time() + 15
        while "dropped a node report of n1" not in self.journal.read_log():
            self.assertLess(time.time(), harness_wait,
                            "the superseded agent's reports were kept")
            time.sleep(0.2)
        self.ok("enroll", "revoke", "n1")
        r = self.cli("exec", "n1", "--", "true")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("node n1 is revoked", r.stderr)

    def test_a_path_that_cannot_hold_the_certificate_keeps_the_token(self):
        """helper-54: a certificate path under a regular file used up the
        one-time token before the agent found it could not store the
        certificate."""
        self.start_tls_journal()
        token = self.enroll("n1")
        blocker = os.path.join(self.tmp, "notadir")
        with open(blocker, "w") as f:
            f.write("a file\n")
        args = self.agent_args("n1", enroll_token=token,
                               listen="https://127.0.0.1:0")
        config = args[args.index("--config") + 1]
        with open(config, "w") as f:
            f.write(f'[agent.journal]\ntls_ca = "{self.ca}"\n[agent.tls]\n'
                    f'cert = "{blocker}/agent.crt"\n'
                    f'key = "{blocker}/agent.key"\n')
        r = subprocess.run(args, env=self.env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("agent.tls.cert", r.stderr)
        self.assertEqual(self.status("n1")["state"], "registered")
        # The same token still works once the path is right.
        a = self.start_node("n1", enroll_token=token)
        self.wait_log(a, "booted from the journal")
        self.assertEqual(self.status("n1")["state"], "active")

    # --- binding and names ---------------------------------------------

    def test_first_request_binds_the_hardware_id(self):
        """Enrolled without --hardware-id: the first CSR's identity is
        bound; a later request from other hardware is refused."""
        self.start_tls_journal()
        tok = self.enroll("n1")
        a = self.start_node("n1", enroll_token=tok, hw=HW_A,
                            credential=True)
        self.wait_log(a, "booted from the journal")
        self.assertEqual(self.status("n1")["hardware_id"], HW_A)
        a.stop()
        x = self.tls_dir("n1")
        for name in ("agent.crt", "agent.key", "agent.crt.ca"):
            os.unlink(os.path.join(x, name))
        a = self.start_node("n1", enroll_token=tok, hw=HW_B,
                            credential=True, wait_listen=False)
        self.wait_log(a, "enrollment: hardware mismatch")
        self.assert_no_cert("n1")
        # The bearer node credential still boots it (docs/security.md
        # "Not protected yet"); the certificate stays the first one's.
        self.assertIn("hardware mismatch; the journal link authenticates "
                      "with the token file meanwhile",
                      without_request_ids(a.read_log()))
        st = self.status("n1")
        self.assertEqual(st["hardware_id"], HW_A)
        self.assertEqual(st["cert_serial"].lower(), self.issued(a)[0])

    # Regression (helper-53): node::decide (runtime/node/node_credentials.cpp) checks the
    # stored certificate's CA and dates, not that it names this node: n1's
    # agent presents n2's certificate, the journal refuses every boot and
    # report ("n2 may not read the boot configuration of node n1"), and the
    # agent never uses the one-time token it was given. Its message also
    # blames "the node credential from  (agent.token_file)", an empty path:
    # the credential was the certificate-bound token.
    def test_stored_certificate_of_another_node_is_not_used(self):
        """A certificate naming n2 at n1's agent.tls.cert (a renamed node,
        a copied configuration): the agent enrolls as n1 instead of
        presenting n2's identity."""
        self.start_tls_journal()
        b = self.start_node("n2", enroll_token=self.enroll("n2"))
        self.wait_log(b, "booted from the journal")
        b.stop()
        os.rename(self.tls_dir("n2"), self.tls_dir("n1"))
        a = self.start_node("n1", enroll_token=self.enroll("n1"))
        wait_for(lambda: "booted from the journal" in a.read_log()
                 or "refused the boot" in a.read_log(), 10,
                 "the agent to boot or be refused")
        self.assertIn("booted from the journal", a.read_log())
        self.assertEqual(self.status("n1")["state"], "active")
        self.assertIn("CN = n1", self.cert_text("n1"))

    # --- 10 ------------------------------------------------------------

    def start_fails(self, args, key):
        env = dict(self.env, PACT_OIDC_HMAC_SECRET=self.secret)
        r = subprocess.run(args, env=env, capture_output=True, text=True,
                           timeout=20)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 1, out)
        self.assertIn(key, out)
        return out

    def test_settings_that_cannot_work_stop_the_agent(self):
        self.start_tls_journal()
        tok = self.enroll("n1", hw=HW_A)
        plain = "http://127.0.0.1:1"
        with self.subTest("enroll token over http"):
            out = self.start_fails(self.agent_args(
                "n1", enroll_token=tok, journal=plain),
                "agent.enroll_token_file")
            self.assertIn("enrollment needs TLS to the journal", out)
        with self.subTest("tls_ca unreadable"):
            args = self.agent_args("n1", enroll_token=tok)
            config = args[args.index("--config") + 1]
            with open(config) as f:
                text = f.read()
            with open(config, "w") as f:
                f.write(text.replace(self.ca, os.path.join(self.tmp,
                                                           "no-ca.crt")))
            self.start_fails(args, "agent.journal.tls_ca")
        with self.subTest("https agent API over an http journal"):
            self.start_fails(self.agent_args(
                "n1", journal=plain, listen="https://127.0.0.1:0",
                credential=True), "agent.listen")
        with self.subTest("enroll token file missing"):
            self.start_fails(self.agent_args(
                "n1", enroll_token=os.path.join(self.tmp, "none")),
                "agent.enroll_token_file")
        with self.subTest("https agent API without a certificate"):
            # Refused (wrong hardware): no certificate to serve with.
            out = self.start_fails(self.agent_args(
                "n1", enroll_token=tok, listen="https://127.0.0.1:0",
                hw=HW_B), "agent.listen")
            self.assertIn("enrollment: hardware mismatch", out)
        self.assert_no_cert("n1")


if __name__ == "__main__":
    unittest.main()
