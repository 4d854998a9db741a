// config_state_machine: every validation error is a deterministic result
// that changes nothing and consumes no sequence (harness::refused checks
// both through execute() and through apply()).

#include <doctest/doctest.h>

#include <limits>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

constexpr auto invalid = STATUS_CODE_INVALID_ARGUMENT;

/// A machine with one entry, so refusals are checked against real state.
harness seeded() {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  return h;
}

} // namespace

TEST_CASE("bytes that are not a command give a deterministic refusal") {
  harness h = seeded();
  CommandResult r;
  REQUIRE(r.ParseFromString(h.sm.apply(++h.index, "\xff\xff\xff")));
  CHECK(r.status().code() == invalid);
  CHECK(h.sm.last_sequence() == 1);
  CHECK(h.sm.applied() == h.index);
}

TEST_CASE("common checks: kind, timestamp, author, message size") {
  harness h = seeded();
  auto c = node_commit("n1", "k", "v");
  c.set_kind(COMMAND_KIND_UNSPECIFIED);
  h.refused(c, invalid, "unknown command kind");
  c = node_commit("n1", "k", "v");
  c.set_timestamp_unix_ms(0);
  h.refused(c, invalid, "no timestamp");
  c = node_commit("n1", "k", "v");
  c.mutable_author()->clear_principal();
  h.refused(c, invalid, "no author");
  c = node_commit("n1", "k", "v");
  c.mutable_author()->set_principal_type(PRINCIPAL_TYPE_UNSPECIFIED);
  h.refused(c, invalid, "no author");
  c = node_commit("n1", "k", "v");
  c.set_message(std::string(max_message_bytes + 1, 'm'));
  h.refused(c, invalid, "message is longer");
}

TEST_CASE("TTL bounds of node deltas name the bound") {
  harness h = seeded();
  h.refused(node_commit("n1", "k", "v", 0), invalid, "minimum of 900 s");
  h.refused(node_commit("n1", "k", "v", 899), invalid, "minimum of 900 s");
  h.refused(node_commit("n1", "k", "v", 864001), invalid,
            "maximum of 864000 s");
  h.ok(node_commit("n1", "k", "v", 900));
  h.ok(node_commit("n1", "k", "v", 864000));
  auto vc = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("ml"));
  *vc.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, "vm.b", "1");
  vc.set_ttl_seconds(900);
  h.refused(vc, invalid, "only to node deltas");
}

TEST_CASE("commit validation") {
  harness h = seeded();
  auto c = node_commit("n1", "k", "v");
  c.clear_scope();
  h.refused(c, invalid, "no scope");
  h.refused(node_commit("bad/name", "k", "v"), invalid, "invalid node name");
  c = node_commit("n1", "k", "v");
  c.clear_state_delta();
  h.refused(c, invalid, "no items");
  c = node_commit("n1", "k", "v");
  c.mutable_state_delta()->mutable_items(0)->set_category(
    DELTA_CATEGORY_UNSPECIFIED);
  h.refused(c, invalid, "no category");
  c = node_commit("n1", "k", "v");
  c.mutable_state_delta()->mutable_items(0)->set_action(
    DELTA_ACTION_UNSPECIFIED);
  h.refused(c, invalid, "change 1 (kernel:k) has no action");
  c = node_commit("n1", "", "v");
  h.refused(c, invalid, "empty key");
  c = node_commit("n1", "k", "v");
  *c.mutable_state_delta()->add_items() = c.state_delta().items(0);
  h.refused(c, invalid, "twice");
  c = node_commit("n1", "k", "v");
  c.mutable_state_delta()->mutable_items(0)->set_action(DELTA_ACTION_REMOVE);
  h.refused(c, invalid, "removes but carries a value");
  auto vc = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("nope"));
  *vc.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, "vm.b", "1");
  h.refused(vc, invalid, "unknown vCluster 'nope'");
  *vc.mutable_scope() = vcluster_scope("ml");
  vc.mutable_state_delta()->mutable_items(0)->set_key("vm.a");
  // Refusals name items in the CLI's CATEGORY:KEY syntax, never as
  // protobuf enum names or 0-based positions.
  h.refused(vc, STATUS_CODE_CONFLICT,
            "cannot add kernel:vm.a: already declared");
  vc.mutable_state_delta()->mutable_items(0)->set_action(DELTA_ACTION_MODIFY);
  vc.mutable_state_delta()->mutable_items(0)->set_key("vm.zzz");
  h.refused(vc, STATUS_CODE_CONFLICT, "kernel:vm.zzz: not declared");
  vc.mutable_state_delta()->mutable_items(0)->set_action(DELTA_ACTION_REMOVE);
  vc.mutable_state_delta()->mutable_items(0)->clear_value();
  h.refused(vc, STATUS_CODE_CONFLICT, "cannot remove kernel:vm.zzz");
}

