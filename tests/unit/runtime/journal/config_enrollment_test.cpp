// config_state_machine: node enrollment (issue 16, enrollment.hpp). The
// gateway draws a one-time token for `pact enroll` (only its hash is
// replicated), signs a node's CSR and proposes NODE_ACTIVATE; the state
// machine decides deterministically whether the certificate counts.

#include <doctest/doctest.h>

#include "runtime/journal/enrollment.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

constexpr auto denied = STATUS_CODE_UNAUTHORIZED;
const std::string hw = "uuid:4c4c4544-0042-3510-8051-b4c04f4e4d32";

/// vCluster ml; n1 registered with token "tok-1" (no hardware id).
harness registered(const std::string& hardware = {}) {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  h.ok(enroll_with_token("n1", "ml", "tok-1", hardware));
  return h;
}

const Enrollment& enrollment_of(const harness& h,
                                const std::string& node = "n1") {
  const auto* rec = h.sm.node(node);
  REQUIRE(rec != nullptr);
  REQUIRE(rec->has_enrollment());
  return rec->enrollment();
}

JournalCommand as_admin(JournalCommand c, const std::string& who,
                        const std::vector<std::string>& groups) {
  c.mutable_author()->set_principal(who);
  for (const auto& g : groups)
    c.mutable_author_roles()->add_groups(g);
  return c;
}

} // namespace

TEST_CASE("enroll with a token registers the node; only the hash is kept") {
  auto h = registered(hw);
  const auto& en = enrollment_of(h);
  CHECK(en.state() == ENROLLMENT_STATE_REGISTERED);
  CHECK(en.hardware_id() == hw);
  CHECK(en.token_sha256() == sha256("tok-1"));
  CHECK(en.enrolled_sequence() == h.sm.last_sequence());
  CHECK(en.revoked_sequence() == 0);
  CHECK(last_of(h.sm).entry_type() == ENTRY_TYPE_NODE_ENROLLED);
  CHECK(h.sm.node("n1")->vcluster() == "ml");
  // The token itself is nowhere in the state.
  CHECK(h.sm.snapshot().find("tok-1") == std::string::npos);
}

TEST_CASE("an enroll without a token is an older entry: no enrollment "
          "record, and enrolling again in the same vCluster conflicts") {
  auto h = enrolled_in_ml("vm.a", "1");
  CHECK_FALSE(h.sm.node("n1")->has_enrollment());
  auto again = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  again.set_vcluster("ml");
  h.refused(again, STATUS_CODE_CONFLICT, "already enrolled");
  // With a token it registers (the gateway always draws one now).
  h.ok(enroll_with_token("n1", "ml", "tok-2"));
  CHECK(enrollment_of(h).state() == ENROLLMENT_STATE_REGISTERED);
}

TEST_CASE("malformed enrollment fields are refused") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  auto bad_hash = enroll_with_token("n1", "ml", "t");
  bad_hash.set_enroll_token_sha256("short");
  h.refused(bad_hash, STATUS_CODE_INVALID_ARGUMENT, "not a SHA-256");
  auto hw_only = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  hw_only.set_vcluster("ml");
  hw_only.set_hardware_id(hw);
  h.refused(hw_only, STATUS_CODE_INVALID_ARGUMENT, "belongs to an enrollment");
  h.refused(enroll_with_token("n1", "ml", "t", "has space"),
            STATUS_CODE_INVALID_ARGUMENT, "printable ASCII");
  auto stray = node_commit("n1", "vm.a", "2");
  stray.set_hardware_id(hw);
  h.refused(stray, STATUS_CODE_INVALID_ARGUMENT,
            "belongs only to node enroll and activate");
  auto cert = node_commit("n1", "vm.a", "2");
  cert.set_cert_serial("ab");
  h.refused(cert, STATUS_CODE_INVALID_ARGUMENT,
            "certificate fields belong only to node activate");
  h.ok(enroll_with_token("n1", "ml", "t"));
  auto act = activate_cmd("n1", hw, "t", "csr-1");
  act.set_csr_sha256("ABC");
  h.refused(act, STATUS_CODE_INVALID_ARGUMENT, "lower-case hex");
  act = activate_cmd("n1", hw, "t", "csr-1");
  act.set_cert_serial("");
  h.refused(act, STATUS_CODE_INVALID_ARGUMENT, "serial");
  act = activate_cmd("n1", "", "t", "csr-1");
  h.refused(act, STATUS_CODE_INVALID_ARGUMENT, "no hardware id");
  act = activate_cmd("n1", hw, "t", "csr-1");
  act.set_cert_not_after_unix_ms(t0_ms - 1);
  h.refused(act, STATUS_CODE_INVALID_ARGUMENT, "ends before");
}

