"""pact under systemd (docs/operations.md, "Running under systemd"; issue
18): the units in deploy/systemd pass `systemd-analyze verify` (run under a
temporary --root, since this machine has no systemd as PID 1), and the
daemons speak the sd_notify protocol to a NOTIFY_SOCKET the test binds:
READY=1 once the gateway (agent API) answers, WATCHDOG=1 every half
watchdog interval, STOPPING=1 on SIGTERM."""
import configparser
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest

from harness import Daemon, PactTestCase, binary

HERE = os.path.dirname(os.path.abspath(__file__))
UNITS = os.path.join(HERE, "..", "..", "deploy", "systemd")
ANALYZE = shutil.which("systemd-analyze")


def read_unit(name):
    # strict=False: systemd allows a key more than once (Documentation=).
    p = configparser.ConfigParser(strict=False, interpolation=None)
    p.optionxform = str
    p.read(os.path.join(UNITS, name))
    return p


@unittest.skipUnless(ANALYZE,
                     "systemd-analyze not installed (package systemd)")
class UnitFileTest(PactTestCase):
    """`systemd-analyze verify` with a temporary root holding the host's
    targets, the units and the programs at the paths ExecStart names."""

    def make_root(self):
        root = os.path.join(self.tmp, "root")
        system = os.path.join(root, "lib", "systemd", "system")
        shutil.copytree("/lib/systemd/system", system, symlinks=True)
        os.makedirs(os.path.join(root, "usr", "bin"))
        for prog in ("pact-journal", "pact-agent"):
            dest = os.path.join(root, "usr", "bin", prog)
            try:
                os.link(binary(prog), dest)
            except OSError:  # another file system
                shutil.copy(binary(prog), dest)
        units = os.path.join(root, "etc", "systemd", "system")
        os.makedirs(units)
        for name in os.listdir(UNITS):
            if name.endswith(".service"):
                shutil.copy(os.path.join(UNITS, name), units)
        return root, units

    def verify(self, root, *units):
        # verify exits 0 on a key it ignores (a typo): any output fails.
        return subprocess.run([ANALYZE, "verify", f"--root={root}",
                               "--man=no", *units],
                              capture_output=True, text=True, timeout=60)

    def test_units_verify_cleanly(self):
        root, units = self.make_root()
        for unit in ("pact-journal.service", "pact-agent.service"):
            r = self.verify(root, unit)
            self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""),
                             unit)
        # The check sees a mistake: a misspelt key, then a missing program.
        with open(os.path.join(units, "pact-journal.service")) as f:
            text = f.read()
        with open(os.path.join(units, "typo.service"), "w") as f:
            f.write(text.replace("WatchdogSec=", "WatchdogSex="))
        r = self.verify(root, "typo.service")
        self.assertIn("Unknown key 'WatchdogSex'", r.stderr)
        os.unlink(os.path.join(root, "usr", "bin", "pact-journal"))
        r = self.verify(root, "pact-journal.service")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/usr/bin/pact-journal", r.stderr)

    def test_journal_exposure_stays_low(self):
        # systemd's own score of the sandbox (0 best, 10 worst; 1.6 when
        # written): a dropped protection fails here. --threshold counts in
        # tenths.
        root, _ = self.make_root()
        r = subprocess.run([ANALYZE, "security", "--offline=yes",
                            f"--root={root}", "--threshold=25",
                            "pact-journal.service"],
                           capture_output=True, text=True, timeout=60)
        level = re.search(r"Overall exposure level for pact-journal.service: "
                          r"([0-9.]+)", r.stdout)
        self.assertIsNotNone(level, r.stdout + r.stderr)
        self.assertEqual(r.returncode, 0, f"exposure {level.group(1)} > 2.5")

    def test_journal_unit_is_hardened_notify_with_watchdog(self):
        s = read_unit("pact-journal.service")["Service"]
        for key, value in (("Type", "notify"), ("User", "pact"),
                           ("StateDirectory", "pact/journal"),
                           ("ProtectSystem", "strict"),
                           ("NoNewPrivileges", "yes"),
                           ("PrivateTmp", "yes"), ("ProtectHome", "yes"),
                           ("CapabilityBoundingSet", ""),
                           ("Restart", "on-failure"),
                           ("EnvironmentFile", "-/etc/default/pact-journal")):
            self.assertEqual(s.get(key), value, key)
        self.assertRegex(s["WatchdogSec"], r"^\d+s$")
        self.assertTrue(s["ExecStart"].startswith("/usr/bin/pact-journal "))

    def test_agent_unit_runs_as_root_before_supervised_services(self):
        unit = read_unit("pact-agent.service")
        s = unit["Service"]
        for key, value in (("Type", "notify"), ("User", "root"),
                           ("StateDirectory", "pact/agent"),
                           ("KillMode", "mixed"),
                           ("EnvironmentFile", "-/etc/default/pact-agent")):
            self.assertEqual(s.get(key), value, key)
        self.assertIn("WatchdogSec", s)
        self.assertIn("Before", unit["Unit"])
        self.assertTrue(s["ExecStart"].startswith("/usr/bin/pact-agent "))

    def test_environment_files_are_plain_assignments(self):
        # EnvironmentFile= syntax: comments, blank lines, KEY=VALUE.
        for name, var in (("pact-journal.env", "PACT_JOURNAL_OPTS"),
                          ("pact-agent.env", "PACT_AGENT_OPTS")):
            with open(os.path.join(UNITS, name)) as f:
                lines = [l.strip() for l in f]
            keys = []
            for line in lines:
                if not line or line.startswith("#"):
                    continue
                m = re.fullmatch(r'([A-Z_][A-Z0-9_]*)=("[^"]*"|\S*)', line)
                self.assertIsNotNone(m, f"{name}: {line}")
                keys.append(m.group(1))
            self.assertIn(var, keys, name)
            unit = name.replace(".env", ".service")
            self.assertIn("$" + var, read_unit(unit)["Service"]["ExecStart"])


