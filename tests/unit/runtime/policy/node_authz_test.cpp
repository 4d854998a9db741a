// node_authz: the node credential (pact-node) boots, reports and writes its
// own node's events, and nothing else (DESIGN.md §5, issue 11 item 1).

#include "runtime/policy/node_authz.hpp"

#include <doctest/doctest.h>

#include "runtime/policy/command_authz.hpp"

using namespace pact::policy;
using namespace pact::protocol;

namespace {

constexpr int64_t now_s = 1'800'000'000;

authenticated node_caller(const std::string& node,
                          std::vector<std::string> groups = {"pact-node"}) {
  authenticated who;
  who.claims.subject = node;
  who.claims.groups = groups;
  who.roles = parse_roles(groups);
  return who;
}

JournalCommand on_node(CommandKind k, const std::string& node,
                       EntryType record = ENTRY_TYPE_UNSPECIFIED) {
  JournalCommand c;
  c.set_kind(k);
  c.mutable_scope()->set_node(node);
  c.set_record_type(record);
  return c;
}

verifier_config verifier() {
  verifier_config v;
  v.hmac_secret = "node-authz-test-secret";
  return v;
}

std::string token_for(const std::string& sub,
                      const std::vector<std::string>& groups) {
  token_claims c;
  c.subject = sub;
  c.issuer = "pact-dev";
  c.audience = "pact";
  c.groups = groups;
  c.issued_at = now_s;
  c.expires_at = now_s + 3600;
  return sign_hs256(c, verifier().hmac_secret);
}

NodeReport report_of(const std::string& node, const std::string& token) {
  NodeReport r;
  r.set_node_id(node);
  r.set_token(token);
  return r;
}

} // namespace

TEST_CASE("pact-node is a role that reads and writes no vCluster or global "
          "state") {
  auto r = parse_role("pact-node");
  REQUIRE(r);
  CHECK(r->k == role::kind::node);
  CHECK(role_name(*r) == "pact-node");
  CHECK_FALSE(parse_role("pact-node-x"));
  CHECK_FALSE(parse_role("Pact-node"));
  CHECK_FALSE(can_read({*r}, ""));
  CHECK_FALSE(can_read({*r}, "ml"));
  CHECK_FALSE(can_write({*r}, ""));
  CHECK_FALSE(can_write({*r}, "ml"));
  CHECK(node_role_only({*r}));
  CHECK_FALSE(node_role_only(parse_roles({"pact-node", "pact-viewer-ml"})));
}

TEST_CASE("a node credential may write its own node's events only") {
  auto n1 = node_caller("n1");
  CHECK(node_command_denial(n1, on_node(COMMAND_KIND_DRIFT_DETECTED, "n1"))
          .empty());
  CHECK(
    node_command_denial(n1, on_node(COMMAND_KIND_AUTO_CONVERGE, "n1")).empty());
  for (auto t : {ENTRY_TYPE_CAPABILITY_CHANGE, ENTRY_TYPE_BOOT_CONFIG,
                 ENTRY_TYPE_EXEC_LOG, ENTRY_TYPE_SHELL_SESSION,
                 ENTRY_TYPE_SERVICE_LIFECYCLE, ENTRY_TYPE_WINDOW_EXPIRED,
                 ENTRY_TYPE_DRIFT_RESOLVED})
    CHECK(
      node_command_denial(n1, on_node(COMMAND_KIND_RECORD, "n1", t)).empty());
  CHECK_FALSE(node_command_denial(n1, on_node(COMMAND_KIND_RECORD, "n2",
                                              ENTRY_TYPE_WINDOW_EXPIRED))
                .empty());
  CHECK(node_command_denial(n1, on_node(COMMAND_KIND_DRIFT_DETECTED, "n2"))
        == "policy: denied: n1 may not write to node n2 (a node credential "
           "writes for its own node only)");
  for (auto k : {COMMAND_KIND_COMMIT, COMMAND_KIND_ROLLBACK,
                 COMMAND_KIND_NODE_ENROLL, COMMAND_KIND_EXTEND_WINDOW,
                 COMMAND_KIND_EMERGENCY_START, COMMAND_KIND_NODE_STATE_CHANGE})
    CHECK(node_command_denial(n1, on_node(k, "n1")).find("may not run")
          != std::string::npos);
  for (auto t : {ENTRY_TYPE_APPROVAL_DECISION, ENTRY_TYPE_PENDING_APPROVAL,
                 ENTRY_TYPE_NODE_REVOKED, ENTRY_TYPE_NODE_ACTIVATED})
    CHECK_FALSE(
      node_command_denial(n1, on_node(COMMAND_KIND_RECORD, "n1", t)).empty());
  JournalCommand global;
  global.set_kind(COMMAND_KIND_DRIFT_DETECTED);
  global.mutable_scope()->set_global(true);
  CHECK(node_command_denial(n1, global).find("outside its node")
        != std::string::npos);
  CHECK_FALSE(node_command_denial(node_caller("n1", {"pact-ops-ml"}),
                                  on_node(COMMAND_KIND_DRIFT_DETECTED, "n1"))
                .empty());
}

