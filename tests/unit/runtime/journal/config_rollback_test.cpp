// config_state_machine: rollback and emergency rules.

#include <doctest/doctest.h>

#include "runtime/journal/journal_items.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

JournalCommand rollback(const Scope& scope, uint64_t to) {
  auto c = make_cmd(COMMAND_KIND_ROLLBACK, scope);
  c.set_rollback_to(to);
  return c;
}

/// The overlay without its version: what rollback must reproduce.
std::string content(const VClusterOverlay& o) {
  auto copy = o;
  copy.clear_version();
  return deterministic_bytes(copy);
}

} // namespace

TEST_CASE("rollback of a vCluster restores items, attributes and policy") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}, "img-1")); // 1
  auto after_1 = content(*h.sm.overlay("ml"));
  auto checksum_1 = h.sm.overlay("ml")->checksum();
  h.ok(node_commit("n1", "x", "y")); // 2, other scope
  auto pol = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  pol.mutable_policy()->set_emergency_allowed(false);
  h.ok(pol);                                                          // 3
  h.ok(overlay_apply("ml", {{"vm.a", "2"}, {"vm.b", "3"}}, "img-2")); // 4
  auto after_4 = content(*h.sm.overlay("ml"));
  CHECK(after_4 != after_1);
  uint64_t seq = h.ok(rollback(vcluster_scope("ml"), 2));
  CHECK(seq == 5);
  CHECK(content(*h.sm.overlay("ml")) == after_1);
  CHECK(h.sm.overlay("ml")->checksum() == checksum_1);
  CHECK(h.sm.overlay("ml")->version() == 5);
  CHECK(h.sm.policy("ml").emergency_allowed());
  const auto& e = last_of(h.sm);
  CHECK(e.entry_type() == ENTRY_TYPE_ROLLBACK);
  CHECK(e.rollback_to() == 2);
  CHECK(e.parent() == 4);
  REQUIRE(e.state_delta().items_size() == 2);
  CHECK(e.state_delta().items(0).action() == DELTA_ACTION_MODIFY);
  CHECK(e.state_delta().items(0).previous() == "2");
  CHECK(e.state_delta().items(0).value() == "1");
  CHECK(e.state_delta().items(1).action() == DELTA_ACTION_REMOVE);
  // Node n1 is untouched by a vCluster rollback.
  CHECK(h.sm.node("n1")->items_size() == 1);
  // Rolling forward again to 4, through the rollback entry, works too.
  h.ok(rollback(vcluster_scope("ml"), 4));
  CHECK(content(*h.sm.overlay("ml")) == after_4);
  // And back to 5 (the state the first rollback produced).
  h.ok(rollback(vcluster_scope("ml"), 5));
  CHECK(content(*h.sm.overlay("ml")) == after_1);
}

TEST_CASE("rollback of a node restores its committed delta") {
  harness h;
  h.ok(node_commit("n1", "vm.a", "1")); // 1
  h.ok(node_commit("n1", "vm.b", "2")); // 2
  h.ok(node_commit("n1", "vm.a", "9")); // 3
  h.ok(rollback(node_scope("n1"), 1));
  auto* rec = h.sm.node("n1");
  REQUIRE(rec->items_size() == 1);
  CHECK(rec->items(0).key() == "vm.a");
  CHECK(rec->items(0).value() == "1");
  CHECK(rec->delta_sequence() == 4);
  h.ok(rollback(node_scope("n1"), 3));
  rec = h.sm.node("n1");
  REQUIRE(rec->items_size() == 2);
  CHECK(rec->items(0).value() == "9");
}

TEST_CASE("rollback of the global scope restores global items") {
  harness h;
  auto c = make_cmd(COMMAND_KIND_COMMIT, global_scope());
  *c.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_NETWORK, DELTA_ACTION_ADD, "ntp", "a");
  h.ok(c);
  c.mutable_state_delta()->mutable_items(0)->set_action(DELTA_ACTION_MODIFY);
  c.mutable_state_delta()->mutable_items(0)->set_value("b");
  h.ok(c);
  h.ok(rollback(global_scope(), 1));
  REQUIRE(h.sm.global().items_size() == 1);
  CHECK(h.sm.global().items(0).value() == "a");
  CHECK(h.sm.global().version() == 3);
}

