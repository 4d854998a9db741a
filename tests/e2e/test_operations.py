"""Operating a journal (issue 18 item 6, docs/operations.md): a hot backup
with `pact-journal --backup` restored into a replaced member and into a
development journal, and a rolling restart of three replicas while a
client keeps writing."""
import collections
import concurrent.futures as cf
import json
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
import unittest

from harness import ClusterTestCase, binary, free_port, make_token, wait_for


class Writer:
    """Writes `pact blacklist add /opt/w-N/**` every `period` s through the
    comma-separated gateways (the client moves on when one does not
    answer), each write in its own thread so a slow one does not stop the
    rhythm. Records each outcome and when it was acknowledged."""

    def __init__(self, test, endpoints, token, period=0.05, prefix="w"):
        self.test, self.endpoints, self.token = test, endpoints, token
        self.period, self.prefix = period, prefix
        self.pool = cf.ThreadPoolExecutor(16)
        self.futures = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def one(self, pattern, order):
        e = dict(self.test.env, PACT_TOKEN=self.token,
                 PACT_ENDPOINT=",".join(order))
        r = subprocess.run([binary("pact"), "blacklist", "add", pattern,
                            "--timeout", "15"], env=e, capture_output=True,
                           text=True, timeout=60)
        return r.returncode, r.stderr.strip(), time.monotonic()

    def loop(self):
        n = 0
        while not self.stopping.is_set():
            k = len(self.endpoints)
            order = self.endpoints[n % k:] + self.endpoints[:n % k]
            pattern = f"/opt/{self.prefix}-{n}/**"
            self.futures.append(
                (pattern, self.pool.submit(self.one, pattern, order)))
            n += 1
            time.sleep(self.period)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        """{pattern: (rc, stderr, acknowledged_at)}."""
        self.stopping.set()
        self.thread.join()
        out = {p: f.result() for p, f in self.futures}
        self.pool.shutdown()
        return out


