"""Certificate helpers shared by the TLS e2e tests: the openssl CLI and
`openssl ca` dates."""
import datetime
import subprocess


def openssl(*args, cwd):
    """Runs the openssl CLI in `cwd`; its stdout, or AssertionError with
    its stderr."""
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {r.stderr}")
    return r.stdout


def asn1_time(delta):
    """The UTC time `delta` from now in `openssl ca -startdate` form."""
    t = datetime.datetime.now(datetime.timezone.utc) + delta
    return t.strftime("%Y%m%d%H%M%SZ")
