"""The Debian packages (docs/building.md, "Debian packages"; issue 18):
built from this build tree by the `pact-packages` target, clean under
lintian (errors fail), installed with dpkg -i on this machine, run from
their installed paths (the journal as the `pact` user with the packaged
configuration and data directory), then purged: nothing of them may be
left (files, the `pact` user and group, /var/lib/pact, /run/pact).

Needs root (dpkg -i) and a machine where no pact package is installed: the
test purges what it installed and must never touch a real installation.
Set PACT_BUILD_LOCK to a file to build under flock(1) (a shared build
tree)."""
import glob
import gzip
import json
import os
import pwd
import grp
import shutil
import signal
import subprocess
import time
import unittest

from harness import PactTestCase, wait_for

BIN = os.environ.get("PACT_BIN_DIR", os.path.join(os.getcwd(), "bin"))
BUILD = os.path.dirname(os.path.abspath(BIN))
PACKAGES = ["pact-common", "pact-cli", "pact-mcp", "pact-journal",
            "pact-agent"]
PROGRAMS = ["pact", "pact-journal", "pact-agent", "pact-mcp"]


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                       capture_output=True, text=True)
    return r.returncode == 0 and "installed" in r.stdout.split()


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def run(*args, **kw):
    kw.setdefault("timeout", 120)
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def skip_reason():
    if not shutil.which("dpkg-deb"):
        return "dpkg-deb not installed (package dpkg)"
    if os.geteuid() != 0:
        return "dpkg -i needs root"
    if any(installed(p) for p in PACKAGES) or user_exists("pact"):
        return ("a pact package or the pact user is already on this machine; "
                "the test would purge it")
    return None


