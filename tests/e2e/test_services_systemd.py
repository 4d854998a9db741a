"""The systemd supervisor backend on a live node (issue 12 item 5): with the
overlay's supervisor_backend = "systemd", pact-agent drives units over D-Bus
instead of running the services itself. This machine has no systemd as
PID 1, so a private dbus-daemon hosts a fake systemd manager
(fake_systemd.py) that records the calls it gets, and the agent reaches it
through DBUS_SYSTEM_BUS_ADDRESS. Units start in dependency order; `pact
service status` shows the manager's states; `pact service restart` calls
RestartUnit, is recorded with the operator, and waits for the commit window
as under the pact backend; a failed unit is drift in `pact diff`; a
declared memory limit reaches SetUnitProperties as MemoryMax; a removed
service's unit is stopped; a unit systemd does not have fails with the
D-Bus error named; logs point at journalctl where there is no journal."""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

from harness import PactTestCase, wait_for
from service_client import ServiceClient

NODE = "node-sysd"
VC = "sysd"

SERVICES = {
    "web": 'binary = "/usr/bin/web"\ndepends_on = ["db"]\n',
    "db": 'binary = "/usr/sbin/db"\norder = 10\n',
    "limited": 'binary = "/usr/bin/limited"\ncgroup_memory_max = "2G"\n',
}


def spec_text(services, extra=""):
    text = f"""
[vcluster.{VC}]
supervisor_backend = "systemd"
[vcluster.{VC}.sysctl]
"vm.swappiness" = "10"
[vcluster.{VC}.policy]
base_commit_window_seconds = 60
enforcement_mode = "observe"
"""
    for name, body in services.items():
        text += f"[vcluster.{VC}.services.{name}]\n{body}"
    return text + extra


def dbus_python():
    """An interpreter with python3-dbus and python3-gi (Debian's), or
    None."""
    for exe in (sys.executable, "/usr/bin/python3"):
        if exe and os.path.exists(exe) and subprocess.run(
                [exe, "-c", "import dbus, dbus.mainloop.glib; "
                            "from gi.repository import GLib"],
                capture_output=True).returncode == 0:
            return exe
    return None


PYTHON = dbus_python()
DBUS_DAEMON = shutil.which("dbus-daemon")

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


@unittest.skipUnless(DBUS_DAEMON, "dbus-daemon is not installed "
                                  "(Debian package dbus-daemon)")
@unittest.skipUnless(PYTHON, "no python3 with python3-dbus and python3-gi "
                             "(the fake systemd manager needs them)")
