"""Metrics, alerts and the dashboard (issue 18 items 3 and 4;
docs/operations.md "Metrics and alerts").

A real Prometheus (Debian's `prometheus` package) scrapes three journal
replicas and one agent on loopback every second; the test asks its HTTP API
for their series. Both scrapes pass `promtool check metrics`; the alert
rules pass `promtool check rules` and their unit tests (`promtool test
rules deploy/prometheus/pact.rules.test.yml`); every metric the Grafana
dashboard and the rules name is one the journal or the agent exports.
"""
import json
import os
import re
import shutil
import subprocess
import time
import unittest
import urllib.parse
import urllib.request

from harness import ClusterTestCase, free_port, make_token, wait_for

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RULES_DIR = os.path.join(SOURCE, "deploy", "prometheus")
DASHBOARD = os.path.join(SOURCE, "deploy", "grafana", "pact.json")
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
MISSING = ("Debian's prometheus package is not installed (it ships "
           "promtool; deploy/packages.txt [test])")

# Series Prometheus adds to every target, and PromQL words that look like
# metric names in an expression.
NOT_EXPORTED = {"up"}


TESTDATA = os.path.join(SOURCE, "tests", "unit", "runtime", "node",
                        "testdata")
NODE, VC = "node-metrics", "metrics"
# A service that exits at once and is restarted every second (service
# restarts), under a vCluster the node is enrolled in (nodes by state).
SPEC = f"""
[vcluster.{VC}.services.crashy]
binary = "/usr/bin/crashy"
restart = "on-failure"
restart_delay_seconds = 1
[vcluster.{VC}.policy]
enforcement_mode = "observe"
"""


def scrape(url):
    with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
        return r.read().decode()


def exported_names(text):
    """Every metric name a scrape declares (# TYPE lines, so a family whose
    labelled series do not exist yet counts too) and every sample's name."""
    names = set()
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            names.add(m.group(1))
            if m.group(2) == "histogram":
                names.update(m.group(1) + s
                             for s in ("_bucket", "_sum", "_count"))
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", line)
        if m and not line.startswith("#"):
            names.add(m.group(1))
    return names


def named_metrics(expr):
    """The pact metric names an expression uses."""
    return set(re.findall(r"\bpact_[a-z0-9_]+", expr))