@unittest.skipIf(skip_reason(), skip_reason())
class PackagesTest(PactTestCase):
    def build_packages(self):
        cmd = ["cmake", "--build", BUILD, "--target", "pact-packages"]
        lock = os.environ.get("PACT_BUILD_LOCK")
        if lock:
            cmd = ["flock", lock, *cmd]
        r = run(*cmd, timeout=900)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr)
        debs = []
        for p in PACKAGES:
            found = glob.glob(os.path.join(BUILD, "packages", p + "_*.deb"))
            self.assertTrue(found, f"no {p} package in {BUILD}/packages")
            debs.append(max(found, key=os.path.getmtime))
        return debs

    def purge(self):
        r = run("dpkg", "--purge", *PACKAGES)
        return r

    def test_build_lint_install_run_purge(self):
        debs = self.build_packages()

        # lintian: errors fail (warnings are reported by --fail-on).
        self.assertTrue(shutil.which("lintian"),
                        "lintian not installed: deploy/install-deps.sh test")
        r = run("lintian", "--fail-on", "error", "--tag-display-limit", "0",
                *debs, timeout=300)
        errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
        self.assertEqual((r.returncode, errors), (0, []), r.stdout + r.stderr)

        self.addCleanup(self.purge)
        r = run("dpkg", "-i", *debs)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        files = set()
        for p in PACKAGES:
            self.assertTrue(installed(p), p)
            files.update(run("dpkg", "-L", p).stdout.split("\n"))
        files.discard("")

        self.check_programs()
        self.check_units_and_configuration()
        self.check_man_pages_and_completion()
        self.run_installed_journal_and_agent()

        r = self.purge()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for p in PACKAGES:
            self.assertFalse(installed(p), p)
        left = sorted(f for f in files
                      if os.path.lexists(f) and not os.path.isdir(f))
        self.assertEqual(left, [])
        for d in ("/etc/pact", "/usr/lib/pact", "/var/lib/pact", "/run/pact",
                  *(f"/usr/share/doc/{p}" for p in PACKAGES)):
            self.assertFalse(os.path.exists(d), d)
        self.assertFalse(user_exists("pact"))
        self.assertFalse(group_exists("pact"))

    def check_programs(self):
        for prog in PROGRAMS:
            path = "/usr/bin/" + prog
            r = run(path, "--version")
            self.assertEqual(r.returncode, 0, prog + r.stderr)
            self.assertTrue(r.stdout.startswith(prog + " "), r.stdout)
        r = run("/usr/bin/pact-journal", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--data-dir", r.stdout)
        # pact finds /usr/lib/pact/pact-lattice.so (<bin>/../lib/pact): the
        # call gets as far as the (absent) scheduler.
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp,
               "PACT_LATTICE_ENDPOINT": "http://127.0.0.1:1",
               "PACT_LATTICE_TOKEN": "t"}
        r = run("/usr/bin/pact", "jobs", "list", env=env)
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("unreachable", r.stderr)
        self.assertNotIn("module", r.stderr)

    def check_units_and_configuration(self):
        for unit in ("pact-journal.service", "pact-agent.service"):
            path = "/lib/systemd/system/" + unit
            self.assertTrue(os.path.isfile(path), path)
            if shutil.which("systemd-analyze"):
                # The programs and their man pages are installed now.
                man = "yes" if shutil.which("man") else "no"
                r = run("systemd-analyze", "verify", f"--man={man}", path)
                self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""),
                                 unit)
        for pkg, files in (("pact-journal", ["/etc/pact/journal.toml",
                                             "/etc/default/pact-journal"]),
                           ("pact-agent", ["/etc/pact/agent.toml",
                                           "/etc/default/pact-agent"])):
            conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", pkg).stdout
            for f in files:
                self.assertTrue(os.path.isfile(f), f)
                self.assertIn(f, conffiles, pkg)
        user = pwd.getpwnam("pact")
        self.assertLess(user.pw_uid, 1000)  # a system user
        self.assertEqual(user.pw_dir, "/var/lib/pact")
        self.assertIn("nologin", user.pw_shell)
        st = os.stat("/var/lib/pact/journal")
        self.assertEqual((st.st_uid, st.st_mode & 0o777),
                         (user.pw_uid, 0o750))

    def check_man_pages_and_completion(self):
        for prog in PROGRAMS:
            with gzip.open(f"/usr/share/man/man1/{prog}.1.gz", "rt") as f:
                page = f.read()
            self.assertIn(".SH DESCRIPTION", page, prog)
        with gzip.open("/usr/share/man/man1/pact-journal.1.gz", "rt") as f:
            self.assertIn(r"\-\-data\-dir", f.read())
        with gzip.open("/usr/share/man/man1/pact.1.gz", "rt") as f:
            page = f.read()
        self.assertIn(".SH COMMANDS", page)  # from every `pact CMD --help`
        self.assertIn(r"pact group list | show NAME | set\-policy", page)
        script = ("source /usr/share/bash-completion/completions/pact\n"
                  "complete_words() { COMP_WORDS=(\"$@\"); "
                  "COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMPREPLY=(); _pact; "
                  "echo \"${COMPREPLY[*]}\"; }\n"
                  "complete_words pact lo\n"
                  "complete_words pact group ''\n"
                  "complete_words pact --output j\n"
                  "complete_words pact log --ex\n")
        r = run("bash", "-c", script)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(),
                         ["log login logout", "list show set-policy", "json",
                          "--export"])

    def run_installed_journal_and_agent(self):
        """The installed programs with the packaged configuration and
        default directories: the journal as `pact` (its data in
        /var/lib/pact/journal), the agent as root (/var/lib/pact/agent);
        both leave data for the purge to remove."""
        loopback = ["--listen", "127.0.0.1:0", "--metrics-listen",
                    "127.0.0.1:0"]
        journal_log, agent_log = self.log("journal.log"), self.log("agent.log")
        journal = subprocess.Popen(
            ["setpriv", "--reuid=pact", "--regid=pact", "--init-groups",
             "/usr/bin/pact-journal", "--dev",
             "--raft-listen", "127.0.0.1:0", *loopback],
            stdout=journal_log, stderr=subprocess.STDOUT, env=self.env,
            start_new_session=True)
        agent = None
        try:
            eps = wait_for(lambda: self.endpoints(
                "/var/lib/pact/journal/endpoints.json", journal), 20,
                "the journal")
            with open("/var/lib/pact/journal/dev/admin.token") as f:
                token = f.read().strip()
            r = run("/usr/bin/pact", "status", "--endpoint", eps["gateway"],
                    env={"PATH": "/usr/bin:/bin", "HOME": self.tmp,
                         "PACT_TOKEN": token})
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(pwd.getpwuid(os.stat(
                "/var/lib/pact/journal/raft").st_uid).pw_name, "pact")
            root = os.path.join(self.tmp, "root")
            os.makedirs(root)
            agent = subprocess.Popen(
                ["/usr/bin/pact-agent", "--node-id", "pkg-test", "--journal",
                 eps["gateway"], "--root", root, *loopback],
                stdout=agent_log, stderr=subprocess.STDOUT, env=self.env,
                start_new_session=True)
            wait_for(lambda: self.endpoints(
                "/var/lib/pact/agent/endpoints.json", agent), 20, "the agent")
        finally:
            for p in (agent, journal):
                if p is None:
                    continue
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            journal_text, agent_text = (self.text(journal_log),
                                        self.text(agent_log))
            journal_log.close()
            agent_log.close()
        self.assertEqual(journal.returncode, 0, journal_text)
        self.assertEqual(agent.returncode, 0, agent_text)

    @staticmethod
    def endpoints(path, proc):
        """The daemon's endpoints.json once `proc` wrote it (setpriv execs
        the journal: same pid)."""
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited with {proc.returncode}")
        try:
            with open(path) as f:
                eps = json.load(f)
        except (OSError, ValueError):
            return None
        return eps if eps.get("pid") == proc.pid else None

    def log(self, name):
        return open(os.path.join(self.tmp, name), "w+")

    @staticmethod
    def text(log):
        log.seek(0)
        return log.read()


if __name__ == "__main__":
    unittest.main()