TEST_CASE("the first CSR activates with the token once, binding the "
          "hardware; the token is then used up") {
  auto h = registered();
  auto act = activate_cmd("n1", hw, "tok-1", "csr-1", t0_ms + 1000);
  auto seq = h.ok(act);
  const auto& e = last_of(h.sm);
  CHECK(e.sequence() == seq);
  CHECK(e.entry_type() == ENTRY_TYPE_NODE_ACTIVATED);
  CHECK(e.scope().node() == "n1");
  CHECK(e.author().principal() == "n1");
  CHECK(e.message().find("first enrollment") != std::string::npos);
  const auto& en = enrollment_of(h);
  CHECK(en.state() == ENROLLMENT_STATE_ACTIVE);
  CHECK(en.hardware_id() == hw); // bound by the first CSR
  CHECK(en.token_sha256().empty());
  CHECK(en.cert_serial() == act.cert_serial());
  CHECK(en.cert_not_after_unix_ms() == act.cert_not_after_unix_ms());
  CHECK(en.ca_sha256() == act.ca_sha256());
  CHECK(en.activated_unix_ms() == t0_ms + 1000);
  REQUIRE(en.csr_sha256_size() == 1);
  CHECK(en.csr_sha256(0) == act.csr_sha256());
  // The same token again, even with a fresh CSR: used.
  h.refused(activate_cmd("n1", hw, "tok-1", "csr-2"), denied,
            "enrollment: invalid or already used enrollment token");
}

TEST_CASE("activation refusals") {
  SUBCASE("unknown node") {
    auto h = registered();
    h.refused(activate_cmd("n9", hw, "tok-1", "csr-1"), denied,
              "enrollment: unknown node n9");
    // Known, but enrolled before enrollment records existed.
    auto old = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n2"));
    old.set_vcluster("ml");
    h.ok(old);
    h.refused(activate_cmd("n2", hw, "tok-1", "csr-1"), denied,
              "enrollment: unknown node n2");
  }
  SUBCASE("wrong token, or none stored") {
    auto h = registered();
    h.refused(activate_cmd("n1", hw, "tok-X", "csr-1"), denied,
              "enrollment: invalid or already used enrollment token");
  }
  SUBCASE("hardware mismatch") {
    auto h = registered(hw);
    h.refused(activate_cmd("n1", "mac:aa:bb:cc:dd:ee:ff", "tok-1", "csr-1"),
              denied, "enrollment: hardware mismatch");
    h.ok(activate_cmd("n1", hw, "tok-1", "csr-1"));
    // A renewal from other hardware too.
    h.refused(activate_cmd("n1", "mac:aa:bb:cc:dd:ee:ff", "", "csr-2"), denied,
              "enrollment: hardware mismatch");
  }
  SUBCASE("a CSR already signed is a replay") {
    auto h = registered();
    h.ok(activate_cmd("n1", hw, "tok-1", "csr-1"));
    h.refused(activate_cmd("n1", hw, "", "csr-1"), denied,
              "enrollment: replayed CSR");
  }
  SUBCASE("a renewal needs an active enrollment") {
    auto h = registered();
    h.refused(activate_cmd("n1", hw, "", "csr-1"), denied,
              "has no active certificate to renew");
  }
  SUBCASE("revoked") {
    auto h = registered();
    h.ok(make_cmd(COMMAND_KIND_NODE_REVOKE, node_scope("n1")));
    h.refused(activate_cmd("n1", hw, "tok-1", "csr-1"), denied,
              "enrollment: node n1 is revoked");
    h.refused(activate_cmd("n1", hw, "", "csr-1"), denied,
              "enrollment: node n1 is revoked");
  }
}

