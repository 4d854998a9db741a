"""Service supervision on a live node (issue 12 item 5): a real pact-journal
--dev and pact-agent under a temporary --root whose services are small
scripts. Services start in dependency order with their output captured;
one that crashes is restarted with a growing delay and each crash is a
service-lifecycle entry; `pact service restart` runs a new process and is
recorded with the operator; the read and write rules and bad names; a
restart is refused while the commit window has expired and allowed after
`pact extend`."""
import json
import os
import stat
import time

from harness import PactTestCase, free_port, make_token, wait_for
from service_client import ServiceClient

NODE = "node-svc"
VC = "svc"

SPEC = f"""
[vcluster.{VC}.services.web]
binary = "/usr/bin/websvc"
args = ["--port", "8080"]
depends_on = ["db"]
[vcluster.{VC}.services.db]
binary = "/usr/sbin/dbsvc"
order = 10
[vcluster.{VC}.services.binout]
binary = "/usr/bin/binout"
[vcluster.{VC}.sysctl]
"vm.swappiness" = "10"
[vcluster.{VC}.policy]
base_commit_window_seconds = 60
enforcement_mode = "observe"
"""

# Services that fail: drift of the services dimension, which opens the
# commit window (3 s here) — only in the test about them.
FAILING = f"""
[vcluster.{VC}.services.crashy]
binary = "/usr/bin/crashy"
restart = "on-failure"
restart_delay_seconds = 1
[vcluster.{VC}.services.lost]
binary = "/usr/bin/not-installed"
restart = "never"
"""

SCRIPTS = {
    "/usr/sbin/dbsvc": "#!/bin/sh\necho \"db up $PACT_SERVICE\"\n"
                       "exec sleep 600\n",
    "/usr/bin/websvc": "#!/bin/sh\necho \"hello from web $*\"\n"
                       "echo 'to stderr' >&2\nexec sleep 600\n",
    "/usr/bin/crashy": "#!/bin/sh\necho \"crashing\"\nexit 3\n",
    # Bytes that are not UTF-8, and a line of 10,000 bytes.
    "/usr/bin/binout": "#!/bin/sh\nprintf 'bin\\377\\376\\n'\n"
                       "head -c 10000 /dev/zero | tr '\\0' B\necho\n"
                       "echo after\nexec sleep 600\n",
}