TEST_CASE("emergency start and end") {
  harness h;
  h.ok(overlay_apply("ml", {}));
  auto enroll = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  enroll.set_vcluster("ml");
  h.ok(enroll);
  h.ok(node_commit("n1", "k", "v"));
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  h.refused(start, STATUS_CODE_INVALID_ARGUMENT, "needs a reason");
  start.set_emergency_reason("GPU firmware hang");
  auto by_ai = start;
  *by_ai.mutable_author() = agent();
  // A refusal by role (exit 2), whatever roles the AI principal holds
  // (docs/authorization.md, emergency.start).
  h.refused(by_ai, STATUS_CODE_UNAUTHORIZED, "AI principals never may");
  uint64_t seq = h.ok(start);
  auto* em = h.sm.emergency(node_scope("n1"));
  REQUIRE(em);
  CHECK(em->started_sequence() == seq);
  CHECK(em->reason() == "GPU firmware hang");
  CHECK(em->window_ends_unix_ms() == t0_ms + 14400 * 1000);
  CHECK(last_of(h.sm).emergency_reason() == "GPU firmware hang");
  CHECK(h.sm.node("n1")->state() == NODE_STATE_EMERGENCY);
  h.refused(start, STATUS_CODE_CONFLICT, "already active");
  // State changes during the emergency are remembered for its end.
  auto st = make_cmd(COMMAND_KIND_NODE_STATE_CHANGE, node_scope("n1"));
  st.set_node_state(NODE_STATE_OBSERVE_ONLY);
  h.refused(st, STATUS_CODE_CONFLICT, "in an emergency");
  auto drift = make_cmd(COMMAND_KIND_DRIFT_DETECTED, node_scope("n1"));
  *drift.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_GPU, DELTA_ACTION_MODIFY, "clock", "1");
  h.ok(drift);
  CHECK(h.sm.node("n1")->state() == NODE_STATE_EMERGENCY);
  auto end = make_cmd(COMMAND_KIND_EMERGENCY_END, node_scope("n1"));
  h.ok(end);
  CHECK(h.sm.emergency(node_scope("n1")) == nullptr);
  CHECK(h.sm.node("n1")->state() == NODE_STATE_DRIFTED);
  h.refused(end, STATUS_CODE_CONFLICT, "no emergency is active");
  REQUIRE(audit_of(h.sm).size() == 2);
  CHECK(audit_of(h.sm)[0].entry_type() == ENTRY_TYPE_EMERGENCY_START);
  CHECK(audit_of(h.sm)[1].entry_type() == ENTRY_TYPE_EMERGENCY_END);
}

TEST_CASE("emergencies obey the vCluster policy") {
  harness h;
  auto c = overlay_apply("ml", {});
  c.mutable_overlays(0)->mutable_policy()->set_emergency_allowed(false);
  h.ok(c);
  auto enroll = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  enroll.set_vcluster("ml");
  h.ok(enroll);
  auto vc = make_cmd(COMMAND_KIND_EMERGENCY_START, vcluster_scope("ml"));
  vc.set_emergency_reason("x");
  h.refused(vc, STATUS_CODE_POLICY_REJECTED,
            "emergencies are not allowed by the policy of vCluster ml "
            "(emergency_allowed = false)");
  auto node = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  node.set_emergency_reason("x");
  h.refused(node, STATUS_CODE_POLICY_REJECTED, "not allowed by the policy");
  // A platform admin's, stamped by the gateway: the node's vCluster policy
  // holds for admins too.
  auto by_admin = node;
  by_admin.mutable_author_roles()->add_groups("pact-platform-admin");
  h.refused(by_admin, STATUS_CODE_POLICY_REJECTED,
            "emergencies are not allowed by the policy of vCluster ml");
  // A node in no vCluster falls under the defaults (allowed), once the
  // journal knows it; one it never heard of is a typo.
  auto other = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n2"));
  other.set_emergency_reason("x");
  h.refused(other, STATUS_CODE_INVALID_ARGUMENT, "not known to the journal");
  h.ok(node_commit("n2", "vm.z", "1"));
  h.ok(other);
  auto unknown = vc;
  *unknown.mutable_scope() = vcluster_scope("nope");
  h.refused(unknown, STATUS_CODE_INVALID_ARGUMENT, "unknown vCluster");
  auto global = vc;
  *global.mutable_scope() = global_scope();
  h.refused(global, STATUS_CODE_INVALID_ARGUMENT,
            "global scope is not allowed");
  // A vCluster emergency, once allowed, is keyed by its scope.
  auto allow = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  h.ok(allow);
  h.ok(vc);
  CHECK(h.sm.emergency(vcluster_scope("ml")) != nullptr);
  CHECK(h.sm.emergencies().size() == 2);
}

// Issue 13 item 4: an AI principal writes only where the vCluster policy
// sets ai_write_allowed, decided where the command applies (with the policy
// as of that entry), stamped roles or not; nothing is written otherwise.
TEST_CASE("AI principals write only where ai_write_allowed") {
  harness h;
  h.ok(overlay_apply("ml", {}));
  auto enroll = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  enroll.set_vcluster("ml");
  h.ok(enroll);
  auto by_ai = node_commit("n1", "k", "v");
  *by_ai.mutable_author() = agent();
  h.refused(by_ai, STATUS_CODE_POLICY_REJECTED,
            "AI write is not allowed by the policy of vCluster ml "
            "(ai_write_allowed = false)");
  // Stamped with an ops role by the gateway: the same answer.
  auto stamped = by_ai;
  stamped.mutable_author_roles()->add_groups("pact-ops-ml");
  h.refused(stamped, STATUS_CODE_POLICY_REJECTED, "ai_write_allowed = false");
  auto allow = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  allow.mutable_policy()->set_ai_write_allowed(true);
  h.ok(allow);
  CHECK(h.sm.policy("ml").ai_write_allowed());
  h.ok(stamped);
  // A viewer role does not write, AI or not: refused by role.
  auto viewer = by_ai;
  viewer.mutable_author_roles()->add_groups("pact-viewer-ml");
  h.refused(viewer, STATUS_CODE_UNAUTHORIZED, "may not write to vcluster ml");
}
