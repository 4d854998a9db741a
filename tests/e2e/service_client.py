"""What the service tests (test_services, test_services_systemd) do through
the CLI, whichever backend runs the node's services: `pact service` on the
agent, the node's journal entries, and the restart that waits for the
commit window. A mixin for a PactTestCase that sets self.node,
self.journal, self.token, self.root and self.agent_env."""
import json

from harness import wait_for


class ServiceClient:
    def jpact(self, *args):
        return self.pact(*args, "--endpoint", self.journal.gateway,
                         token=self.token)

    def svc(self, *args, token=None):
        return self.pact("service", *args, "--node", self.node,
                         token=token or self.token, env=self.agent_env)

    def services(self):
        r = self.svc("status", "--output", "json")
        if r.returncode != 0:
            return None
        return {s["name"]: s for s in json.loads(r.stdout)["services"]}

    def running(self, *names):
        def up():
            s = self.services()
            return s if s and all(s.get(n, {}).get("state") == "running"
                                  for n in names) else None
        return wait_for(up, timeout=15, what=" and ".join(names) + " running")

    def jlog(self):
        r = self.jpact("log", "--scope", "node:" + self.node, "--output",
                       "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["entries"]

    def lifecycle(self):
        return [e["message"] for e in self.jlog()
                if e["type"] == "service-lifecycle"]

    def services_drift(self):
        """The drift items of the services dimension, by service."""
        r = self.pact("diff", self.node, "--output", "json", token=self.token,
                      env=self.agent_env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return {i["key"]: i for i in json.loads(r.stdout)["items"]
                if i["dimension"] == "services"}

    def restarted(self, name, before_pid):
        """`name` runs a new process after one operator restart, which the
        journal records with the operator."""
        after = self.services()[name]
        self.assertEqual(after["state"], "running")
        self.assertNotEqual(after["pid"], before_pid)
        self.assertEqual(after["restarts"], 1)
        wait_for(lambda: [m for m in self.lifecycle()
                          if m.startswith(f"service {name} restarted by ")
                          and "pact-platform-admin" in m] or None,
                 what="the restart's entry")

    def restart_waits_for_the_window(self, name, before_extend=None):
        """Drift nobody commits (the overlay declares vm.swappiness): once
        the window has expired a restart of `name` is refused (exit 3) and
        recorded; `pact extend` lets it through. `before_extend` runs
        between the two."""
        self.write("/proc/sys/vm/swappiness", "60\n")
        self.write("/etc/drifted.conf", "x\n")

        def expired():
            r = self.pact("diff", self.node, token=self.token,
                          env=self.agent_env)
            return "commit window expired" in r.stdout or None
        wait_for(expired, timeout=30, what="the window to expire")
        r = self.svc("restart", name)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("commit window expired", r.stderr)
        if before_extend:
            before_extend()
        r = self.jpact("extend", "15", "--node", self.node)
        self.assertEqual(r.returncode, 0, r.stderr)

        def allowed():
            r = self.svc("restart", name)
            return r if r.returncode == 0 else None
        wait_for(allowed, timeout=15, what="a restart after extend")
        self.assertTrue(any("refused: commit window expired" in m
                            for m in self.lifecycle()))
