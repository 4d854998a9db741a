"""Catch-up through a snapshot bigger than any single message (issue 10
item 6): a far-behind replica receives the leader's state in chunks while
the cluster keeps serving writes, also when it is killed (-9) again and
again during the transfer; nothing acknowledged is lost and every replica
ends with the same state digest."""
import glob
import json
import os
import signal
import subprocess
import time
import unittest

from harness import ClusterTestCase, binary, wait_for

# Snapshots often, so that the leader compacts past the stopped replica.
CONFIG = ("[journal.raft]\nsnapshot_interval = 50\n"
          "snapshot_growth_percent = 0\n")
# 64 values of 96 KiB: a state image of about 6 MiB, above the 4 MiB
# request limit and six times the 1 MiB snapshot chunk.
BIG_VALUES = 64
BIG_VALUE = "v" * (96 * 1024)


class SnapshotTransferTest(ClusterTestCase):
    def cli(self, replica, *args):
        r = subprocess.run([binary("pact"), *args, "--endpoint",
                            replica.gateway],
                           env=dict(self.env, PACT_TOKEN=self.token),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def fill_while_stopped(self):
        """Stops a follower, then writes the big values and enough small
        entries that they fall below the leader's compaction point."""
        self.start_cluster(config=CONFIG)
        lead, _ = wait_for(self.leader, 20, "a leader")
        behind = next(r for r in self.replicas.values() if r is not lead)
        self.assertEqual(behind.stop(), 0)
        for i in range(BIG_VALUES):
            self.cli(lead, "commit", "-m", "big", "node-big", "--set",
                     f"files:/etc/big-{i}={BIG_VALUE}")
        small = 0
        while small < 1200:
            r = subprocess.run(
                [binary("pact-load"), "--endpoints", lead.gateway, "--token",
                 self.token, "--clients", "8", "--duration-s", "2"],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            small += json.loads(r.stdout)["acknowledged"]
        return lead, behind

    def writer(self, lead, seconds):
        acked = os.path.join(self.tmp, f"acked-{time.monotonic_ns()}.txt")
        ends = ",".join(r.gateway for r in self.alive())
        p = subprocess.Popen(
            [binary("pact-load"), "--endpoints", ends, "--token", self.token,
             "--clients", "4", "--duration-s", str(seconds), "--acked",
             acked], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        return p, acked

    def check_nothing_lost(self, writer, acked):
        out, err = writer.communicate(timeout=120)
        self.assertEqual(writer.returncode, 0, err)
        self.assertGreater(json.loads(out)["acknowledged"], 0)
        hs = self.wait_converged(120)
        self.assertEqual(len({h["digest"] for h in hs}), 1)
        for r in list(self.replicas.values()):
            self.assertEqual(r.stop(), 0)
        dumps = {i: self.dump(r) for i, r in self.replicas.items()}
        missing = []
        with open(acked) as f:
            for line in f:
                index, data = line.split()
                index = int(index)
                for head, log in dumps.values():
                    # Below a replica's snapshot the entry lives in its
                    # state (the digest check above), not in its log.
                    if index > head["snapshot_index"] and \
                            log.get(index, (None, None))[1] != data:
                        missing.append(index)
        self.assertEqual(missing, [], "acknowledged writes missing")
        return dumps

    def test_snapshot_bigger_than_any_message_while_serving_writes(self):
        lead, behind = self.fill_while_stopped()
        writer, acked = self.writer(lead, 6)
        time.sleep(0.5)
        back = self.restart(behind.node_id)
        dumps = self.check_nothing_lost(writer, acked)
        head, _ = dumps[back.node_id]
        self.assertGreater(head["snapshot_index"], BIG_VALUES + 1000,
                           "caught up from the log, not a snapshot")
        self.assert_no_staged_files(back)
        # The big values reached the caught-up replica's state.
        for i in list(self.replicas):
            self.restart(i)
        wait_for(self.leader, 20, "a leader after the restart")
        r = self.cli(self.replicas[back.node_id], "log", "--scope", "node:node-big", "-n", "1",
                     "--output", "json")
        self.assertIn("/etc/big-%d" % (BIG_VALUES - 1), r.stdout)

    def test_kill9_during_snapshot_transfer_loses_nothing(self):
        lead, behind = self.fill_while_stopped()
        writer, acked = self.writer(lead, 8)
        kills = 0
        for delay in (0.2, 0.4, 0.8):
            back = self.restart(behind.node_id)
            time.sleep(delay)
            back.proc.send_signal(signal.SIGKILL)
            back.proc.wait()
            self.daemons.remove(back)
            kills += 1
        back = self.restart(behind.node_id)
        self.check_nothing_lost(writer, acked)
        self.assertEqual(kills, 3)
        self.assert_no_staged_files(back)

    def assert_no_staged_files(self, replica):
        # The follower stages the stream on disk (snapshot.incoming, then
        # snapshot.received); both are gone once it is installed, also
        # after kills in the middle of a transfer.
        def under(name):
            return glob.glob(os.path.join(replica.state_dir, "**", name),
                             recursive=True)
        self.assertNotEqual(under("data.mdb"), [], "not the store's directory")
        left = under("snapshot.*")
        self.assertEqual(left, [], "staged snapshot files left behind")


if __name__ == "__main__":
    unittest.main()
