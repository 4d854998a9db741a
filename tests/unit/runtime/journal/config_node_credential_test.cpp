// config_state_machine: what a node credential (pact-node, issue 11 item 1)
// may write when its command is applied, and the agent endpoint a node's
// boot-config record leaves in the node's record for any replica to serve.

#include <doctest/doctest.h>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

/// `c` as the gateway proposes it for the node credential of `node`.
JournalCommand as_node(JournalCommand c, const std::string& node) {
  c.mutable_author()->set_principal(node);
  c.mutable_author()->set_principal_type(PRINCIPAL_TYPE_SERVICE);
  c.mutable_author()->set_role("pact-node");
  c.mutable_author_roles()->add_groups("pact-node");
  return c;
}

JournalCommand boot_record(const std::string& node,
                           const std::string& endpoint) {
  auto c = make_cmd(COMMAND_KIND_RECORD, node_scope(node));
  c.set_record_type(ENTRY_TYPE_BOOT_CONFIG);
  c.set_agent_endpoint(endpoint);
  return c;
}

harness seeded() {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  auto e = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  e.set_vcluster("ml");
  h.ok(e);
  return h;
}

} // namespace

TEST_CASE("a node credential writes its own node's events, enrolled or not") {
  auto h = seeded();
  auto drift = make_cmd(COMMAND_KIND_DRIFT_DETECTED, node_scope("n1"));
  *drift.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_FILES, DELTA_ACTION_MODIFY, "/etc/motd", "x");
  h.ok(as_node(drift, "n1"));
  CHECK(last_of(h.sm).author().role() == "pact-node");
  CHECK(last_of(h.sm).author().principal() == "n1");
  h.ok(as_node(make_cmd(COMMAND_KIND_AUTO_CONVERGE, node_scope("n1")), "n1"));
  for (auto t : {ENTRY_TYPE_CAPABILITY_CHANGE, ENTRY_TYPE_BOOT_CONFIG,
                 ENTRY_TYPE_EXEC_LOG, ENTRY_TYPE_SERVICE_LIFECYCLE,
                 ENTRY_TYPE_WINDOW_EXPIRED}) {
    auto r = make_cmd(COMMAND_KIND_RECORD, node_scope("n9"));
    r.set_record_type(t);
    h.ok(as_node(r, "n9")); // n9 is enrolled nowhere
  }
}

TEST_CASE("a node credential writes nothing for another node or scope, and "
          "no declared state") {
  auto h = seeded();
  auto drift = make_cmd(COMMAND_KIND_DRIFT_DETECTED, node_scope("n1"));
  h.refused(as_node(drift, "n2"), STATUS_CODE_UNAUTHORIZED,
            "policy: denied: n2 may not write to node n1 (a node credential "
            "writes for its own node only)");
  h.refused(as_node(node_commit("n1", "vm.a", "2"), "n1"),
            STATUS_CODE_UNAUTHORIZED,
            "policy: denied: n1 may not run this command on node n1");
  auto rb = make_cmd(COMMAND_KIND_ROLLBACK, node_scope("n1"));
  rb.set_rollback_to(1);
  h.refused(as_node(rb, "n1"), STATUS_CODE_UNAUTHORIZED, "may not run");
  auto approval = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"));
  approval.set_record_type(ENTRY_TYPE_APPROVAL_DECISION);
  h.refused(as_node(approval, "n1"), STATUS_CODE_UNAUTHORIZED, "may not run");
  auto vc = make_cmd(COMMAND_KIND_RECORD, vcluster_scope("ml"));
  vc.set_record_type(ENTRY_TYPE_CAPABILITY_CHANGE);
  h.refused(as_node(vc, "n1"), STATUS_CODE_UNAUTHORIZED,
            "may not write outside its node");
}

TEST_CASE("a boot-config record keeps the node's agent endpoint") {
  auto h = seeded();
  auto seq = h.ok(as_node(boot_record("n1", "http://10.0.0.1:9445"), "n1"));
  CHECK(last_of(h.sm).agent_endpoint() == "http://10.0.0.1:9445");
  REQUIRE(h.sm.node("n1") != nullptr);
  CHECK(h.sm.node("n1")->agent_endpoint() == "http://10.0.0.1:9445");
  CHECK(h.sm.node("n1")->agent_boot_sequence() == seq);
  CHECK(h.sm.node("n1")->vcluster() == "ml");
  // A later boot moves it; a node enrolled nowhere gets a record too.
  h.ok(as_node(boot_record("n1", "https://n1.mgmt:9445"), "n1"));
  CHECK(h.sm.node("n1")->agent_endpoint() == "https://n1.mgmt:9445");
  h.ok(as_node(boot_record("n7", "http://127.0.0.1:4000"), "n7"));
  REQUIRE(h.sm.node("n7") != nullptr);
  CHECK(h.sm.node("n7")->agent_endpoint() == "http://127.0.0.1:4000");
}

TEST_CASE("a boot record names the vCluster the agent booted from; it "
          "enrolls nobody") {
  auto h = seeded();
  auto b = boot_record("n7", "http://127.0.0.1:4000");
  b.set_vcluster("ml");
  h.ok(as_node(b, "n7"));
  REQUIRE(h.sm.node("n7") != nullptr);
  CHECK(h.sm.node("n7")->booted_vcluster() == "ml");
  CHECK(h.sm.node("n7")->vcluster().empty());
  CHECK(last_of(h.sm).vcluster() == "ml"); // `pact log --vcluster ml` sees it
  // Only a node's boot record carries one, and only of a known vCluster.
  auto cap = b;
  cap.set_record_type(ENTRY_TYPE_CAPABILITY_CHANGE);
  cap.clear_agent_endpoint();
  h.refused(as_node(cap, "n7"), STATUS_CODE_INVALID_ARGUMENT,
            "a vCluster belongs only to a boot-config record of a node");
  auto unknown = b;
  unknown.set_vcluster("nope");
  h.refused(as_node(unknown, "n7"), STATUS_CODE_INVALID_ARGUMENT,
            "record: unknown vCluster 'nope'");
  CHECK(h.sm.node("n7")->booted_vcluster() == "ml");
}

TEST_CASE("an agent endpoint is refused anywhere but a node's boot record, "
          "and when it is no URL") {
  auto h = seeded();
  auto cap = boot_record("n1", "http://10.0.0.1:9445");
  cap.set_record_type(ENTRY_TYPE_CAPABILITY_CHANGE);
  h.refused(cap, STATUS_CODE_INVALID_ARGUMENT,
            "an agent endpoint belongs only to a boot-config record of a "
            "node");
  auto drift = make_cmd(COMMAND_KIND_DRIFT_DETECTED, node_scope("n1"));
  drift.set_agent_endpoint("http://10.0.0.1:9445");
  h.refused(drift, STATUS_CODE_INVALID_ARGUMENT,
            "an agent endpoint belongs only to a boot-config record");
  for (const std::string& bad : std::vector<std::string>{
         "10.0.0.1:9445", "http://", "ftp://x:1", "http://a b:1",
         "http://x\n:1", "http://" + std::string(300, 'a')}) {
    CAPTURE(bad);
    h.refused(boot_record("n1", bad), STATUS_CODE_INVALID_ARGUMENT,
              "record: agent endpoint");
  }
}