TEST_CASE("renewals keep the node active and remember the last 16 CSRs") {
  auto h = registered();
  h.ok(activate_cmd("n1", hw, "tok-1", "csr-0"));
  for (int i = 1; i <= 20; ++i) {
    auto r = activate_cmd("n1", hw, "", "csr-" + std::to_string(i),
                          t0_ms + i * 1000);
    h.ok(r);
    CHECK(last_of(h.sm).message().find("renewal") != std::string::npos);
    CHECK(enrollment_of(h).cert_serial() == r.cert_serial());
  }
  const auto& en = enrollment_of(h);
  CHECK(en.state() == ENROLLMENT_STATE_ACTIVE);
  REQUIRE(en.csr_sha256_size() == static_cast<int>(max_csr_history));
  CHECK(en.csr_sha256(0) == to_hex(sha256("csr-5")));
  CHECK(en.csr_sha256(15) == to_hex(sha256("csr-20")));
  CHECK(en.activated_unix_ms() == t0_ms + 20'000);
}

TEST_CASE("enrolling again issues a fresh token and a new hardware binding "
          "(the troubleshooting guide's fix for a hardware mismatch)") {
  auto h = registered("uuid:wrong");
  h.refused(activate_cmd("n1", hw, "tok-1", "csr-1"), denied,
            "enrollment: hardware mismatch");
  auto before = h.sm.node("n1")->state();
  auto seq = h.ok(enroll_with_token("n1", "ml", "tok-2", hw));
  const auto& en = enrollment_of(h);
  CHECK(en.state() == ENROLLMENT_STATE_REGISTERED);
  CHECK(en.hardware_id() == hw);
  CHECK(en.enrolled_sequence() == seq);
  CHECK(h.sm.node("n1")->state() == before); // same vCluster: state kept
  h.refused(activate_cmd("n1", hw, "tok-1", "csr-1"), denied,
            "invalid or already used");
  h.ok(activate_cmd("n1", hw, "tok-2", "csr-1"));
  // Enrolling an active node again without a hardware id clears the
  // binding: the next first CSR binds whatever it presents, and the old
  // certificate is no longer renewed.
  h.ok(enroll_with_token("n1", "ml", "tok-3"));
  CHECK(enrollment_of(h).hardware_id().empty());
  CHECK(enrollment_of(h).csr_sha256_size() == 1); // history kept
  h.refused(activate_cmd("n1", hw, "", "csr-2"), denied,
            "has no active certificate to renew");
  h.refused(activate_cmd("n1", "mac:01:02:03:04:05:06", "tok-3", "csr-1"),
            denied, "replayed CSR");
  h.ok(activate_cmd("n1", "mac:01:02:03:04:05:06", "tok-3", "csr-3"));
  CHECK(enrollment_of(h).hardware_id() == "mac:01:02:03:04:05:06");
}

TEST_CASE("moving an enrolled node to another vCluster still works, and "
          "registers it anew") {
  auto h = registered();
  h.ok(activate_cmd("n1", hw, "tok-1", "csr-1"));
  h.ok(overlay_apply("hpc", {{"vm.a", "1"}}));
  h.ok(enroll_with_token("n1", "hpc", "tok-2"));
  CHECK(h.sm.node("n1")->vcluster() == "hpc");
  CHECK(h.sm.node("n1")->state() == NODE_STATE_OBSERVE_ONLY);
  CHECK(enrollment_of(h).state() == ENROLLMENT_STATE_REGISTERED);
}

TEST_CASE("revoke: known nodes only, once; re-enrolling lifts it") {
  auto h = registered();
  h.ok(activate_cmd("n1", hw, "tok-1", "csr-1"));
  auto revoke = make_cmd(COMMAND_KIND_NODE_REVOKE, node_scope("n1"));
  revoke.set_message("");
  auto seq = h.ok(revoke);
  CHECK(last_of(h.sm).entry_type() == ENTRY_TYPE_NODE_REVOKED);
  CHECK(last_of(h.sm).message() == "enrollment of n1 revoked");
  const auto& en = enrollment_of(h);
  CHECK(en.state() == ENROLLMENT_STATE_REVOKED);
  CHECK(en.revoked_sequence() == seq);
  CHECK(en.token_sha256().empty());
  CHECK(en.cert_serial() != ""); // what was issued stays on record
  // Again: nothing changes.
  auto r = h.run(revoke);
  CHECK(r.status().code() == STATUS_CODE_OK);
  CHECK(r.sequences_size() == 0);
  REQUIRE(r.unchanged_size() == 1);
  CHECK(r.unchanged(0).version() == seq);
  CHECK(h.sm.last_sequence() == seq);
  h.refused(make_cmd(COMMAND_KIND_NODE_REVOKE, node_scope("n7")),
            STATUS_CODE_INVALID_ARGUMENT, "enrollment: unknown node n7");
  // Re-enroll: registered again, not revoked, old CSRs still replays.
  h.ok(enroll_with_token("n1", "ml", "tok-9"));
  CHECK(enrollment_of(h).state() == ENROLLMENT_STATE_REGISTERED);
  CHECK(enrollment_of(h).revoked_sequence() == 0);
  h.refused(activate_cmd("n1", hw, "tok-9", "csr-1"), denied, "replayed CSR");
  h.ok(activate_cmd("n1", hw, "tok-9", "csr-2"));
}

TEST_CASE("a node enrolled before enrollment records existed can be "
          "revoked") {
  auto h = enrolled_in_ml("vm.a", "1");
  h.ok(make_cmd(COMMAND_KIND_NODE_REVOKE, node_scope("n1")));
  CHECK(enrollment_of(h).state() == ENROLLMENT_STATE_REVOKED);
}

TEST_CASE("authorization: revoke is for platform admins; activate only by "
          "the gateway") {
  auto h = registered();
  auto revoke = make_cmd(COMMAND_KIND_NODE_REVOKE, node_scope("n1"));
  h.refused(as_admin(revoke, "olga@site", {"pact-ops-ml"}), denied,
            "policy: denied: olga@site may not revoke the enrollment of node "
            "n1 (needs pact-platform-admin)");
  h.refused(as_admin(revoke, "n1", {"pact-node"}), denied, "policy: denied");
  auto ai = as_admin(revoke, "claude@mcp", {"pact-platform-admin"});
  ai.mutable_author()->set_principal_type(PRINCIPAL_TYPE_AGENT);
  h.refused(ai, denied, "AI principals never do");
  // A client's NODE_ACTIVATE (stamped roles), even an admin's.
  h.refused(as_admin(activate_cmd("n1", hw, "tok-1", "csr-1"), "root@site",
                     {"pact-platform-admin"}),
            denied, "may not activate an enrollment");
  h.ok(as_admin(revoke, "root@site", {"pact-platform-admin"}));
  CHECK(last_of(h.sm).author().role() == "pact-platform-admin");
}

TEST_CASE("revocation is not held by a two-person policy nor by someone "
          "else's emergency") {
  auto h = registered();
  auto two = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  two.mutable_policy()->set_two_person_approval(true);
  h.ok(two);
  auto em = as_admin(make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1")),
                     "carol@site", {"pact-platform-admin"});
  em.set_emergency_reason("hang");
  h.ok(em);
  // The node's first CSR is recorded under the emergency too.
  h.ok(activate_cmd("n1", hw, "tok-1", "csr-1"));
  auto revoke = as_admin(make_cmd(COMMAND_KIND_NODE_REVOKE, node_scope("n1")),
                         "root@site", {"pact-platform-admin"});
  h.ok(revoke);
  CHECK(enrollment_of(h).state() == ENROLLMENT_STATE_REVOKED);
}

TEST_CASE("enrollment is deterministic: replicas replaying the same log "
          "hold identical snapshots") {
  std::vector<JournalCommand> log;
  log.push_back(overlay_apply("ml", {{"vm.a", "1"}}));
  log.push_back(enroll_with_token("n1", "ml", "tok-1", hw));
  log.push_back(activate_cmd("n1", "mac:00:00:00:00:00:01", "tok-1", "c0"));
  log.push_back(activate_cmd("n1", hw, "tok-1", "c1"));
  log.push_back(activate_cmd("n1", hw, "", "c2"));
  log.push_back(activate_cmd("n1", hw, "", "c2"));
  log.push_back(make_cmd(COMMAND_KIND_NODE_REVOKE, node_scope("n1")));
  log.push_back(enroll_with_token("n1", "ml", "tok-2"));
  harness a, b;
  for (auto& c : log) {
    auto ra = a.run(c);
    auto rb = b.run(c);
    CHECK(deterministic_bytes(ra) == deterministic_bytes(rb));
  }
  CHECK(a.sm.snapshot() == b.sm.snapshot());
  CHECK(a.sm.digest() == b.sm.digest());
  // And a restored snapshot is the same machine.
  config_state_machine c;
  REQUIRE(c.restore(a.sm.snapshot()));
  CHECK(c.digest() == a.sm.digest());
  CHECK(c.node("n1")->enrollment().state() == ENROLLMENT_STATE_REGISTERED);
}

TEST_CASE("enrollment tokens: prefix, 256 random bits, hashed") {
  auto a = new_enroll_token();
  auto b = new_enroll_token();
  CHECK(a.rfind(enroll_token_prefix, 0) == 0);
  CHECK(a.size() == std::string(enroll_token_prefix).size() + 43);
  CHECK(a != b);
  CHECK(enroll_token_sha256(a).size() == 32);
  CHECK(enroll_token_sha256(a) == sha256(a));
  CHECK(check_hardware_id(hw).empty());
  CHECK_FALSE(check_hardware_id("").empty());
  CHECK_FALSE(check_hardware_id(std::string(129, 'a')).empty());
}
