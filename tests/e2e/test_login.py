"""`pact login` / `pact logout` against a real OpenID Connect provider
(oidc_idp.py: the oidc-provider npm package on loopback HTTPS), and the
order in which commands find their token (issue 13 items 2 and 3).

The journal names the provider in an unauthenticated discovery request;
the CLI runs the device flow (the test plays the user over HTTP) or the
client-credentials grant, keeps the tokens in ~/.config/pact/tokens/ (HOME
is the test's directory), renews them with the refresh token, and revokes
them at logout."""
import base64
import json
import os
import stat
import subprocess
import threading
import time

from harness import PactTestCase, binary, free_port
from oidc_idp import SERVICE_SECRET, IdentityProvider


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class LoginCase(PactTestCase):
    """A journal whose issuer is a running provider (no tests of its own)."""
    access_ttl = 300

    def setUp(self):
        super().setUp()
        self.idp = IdentityProvider(self.tmp, access_ttl=self.access_ttl)
        self.addCleanup(self.idp.stop)
        # The journal verifies the provider's tokens with the keys its
        # discovery document names (and keeps its development secret for
        # the HS256 tokens of test_token_lookup_order).
        config = os.path.join(self.tmp, "journal.toml")
        with open(config, "w") as f:
            f.write(f'[journal.oidc]\nissuer = "{self.idp.issuer}"\n'
                    f'audience = "pact"\nca_bundle = "{self.idp.ca_path}"\n')
        self.journal = self.start_journal(extra=("--config", config))
        self.env["PACT_OIDC_CA_BUNDLE"] = self.idp.ca_path
        self.server = self.journal.gateway
        self.cache_dir = os.path.join(self.tmp, ".config", "pact", "tokens")
        self.cache = os.path.join(
            self.cache_dir, self.server.replace("://", "___")
            .replace(":", "_") + ".json")

    def login(self, user="alice", *args, env=None):
        """`pact login` with the device flow, approved as `user` as soon
        as the CLI prints where to go; (completed process, stderr)."""
        e = dict(self.env)
        e.update(env or {})
        proc = subprocess.Popen(
            [binary("pact"), "login", "--server", self.server, *args],
            env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        err_lines = []
        approved = []

        def play_user():
            for line in proc.stderr:
                err_lines.append(line)
                if line.strip().startswith("(or open ") and not approved:
                    url = line.strip()[len("(or open "):-1]
                    try:
                        approved.append(self.idp.approve_device(url, user))
                    except Exception as e:  # reported by the test thread
                        approved.append(e)
                        proc.kill()
        reader = threading.Thread(target=play_user)
        reader.start()
        try:
            proc.wait(timeout=60)
        finally:
            proc.kill()
            proc.wait()
            reader.join(10)
        if approved and isinstance(approved[0], Exception):
            raise approved[0]
        out = proc.stdout.read()
        proc.stdout.close()
        proc.stderr.close()
        return proc.returncode, out, "".join(err_lines)

    def record(self):
        with open(self.cache) as f:
            return json.load(f)


class LoginTest(LoginCase):
    def test_device_login_caches_tokens_privately(self):
        rc, out, err = self.login("alice")
        self.assertEqual(rc, 0, err)
        self.assertIn("To log in, open " + self.idp.issuer + "/device", err)
        self.assertIn("Logged in to " + self.server
                      + " as alice (groups: pact-platform-admin)", out)
        self.assertEqual(stat.S_IMODE(os.stat(self.cache).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(self.cache_dir).st_mode), 0o700)
        r = self.record()
        self.assertEqual(r["server"], self.server)
        self.assertEqual(r["issuer"], self.idp.issuer)
        self.assertEqual(r["grant"], "device_code")
        self.assertEqual(r["client_id"], "pact-cli")
        self.assertTrue(r["refresh_token"])
        c = claims(r["access_token"])
        self.assertEqual(c["sub"], "alice")
        self.assertEqual(c["aud"], "pact")
        self.assertEqual(c["groups"], ["pact-platform-admin"])
        self.assertAlmostEqual(r["expires_at_unix"] - r["obtained_at_unix"],
                               self.access_ttl, delta=2)
        # Tokens are never printed.
        for secret in (r["access_token"], r["refresh_token"]):
            self.assertNotIn(secret, out + err)
        # The journal takes the cached token: alice is a platform admin.
        r = self.pact("--endpoint", self.server, "log", "-n", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.pact("--endpoint", self.server, "blacklist", "add",
                      "/opt/login-test/**")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.pact("--endpoint", self.server, "log", "-n", "1",
                      "--output", "json")
        self.assertIn('"alice"', r.stdout)

    def test_roles_come_from_the_providers_groups(self):
        rc, _, err = self.login("carol")  # pact-viewer-ml
        self.assertEqual(rc, 0, err)
        r = self.pact("--endpoint", self.server, "blacklist", "add",
                      "/opt/login-test/**")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("carol", r.stderr)

    def test_service_account_login(self):
        e = dict(self.env)
        r = subprocess.run([binary("pact"), "login", "--server", self.server,
                            "--service-account"], env=e, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("PACT_CLIENT_ID and PACT_CLIENT_SECRET", r.stderr)
        e.update(PACT_CLIENT_ID="pact-service", PACT_CLIENT_SECRET="wrong")
        r = subprocess.run([binary("pact"), "login", "--server", self.server,
                            "--service-account"], env=e, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("refused: invalid_client", r.stderr)
        self.assertFalse(os.path.exists(self.cache))
        e["PACT_CLIENT_SECRET"] = SERVICE_SECRET
        r = subprocess.run([binary("pact"), "--output", "json", "login",
                            "--server", self.server, "--service-account"],
                           env=e, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["grant"], "client_credentials")
        self.assertEqual(out["identity"],
                         "pact-service (groups: pact-service-ai)")
        self.assertFalse(out["renewable"])
        rec = self.record()
        self.assertEqual(rec["client_id"], "pact-service")
        self.assertEqual(rec["refresh_token"], "")
        c = claims(rec["access_token"])
        self.assertEqual(c["groups"], ["pact-service-ai"])
        self.assertEqual(c["aud"], "pact")

    def test_logout_clears_the_cache_and_revokes_at_the_provider(self):
        rc, _, err = self.login("bob")
        self.assertEqual(rc, 0, err)
        refresh = self.record()["refresh_token"]
        r = self.pact("logout", "--server", self.server)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"Logged out of {self.server}\n")
        self.assertNotIn("warning", r.stderr)
        self.assertFalse(os.path.exists(self.cache))
        status, body = self.idp.post_form("/token", {
            "grant_type": "refresh_token", "refresh_token": refresh,
            "client_id": "pact-cli"})
        self.assertEqual((status, body.get("error")), (400, "invalid_grant"))
        # Again: nothing to do, still success.
        r = self.pact("logout", "--server", self.server)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, f"Not logged in to {self.server}\n")

    def test_logout_clears_the_cache_when_the_provider_is_down(self):
        rc, _, err = self.login("carol")
        self.assertEqual(rc, 0, err)
        self.idp.stop()
        r = self.pact("logout", "--server", self.server)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("could not revoke", r.stderr)
        self.assertIn("connection refused", r.stderr)
        self.assertFalse(os.path.exists(self.cache))

    def test_a_cache_open_to_others_is_refused(self):
        rc, _, err = self.login("alice")
        self.assertEqual(rc, 0, err)
        os.chmod(self.cache, 0o644)
        r = self.pact("--endpoint", self.server, "status")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(self.cache + " is open to other users (mode 0644)",
                      r.stderr)
        self.assertIn("chmod 600 " + self.cache, r.stderr)
        os.chmod(self.cache, 0o600)
        os.chmod(self.cache_dir, 0o755)
        r = self.pact("--endpoint", self.server, "status")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(self.cache_dir + " is open to other users", r.stderr)
        # Logout still clears it.
        r = self.pact("logout", "--server", self.server)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(os.path.exists(self.cache))

    def test_token_lookup_order(self):
        """--token / PACT_TOKEN / cli.toml token, then the login cache of
        the journal, then the token file."""
        admin = self.token_of(self.journal)  # HS256, iss = the provider
        os.makedirs(self.cache_dir, mode=0o700)
        fd = os.open(self.cache, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"server": self.server, "access_token": admin,
                       "issuer": self.idp.issuer, "grant": "device_code",
                       "expires_at_unix": 0}, f)
        token_file = os.path.join(self.tmp, ".config", "pact", "token")
        with open(token_file, "w") as f:
            f.write("not-a-token\n")
        ep = ("--endpoint", self.server)
        # The cache, not the token file.
        r = self.pact(*ep, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        # PACT_TOKEN and --token come before the cache.
        r = self.pact(*ep, "status", token="not-a-token")
        self.assertEqual(r.returncode, 2, r.stderr)
        r = self.pact(*ep, "--token", "not-a-token", "status")
        self.assertEqual(r.returncode, 2, r.stderr)
        # The cache of any listed journal is found, in endpoint order.
        other = f"http://127.0.0.1:{free_port()}"
        r = self.pact("--endpoint", other + "," + self.server, "status")
        self.assertEqual(r.returncode, 0, r.stderr)
        os.unlink(self.cache)
        r = self.pact(*ep, "status")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertNotIn("No auth token found", r.stderr)
        os.unlink(token_file)
        r = self.pact(*ep, "status")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("No auth token found", r.stderr)

    def test_a_development_journal_names_no_provider(self):
        dev = self.start_journal(name="dev")
        r = self.pact("login", "--server", dev.gateway)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("names no identity provider (its issuer is 'pact-dev'",
                      r.stderr)

    def test_an_untrusted_provider_certificate_is_refused(self):
        e = {"PACT_OIDC_CA_BUNDLE": ""}
        r = self.pact("login", "--server", self.server, env=e)
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("TLS certificate not trusted", r.stderr)
        self.assertIn("PACT_OIDC_CA_BUNDLE", r.stderr)
        self.idp.stop()
        r = self.pact("login", "--server", self.server)
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("cannot reach " + self.idp.issuer, r.stderr)
        self.assertIn("connection refused", r.stderr)


class RenewalTest(LoginCase):
    """Short-lived access tokens: a command renews them silently."""
    access_ttl = 6

    def test_an_expiring_token_is_renewed_before_use(self):
        rc, _, err = self.login("alice")
        self.assertEqual(rc, 0, err)
        before = self.record()
        time.sleep(3.5)  # past half the 6 s lifetime
        r = self.pact("--endpoint", self.server, "log", "-n", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        after = self.record()
        self.assertNotEqual(after["access_token"], before["access_token"])
        self.assertGreater(after["expires_at_unix"], before["expires_at_unix"])
        self.assertEqual(claims(after["access_token"])["sub"], "alice")
        self.assertEqual(stat.S_IMODE(os.stat(self.cache).st_mode), 0o600)
        # Once the refresh token is revoked and the token expired, the
        # command says to log in again.
        self.idp.post_form("/token/revocation", {
            "token": after["refresh_token"], "client_id": "pact-cli"})
        time.sleep(6.5)
        r = self.pact("--endpoint", self.server, "status")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("has expired and could not be renewed", r.stderr)
        self.assertIn("run pact login --server " + self.server, r.stderr)