class NotifySocket:
    """The service manager's end: an AF_UNIX datagram socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []  # (monotonic time, {key: value})

    def receive(self, until, timeout):
        """Reads messages until `until(message)` holds for one; returns
        it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                break
            fields = dict(l.split("=", 1) for l in data.decode().splitlines()
                          if "=" in l)
            self.messages.append((time.monotonic(), fields))
            if until(fields):
                return fields
        raise AssertionError(f"no such notification in {timeout}s; got "
                             f"{[m for _, m in self.messages]}")

    def close(self):
        self.sock.close()


class NotifyTest(PactTestCase):
    def setUp(self):
        super().setUp()
        self.notify = NotifySocket(os.path.join(self.tmp, "notify.sock"))
        self.addCleanup(self.notify.close)

    def notify_env(self, watchdog_usec=None):
        env = dict(self.env)
        env["NOTIFY_SOCKET"] = self.notify.path
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        return env

    def test_journal_ready_after_gateway_answers_then_watchdog_pings(self):
        data = os.path.join(self.tmp, "journal")
        args = [binary("pact-journal"), "--dev", "--data-dir", data,
                "--listen", "127.0.0.1:0", "--raft-listen", "127.0.0.1:0",
                "--metrics-listen", "127.0.0.1:0"]
        d = Daemon(args, data, self.notify_env(watchdog_usec=600000),
                   os.path.join(self.tmp, "journal.log"))
        self.daemons.append(d)
        ready = self.notify.receive(lambda m: m.get("READY") == "1", 20)
        # At READY the gateway serves: its endpoints are written and a
        # request answers.
        eps = d.endpoints(timeout=0.1)
        with open(os.path.join(data, "dev", "admin.token")) as f:
            token = f.read().strip()
        r = self.pact("status", "--endpoint", eps["gateway"], token=token)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("serving", ready.get("STATUS", ""))
        port = eps["gateway"].rsplit(":", 1)[1]
        self.assertIn(port, ready["STATUS"])
        # Nothing came before READY but READY itself.
        self.assertEqual([m for _, m in self.notify.messages
                          if m.get("READY") != "1"], [])

        # WATCHDOG=1 every 300 ms (half of WATCHDOG_USEC).
        start = time.monotonic()
        for _ in range(5):
            self.notify.receive(lambda m: m.get("WATCHDOG") == "1", 2)
        pings = [t for t, m in self.notify.messages
                 if m.get("WATCHDOG") == "1"]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        self.assertTrue(all(g < 0.6 for g in gaps), gaps)
        self.assertGreater(time.monotonic() - start, 0.6)
        self.assertIn("systemd watchdog: 600 ms", d.read_log())

        d.proc.send_signal(signal.SIGTERM)
        self.notify.receive(lambda m: m.get("STOPPING") == "1", 15)
        self.assertEqual(d.stop(), 0)

    def test_agent_ready_once_its_api_listens_and_no_watchdog_unasked(self):
        journal = self.start_journal()
        env_backup = self.env
        self.env = self.notify_env()  # start_agent copies self.env
        try:
            agent = self.start_agent(journal, "node-sd")
        finally:
            self.env = env_backup
        ready = self.notify.receive(lambda m: m.get("READY") == "1", 20)
        self.assertIn("node node-sd listening", ready.get("STATUS", ""))
        host, port = agent.api.split("//", 1)[1].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=2):
            pass
        # No WATCHDOG_USEC: no pings.
        time.sleep(0.5)
        self.assertEqual([m for _, m in self.notify.messages
                          if "WATCHDOG" in m], [])
        agent.proc.send_signal(signal.SIGTERM)
        self.notify.receive(lambda m: m.get("STOPPING") == "1", 15)
        self.assertEqual(agent.stop(), 0)

    def test_without_notify_socket_nothing_is_sent(self):
        # The harness's plain start: no NOTIFY_SOCKET, and a watchdog
        # variable alone does not make the journal ping anywhere.
        self.env["WATCHDOG_USEC"] = "200000"
        journal = self.start_journal()
        self.assertEqual(journal.stop(), 0)
        self.assertNotIn("systemd watchdog", journal.read_log())
        self.assertEqual(self.notify.messages, [])


if __name__ == "__main__":
    unittest.main()
