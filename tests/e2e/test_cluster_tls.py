"""Replica-to-replica mutual TLS (https raft endpoints, caf::openssl):
a cluster whose certificates share a CA replicates; a replica whose
certificate comes from another CA is kept out."""
import os
import subprocess
import unittest

from harness import PactTestCase, binary, free_port, make_token, wait_for

SECRET = "e2e-tls-secret-0123456789abcdef"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


class ClusterTlsTest(PactTestCase):
    def make_ca(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key",
                "-out", "ca.crt", "-days", "2", "-subj", f"/CN={name}",
                cwd=d)
        return d

    def issue(self, ca_dir, cn):
        openssl("req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                f"{cn}.key", "-out", f"{cn}.csr", "-subj", f"/CN={cn}",
                cwd=ca_dir)
        openssl("x509", "-req", "-in", f"{cn}.csr", "-CA", "ca.crt",
                "-CAkey", "ca.key", "-CAcreateserial", "-out", f"{cn}.crt",
                "-days", "2", cwd=ca_dir)
        return (os.path.join(ca_dir, f"{cn}.crt"),
                os.path.join(ca_dir, f"{cn}.key"))

    def start(self, node_id, members, cert, key, ca):
        config = (f'[journal.raft]\ntls_cert = "{cert}"\n'
                  f'tls_key = "{key}"\ntls_ca = "{ca}"\n')
        return self.start_replica(node_id, members, SECRET, config=config,
                                  scheme="https")

    def test_mutual_tls_cluster_and_foreign_certificate(self):
        good = self.make_ca("site-ca")
        rogue = self.make_ca("rogue-ca")
        ca = os.path.join(good, "ca.crt")
        members = {i: free_port() for i in (1, 2, 3)}
        reps = {}
        for i in (1, 2):
            cert, key = self.issue(good, f"replica{i}")
            reps[i] = self.start(i, members, cert, key, ca)
        cert, key = self.issue(rogue, "replica3")
        reps[3] = self.start(3, members, cert, key, ca)

        def leader():
            for r in reps.values():
                h = self.health(r)
                if h and h["role"] == "leader":
                    return h
            return None
        h = wait_for(leader, 20, "a leader")
        self.assertIn(h["node_id"], (1, 2))
        token = make_token(SECRET)
        out = subprocess.run(
            [binary("pact-load"), "--endpoints",
             f"{reps[1].gateway},{reps[2].gateway}", "--token", token,
             "--clients", "8", "--duration-s", "1"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)

        def replicated():
            a, b = self.health(reps[1]), self.health(reps[2])
            return a and b and a["applied_index"] > 10 \
                and a["digest"] == b["digest"] and a
        got = wait_for(replicated, 20, "replication between 1 and 2")
        h3 = self.health(reps[3])
        self.assertEqual(h3["leader_id"], 0,
                         "the replica with a foreign certificate joined")
        self.assertLess(h3["applied_index"], got["applied_index"])


if __name__ == "__main__":
    unittest.main()