class OperationsTest(ClusterTestCase):
    def start_fixed_cluster(self):
        """Three replicas whose gateways keep their ports across restarts,
        so one endpoint list serves the writer throughout."""
        self.members = {i: free_port() for i in (1, 2, 3)}
        self.gateways = {i: free_port() for i in (1, 2, 3)}
        self.config = None
        self.token = make_token(self.SECRET)
        self.replicas = {}
        for i in self.members:
            self.start_member(i, bootstrap=True)
        wait_for(self.leader, 20, "a leader")

    def start_member(self, i, bootstrap=False):
        r = self.start_replica(i, self.members, self.SECRET,
                               bootstrap=bootstrap,
                               listen=f"127.0.0.1:{self.gateways[i]}")
        self.replicas[i] = r
        return r

    def endpoints(self):
        return [f"http://127.0.0.1:{self.gateways[i]}" for i in (1, 2, 3)]

    def cli(self, *args, endpoint, token=None):
        e = dict(self.env, PACT_TOKEN=token or self.token,
                 PACT_ENDPOINT=endpoint)
        return subprocess.run([binary("pact"), *args], env=e,
                              capture_output=True, text=True, timeout=60)

    def patterns(self, endpoint, token=None):
        r = self.cli("log", "-n", "10000", "--output", "json",
                     endpoint=endpoint, token=token)
        self.assertEqual(r.returncode, 0, r.stderr)
        return collections.Counter(
            e["blacklist_change"]["pattern"]
            for e in json.loads(r.stdout)["entries"]
            if "blacklist_change" in e)

    def backup(self, data_dir, dest):
        return subprocess.run([binary("pact-journal"), "--backup", dest,
                               "--data-dir", data_dir], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def assert_all_acked_once(self, outcomes, endpoint, token=None):
        acked = [p for p, o in outcomes.items() if o[0] == 0]
        got = self.patterns(endpoint, token)
        self.assertEqual([p for p in acked if got[p] != 1], [],
                         "acknowledged writes missing or applied twice")
        self.assertLessEqual(max(got.values()), 1, "a write applied twice")
        return acked

    def wait_caught_up(self, replica, timeout=20):
        """Until `replica` applied what the leader had committed when it
        was asked (the leader may change meanwhile)."""
        _, h = wait_for(self.leader, timeout, "a leader")
        target = h["commit_index"]

        def caught_up():
            mine = self.health(replica)
            return mine and mine["applied_index"] >= target
        wait_for(caught_up, timeout, f"replica {replica.node_id} to catch up")

    def test_backup_while_writing_restores_a_replaced_member(self):
        self.start_fixed_cluster()
        writer = Writer(self, self.endpoints(), self.token).start()
        time.sleep(1.5)
        lead, _ = wait_for(self.leader, 10, "a leader")
        lost = next(r for i, r in self.replicas.items()
                    if i != lead.node_id)
        # The member's disk is lost: its process dies, its data goes.
        lost.proc.send_signal(signal.SIGKILL)
        lost.proc.wait()
        time.sleep(0.5)
        # A hot copy of the leader (every entry the lost member stored is
        # there) while the writer keeps it busy.
        dest = os.path.join(self.tmp, "backup")
        r = self.backup(lead.data, dest)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("last_index", r.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(dest).st_mode), 0o700)
        self.assertTrue(os.path.exists(os.path.join(dest, "raft",
                                                    "data.mdb")))
        self.assertFalse(os.path.exists(dest + ".tmp"))
        # Refusals name the problem and leave nothing behind.
        again = self.backup(lead.data, dest)
        self.assertEqual(again.returncode, 1)
        self.assertIn("is not empty", again.stderr)
        missing = self.backup(os.path.join(self.tmp, "nowhere"),
                              os.path.join(self.tmp, "b2"))
        self.assertEqual(missing.returncode, 1)
        self.assertIn("holds no journal", missing.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "b2")))
        os.mkdir(os.path.join(self.tmp, "b3.tmp"))
        stale = self.backup(lead.data, os.path.join(self.tmp, "b3"))
        self.assertEqual(stale.returncode, 1)
        self.assertIn("interrupted backup", stale.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "b3")))
        time.sleep(1.0)
        # Restore: the replaced member's new data directory is the backup.
        shutil.rmtree(lost.data)
        shutil.copytree(dest, lost.data)
        back = self.start_member(lost.node_id)
        self.wait_caught_up(back)
        time.sleep(0.5)
        outcomes = writer.stop()
        self.wait_converged()
        gw = f"http://127.0.0.1:{self.gateways[back.node_id]}"
        r = self.cli("log", "--verify", endpoint=gw)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        acked = self.assert_all_acked_once(outcomes, gw)
        self.assertGreater(len(acked), 20)
        self.assertEqual(back.proc.poll(), None, back.read_log())

    def test_dev_journal_backup_and_restore(self):
        j = self.start_dev_journal()
        for n in range(5):
            r = self.cli("blacklist", "add", f"/opt/before-{n}/**",
                         endpoint=j.gateway, token=self.admin)
            self.assertEqual(r.returncode, 0, r.stderr)
        dest = os.path.join(self.tmp, "dev-backup")
        r = self.backup(j.state_dir, dest)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("dev/hmac-secret", r.stdout)
        r = self.cli("blacklist", "add", "/opt/after/**",
                     endpoint=j.gateway, token=self.admin)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(j.stop(), 0)
        os.rename(j.state_dir, j.state_dir + ".old")
        shutil.copytree(dest, j.state_dir)
        j2 = self.start_journal()
        admin = self.token_of(j2)
        got = self.patterns(j2.gateway, admin)
        for n in range(5):
            self.assertEqual(got[f"/opt/before-{n}/**"], 1)
        # A single replica loses what it wrote after the backup.
        self.assertEqual(got["/opt/after/**"], 0)
        r = self.cli("log", "--verify", endpoint=j2.gateway, token=admin)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_rolling_restart_keeps_serving_writes(self):
        """docs/operations.md "Upgrading a replica at a time": each replica
        stopped with SIGTERM, started again and caught up before the next;
        writes keep being acknowledged throughout."""
        self.start_fixed_cluster()
        writer = Writer(self, self.endpoints(), self.token).start()
        time.sleep(1.0)
        began = time.monotonic()
        for i in (1, 2, 3):
            self.assertEqual(self.replicas[i].stop(), 0)
            time.sleep(0.5)
            self.wait_caught_up(self.start_member(i))
        ended = time.monotonic()
        time.sleep(1.0)
        outcomes = writer.stop()
        acked = self.assert_all_acked_once(outcomes, self.endpoints()[0])
        times = sorted(o[2] for o in outcomes.values() if o[0] == 0)
        during = [began] + [t for t in times if began <= t <= ended] + [ended]
        gap = max(b - a for a, b in zip(during, during[1:]))
        failed = [(p, o[1]) for p, o in outcomes.items() if o[0] != 0]
        print(f"\n{len(outcomes)} writes, {len(acked)} acknowledged, "
              f"longest gap {gap:.2f} s during {ended - began:.1f} s of "
              f"rolling restart")
        self.assertLess(gap, 4.0, failed[:5])
        self.assertGreaterEqual(len(acked) / len(outcomes), 0.95, failed[:5])
        self.wait_converged()


if __name__ == "__main__":
    unittest.main()
