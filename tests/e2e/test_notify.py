"""Emergency notifications pushed to Loki's push API (issue 14 item 6):
the JSON Loki receives, retries with backoff while it is down, and the
operation never waiting for it. A local HTTP receiver plays Loki (no Loki
package exists for this machine); it checks what a Loki would parse."""
import http.server
import json
import os
import subprocess
import threading
import time
import unittest

from harness import PactTestCase, binary, free_port, wait_for


class FakeLoki:
    """Accepts POST /loki/api/v1/push and keeps the parsed bodies."""

    def __init__(self, port):
        pushes = self.pushes = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                ok = (self.path == "/loki/api/v1/push"
                      and self.headers.get("Content-Type")
                      == "application/json")
                if ok:
                    pushes.append(json.loads(body))
                self.send_response(204 if ok else 400)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                      Handler)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def values(self, event):
        """Every (labels, line) pushed for `event`."""
        out = []
        for push in self.pushes:
            for stream in push["streams"]:
                if stream["stream"].get("event") == event:
                    out += [(stream["stream"], json.loads(v[1]), v[0])
                            for v in stream["values"]]
        return out


class NotifyTest(PactTestCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        config = os.path.join(self.tmp, "journal.toml")
        with open(config, "w") as f:
            f.write("[journal.notify]\n"
                    f'loki_url = "http://127.0.0.1:{self.port}/"\n')
        self.journal = self.start_journal(extra=("--config", config))
        self.admin = self.token_of(self.journal)
        policy = os.path.join(self.tmp, "policy.toml")
        with open(policy, "w") as f:
            f.write("emergency_allowed = true\n")
        for args in (("group", "set-policy", "ml", "--file", policy),
                     ("enroll", "n1", "--vcluster", "ml")):
            r = self.pact(*args, "--endpoint", self.journal.gateway,
                          token=self.admin)
            self.assertEqual(r.returncode, 0, r.stderr)

    def emergency(self, *args):
        started = time.monotonic()
        r = subprocess.run([binary("pact-test-command"),
                            self.journal.gateway, *args],
                           env={**self.env, "PACT_TOKEN": self.admin},
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return time.monotonic() - started

    def test_start_and_end_are_pushed(self):
        loki = FakeLoki(self.port)
        self.addCleanup(loki.stop)
        self.emergency("emergency-start", "n1", "GPU ECC storm")
        start = wait_for(lambda: loki.values("emergency_start"), 15,
                         "the emergency start push")
        labels, line, ts = start[0]
        self.assertEqual(labels, {"app": "pact", "event": "emergency_start",
                                  "vcluster": "ml"})
        self.assertEqual(line["node"], "n1")
        self.assertEqual(line["scope"], "node:n1")
        self.assertEqual(line["reason"], "GPU ECC storm")
        # The author is the dev admin token's subject (its host's name).
        self.assertTrue(line["author"]["principal"])
        self.assertEqual(line["author"]["type"], "human")
        # Nanoseconds, as a string, close to now.
        self.assertAlmostEqual(int(ts) / 1e9, time.time(), delta=60)
        self.emergency("emergency-end", "n1")
        end = wait_for(lambda: loki.values("emergency_end"), 15,
                       "the emergency end push")
        self.assertEqual(end[0][1]["sequence"], line["sequence"] + 1)
        self.assertEqual(len(loki.values("emergency_start")), 1)

    def test_loki_down_delays_but_never_blocks(self):
        # Nothing listens: the operation returns at once all the same.
        took = self.emergency("emergency-start", "n1", "fabric down")
        self.assertLess(took, 5)

        def failed_push_shown():
            status = self.pact("status", "--endpoint", self.journal.gateway,
                               "--output", "json", token=self.admin)
            self.assertEqual(status.returncode, 0, status.stderr)
            return "cannot push 1 notifications" in status.stdout
        # The notifier says so once its first push has failed (a moment
        # later under load; a fixed sleep made this flaky).
        wait_for(failed_push_shown, 20, "the failed push in pact status")
        loki = FakeLoki(self.port)
        self.addCleanup(loki.stop)
        pushed = wait_for(lambda: loki.values("emergency_start"), 30,
                          "the retried push")
        self.assertEqual(pushed[0][1]["reason"], "fabric down")

    def test_bad_url_stops_the_journal(self):
        config = os.path.join(self.tmp, "bad.toml")
        with open(config, "w") as f:
            f.write('[journal.notify]\nloki_url = "loki:3100"\n')
        r = subprocess.run([binary("pact-journal"), "--dev", "--data-dir",
                            os.path.join(self.tmp, "bad"), "--config",
                            config, "--listen", "127.0.0.1:0",
                            "--raft-listen", "127.0.0.1:0",
                            "--metrics-listen", "127.0.0.1:0"],
                           env=self.env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("journal.notify.loki_url: 'loki:3100' is not an "
                      "http:// or https:// URL", r.stderr)


if __name__ == "__main__":
    unittest.main()