class SystemdBackendTest(ServiceClient, PactTestCase):
    node = NODE

    def start_bus(self, units, manager=True):
        """A private bus and (`manager`) the fake manager on it, owning
        org.freedesktop.systemd1, with `units` existing."""
        self.fake_dir = os.path.join(self.tmp, "fake-systemd")
        os.makedirs(self.fake_dir)
        socket = os.path.join(self.tmp, "bus")
        config = os.path.join(self.tmp, "bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(socket=socket))
        self.address = "unix:path=" + socket
        with open(os.path.join(self.tmp, "bus.log"), "w") as log:
            bus = subprocess.Popen([DBUS_DAEMON, "--config-file=" + config,
                                    "--nofork", "--nopidfile"],
                                   stdout=subprocess.DEVNULL, stderr=log)
        self.addCleanup(self.end, bus)
        wait_for(lambda: os.path.exists(socket), what="the private bus")
        self.units = units
        if manager:
            self.start_manager()

    def start_manager(self):
        with open(os.path.join(self.tmp, "fake-systemd.log"), "w") as log:
            fake = subprocess.Popen(
                [PYTHON, os.path.join(os.path.dirname(__file__),
                                      "fake_systemd.py"),
                 self.address, self.fake_dir,
                 *[u + ".service" for u in self.units]],
                stdout=subprocess.DEVNULL, stderr=log)
        self.addCleanup(self.end, fake)
        wait_for(lambda: os.path.exists(os.path.join(self.fake_dir, "ready"))
                 or fake.poll() is not None, what="the fake manager")
        self.assertIsNone(fake.poll(), self.fake_log())

    @staticmethod
    def end(proc):
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def fake_log(self):
        with open(os.path.join(self.tmp, "fake-systemd.log")) as f:
            return f.read()

    def calls(self, method=None):
        try:
            with open(os.path.join(self.fake_dir, "calls.jsonl")) as f:
                calls = [json.loads(line) for line in f]
        except OSError:
            return []
        return [c for c in calls if method is None or c["method"] == method]

    def fail_unit(self, name):
        with open(os.path.join(self.fake_dir, "fail"), "a") as f:
            f.write(name + ".service\n")

    def start(self, services=SERVICES, units=None, extra="", manager=True):
        self.start_bus(units if units is not None else list(services),
                       manager)
        self.journal = self.start_journal()
        self.token = self.token_of(self.journal)
        self.spec = os.path.join(self.tmp, "spec.toml")
        self.apply(spec_text(services, extra))
        r = self.jpact("enroll", NODE, "--vcluster", VC)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.root = os.path.join(self.tmp, NODE + "-root")
        cfg = os.path.join(self.tmp, "agent.toml")
        with open(cfg, "w") as f:
            f.write("[agent.journal]\nreport_interval_seconds = 1\n"
                    "[agent.drift]\ntest_window_divisor = 20\n")
        self.env["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        self.agent = self.start_agent(self.journal, NODE, VC,
                                      extra=("--config", cfg))
        self.agent_env = {"PACT_AGENT_ENDPOINT": self.agent.api}

    def apply(self, text):
        with open(self.spec, "w") as f:
            f.write(text)
        r = self.jpact("apply", self.spec, "-m", "systemd services")
        self.assertEqual(r.returncode, 0, r.stderr)

    def until(self, check, what, timeout=15):
        return wait_for(lambda: (lambda s: s if s and check(s) else None)(
            self.services()), timeout=timeout, what=what)

    def test_units_start_in_order_restart_limit_failure_and_removal(self):
        self.start()
        s = self.running("db", "web", "limited")
        starts = [c["args"] for c in self.calls("StartUnit")]
        self.assertEqual(sorted(starts), [["db.service", "replace"],
                                          ["limited.service", "replace"],
                                          ["web.service", "replace"]])
        # web depends on db: its unit was started after db's was running.
        order = [a[0] for a in starts]
        self.assertLess(order.index("db.service"), order.index("web.service"))
        # The manager's view, in the pact backend's terms.
        self.assertGreaterEqual(s["web"]["pid"], 4000)
        self.assertEqual(s["web"]["detail"],
                         "unit web.service: active (running)")
        r = self.svc("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(r.stdout.index("db "), r.stdout.index("web "))
        time.sleep(1.2)
        self.assertGreaterEqual(self.services()["db"]["uptime_seconds"], 1)
        # The declared limit reached systemd, for the running unit only.
        limits = self.calls("SetUnitProperties")
        self.assertEqual(limits, [{"method": "SetUnitProperties",
                                   "args": ["limited.service", True,
                                            [["MemoryMax", 2147483648]]]}])
        # A restart is RestartUnit, recorded with the operator.
        before = s["web"]["pid"]
        r = self.svc("restart", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.calls("RestartUnit"),
                         [{"method": "RestartUnit",
                           "args": ["web.service", "replace"]}])
        self.restarted("web", before)
        # No journal on this machine: said so, with where to look.
        r = self.svc("logs", "web")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("journalctl -u web.service", r.stderr)
        # A unit that fails is failed in status and drift in pact diff.
        self.assertEqual(self.services_drift(), {})
        self.fail_unit("db")
        s = self.until(lambda s: s["db"]["state"] == "failed", "db failed")
        self.assertEqual(s["db"]["detail"],
                         "unit db.service: failed (failed); result exit-code")
        self.assertEqual(s["db"]["pid"], 0)
        drift = wait_for(lambda: self.services_drift() or None,
                         what="db as drift")
        self.assertEqual(list(drift), ["db"])
        self.assertTrue(drift["db"]["actual"].startswith("failed"),
                        drift["db"])
        # A service no longer declared: its unit is stopped.
        self.apply(spec_text({k: v for k, v in SERVICES.items()
                              if k != "limited"}))
        wait_for(lambda: self.calls("StopUnit") or None,
                 what="limited's unit stopped")
        self.assertEqual(self.calls("StopUnit"),
                         [{"method": "StopUnit",
                           "args": ["limited.service", "replace"]}])
        self.until(lambda s: "limited" not in s, "limited gone from status")

    def test_restart_waits_for_the_commit_window(self):
        self.start()
        self.running("db", "web")
        # Refused: RestartUnit is not called at all.
        self.restart_waits_for_the_window(
            "web", before_extend=lambda: self.assertEqual(
                self.calls("RestartUnit"), []))
        self.assertEqual(len(self.calls("RestartUnit")), 1)

    def test_a_unit_systemd_does_not_have_fails_with_the_error_named(self):
        # "ghost" is declared, but the manager has no such unit.
        self.start(units=["db", "web", "limited"], services={
            **SERVICES, "ghost": 'binary = "/usr/bin/ghost"\n'})
        self.running("db", "web", "limited")
        s = self.until(lambda s: s["ghost"]["state"] == "failed",
                       "ghost failed")
        self.assertIn("systemd: StartUnit of ghost.service failed: "
                      "org.freedesktop.systemd1.NoSuchUnit",
                      s["ghost"]["detail"])
        self.assertIn("ghost", wait_for(lambda: self.services_drift() or None,
                                        what="ghost as drift"))


    def test_units_start_once_systemd_is_on_the_bus(self):
        # The bus is up, systemd is not on it yet: each start is refused by
        # the bus (not by systemd) and tried again until systemd answers.
        self.start(manager=False)
        s = self.until(lambda s: s["db"]["state"] == "failed", "db failed")
        self.assertIn("systemd: StartUnit of db.service failed: "
                      "org.freedesktop.DBus.Error.ServiceUnknown",
                      s["db"]["detail"])
        self.assertEqual(s["web"]["state"], "waiting")
        self.start_manager()
        self.running("db", "web", "limited")
        order = [c["args"][0] for c in self.calls("StartUnit")]
        self.assertLess(order.index("db.service"), order.index("web.service"))


if __name__ == "__main__":
    unittest.main()