class ServicesTest(ServiceClient, PactTestCase):
    node = NODE

    def start(self, failing=False, extra=""):
        self.journal = self.start_journal()
        self.token = self.token_of(self.journal)
        with open(self.journal.secret_path) as f:
            self.secret = f.read().strip()
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(SPEC + (FAILING if failing else "") + extra)
        for args in (("apply", spec, "-m", "services"),
                     ("enroll", NODE, "--vcluster", VC)):
            r = self.jpact(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.root = os.path.join(self.tmp, NODE + "-root")
        for path, text in {**SCRIPTS, **getattr(self, "scripts", {})}.items():
            self.write(path, text)
            full = os.path.join(self.root, path.lstrip("/"))
            os.chmod(full, os.stat(full).st_mode | stat.S_IXUSR)
        cfg = os.path.join(self.tmp, "agent.toml")
        with open(cfg, "w") as f:
            f.write("[agent.journal]\nreport_interval_seconds = 1\n"
                    "[agent.drift]\ntest_window_divisor = 20\n")
        self.agent = self.start_agent(self.journal, NODE, VC,
                                      extra=("--config", cfg))
        self.agent_env = {"PACT_AGENT_ENDPOINT": self.agent.api}

    def test_services_start_in_order_crash_restart_and_log(self):
        self.start(failing=True)
        s = self.running("db", "web")
        # Dependency order in the listing and in fact.
        r = self.svc("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(r.stdout.index("db "), r.stdout.index("web "))
        logs = self.svc("logs", "web")
        self.assertEqual(logs.returncode, 0, logs.stderr)
        self.assertIn("hello from web --port 8080", logs.stdout)
        self.assertIn("to stderr", logs.stdout)
        # web (order 0) waited for db (order 10), its dependency: a
        # service is running once its process started (as systemd's
        # Type=simple), so the agent's log shows the order.
        log = self.agent.read_log()
        self.assertLess(log.index("service db: started"),
                        log.index("service web: started"))
        self.assertIn("db up db", self.svc("logs", "db").stdout)
        # Binary output is shown escaped and does not hurt the agent (a
        # tester: it aborted it); a long line is cut once, marked.
        binout = wait_for(lambda: (lambda r: r if r.returncode == 0
                                   and "after" in r.stdout else None)(
            self.svc("logs", "binout", "--output", "json")),
            what="binout's output")
        lines = json.loads(binout.stdout)["lines"]
        self.assertEqual(lines[0], "bin\\xff\\xfe")
        self.assertEqual(lines[1], "B" * 4096 + " [line cut at 4096 bytes]")
        self.assertEqual(lines[2], "after")
        # Uptime counts from the process's start, not the last change.
        time.sleep(2.2)
        self.assertGreaterEqual(self.services()["db"]["uptime_seconds"], 2)
        self.assertEqual(s["web"]["restart"], "always")
        self.assertGreater(s["web"]["pid"], 0)
        # The crashing one is restarted with a growing delay, each crash a
        # journal entry.
        crashy = wait_for(lambda: (self.services() or {}).get("crashy")
                          if (self.services() or {}).get("crashy", {})
                          .get("restarts", 0) >= 2 else None,
                          timeout=20, what="crashy restarted twice")
        self.assertEqual(crashy["last_exit"], "exited with status 3")
        self.assertIn(crashy["state"], ("backoff", "running"))
        self.assertIn("crashing", self.svc("logs", "crashy", "-n", "5").stdout)
        entries = wait_for(lambda: [m for m in self.lifecycle()
                                    if "crashy" in m] or None,
                           what="a crash entry")
        self.assertIn("service crashy: backoff: exited with status 3; "
                      "restarting in 1 s", entries)
        # A binary that is not there fails, and says why.
        lost = self.services()["lost"]
        self.assertEqual(lost["state"], "failed")
        self.assertIn("binary /usr/bin/not-installed: not found under the "
                      "root", lost["detail"])
        # Both are drift in the services dimension; the running ones are
        # not.
        def services_drift():
            r = self.pact("diff", NODE, "--output", "json", token=self.token,
                          env=self.agent_env)
            self.assertEqual(r.returncode, 0, r.stderr)
            items = {i["key"]: i for i in json.loads(r.stdout)["items"]
                     if i["dimension"] == "services"}
            # crashy runs for a moment between its crashes
            return items if set(items) == {"crashy", "lost"} else None
        drift = wait_for(services_drift, what="crashy and lost as drift")
        self.assertTrue(drift["lost"]["actual"].startswith(
            "failed: binary /usr/bin/not-installed"), drift["lost"])
        wait_for(lambda: [e for e in self.jlog() if e["type"] ==
                          "drift-detected" and "services" in e["message"]]
                 or None, what="the services drift episode")

    def test_restart_is_recorded_and_follows_the_rules(self):
        self.start()
        before = self.running("db", "web")["web"]["pid"]
        r = self.svc("restart", "web")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.restarted("web", before)
        # A viewer reads but may not restart; names are checked first.
        viewer = make_token(self.secret, "vera", ["pact-viewer-" + VC])
        self.assertEqual(self.svc("status", token=viewer).returncode, 0)
        r = self.svc("restart", "web", token=viewer)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("policy: denied: vera may not restart services",
                      r.stderr)
        # An AI principal restarts only where the vCluster policy sets
        # ai_write_allowed (docs/authorization.md): a policy rejection.
        ai = make_token(self.secret, "claude", ["pact-service-ai"])
        r = self.svc("restart", "web", token=ai)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("AI write is not allowed by the policy of vCluster "
                      f"{VC} (ai_write_allowed = false)", r.stderr)
        other = make_token(self.secret, "olga", ["pact-viewer-other"])
        self.assertEqual(self.svc("status", token=other).returncode, 2)
        for bad in ("../etc", "a/b", "", "-x"):
            r = self.svc("restart", bad)
            self.assertEqual(r.returncode, 1, (bad, r.stderr))
        r = self.svc("restart", "nosuch")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("service 'nosuch' is not declared on node " + NODE,
                      r.stderr)
        r = self.svc("logs", "web", "-n", "0")
        self.assertEqual(r.returncode, 1, r.stderr)
        # `local` is this host's agent, as for pact exec.
        r = self.pact("service", "status", "web", "--node", "local",
                      token=self.token, env=self.agent_env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("web", r.stdout)

    def test_restart_waits_for_the_commit_window(self):
        self.start()
        self.running("db", "web")
        self.restart_waits_for_the_window("web")

    def test_health_checks_over_http_and_tcp(self):
        port, closed = free_port(), free_port()
        # A real HTTP server as the service, and one whose port is closed.
        self.scripts = {
            "/usr/bin/webhealth": "#!/bin/sh\nexec python3 -m http.server "
                                  f"--bind 127.0.0.1 {port}\n",
            "/usr/bin/deaf": "#!/bin/sh\nexec sleep 600\n"}
        self.start(extra=f"""
[vcluster.{VC}.services.webhealth]
binary = "/usr/bin/webhealth"
health_check = {{ type = "http", url = "http://127.0.0.1:{port}/", interval_seconds = 1 }}
[vcluster.{VC}.services.deaf]
binary = "/usr/bin/deaf"
health_check = {{ type = "tcp", port = {closed}, interval_seconds = 1 }}
""")
        s = wait_for(lambda: (lambda x: x if x
                              and x["webhealth"]["health"] == "healthy"
                              and x["deaf"]["health"].startswith("unhealthy")
                              else None)(self.services()),
                     timeout=20, what="both health checks")
        self.assertEqual(s["deaf"]["health"],
                         f"unhealthy: tcp port {closed}: Connection refused")
        self.assertEqual(s["deaf"]["state"], "running")
        # Unhealthy is drift; healthy is not.
        def drift():
            r = self.pact("diff", NODE, "--output", "json",
                          token=self.token, env=self.agent_env)
            items = {i["key"]: i for i in json.loads(r.stdout)["items"]
                     if i["dimension"] == "services"}
            return items if "deaf" in items else None
        items = wait_for(drift, what="deaf as drift")
        self.assertNotIn("webhealth", items)
        self.assertIn("unhealthy: tcp port", items["deaf"]["actual"])

    def test_cgroup_limits_on_the_roots_cgroup_tree(self):
        # A cgroup v2 tree of plain files under the root stands in for
        # /sys/fs/cgroup; the agent writes it as it would the real one.
        self.scripts = {"/usr/bin/limited": "#!/bin/sh\nexec sleep 600\n"}
        root = os.path.join(self.tmp, NODE + "-root")
        os.makedirs(os.path.join(root, "sys/fs/cgroup"), exist_ok=True)
        with open(os.path.join(root, "sys/fs/cgroup/cgroup.controllers"),
                  "w") as f:
            f.write("cpu memory\n")
        self.start(extra=f"""
[vcluster.{VC}.services.limited]
binary = "/usr/bin/limited"
cgroup_slice = "gpu.slice"
cgroup_memory_max = "2G"
[vcluster.{VC}.services.bare]
binary = "/usr/bin/limited"
cgroup_memory_max = "lots"
""")
        s = self.running("limited", "bare")
        cg = os.path.join(root, "sys/fs/cgroup/gpu.slice/limited.service")
        with open(os.path.join(cg, "memory.max")) as f:
            self.assertEqual(f.read(), "2147483648")
        with open(os.path.join(cg, "cgroup.procs")) as f:
            self.assertEqual(f.read(), str(s["limited"]["pid"]))
        # A limit the agent cannot apply does not keep the service down.
        self.assertEqual(s["bare"]["state"], "running")
        self.assertIn("cgroup_memory_max 'lots'", s["bare"]["detail"])

    def test_agent_shutdown_stops_a_service_that_ignores_sigterm(self):
        self.scripts = {"/usr/bin/stubborn":
                        "#!/bin/sh\ntrap '' TERM\n"
                        "while true; do sleep 1; done\n"}
        self.start(extra=f"""
[vcluster.{VC}.services.stubborn]
binary = "/usr/bin/stubborn"
""")
        pid = self.running("stubborn")["stubborn"]["pid"]
        # SIGTERM to the agent: it stops its services (SIGKILL after the
        # 5 s grace) before it exits, leaving no orphan (a tester's find).
        self.assertEqual(self.agent.stop(timeout=20), 0)

        def gone():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    return f.read().rsplit(")", 1)[1].split()[0] == "Z"
            except OSError:
                return True
        wait_for(gone, timeout=5, what="the service's process to end")