@unittest.skipUnless(PROMTOOL, MISSING)
class AlertRulesTest(unittest.TestCase):
    def test_rules_check_and_their_unit_tests_pass(self):
        r = subprocess.run([PROMTOOL, "check", "rules", "pact.rules.yml"],
                           cwd=RULES_DIR, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = subprocess.run([PROMTOOL, "test", "rules", "pact.rules.test.yml"],
                           cwd=RULES_DIR, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout)

    def test_every_alert_the_issue_names_is_tested_firing(self):
        with open(os.path.join(RULES_DIR, "pact.rules.test.yml")) as f:
            tests = f.read()
        for alert in ("PactNoLeader", "PactCommitLag", "PactFsyncSlow",
                      "PactReplicaDown", "PactAuthFailureBurst",
                      "PactEmergencyActive", "PactApprovalNearExpiry",
                      "PactAgentDriftUnresolved"):
            # A firing case lists the alert's labels under exp_alerts.
            self.assertRegex(tests, r"alertname: " + alert
                             + r"\n\s+exp_alerts:\n\s+- exp_labels:")


@unittest.skipUnless(PROMTOOL and PROMETHEUS, MISSING)
class MetricsTest(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.prometheus = None

    def tearDown(self):
        if self.prometheus and self.prometheus.poll() is None:
            self.prometheus.terminate()
            try:
                self.prometheus.wait(10)
            except subprocess.TimeoutExpired:
                self.prometheus.kill()
                self.prometheus.wait()
        if self.prometheus:
            self.prom_log.close()
        super().tearDown()

    def query(self, promql):
        url = (self.prom_url + "/api/v1/query?"
               + urllib.parse.urlencode({"query": promql}))
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.loads(r.read().decode())
        self.assertEqual(body["status"], "success", body)
        return body["data"]["result"]

    def start_prometheus(self, journal_targets, agent_targets):
        port = free_port()
        self.prom_url = f"http://127.0.0.1:{port}"
        config = os.path.join(self.tmp, "prometheus.yml")
        shutil.copy(os.path.join(RULES_DIR, "pact.rules.yml"), self.tmp)
        with open(config, "w") as f:
            json.dump({
                "global": {"scrape_interval": "1s",
                           "evaluation_interval": "1s"},
                "rule_files": ["pact.rules.yml"],
                "scrape_configs": [
                    {"job_name": "pact-journal",
                     "static_configs": [{"targets": journal_targets}]},
                    {"job_name": "pact-agent",
                     "static_configs": [{"targets": agent_targets}]},
                ]}, f)  # JSON is YAML
        self.prom_log = open(os.path.join(self.tmp, "prometheus.log"), "wb")
        self.prometheus = subprocess.Popen(
            [PROMETHEUS, "--config.file", config,
             "--storage.tsdb.path", os.path.join(self.tmp, "tsdb"),
             "--web.listen-address", f"127.0.0.1:{port}"],
            stdout=self.prom_log, stderr=subprocess.STDOUT, cwd=self.tmp,
            start_new_session=True)

    def prometheus_log(self):
        self.prom_log.flush()
        with open(os.path.join(self.tmp, "prometheus.log"), "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def test_prometheus_scrapes_three_replicas_and_an_agent(self):
        replicas = self.start_cluster(3)
        leader = wait_for(self.leader, 30, "a leader")[0]
        spec = os.path.join(self.tmp, "spec.toml")
        with open(spec, "w") as f:
            f.write(SPEC)
        for args in (("apply", spec, "-m", "metrics"),
                     ("enroll", NODE, "--vcluster", VC)):
            r = self.pact(*args, "--endpoint", leader.gateway,
                          token=self.token)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.root = os.path.join(self.tmp, NODE + "-root")
        self.write("/usr/bin/crashy", "#!/bin/sh\nexit 3\n")
        os.chmod(os.path.join(self.root, "usr/bin/crashy"), 0o755)
        # GPUs: a fake nvidia-smi replaying four recorded GPUs, polled
        # every second.
        fake_bin = os.path.join(self.tmp, "bin")
        os.makedirs(fake_bin)
        with open(os.path.join(fake_bin, "nvidia-smi"), "w") as f:
            f.write("#!/bin/sh\nexec cat '%s'\n" % os.path.join(
                TESTDATA, "gpu", "nvidia_4gpus.csv"))
        os.chmod(os.path.join(fake_bin, "nvidia-smi"), 0o755)
        self.env["PATH"] = fake_bin + os.pathsep + self.env.get(
            "PATH", "/usr/bin:/bin")
        config = os.path.join(self.tmp, "agent.toml")
        with open(config, "w") as f:
            f.write("[agent.capability]\ngpu_poll_interval_seconds = 1\n")
        agent = self.start_agent(leader, node_id=NODE, vcluster=VC,
                                 secret=self.SECRET,
                                 extra=("--config", config))
        agent_metrics = wait_for(lambda: agent.endpoints().get("metrics"),
                                 15, "the agent's metrics URL")
        # Traffic for the gateway's series: a request answered and one
        # whose token is refused.
        r = self.pact("status", "--endpoint", leader.gateway,
                      token=self.token)
        self.assertEqual(r.returncode, 0, r.stderr)
        bad = make_token("not-the-secret")
        r = self.pact("status", "--endpoint", leader.gateway, token=bad)
        self.assertNotEqual(r.returncode, 0)

        # The agent's services and GPUs show.
        wait_for(lambda: re.search(
            r'pact_agent_service_restarts_total\{service="crashy"\} [1-9]',
            scrape(agent_metrics)), 30, "a restart of the crashing service")
        wait_for(lambda: 'pact_agent_gpu_temperature_celsius{gpu="3"}'
                 in scrape(agent_metrics), 30, "the fake GPUs")
        agent_text = scrape(agent_metrics)
        self.assertIn("pact_agent_gpu_devices 4", agent_text)
        self.assertIn('pact_agent_info{node="node-metrics",version="',
                      agent_text)

        # Both scrapes are valid exposition text by promtool's checks.
        texts = {}
        for name, url in [*((f"replica {i}", rep.metrics)
                            for i, rep in replicas.items()),
                          ("agent", agent_metrics)]:
            texts[name] = scrape(url)
            r = subprocess.run([PROMTOOL, "check", "metrics"],
                               input=texts[name], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0,
                             f"{name}: {r.stdout}{r.stderr}")
        lead_text = texts[f"replica {leader.node_id}"]
        # prometheus-cpp writes labels in name order.
        self.assertRegex(lead_text, r'pact_gateway_auth_failures_total\{'
                         r'reason="signature",replica="\d+"\} [1-9]')
        self.assertRegex(lead_text, r'pact_gateway_requests_total\{kind='
                         r'"status",replica="\d+",result="ok"\} [1-9]')
        self.assertRegex(lead_text, r'pact_gateway_requests_total\{kind='
                         r'"status",replica="\d+",result="unauthorized"\} '
                         r'[1-9]')
        self.assertIn("pact_raft_replication_lag_entries{", lead_text)
        self.assertIn('pact_journal_nodes{replica="', lead_text)

        host = lambda url: url.split("//", 1)[1]
        self.start_prometheus([host(rep.metrics) for rep in replicas.values()],
                              [host(agent_metrics)])

        def all_up():
            try:
                up = self.query("up")
            except OSError:
                return None
            if self.prometheus.poll() is not None:
                raise AssertionError("prometheus exited:\n"
                                     + self.prometheus_log())
            return len(up) == 4 and all(s["value"][1] == "1" for s in up)
        wait_for(all_up, 60, "Prometheus to scrape all four targets")

        terms = self.query('pact_raft_term{job="pact-journal"}')
        self.assertEqual(sorted(s["metric"]["replica"] for s in terms),
                         ["1", "2", "3"])
        self.assertEqual(len({s["metric"]["instance"] for s in terms}), 3)
        commit = self.query("pact_raft_commit_index")
        self.assertEqual(len(commit), 3)
        self.assertTrue(all(float(s["value"][1]) > 0 for s in commit))
        # Scrapes are a second apart: a scrape may predate an election's
        # end or a follower's apply, so these are waited for.
        wait_for(lambda: self.query("sum(pact_raft_is_leader)")[0]["value"][1]
                 == "1", 30, "one leader in the scrapes")
        fsync = self.query("pact_raft_fsync_seconds_count")
        self.assertEqual(len(fsync), 3)
        info = self.query('pact_agent_info{job="pact-agent"}')
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0]["metric"]["node"], "node-metrics")
        window = self.query("pact_agent_commit_window_state")
        self.assertEqual({s["metric"]["state"] for s in window},
                         {"closed", "open", "expired"})
        self.assertEqual(len(self.query("pact_agent_drift_items")), 1)
        restarts = self.query('pact_agent_service_restarts_total'
                              '{service="crashy"}')
        self.assertGreater(float(restarts[0]["value"][1]), 0)
        # Every replica counts the enrolled node.
        def every_replica_counts_the_node():
            nodes = self.query("sum by (replica) (pact_journal_nodes)")
            return len(nodes) == 3 and all(s["value"][1] == "1"
                                           for s in nodes)
        wait_for(every_replica_counts_the_node, 30,
                 "every replica counting the enrolled node")
        # The rules loaded, and no replica or agent alert fires on a
        # healthy cluster.
        with urllib.request.urlopen(self.prom_url + "/api/v1/rules",
                                    timeout=5) as r:
            groups = json.loads(r.read().decode())["data"]["groups"]
        self.assertEqual({g["name"] for g in groups},
                         {"pact-journal", "pact-agent"})
        # (A scrape round taken before all three targets answered may leave
        # an alert pending for a moment; firing needs its `for:` time.)
        for alert in ("PactNoLeader", "PactReplicaDown", "PactStoreFailed"):
            self.assertEqual(self.query(f'ALERTS{{alertname="{alert}",'
                                        f'alertstate="firing"}}'), [])

        # Every metric the dashboard and the rules name is exported.
        exported = set()
        for text in texts.values():
            exported |= exported_names(text)
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        exprs = [t["expr"] for p in dashboard["panels"]
                 for t in p.get("targets", [])]
        self.assertGreater(len(exprs), 20)
        used = set()
        for e in exprs:
            names = named_metrics(e)
            self.assertTrue(names or "up{" in e, f"no pact metric in {e}")
            used |= names
        missing = sorted(used - exported)
        self.assertEqual(missing, [], "the dashboard names metrics pact does "
                                      "not export")
        with open(os.path.join(RULES_DIR, "pact.rules.yml")) as f:
            rule_names = named_metrics(f.read())
        self.assertEqual(sorted(rule_names - exported), [],
                         "the rules name metrics pact does not export")


if __name__ == "__main__":
    unittest.main()