TEST_CASE("overlay apply validation") {
  harness h = seeded();
  auto c = overlay_apply("x", {});
  c.clear_overlays();
  h.refused(c, invalid, "names no vCluster");
  c = overlay_apply("x", {});
  c.mutable_overlays(0)->mutable_attributes()->set_supervisor_backend("init");
  h.refused(c, invalid, "supervisor_backend must be");
  c = overlay_apply("x", {{"k", "1"}, {"k", "2"}});
  h.refused(c, invalid, "twice");
  c = overlay_apply("x", {});
  *c.add_overlays() = c.overlays(0);
  h.refused(c, invalid, "appears twice");
  c = overlay_apply("x", {});
  c.mutable_overlays(0)->mutable_policy()->set_base_commit_window_seconds(10);
  h.refused(c, invalid, "base_commit_window_seconds must be >= 60");
}

TEST_CASE("policy validation names the key") {
  harness h = seeded();
  auto p = [](auto set) {
    auto c = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
    set(*c.mutable_policy());
    return c;
  };
  h.refused(p([](VClusterPolicy& x) { x.set_drift_sensitivity(-1); }), invalid,
            "drift_sensitivity");
  h.refused(p([](VClusterPolicy& x) {
              x.set_drift_sensitivity(std::numeric_limits<double>::infinity());
            }),
            invalid, "drift_sensitivity");
  h.refused(p([](VClusterPolicy& x) { x.set_emergency_window_seconds(59); }),
            invalid, "emergency_window_seconds");
  h.refused(p([](VClusterPolicy& x) { x.set_approval_timeout_seconds(0); }),
            invalid, "approval_timeout_seconds");
  h.refused(p([](VClusterPolicy& x) { x.set_audit_retention_days(0); }),
            invalid, "audit_retention_days");
  h.refused(p([](VClusterPolicy& x) {
              x.set_enforcement_mode(static_cast<EnforcementMode>(42));
            }),
            invalid, "enforcement_mode");
  h.refused(p([](VClusterPolicy& x) {
              x.add_auto_converge_categories(DELTA_CATEGORY_UNSPECIFIED);
            }),
            invalid, "auto_converge_categories");
  h.refused(p([](VClusterPolicy& x) { x.add_exec_whitelist(""); }), invalid,
            "exec_whitelist");
  auto global = make_cmd(COMMAND_KIND_POLICY_UPDATE, global_scope());
  h.refused(global, invalid, "global scope is not allowed");
}

TEST_CASE("blacklist validation") {
  harness h = seeded();
  auto c = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
  h.refused(c, invalid, "pattern must be");
  c.set_blacklist_pattern("/etc/shadow");
  h.ok(c);
  h.refused(c, STATUS_CODE_CONFLICT, "already on the blacklist");
  auto rm = make_cmd(COMMAND_KIND_BLACKLIST_REMOVE, vcluster_scope("ml"));
  rm.set_blacklist_pattern("/etc/shadow");
  h.refused(rm, STATUS_CODE_CONFLICT, "not on the blacklist of vc:ml");
  *rm.mutable_scope() = vcluster_scope("nope");
  h.refused(rm, invalid, "unknown vCluster");
  *rm.mutable_scope() = node_scope("n1");
  h.refused(rm, invalid, "node scope is not allowed");
}

TEST_CASE("node command validation") {
  harness h = seeded();
  auto st = make_cmd(COMMAND_KIND_NODE_STATE_CHANGE, node_scope("n1"));
  h.refused(st, invalid, "no valid state");
  st.set_node_state(NODE_STATE_EMERGENCY);
  h.refused(st, invalid, "use emergency start");
  auto drift = make_cmd(COMMAND_KIND_DRIFT_DETECTED, node_scope("n1"));
  h.refused(drift, invalid, "no items");
  *drift.mutable_scope() = vcluster_scope("ml");
  h.refused(drift, invalid, "vCluster scope is not allowed");
  auto enroll = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  enroll.set_vcluster("nope");
  h.refused(enroll, invalid, "apply its overlay first");
  enroll.set_vcluster("ml");
  h.ok(enroll);
  h.refused(enroll, STATUS_CODE_CONFLICT, "already enrolled");
  auto rec = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"));
  rec.set_record_type(ENTRY_TYPE_COMMIT);
  h.refused(rec, invalid, "cannot write entry type");
  rec.set_record_type(ENTRY_TYPE_UNSPECIFIED);
  h.refused(rec, invalid, "cannot write entry type");
}

TEST_CASE("rollback validation") {
  harness h = seeded();
  auto rb = make_cmd(COMMAND_KIND_ROLLBACK, vcluster_scope("ml"));
  h.refused(rb, invalid, "no entry with sequence 0");
  rb.set_rollback_to(2);
  h.refused(rb, invalid, "no entry with sequence 2 (the journal holds 1..1)");
  rb.set_rollback_to(1);
  *rb.mutable_scope() = vcluster_scope("nope");
  h.refused(rb, invalid, "unknown vCluster");
  *rb.mutable_scope() = node_scope("n9");
  h.refused(rb, invalid, "unknown node");
}
