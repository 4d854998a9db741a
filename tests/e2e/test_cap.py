"""pact cap against a real pact-journal --dev and pact-agent (issue 11 item
5): the agent runs under a temporary --root holding a recorded /proc and
/sys tree, with a fake nvidia-smi first on its PATH that replays recorded
outputs; the test swaps the recording between polls."""
import json
import os
import shutil
import unittest

from harness import Daemon, PactTestCase, binary, make_token, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TESTDATA = os.path.join(ROOT, "tests", "unit", "runtime", "node", "testdata")
LOST_UUID = "GPU-4c1e8d2a-1f0b-4e7e-9b1a-0a1b2c3d4e02"


class CapTest(PactTestCase):
    def start_gpu_agent(self, journal, node_id="node-042", vcluster="ml"):
        """An agent whose root is the fixture host and whose PATH starts
        with a fake nvidia-smi printing bin/current.csv."""
        state = os.path.join(self.tmp, node_id)
        root = os.path.join(self.tmp, node_id + "-root")
        shutil.copytree(os.path.join(TESTDATA, "root"), root, symlinks=True)
        self.bin = os.path.join(self.tmp, "bin")
        os.makedirs(self.bin)
        fake = os.path.join(self.bin, "nvidia-smi")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\nexec cat '%s/current.csv'\n" % self.bin)
        os.chmod(fake, 0o755)
        self.serve("nvidia_4gpus.csv")
        config = os.path.join(self.tmp, "agent.toml")
        with open(config, "w") as f:
            f.write("[agent.capability]\ngpu_poll_interval_seconds = 1\n")
        env = dict(self.env)
        env["PATH"] = self.bin + os.pathsep + env.get("PATH", "/usr/bin:/bin")
        with open(journal.secret_path) as f:
            env["PACT_OIDC_HMAC_SECRET"] = f.read().strip()
        args = [binary("pact-agent"), "--config", config, "--node-id",
                node_id, "--vcluster", vcluster, "--journal",
                journal.gateway, "--listen", "127.0.0.1:0", "--root", root,
                "--state-dir", state]
        d = Daemon(args, state, env, os.path.join(self.tmp, node_id + ".log"))
        self.daemons.append(d)
        d.api = d.endpoints()["agent_api"]
        d.root = root
        return d

    def serve(self, recorded):
        """What the fake nvidia-smi prints from now on (replaced whole)."""
        tmp = os.path.join(self.bin, "current.tmp")
        shutil.copy(os.path.join(TESTDATA, "gpu", recorded), tmp)
        os.replace(tmp, os.path.join(self.bin, "current.csv"))

    def cap(self, agent, *args, token=None, **kw):
        return self.pact("cap", *args, token=token or self.admin,
                         env={"PACT_AGENT_ENDPOINT": agent.api}, **kw)

    def cap_json(self, agent, *args):
        r = self.cap(agent, "--output", "json", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def gpu_count(self, agent, want):
        r = self.cap(agent, "--output", "json")
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)["gpus"]["count"] == want or None

    def setUp(self):
        super().setUp()
        self.journal = self.start_journal()
        self.admin = self.token_of(self.journal)

    def test_cap_text_and_json_and_a_lost_gpu(self):
        agent = self.start_gpu_agent(self.journal)
        wait_for(lambda: self.gpu_count(agent, 4), what="the first GPU poll")

        doc = self.cap_json(agent)
        self.assertEqual(doc["schema"], "pact.capability/1")
        self.assertEqual(doc["node"], "node-042")
        self.assertEqual(doc["cpu"]["sockets"], 2)
        self.assertEqual(doc["cpu"]["threads"], 8)
        self.assertEqual([n["name"] for n in doc["network"]],
                         ["eth0", "eth1", "ib0"])
        self.assertEqual(len(doc["memory"]["numa_nodes"]), 2)
        self.assertEqual(doc["gpus"]["tool"], "nvidia-smi")
        self.assertEqual(doc["gpus"]["status"], "ok")
        self.assertEqual(doc["probe_errors"], [])
        # The manifest the troubleshooting guide points at is the same
        # document the API serves.
        path = os.path.join(agent.root, "run", "pact", "capability.json")
        with open(path) as f:
            on_disk = json.load(f)
        self.assertEqual(on_disk["schema"], "pact.capability/1")
        self.assertEqual(on_disk["node"], "node-042")

        r = self.cap(agent)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("Node     node-042"), lines[0])
        self.assertIn("Intel(R) Xeon(R) Platinum 8480+: 2 socket(s), "
                      "4 cores, 8 threads", r.stdout)
        self.assertIn("GPUs     4 via nvidia-smi (ok", r.stdout)
        self.assertEqual(sum("NVIDIA H100 80GB HBM3" in l for l in lines), 4)
        self.assertIn("Network  3 interface(s)", r.stdout)

        # A GPU lost between polls: gone from the next manifest, with the
        # tool's reason.
        self.serve("nvidia_lost.csv")
        wait_for(lambda: self.gpu_count(agent, 3), what="the lost GPU")
        doc = self.cap_json(agent)
        self.assertNotIn(LOST_UUID, [d["uuid"] for d in doc["gpus"]["devices"]])
        self.assertIn("GPU is lost", doc["gpus"]["problems"][0])
        r = self.cap(agent)
        self.assertIn("GPUs     3 via nvidia-smi", r.stdout)
        self.assertIn("problem: Unable to determine the device handle",
                      r.stdout)
        self.assertIn("GPU health change", agent.read_log())

        # ECC errors and throttling show in the HEALTH column.
        self.serve("nvidia_ecc.csv")
        wait_for(lambda: self.gpu_count(agent, 4), what="the GPU back")
        wait_for(lambda: "ECC errors 3/2" in self.cap(agent).stdout or None,
                 what="the ECC errors")

    def test_cap_refusals(self):
        agent = self.start_gpu_agent(self.journal)
        wait_for(lambda: self.gpu_count(agent, 4), what="the first GPU poll")
        # Another node's name: this agent does not answer for it.
        r = self.cap(agent, "node-007")
        self.assertEqual(r.returncode, 1)
        self.assertIn("this agent serves node node-042, not node-007",
                      r.stderr)
        # A viewer of another vCluster may not read this node.
        with open(self.journal.secret_path) as f:
            secret = f.read().strip()
        other = make_token(secret, sub="vic@site",
                           groups=["pact-viewer-other"])
        r = self.cap(agent, token=other)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("may not read the capabilities of nodes of vCluster",
                      r.stderr)
        viewer = make_token(secret, sub="val@site", groups=["pact-viewer-ml"])
        self.assertEqual(self.cap(agent, token=viewer).returncode, 0)
        # No agent there: exit 5 naming it.
        r = self.pact("cap", token=self.admin,
                      env={"PACT_AGENT_ENDPOINT": "http://127.0.0.1:1"},
                      timeout=60)
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("127.0.0.1:1", r.stderr)

    def test_agent_without_gpu_tool(self):
        """No nvidia-smi or rocm-smi on PATH is not an error."""
        agent = self.start_agent(self.journal, "node-plain", "ml")
        # Its root is empty: the host probes fail by name, nothing crashes.
        def manifest():
            r = self.cap(agent, "--output", "json")
            return json.loads(r.stdout) if r.returncode == 0 else None
        doc = wait_for(manifest, what="the manifest")
        if not shutil.which("nvidia-smi") and not shutil.which("rocm-smi"):
            self.assertEqual(doc["gpus"]["status"], "no GPU tool")
            self.assertEqual(doc["gpus"]["count"], 0)
        self.assertIsNone(doc["cpu"])
        self.assertTrue(any(e.startswith("cpu: ") for e in
                            doc["probe_errors"]))
        r = self.cap(agent)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("CPU      unknown (see probe errors)", r.stdout)


if __name__ == "__main__":
    unittest.main()
