"""A real OpenID Connect provider for the e2e tests: tests/e2e/oidc/idp.mjs
(the oidc-provider npm package) on loopback HTTPS.

`IdentityProvider(tmp)` makes a test CA and a server certificate for
127.0.0.1 with the openssl CLI (`ca_path` is what pact gets as its CA
bundle), signing keys with oidc/keygen.mjs, and starts the provider;
`restart(keys)` starts it again with another key set (rotation: [new, old],
then [new]). `approve_device(url, user)` plays the user of the device flow
over HTTP: it opens the verification URL, confirms the user code, logs in as
`user` and consents, with a cookie jar, as a browser would.
`client_credentials()` asks for a service token directly.

Users and groups (idp.mjs): alice pact-platform-admin, bob pact-ops-ml,
carol pact-viewer-ml; the pact-service client pact-service-ai.
"""
import html.parser
import http.cookiejar
import json
import os
import socket
import ssl
import subprocess
import threading
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
OIDC_DIR = os.path.join(HERE, "oidc")
SERVICE_SECRET = "pact-service-secret"


def _run(args, cwd=None):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


def make_ca(directory):
    """A test CA and a certificate for 127.0.0.1 signed by it; returns
    (ca_path, cert_path, key_path)."""
    ca_key = os.path.join(directory, "ca.key")
    ca = os.path.join(directory, "ca.crt")
    key = os.path.join(directory, "idp.key")
    csr = os.path.join(directory, "idp.csr")
    cert = os.path.join(directory, "idp.crt")
    ext = os.path.join(directory, "idp.ext")
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
          "-keyout", ca_key, "-out", ca, "-days", "2",
          "-subj", "/CN=pact e2e test CA"])
    _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
          "-out", csr, "-subj", "/CN=127.0.0.1"])
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "basicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    _run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
          "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext])
    return ca, cert, key


def make_key(alg, kid):
    """A private JWK (dict) for idp.mjs's --jwks: RS256, PS256 or ES256."""
    out = subprocess.run(["node", os.path.join(OIDC_DIR, "keygen.mjs"), alg,
                          kid], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def _free_loopback_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Forms(html.parser.HTMLParser):
    """Every <form> of a page: action, and the named inputs' values
    (buttons are left out: a form's submit button is not a field, and the
    device confirmation page's second button aborts)."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""


class IdentityProvider:
    def __init__(self, tmp, alg="RS256", access_ttl=300,
                 service_groups=("pact-service-ai",), audience="pact"):
        self.dir = os.path.join(tmp, "idp")
        os.makedirs(self.dir, exist_ok=True)
        self.ca_path, self.cert, self.key = make_ca(self.dir)
        self.port = _free_loopback_port()
        self.issuer = f"https://127.0.0.1:{self.port}"
        self.jwks_path = os.path.join(self.dir, "jwks.json")
        self.jwks_url = self.issuer + "/jwks"
        self.audience = audience
        self.access_ttl = access_ttl
        self.service_groups = service_groups
        self.ssl = ssl.create_default_context(cafile=self.ca_path)
        self.proc = None
        self.keys = [make_key(alg, "k1")]
        self.start()

    def start(self):
        with open(self.jwks_path, "w") as f:
            json.dump({"keys": self.keys}, f)
        self.log = open(os.path.join(self.dir, "idp.log"), "ab")
        self.proc = subprocess.Popen(
            ["node", os.path.join(OIDC_DIR, "idp.mjs"), "--port",
             str(self.port), "--cert", self.cert, "--key", self.key,
             "--jwks", self.jwks_path, "--issuer", self.issuer,
             "--audience", self.audience, "--access-ttl",
             str(self.access_ttl), "--service-secret", SERVICE_SECRET,
             "--service-groups", ",".join(self.service_groups)],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
            start_new_session=True)
        ready = []
        reader = threading.Thread(
            target=lambda: ready.append(self.proc.stdout.readline()))
        reader.start()
        reader.join(20)
        if not ready or not ready[0].startswith("ready "):
            self.stop()
            raise AssertionError("oidc-provider did not start: "
                                 + self.read_log())

    def restart(self, keys):
        """Starts again with signing keys `keys` (the first signs)."""
        self.stop()
        self.keys = list(keys)
        self.start()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if not self.log.closed:
            self.log.close()

    def read_log(self):
        with open(os.path.join(self.dir, "idp.log"), errors="replace") as f:
            return f.read()

    def _opener(self):
        jar = http.cookiejar.CookieJar()
        return urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.ssl),
            urllib.request.HTTPCookieProcessor(jar))

    def approve_device(self, verification_uri_complete, user="alice"):
        """Does in a browser's place what the user does after `pact login`
        printed its URL: confirm the code, sign in as `user`, consent.
        Returns the final page's text."""
        opener = self._opener()
        with opener.open(verification_uri_complete, timeout=10) as r:
            page, url = r.read().decode(), r.geturl()
        for _ in range(6):
            parser = _Forms()
            parser.feed(page)
            if not parser.forms:
                return page
            form = parser.forms[0]
            fields = dict(form["fields"])
            if "login" in fields:
                fields["login"] = user
                fields["password"] = "any password"
            data = urllib.parse.urlencode(fields).encode()
            target = urllib.parse.urljoin(url, form["action"])
            with opener.open(target, data=data, timeout=10) as r:
                page, url = r.read().decode(), r.geturl()
        raise AssertionError("device approval did not finish: " + page)

    def post_form(self, path, fields, auth=None):
        """POSTs a form to the provider; (status, decoded JSON)."""
        req = urllib.request.Request(
            urllib.parse.urljoin(self.issuer, path),
            data=urllib.parse.urlencode(fields).encode())
        if auth:
            import base64
            req.add_header("Authorization", "Basic " + base64.b64encode(
                f"{auth[0]}:{auth[1]}".encode()).decode())
        try:
            with urllib.request.urlopen(req, context=self.ssl,
                                        timeout=10) as r:
                return r.status, json.loads(r.read().decode() or "{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode() or "{}")

    def client_credentials(self):
        """A pact-service access token (client credentials)."""
        status, body = self.post_form(
            "/token", {"grant_type": "client_credentials"},
            auth=("pact-service", SERVICE_SECRET))
        if status != 200:
            raise AssertionError(f"client credentials refused: {body}")
        return body["access_token"]
