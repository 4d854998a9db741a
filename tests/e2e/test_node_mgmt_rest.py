"""pact's node management client (runtime/delegation/node_mgmt) against the
REST contract servers of node_mgmt_server.py, through pact-node-mgmt-probe:
the exact requests each backend sends for reboot and reimage, and the
errors an operator sees (wrong token, unknown node, nothing to boot, no
template, service down)."""
import json
import os
import socket
import subprocess
import unittest

from node_mgmt_server import NodeMgmtServer

BIN = os.environ.get("PACT_BIN_DIR", os.path.join(os.getcwd(), "bin"))
PROBE = os.path.join(BIN, "pact-node-mgmt-probe")
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwYWN0In0.c2lnbmF0dXJl"
NODE = "x1000c0s0b0n0"
GHOST = "x1000c7s7b0n1"
KERNEL = "http://10.1.0.1/boot-images/compute/vmlinuz"
BOOT = {NODE: {"kernel": KERNEL, "initrd": "http://10.1.0.1/initrd",
               "params": "console=ttyS0 root=live:http://10.1.0.1/image"}}
TEMPLATES = {"compute-2026": {"boot_sets": {"compute": {
    "node_roles_groups": ["Compute"], "path": "s3://boot-images/m",
    "type": "s3"}}}}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeMgmtRest(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(PROBE):
            self.fail(f"{PROBE} not built (set PACT_BIN_DIR)")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()

    def server(self, backend, **kw):
        kw.setdefault("token", TOKEN)
        kw.setdefault("nodes", [NODE])
        s = NodeMgmtServer(backend, **kw).start()
        self.servers.append(s)
        return s

    def probe(self, backend, url, action, node, token=TOKEN, template=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PACT_NODE_MGMT_")}
        env.update({"PACT_NODE_MGMT_BACKEND": backend,
                    "PACT_NODE_MGMT_URL": url})
        if token is not None:
            env["PACT_NODE_MGMT_TOKEN"] = token
        if template is not None:
            env["PACT_NODE_MGMT_BOS_TEMPLATE"] = template
        p = subprocess.run([PROBE, action, node], env=env,
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args, **kw):
        rc, out, err = self.probe(*args, **kw)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def assert_pcs_start(self, req, path, operation):
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], path)
        self.assertEqual(req["body"], {"operation": operation,
                                       "location": [{"xname": NODE}]})
        self.assertEqual(req["headers"].get("Authorization"),
                         f"Bearer {TOKEN}")
        self.assertEqual(req["headers"].get("Content-Type"),
                         "application/json")

    def test_reboot_is_one_pcs_hard_restart(self):
        for backend, prefix in (("ochami", ""),
                                ("csm", "/apis/power-control/v1")):
            with self.subTest(backend=backend):
                s = self.server(backend)
                answer = self.ok(backend, s.url, "reboot", NODE)
                self.assertEqual(len(s.requests), 2, s.requests)
                self.assert_pcs_start(s.requests[0], prefix + "/transitions",
                                      "hard-restart")
                tid = answer["transition_id"]
                self.assertIn(tid, s.transitions)
                watch = s.requests[1]
                self.assertEqual((watch["method"], watch["path"]),
                                 ("GET", f"{prefix}/transitions/{tid}"))
                self.assertEqual(watch["headers"].get("Authorization"),
                                 f"Bearer {TOKEN}")
                self.assertEqual(answer, {
                    "backend": backend, "node": NODE, "operation": "reboot",
                    "power_operation": "hard-restart", "transition_id": tid,
                    "task_status": "in-progress"})

    def test_ochami_reimage_checks_bss_then_power_cycles(self):
        s = self.server("ochami", boot_params=BOOT)
        answer = self.ok("ochami", s.url, "reimage", NODE)
        bss = s.requests[0]
        self.assertEqual((bss["method"], bss["path"], bss["query"]),
                         ("GET", "/boot/v1/bootparameters", {"name": [NODE]}))
        self.assertIsNone(bss["body"])
        self.assertEqual(bss["headers"].get("Authorization"),
                         f"Bearer {TOKEN}")
        self.assert_pcs_start(s.requests[1], "/transitions", "init")
        self.assertEqual(len(s.requests), 3)
        self.assertEqual(answer["operation"], "reimage")
        self.assertEqual(answer["power_operation"], "init")
        self.assertEqual(answer["kernel"], KERNEL)

    def test_ochami_reimage_without_boot_parameters_boots_nothing(self):
        s = self.server("ochami", boot_params={})
        rc, out, err = self.probe("ochami", s.url, "reimage", NODE)
        self.assertEqual(rc, 1, err)
        self.assertIn(f"no boot parameters for {NODE} in BSS "
                      "(nothing to boot it into)", err)
        self.assertEqual([r["method"] for r in s.requests], ["GET"])

    def test_csm_reimage_is_a_bos_v2_reboot_session(self):
        s = self.server("csm", templates=TEMPLATES)
        answer = self.ok("csm", s.url, "reimage", NODE,
                         template="compute-2026")
        self.assertEqual(len(s.requests), 2, s.requests)
        tmpl, made = s.requests
        self.assertEqual((tmpl["method"], tmpl["path"]),
                         ("GET", "/apis/bos/v2/sessiontemplates/compute-2026"))
        self.assertEqual((made["method"], made["path"]),
                         ("POST", "/apis/bos/v2/sessions"))
        self.assertEqual(made["body"], {"template_name": "compute-2026",
                                        "operation": "reboot",
                                        "limit": NODE})
        self.assertEqual(made["headers"].get("Authorization"),
                         f"Bearer {TOKEN}")
        self.assertEqual(answer, {
            "backend": "csm", "node": NODE, "operation": "reimage",
            "template": "compute-2026", "session": s.sessions[0]["name"],
            "session_status": "pending"})

    def test_csm_reimage_without_a_template(self):
        s = self.server("csm", templates=TEMPLATES)
        rc, _, err = self.probe("csm", s.url, "reimage", NODE)
        self.assertEqual(rc, 1, err)
        self.assertIn("no boot template", err)
        self.assertIn("PACT_NODE_MGMT_BOS_TEMPLATE", err)
        self.assertEqual(s.requests, [])
        rc, _, err = self.probe("csm", s.url, "reimage", NODE,
                                template="gone-1")
        self.assertEqual(rc, 1, err)
        self.assertIn("no boot template 'gone-1' in BOS", err)
        self.assertEqual([r["method"] for r in s.requests], ["GET"])
        self.assertEqual(s.sessions, [])

    def test_wrong_or_missing_token_is_exit_2(self):
        s = self.server("csm")
        for token in ("not-the-token", None):
            with self.subTest(token=token):
                rc, out, err = self.probe("csm", s.url, "reboot", NODE,
                                          token=token)
                self.assertEqual(rc, 2, err)
                self.assertIn(f"{s.url}/apis/power-control/v1/transitions "
                              "refused the token (HTTP 401); set "
                              "PACT_NODE_MGMT_TOKEN", err)
                self.assertEqual(out, "")
        self.assertEqual(s.transitions, {})

    def test_unknown_node_is_exit_1(self):
        s = self.server("ochami", boot_params=BOOT)
        rc, _, err = self.probe("ochami", s.url, "reboot", GHOST)
        self.assertEqual(rc, 1, err)
        self.assertIn(f"does not know node {GHOST} (Missing xname)", err)
        rc, _, err = self.probe("ochami", s.url, "reboot", "node-17")
        self.assertEqual(rc, 1, err)
        self.assertIn("does not know node node-17 (Invalid xname)", err)

    def test_a_bad_node_name_sends_nothing(self):
        s = self.server("csm", templates=TEMPLATES)
        rc, _, err = self.probe("csm", s.url, "reimage", "x1,x2",
                                template="compute-2026")
        self.assertEqual(rc, 1, err)
        self.assertIn("cannot be a component id", err)
        self.assertEqual(s.requests, [])

    def test_service_down_is_exit_5(self):
        url = f"http://127.0.0.1:{free_port()}"
        for backend, action in (("ochami", "reboot"), ("ochami", "reimage"),
                                ("csm", "reimage")):
            with self.subTest(backend=backend, action=action):
                rc, _, err = self.probe(backend, url, action, NODE,
                                        template="compute-2026")
                self.assertEqual(rc, 5, err)
                self.assertIn(f"node management at {url} is unreachable: "
                              "connection refused", err)
                self.assertNotIn("curl", err.lower())

    def test_a_failing_service_is_named_with_its_own_words(self):
        s = self.server("ochami", boot_params=BOOT)
        s.faults["/boot/v1/bootparameters"] = (500, {
            "type": "about:blank", "title": "Internal Server Error",
            "detail": "etcd down\x1b[2J" + "x" * 400})
        rc, _, err = self.probe("ochami", s.url, "reimage", NODE)
        self.assertEqual(rc, 1, err)
        self.assertIn(f"{s.url}/boot/v1/bootparameters refused the request "
                      "(HTTP 500): etcd down?[2Jxxx", err)
        self.assertNotIn("\x1b", err)
        self.assertLess(len(err), 400)
        self.assertEqual(s.transitions, {})  # nothing was power cycled
        s.faults = {"/transitions": (503, {"type": "about:blank",
                                           "title": "Service Unavailable"})}
        rc, _, err = self.probe("ochami", s.url, "reboot", NODE)
        self.assertEqual(rc, 5, err)
        self.assertIn(f"{s.url}/transitions is unavailable (HTTP 503): "
                      "Service Unavailable", err)

    def test_a_task_that_stays_new_is_watched_for_a_bounded_time(self):
        s = self.server("csm")
        s.pcs_task_status = "new"
        answer = self.ok("csm", s.url, "reboot", NODE)
        self.assertEqual(answer["task_status"], "new")
        watches = [r for r in s.requests if r["method"] == "GET"]
        self.assertGreater(len(watches), 1)  # it looked again
        self.assertLess(len(watches), 40)  # and stopped (settle: 3 s)

    def test_not_configured_is_exit_1(self):
        rc, _, err = self.probe("", "", "reboot", NODE)
        self.assertEqual(rc, 1, err)
        self.assertIn("node management not configured (set "
                      "PACT_NODE_MGMT_BACKEND=ochami|csm and "
                      "PACT_NODE_MGMT_URL)", err)


if __name__ == "__main__":
    unittest.main()
