"""Structured logs (issue 18 item 5): `--log-format json` writes one JSON
object per line, and a refused request's id appears both in the CLI's
error and in the journal's log line, so an operator can find the
journal's side of a failed command."""
import json
import os
import re
import subprocess
import unittest

from harness import PactTestCase, binary, make_token


class JsonLogTest(PactTestCase):
    def test_refusal_is_found_in_the_journal_log_by_its_request_id(self):
        self.journal = self.start_journal(extra=("--log-format", "json"))
        with open(self.journal.secret_path) as f:
            secret = f.read().strip()
        viewer = make_token(secret, sub="vic@site",
                            groups=("pact-viewer-ml",))
        r = self.pact("--endpoint", self.journal.gateway, "commit", "-m",
                      "x", "global", "--set", "kernel:vm.a=1", token=viewer)
        self.assertEqual(r.returncode, 2, r.stderr)
        m = re.search(r"\(request ([^)]+)\)$", r.stderr.strip())
        self.assertIsNotNone(m, r.stderr)
        request_id = m.group(1)
        lines = self.journal.read_log().splitlines()
        self.assertTrue(lines)
        records = []
        for line in lines:
            rec = json.loads(line)  # every line is one JSON object
            self.assertEqual(set(rec) - {"request_id"},
                             {"time", "level", "component", "message"})
            self.assertRegex(rec["time"],
                             r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            records.append(rec)
        mine = [rec for rec in records if rec.get("request_id") == request_id]
        self.assertEqual(len(mine), 1, lines[-5:])
        self.assertEqual(mine[0]["component"], "journal")
        self.assertIn("UNAUTHORIZED", mine[0]["message"])
        self.assertIn("vic@site", mine[0]["message"])

    def test_text_logs_name_the_request_too_and_bad_formats_are_refused(self):
        self.journal = self.start_journal()
        r = self.pact("--endpoint", self.journal.gateway, "log", "--scope",
                      "node:nope", token="not-a-token")
        self.assertEqual(r.returncode, 2, r.stderr)
        request_id = re.search(r"\(request ([^)]+)\)$",
                               r.stderr.strip()).group(1)
        self.assertIn("request " + request_id + " refused",
                      self.journal.read_log())
        bad = self.start_journal  # a fresh one with a bad format fails
        with self.assertRaises(Exception):
            bad(name="bad", extra=("--log-format", "xml"))
        with open(os.path.join(self.tmp, "bad.log")) as f:
            self.assertIn("xml", f.read())

    def test_the_reason_a_daemon_stops_is_a_json_line_too(self):
        journal = self.start_journal()
        busy = journal.gateway.rsplit(":", 1)[1]
        r = subprocess.run(
            [binary("pact-journal"), "--dev", "--data-dir",
             os.path.join(self.tmp, "second"), "--listen",
             "127.0.0.1:" + busy, "--raft-listen", "127.0.0.1:0",
             "--metrics-listen", "127.0.0.1:0", "--log-format", "json"],
            env=self.env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        records = [json.loads(l) for l in lines]  # every line is JSON
        last = records[-1]
        self.assertEqual(last["level"], "critical", lines)
        self.assertIn("cannot start the journal", last["message"])


if __name__ == "__main__":
    unittest.main()