TEST_CASE("the gateway refuses a node-only caller's foreign write at once") {
  auto p = prepare_proposal(node_caller("n1"),
                            on_node(COMMAND_KIND_DRIFT_DETECTED, "n2"));
  CHECK(p.denial.find("may not write to node n2") != std::string::npos);
  auto ok = prepare_proposal(node_caller("n1"),
                             on_node(COMMAND_KIND_DRIFT_DETECTED, "n1"));
  CHECK(ok.denial.empty());
  CHECK(ok.command.author().principal() == "n1");
  CHECK(ok.command.author().principal_type() == PRINCIPAL_TYPE_SERVICE);
  CHECK(ok.command.author().role() == "pact-node");
  // And the state machine gives the same answers when it applies them.
  CHECK(decide_at_apply(ok.command, "").role == "pact-node");
  CHECK(decide_at_apply(ok.command, "ml").role == "pact-node");
  auto foreign = ok.command;
  foreign.mutable_scope()->set_node("n2");
  CHECK(decide_at_apply(foreign, "ml").denial.find("may not write to node n2")
        != std::string::npos);
}

TEST_CASE("a node credential boots its own node, in its own vCluster") {
  auto n1 = node_caller("n1");
  CHECK(boot_request_denial(n1, "n1", "ml").empty());
  CHECK(boot_request_denial(n1, "n2", "ml")
        == "policy: denied: n1 may not read the boot configuration of node "
           "n2 (a node credential boots its own node only)");
  google::protobuf::RepeatedPtrField<BootChunk> chunks;
  chunks.Add()->mutable_complete()->set_vcluster("ml");
  auto in = [](std::string vc) {
    return [vc](const std::string&) { return vc; };
  };
  CHECK(boot_answer_denial(n1, "n1", chunks, in("ml")).empty());
  CHECK(boot_answer_denial(n1, "n1", chunks, in("")).empty());
  CHECK(boot_answer_denial(n1, "n1", chunks, in("hpc"))
        == "policy: denied: n1 may not read vcluster ml (node n1 belongs to "
           "hpc)");
  // Others keep the read rule.
  auto viewer = node_caller("vic", {"pact-viewer-hpc"});
  CHECK_FALSE(boot_request_denial(viewer, "n1", "ml").empty());
  CHECK_FALSE(boot_answer_denial(viewer, "n1", chunks, in("ml")).empty());
}

TEST_CASE("a node report is accepted only with its node's credential") {
  auto v = verifier();
  CHECK(report_denial(report_of("n1", token_for("n1", {"pact-node"})), v, now_s)
          .empty());
  CHECK(report_denial(
          report_of("n1", token_for("root", {"pact-platform-admin"})), v, now_s)
          .empty());
  CHECK(report_denial(report_of("n1", ""), v, now_s)
        == "node report of n1 carries no credential (set agent.token_file)");
  CHECK(report_denial(report_of("n1", token_for("n2", {"pact-node"})), v, now_s)
          .find("n2 may not report for that node")
        != std::string::npos);
  CHECK(
    report_denial(report_of("n1", token_for("n1", {"pact-ops-ml"})), v, now_s)
      .find("may not report")
    != std::string::npos);
  CHECK(report_denial(report_of("n1", "x.y.z"), v, now_s)
          .find("authentication failed")
        != std::string::npos);
  CHECK(report_denial(report_of("n1", token_for("n1", {"pact-node"})), v,
                      now_s + 7200)
          .find("expired")
        != std::string::npos);
  // Through the gateway's token cache: checked once, and the node rule and
  // the expiry still hold for a cached token.
  token_cache cache;
  auto t = token_for("n1", {"pact-node"});
  CHECK(report_denial(report_of("n1", t), v, now_s, &cache).empty());
  CHECK(cache.size() == 1);
  auto wrong_key = v;
  wrong_key.hmac_secret = "not the key";
  CHECK(report_denial(report_of("n1", t), wrong_key, now_s, &cache).empty());
  CHECK(report_denial(report_of("n2", t), wrong_key, now_s, &cache)
          .find("may not report")
        != std::string::npos);
  CHECK(
    report_denial(report_of("n1", t), v, now_s + 7200, &cache).find("expired")
    != std::string::npos);
}
