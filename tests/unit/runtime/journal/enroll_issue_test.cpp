// The gateway's side of enrollment without actors: the node CA (loaded or
// ephemeral) and issue_node_cert, then the NODE_ACTIVATE it builds applied
// to a state machine: the whole CSR path of issue 16 short of the network.

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>

#include "runtime/common/files.hpp"
#include "runtime/journal/enroll_issue.hpp"
#include "runtime/journal/enrollment.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact;
using namespace pact::journal;
using namespace pact::journal::test;

namespace {

constexpr int64_t now_s = t0_ms / 1000;
const std::string hw = "uuid:4c4c4544-0042-3510-8051-b4c04f4e4d32";

node_ca_material test_ca() {
  auto m = ephemeral_node_ca(now_s);
  REQUIRE(m);
  return *m;
}

std::string csr_for(const std::string& cn, std::string* key_out = nullptr) {
  auto key = pki::generate_key();
  REQUIRE(key);
  auto csr = pki::make_csr(*key, cn);
  REQUIRE(csr);
  if (key_out)
    *key_out = *key;
  return *csr;
}

EnrollRequest request(const std::string& node, const std::string& csr,
                      const std::string& token) {
  EnrollRequest r;
  r.set_node(node);
  r.set_hardware_id(hw);
  r.set_csr_pem(csr);
  r.set_enroll_token(token);
  return r;
}

/// A temporary directory removed at the end of the test.
struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/pact-node-ca-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::string cmd = "rm -rf '" + path + "'";
    CHECK(std::system(cmd.c_str()) == 0);
  }
  std::string write(const std::string& name, const std::string& text) {
    auto p = path + "/" + name;
    REQUIRE(files::write_atomic(p, text, 0600));
    return p;
  }
};

} // namespace

TEST_CASE("a first CSR with the token is signed and activates the node; "
          "the certificate verifies against the node CA") {
  auto ca = test_ca();
  CHECK(ca.ephemeral);
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  auto token = new_enroll_token();
  h.ok(enroll_with_token("n1", "ml", token));
  auto csr = csr_for("n1");
  auto out = issue_node_cert(request("n1", csr, token), ca, 3600, t0_ms, true,
                             h.sm.node("n1"));
  INFO(out.refusal.message);
  REQUIRE(out.issued);
  auto v = pki::verify_cert(out.issued->cert_pem, ca.ca.cert_pem, now_s + 60);
  REQUIRE(v);
  CHECK(v->common_name == "n1");
  CHECK(out.issued->not_after_unix_ms == (now_s + 3600) * 1000);
  const auto& cmd = out.issued->activate;
  CHECK(cmd.kind() == COMMAND_KIND_NODE_ACTIVATE);
  CHECK(cmd.scope().node() == "n1");
  CHECK_FALSE(cmd.has_author_roles());
  CHECK(cmd.author().principal() == "n1");
  CHECK(cmd.enroll_token_sha256() == sha256(token));
  CHECK(cmd.cert_serial() == v->serial_hex);
  CHECK(cmd.ca_sha256() == ca.cert_sha256_hex);
  // The command carries no secret: not the token, not a key.
  CHECK(cmd.SerializeAsString().find(token) == std::string::npos);
  auto stamped = cmd;
  stamped.set_timestamp_unix_ms(t0_ms + 1000);
  h.ok(stamped);
  CHECK(h.sm.node("n1")->enrollment().state() == ENROLLMENT_STATE_ACTIVE);
  CHECK(h.sm.node("n1")->enrollment().hardware_id() == hw);
  // The same CSR again: the pre-check refuses it (replay), and so would
  // the state machine.
  auto again = issue_node_cert(request("n1", csr, ""), ca, 3600, t0_ms, true,
                               h.sm.node("n1"));
  CHECK_FALSE(again.issued);
  CHECK(again.refusal.code == STATUS_CODE_UNAUTHORIZED);
  CHECK(again.refusal.message == "enrollment: replayed CSR");
  // A renewal with a fresh CSR (and key) is signed.
  auto renew = issue_node_cert(request("n1", csr_for("n1"), ""), ca, 3600,
                               t0_ms + 5000, true, h.sm.node("n1"));
  REQUIRE(renew.issued);
  CHECK(renew.issued->activate.enroll_token_sha256().empty());
}

TEST_CASE("requests refused before signing") {
  auto ca = test_ca();
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  h.ok(enroll_with_token("n1", "ml", "pact-enroll-x"));
  const auto* rec = h.sm.node("n1");
  auto check = [&](const EnrollRequest& r, const std::string& text,
                   bool state_read = true) {
    auto out = issue_node_cert(r, ca, 3600, t0_ms, state_read,
                               state_read ? h.sm.node(r.node()) : nullptr);
    CHECK_FALSE(out.issued);
    CHECK(out.refusal.code == STATUS_CODE_UNAUTHORIZED);
    INFO(out.refusal.message);
    CHECK(out.refusal.message.find(text) != std::string::npos);
    CHECK(out.refusal.message.rfind("enrollment: ", 0) == 0);
  };
  (void)rec;
  check(request("n1", "not a CSR", "pact-enroll-x"),
        "enrollment: malformed CSR");
  check(request("n1", std::string(20000, 'a'), "pact-enroll-x"), "larger than");
  check(request("n1", csr_for("n2"), "pact-enroll-x"),
        "the CSR names 'n2', not the node 'n1'");
  check(request("bad name!", csr_for("bad name!"), "x"), "invalid node name");
  auto no_hw = request("n1", csr_for("n1"), "pact-enroll-x");
  no_hw.set_hardware_id("");
  check(no_hw, "no hardware id");
  check(request("n1", csr_for("n1"), "pact-enroll-wrong"),
        "invalid or already used enrollment token");
  check(request("n9", csr_for("n9"), "pact-enroll-x"), "unknown node n9");
  check(request("n1", csr_for("n1"), ""), "no active certificate to renew");
  // Without a state read the gateway signs, and the state machine refuses
  // the activation: the certificate is then never sent.
  auto blind = issue_node_cert(request("n1", csr_for("n1"), "pact-enroll-y"),
                               ca, 3600, t0_ms, false, nullptr);
  REQUIRE(blind.issued);
  auto cmd = blind.issued->activate;
  cmd.set_timestamp_unix_ms(t0_ms + 1000);
  h.refused(cmd, STATUS_CODE_UNAUTHORIZED,
            "enrollment: invalid or already used enrollment token");
}

