"""`pact log --since/--until`, `pact log --export FILE` and
`pact log --verify --file FILE` end to end (issue 10 item 4): a journal
with a few thousand commits (more than one export page) is exported,
verified offline without a token or a journal, tampered with in each way
the verifier names, and queried by time window."""
import base64
import datetime
import json
import os
import subprocess
import time

from harness import PactTestCase, binary, free_port


def rfc3339(ts):
    return datetime.datetime.fromtimestamp(
        ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LogCase(PactTestCase):
    """One journal, and `pact log` against it."""

    def setUp(self):
        super().setUp()
        self.j = self.start_journal()
        self.token = self.token_of(self.j)

    def cli(self, *args, expect=0, token=None, endpoint=None):
        r = self.pact("--endpoint", endpoint or self.j.gateway, *args,
                      token=self.token if token is None else token)
        self.assertEqual(r.returncode, expect,
                         f"pact {' '.join(args)}: rc {r.returncode}\n"
                         f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def newest(self):
        return json.loads(self.cli("log", "-n", "1", "--output",
                                   "json").stdout)["entries"][0]


class LogExportTest(LogCase):
    def setUp(self):
        super().setUp()
        # More commits than one export page (1,000 entries).
        load = subprocess.run(
            [binary("pact-load"), "--endpoints", self.j.gateway,
             "--token", self.token, "--clients", "16", "--duration-s", "3",
             "--mode", "commit", "--size", "256"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(load.returncode, 0, load.stderr)

    def verify_offline(self, path, expect=0):
        # No token and no journal: the check needs neither.
        dead = f"http://127.0.0.1:{free_port()}"
        return self.cli("log", "--verify", "--file", path, expect=expect,
                        token="", endpoint=dead)

    def test_export_verifies_offline_and_names_each_kind_of_damage(self):
        newest = self.newest()
        total = newest["sequence"]
        self.assertGreater(total, 1000, "the load wrote too few entries")
        path = os.path.join(self.tmp, "journal.jsonl")
        r = self.cli("log", "--export", path, "--output", "json")
        summary = json.loads(r.stdout)
        self.assertEqual(summary["entries"], total)
        self.assertEqual(summary["first_sequence"], 1)
        self.assertEqual(summary["last_hash"], newest["hash"])
        self.assertFalse(os.path.exists(path + ".tmp"))
        with open(path) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), total + 2)
        header = json.loads(lines[0])
        self.assertEqual(header["anchor_hash"], "0" * 64)
        self.assertEqual(header["format"], "pact-journal-export")

        r = self.verify_offline(path)
        self.assertIn(f"verified {path}: {total} entries, sequences "
                      f"1..{total}, last hash {newest['hash']}", r.stdout)

        # An existing file is never replaced.
        r = self.cli("log", "--export", path, expect=1)
        self.assertIn("exists; an export never replaces a file", r.stderr)
        with open(path) as f:
            self.assertEqual(f.read().splitlines(), lines)

        def damaged(name, new_lines, reason):
            p = os.path.join(self.tmp, name)
            with open(p, "w") as f:
                f.write("".join(line + "\n" for line in new_lines))
            r = self.verify_offline(p, expect=1)
            self.assertIn(f"{p}: does not verify: {reason}", r.stderr)

        # A changed byte inside entry 7's bytes, its recorded hash kept.
        e = json.loads(lines[7])
        raw = bytearray(base64.b64decode(e["entry"]))
        raw[-1] ^= 0x01
        e["entry"] = base64.b64encode(bytes(raw)).decode()
        damaged("tampered.jsonl", lines[:7] + [json.dumps(e)] + lines[8:],
                "line 8 (sequence 7): hash does not match the entry's bytes")
        damaged("removed.jsonl", lines[:5] + lines[6:],
                "line 6 (sequence 5): expected sequence 5, found 6")
        damaged("reordered.jsonl",
                lines[:3] + [lines[4], lines[3]] + lines[5:],
                "line 4 (sequence 3): expected sequence 3, found 4")
        damaged("truncated.jsonl", lines[:-10],
                f"line {len(lines) - 10}: the file ends without the trailer "
                "line (truncated)")
        e = json.loads(lines[2])
        e["entry"] = "!" + e["entry"][1:]
        damaged("base64.jsonl", lines[:2] + [json.dumps(e)] + lines[3:],
                "line 3 (sequence 2): entry is not valid base64")
        damaged("json.jsonl", lines[:2] + ["{not json"] + lines[3:],
                "line 3: not a JSON object (damaged or cut short; the line "
                "after sequence 1)")
        # A trailer cut mid-line names no sequence the file does not hold.
        damaged("cut-trailer.jsonl", lines[:8] + [lines[-1][:25]],
                "line 9: not a JSON object (damaged or cut short; the line "
                "after sequence 7)")
        # A decoy copy of a key: nlohmann keeps the last, another reader
        # might keep the first, so the line is refused either way.
        e = json.loads(lines[3])
        decoy = ('{"entry":"AAAA",' + json.dumps(e)[1:])
        damaged("duplicate.jsonl", lines[:3] + [decoy] + lines[4:],
                "line 4: repeats the key \"entry\" (the line after "
                "sequence 2)")
        extra = '{"x":1,' + lines[3][1:]
        damaged("unknown.jsonl", lines[:3] + [extra] + lines[4:],
                "line 4: unknown field \"x\" (the line after sequence 2)")

    def test_interrupted_export_leaves_no_staging_file(self):
        # SIGINT while the pages are being written: FILE.tmp goes with the
        # process, which still dies of the signal, and the next export runs.
        import signal
        e = dict(self.env, PACT_TOKEN=self.token)
        for attempt in range(20):
            path = os.path.join(self.tmp, f"interrupted-{attempt}.jsonl")
            p = subprocess.Popen(
                [binary("pact"), "--endpoint", self.j.gateway, "log",
                 "--export", path], env=e, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            while p.poll() is None and not os.path.exists(path + ".tmp"):
                time.sleep(0.0005)
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=30)
            if p.returncode == 0:
                continue  # Finished before the signal: try again.
            self.assertEqual(p.returncode, -signal.SIGINT, err.decode())
            self.assertFalse(os.path.exists(path + ".tmp"))
            self.assertFalse(os.path.exists(path))
            self.cli("log", "--export", path)
            self.verify_offline(path)
            return
        self.fail("every export finished before SIGINT reached it")

    def test_time_window_filters_in_the_journal(self):
        before = self.newest()
        time.sleep(1.2)
        mark = rfc3339(time.time())
        time.sleep(0.2)
        for i in range(3):
            self.cli("commit", "-m", f"after the mark {i}", "n1", "--set",
                     f"kernel:vm.mark_{i}=1")
        after = json.loads(self.cli("log", "--since", mark, "-n", "100",
                                    "--output", "json").stdout)["entries"]
        self.assertEqual([e["message"] for e in after],
                         [f"after the mark {i}" for i in (2, 1, 0)])
        # -n counts matching entries; --scope narrows the window further.
        r = json.loads(self.cli("log", "--since", mark, "--scope", "node:n1",
                                "-n", "1", "--output", "json").stdout)
        self.assertEqual([e["message"] for e in r["entries"]],
                         ["after the mark 2"])
        older = json.loads(self.cli("log", "--until", mark, "-n", "5",
                                    "--output", "json").stdout)["entries"]
        self.assertEqual(len(older), 5)
        self.assertEqual(older[0]["sequence"], before["sequence"])
        r = json.loads(self.cli("log", "--since", "1h", "--until", mark,
                                "-n", "1", "--verify", "--output",
                                "json").stdout)
        self.assertTrue(r["verify"]["ok"])
        # An export of the window is the contiguous run after the mark,
        # anchored to the entry before it.
        path = os.path.join(self.tmp, "window.jsonl")
        s = json.loads(self.cli("log", "--export", path, "--since", mark,
                                "--output", "json").stdout)
        self.assertEqual(s["entries"], 3)
        self.assertEqual(s["first_sequence"], before["sequence"] + 1)
        self.assertEqual(s["anchor_hash"], before["hash"])
        self.verify_offline(path)

        r = self.cli("log", "--since", "yesterday", expect=1)
        self.assertIn("--since 'yesterday': expected an RFC 3339 time",
                      r.stderr)
        r = self.cli("log", "--since", "1h", "--until", "2h", expect=1)
        self.assertIn("--since '1h' is after --until '2h'", r.stderr)
        r = self.cli("log", "--export", os.path.join(self.tmp, "x.jsonl"),
                     "--scope", "node:n1", expect=1)
        self.assertIn("it takes no --scope", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.jsonl")))
        empty = os.path.join(self.tmp, "empty.jsonl")
        r = self.cli("log", "--export", empty, "--until",
                     "1971-01-01T00:00:00Z", expect=1)
        self.assertIn("no entries to export in that time window", r.stderr)
        self.assertFalse(os.path.exists(empty))
        self.assertFalse(os.path.exists(empty + ".tmp"))
        r = self.cli("log", "--help")
        for flag in ("--since", "--until", "--export", "--file"):
            self.assertIn(flag, r.stdout)


class LogWindowEdgesTest(LogCase):
    """The edges of `pact log`'s windows and forms on a small journal: a
    bound written as the whole second the log displays covers that second,
    and a flag or value a form does not take is refused before anything is
    asked or written (fresh tester, issue 10 item 4)."""

    def test_a_displayed_second_is_covered_by_until(self):
        # An entry stamped inside its second, not on it (.000).
        for i in range(20):
            self.cli("commit", "-m", f"edge {i}", "n1", "--set",
                     f"kernel:vm.edge_{i}=1")
            e = self.newest()
            if e["timestamp_unix_ms"] % 1000:
                break
        shown = e["timestamp"]
        self.assertTrue(shown.endswith("Z") and "." not in shown, shown)
        seqs = [x["sequence"] for x in json.loads(self.cli(
            "log", "--until", shown, "-n", "1", "--output",
            "json").stdout)["entries"]]
        self.assertEqual(seqs, [e["sequence"]])
        r = json.loads(self.cli("log", "--since", shown, "--until", shown,
                                "--output", "json").stdout)["entries"]
        self.assertIn(e["sequence"], [x["sequence"] for x in r])
        path = os.path.join(self.tmp, "second.jsonl")
        s = json.loads(self.cli("log", "--export", path, "--since", shown,
                                "--until", shown, "--output",
                                "json").stdout)
        self.assertEqual(s["last_sequence"], e["sequence"])
        # A fraction is exact at the precision written: .000 ends before
        # the entry, a start bound past it leaves it out.
        ms = e["timestamp_unix_ms"] % 1000
        r = self.cli("log", "--until", shown[:-1] + ".000Z", "-n", "1",
                     "--output", "json")
        self.assertNotEqual([x["sequence"] for x in json.loads(r.stdout)[
            "entries"]], [e["sequence"]])
        after = shown[:-1] + f".{ms + 1:03d}Z" if ms < 999 else None
        if after:
            r = json.loads(self.cli("log", "--since", after, "--output",
                                    "json").stdout)["entries"]
            self.assertNotIn(e["sequence"], [x["sequence"] for x in r])

    def test_flags_a_form_does_not_take_are_refused(self):
        dead = f"http://127.0.0.1:{free_port()}"
        y = os.path.join(self.tmp, "y.jsonl")
        m = os.path.join(self.tmp, "m.jsonl")
        offline = ("log --verify --file checks an export offline (pact log "
                   "--verify --file FILE); it takes no ")
        export = ("log --export writes the contiguous journal, so that its "
                  "hash chain can be verified (pact log --export FILE "
                  "[--since T] [--until T] [--stale]); it takes no ")
        for args, message in [
                (("--verify", "--file", m, "-n", "5"), offline + "-n"),
                (("--verify", "--file", m, "-n", "20"), offline + "-n"),
                (("--verify", "--file", m, "--scope", "global", "--since",
                  "1h", "--until", "1h", "--stale", "--export", y),
                 offline + "--scope, --since, --until, --stale, --export"),
                (("--export", y, "--verify"), export + "--verify"),
                (("--export", y, "-n", "5", "--scope", "global"),
                 export + "-n, --scope"),
                (("--file", m), "log --file FILE goes with --verify"),
                (("-n", "-1"), "log: -n -1 is outside 1 .. 10000"),
                (("--since", "1h", "-n", "-1"),
                 "log: -n -1 is outside 1 .. 10000"),
                (("-n", "10001"), "log: -n 10001 is outside 1 .. 10000"),
                (("--export", ""), "log --export: the value is empty"),
                (("--verify", "--file", ""), "log --file: the value is empty"),
                (("--scope", ""), "log --scope: the value is empty"),
                (("--since", "1969-12-31T23:59:59Z"),
                 "--since '1969-12-31T23:59:59Z': before the journal's "
                 "range"),
                (("--until", "0001-01-01T00:00:00Z"),
                 "--until '0001-01-01T00:00:00Z': before the journal's "
                 "range"),
                (("--since", "9999999w"),
                 "--since '9999999w': before the journal's range"),
                (("--export", y, "--since", "9999999w"),
                 "--since '9999999w': before the journal's range"),
                (("--until", "2026-11-30T16:10:60Z"),
                 "--until '2026-11-30T16:10:60Z': leap seconds (:60) are "
                 "not accepted")]:
            with self.subTest(args=args):
                r = self.cli("log", *args, expect=1, endpoint=dead)
                self.assertIn(message, r.stderr)
                self.assertNotIn("cannot connect", r.stderr)
                self.assertFalse(os.path.exists(y))
        # The forms' own flags still go through.
        self.cli("commit", "-m", "one", "n1", "--set", "kernel:vm.one=1")
        self.cli("log", "--since", "1970-01-01T00:00:00Z", "-n", "1",
                 "--verify", "--stale")
        self.cli("log", "--export", y, "--since", "1d", "--until",
                 "2999-01-01T00:00:00Z", "--stale")
        self.cli("log", "--verify", "--file", y, endpoint=dead)

    def test_export_onto_a_symlink_is_refused_before_exporting(self):
        for target in ("missing.jsonl", "there.jsonl"):
            with self.subTest(target=target):
                with open(os.path.join(self.tmp, "there.jsonl"), "w") as f:
                    f.write("x")
                link = os.path.join(self.tmp, "link-" + target)
                os.symlink(os.path.join(self.tmp, target), link)
                dead = f"http://127.0.0.1:{free_port()}"
                r = self.cli("log", "--export", link, expect=1,
                             endpoint=dead)
                self.assertIn(f"{link}: exists as a symbolic link; an "
                              "export never replaces a file", r.stderr)
                self.assertFalse(os.path.exists(link + ".tmp"))
                self.assertFalse(
                    os.path.exists(os.path.join(self.tmp, "missing.jsonl")))