TEST_CASE("node CA from files: errors name the setting and the file") {
  temp_dir dir;
  auto ca = test_ca();
  auto cert = dir.write("ca.crt", ca.ca.cert_pem);
  auto key = dir.write("ca.key", ca.ca.key_pem);
  auto loaded = load_node_ca(cert, key, "journal.tls.ca_cert",
                             "journal.tls.ca_key");
  REQUIRE(loaded);
  CHECK_FALSE(loaded->ephemeral);
  CHECK(loaded->cert_sha256_hex == ca.cert_sha256_hex);
  auto missing = load_node_ca(dir.path + "/nope.crt", key,
                              "journal.tls.ca_cert", "journal.tls.ca_key");
  REQUIRE_FALSE(missing);
  CHECK(missing.err().message
        == "journal.tls.ca_cert: " + dir.path + "/nope.crt: cannot be read");
  auto garbage = dir.write("garbage.crt", "hello");
  auto bad = load_node_ca(garbage, key, "journal.tls.ca_cert",
                          "journal.tls.ca_key");
  REQUIRE_FALSE(bad);
  CHECK(bad.err().message.find("not a PEM certificate") != std::string::npos);
  // A leaf certificate is not a CA.
  auto leaf_key = pki::generate_key();
  REQUIRE(leaf_key);
  auto leaf = pki::sign_server_cert(ca.ca, *leaf_key, {"journal-1"}, now_s,
                                    3600);
  REQUIRE(leaf);
  auto not_ca = load_node_ca(dir.write("leaf.crt", *leaf),
                             dir.write("leaf.key", *leaf_key),
                             "journal.tls.ca_cert", "journal.tls.ca_key");
  REQUIRE_FALSE(not_ca);
  CHECK(not_ca.err().message.find("not a CA certificate") != std::string::npos);
  // Another CA's key.
  auto other = test_ca();
  auto mismatch = load_node_ca(cert, dir.write("other.key", other.ca.key_pem),
                               "journal.tls.ca_cert", "journal.tls.ca_key");
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.err().message.find("journal.tls.ca_key: ") == 0);
  CHECK(mismatch.err().message.find("is not the private key of "
                                    "journal.tls.ca_cert")
        != std::string::npos);
}

TEST_CASE("the node CA holder hands out the current CA, replaced at once") {
  node_ca holder(test_ca(), 259200);
  CHECK(holder.node_cert_validity_seconds() == 259200);
  auto first = holder.current();
  auto next = test_ca();
  auto next_sha = next.cert_sha256_hex;
  holder.replace(std::move(next));
  CHECK(holder.current()->cert_sha256_hex == next_sha);
  // The previous one lives while a request still uses it.
  CHECK(first->cert_sha256_hex != next_sha);
  CHECK_FALSE(first->ca.key_pem.empty());
}

TEST_CASE("replicas converge on the oldest ephemeral CA they offer") {
  auto older = ephemeral_node_ca(1000000);
  auto newer = ephemeral_node_ca(1000100);
  REQUIRE(older);
  REQUIRE(newer);
  // The newer one adopts the older one; never the other way round.
  auto taken = prefer_shared(*newer, older->ca.cert_pem, older->ca.key_pem);
  REQUIRE(taken);
  CHECK(taken->cert_sha256_hex == older->cert_sha256_hex);
  CHECK(taken->ephemeral);
  CHECK_FALSE(prefer_shared(*older, newer->ca.cert_pem, newer->ca.key_pem));
  // Made in the same second: the smaller certificate hash wins, on both
  // sides alike.
  auto a = ephemeral_node_ca(2000000);
  auto b = ephemeral_node_ca(2000000);
  REQUIRE(a);
  REQUIRE(b);
  bool a_wins = a->cert_sha256_hex < b->cert_sha256_hex;
  CHECK(bool(prefer_shared(*a, b->ca.cert_pem, b->ca.key_pem)) == !a_wins);
  CHECK(bool(prefer_shared(*b, a->ca.cert_pem, a->ca.key_pem)) == a_wins);
  // A key that is not the certificate's, a non-CA certificate, garbage:
  // refused.
  CHECK_FALSE(prefer_shared(*newer, older->ca.cert_pem, newer->ca.key_pem));
  CHECK_FALSE(prefer_shared(*newer, "junk", older->ca.key_pem));
  // A configured CA is never replaced.
  auto configured = *newer;
  configured.ephemeral = false;
  CHECK_FALSE(prefer_shared(configured, older->ca.cert_pem, older->ca.key_pem));
}
