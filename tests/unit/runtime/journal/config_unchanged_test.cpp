// config_state_machine: a write whose result equals the current state is
// a no-op result: OK, no entry, no sequence, no new version, the target
// listed as unchanged (issue 8 item 9). The same on every replica: the
// result bytes and the snapshot are what a second machine produces.

#include <doctest/doctest.h>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

/// Runs `c`, which must change nothing, and checks the result names
/// `scope` as unchanged at `version` and that the state is byte-identical.
void unchanged(harness& h, const JournalCommand& c, const Scope& scope,
               uint64_t version) {
  auto before = h.sm.snapshot();
  auto digest_before = h.sm.digest();
  auto seq = h.sm.last_sequence();
  auto r = h.run(c);
  INFO(r.status().message());
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  CHECK(r.sequences_size() == 0);
  REQUIRE(r.unchanged_size() == 1);
  CHECK(scope_key(r.unchanged(0).scope()) == scope_key(scope));
  CHECK(r.unchanged(0).version() == version);
  CHECK(h.sm.last_sequence() == seq);
  // Only the applied index moved.
  auto after = h.sm.snapshot();
  JournalState a;
  JournalState b;
  REQUIRE(a.ParseFromString(before));
  REQUIRE(b.ParseFromString(after));
  a.clear_applied_index();
  b.clear_applied_index();
  CHECK(deterministic_bytes(a) == deterministic_bytes(b));
  CHECK(h.sm.digest() != digest_before); // the applied index is in it
}

JournalCommand policy_update(const std::string& vc, bool emergency) {
  auto c = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope(vc));
  c.mutable_policy()->set_emergency_allowed(emergency);
  return c;
}

} // namespace

TEST_CASE("applying the same spec twice writes nothing the second time") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  auto checksum = h.sm.overlay("ml")->checksum();
  unchanged(h, overlay_apply("ml", {{"vm.a", "1"}}), vcluster_scope("ml"), 1);
  CHECK(h.sm.overlay("ml")->version() == 1);
  CHECK(h.sm.overlay("ml")->checksum() == checksum);
  // Any difference (an item, an attribute, the policy) is a change.
  CHECK(h.ok(overlay_apply("ml", {{"vm.a", "2"}})) == 2);
  CHECK(h.ok(overlay_apply("ml", {{"vm.a", "2"}}, "img-2")) == 3);
  auto with_policy = overlay_apply("ml", {{"vm.a", "2"}}, "img-2");
  with_policy.mutable_overlays(0)->mutable_policy()->set_regulated(true);
  CHECK(h.ok(with_policy) == 4);
  unchanged(h, with_policy, vcluster_scope("ml"), 4);
  // A spec without a policy keeps the current one: still unchanged.
  unchanged(h, overlay_apply("ml", {{"vm.a", "2"}}, "img-2"),
            vcluster_scope("ml"), 4);
}

TEST_CASE("a multi-vCluster apply appends entries only for what changes") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  auto c = overlay_apply("ml", {{"vm.a", "1"}});
  auto* other = c.add_overlays();
  other->set_vcluster("storage");
  *other->add_items() = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD,
                                  "vm.s", "1");
  auto r = h.run(c);
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  REQUIRE(r.sequences_size() == 1);
  CHECK(r.sequences(0) == 2);
  REQUIRE(r.unchanged_size() == 1);
  CHECK(r.unchanged(0).scope().vcluster() == "ml");
  CHECK(r.unchanged(0).version() == 1);
  CHECK(last_of(h.sm).scope().vcluster() == "storage");
  // Both unchanged now: nothing at all.
  auto again = h.run(c);
  CHECK(again.sequences_size() == 0);
  CHECK(again.unchanged_size() == 2);
  CHECK(h.sm.last_sequence() == 2);
}

TEST_CASE("setting the current policy writes nothing") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  CHECK(h.ok(policy_update("ml", false)) == 2);
  unchanged(h, policy_update("ml", false), vcluster_scope("ml"), 2);
  // The blacklist is kept when the new policy names none, so a policy
  // identical but for an edited blacklist is unchanged too.
  auto bl = make_cmd(COMMAND_KIND_BLACKLIST_ADD, vcluster_scope("ml"));
  bl.set_blacklist_pattern("/etc/x");
  CHECK(h.ok(bl) == 3);
  unchanged(h, policy_update("ml", false), vcluster_scope("ml"), 3);
  CHECK(h.ok(policy_update("ml", true)) == 4);
  // A policy update of a vCluster never configured creates it: a change.
  CHECK(h.ok(policy_update("new", true)) == 5);
}

TEST_CASE("a vCluster or global commit of the current values writes "
          "nothing") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}, {"vm.b", "2"}}));
  auto same = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("ml"));
  *same.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_MODIFY, "vm.a", "1");
  unchanged(h, same, vcluster_scope("ml"), 1);
  // With one real change, only that item is recorded.
  *same.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_MODIFY, "vm.b", "3");
  CHECK(h.ok(same) == 2);
  REQUIRE(last_of(h.sm).state_delta().items_size() == 1);
  CHECK(last_of(h.sm).state_delta().items(0).key() == "vm.b");
  // Global.
  auto g = make_cmd(COMMAND_KIND_COMMIT, global_scope());
  *g.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, "vm.g", "1");
  CHECK(h.ok(g) == 3);
  g.mutable_state_delta()->mutable_items(0)->set_action(DELTA_ACTION_MODIFY);
  unchanged(h, g, global_scope(), 3);
}

TEST_CASE("a node commit of the current value still records (it renews the "
          "delta)") {
  harness h;
  h.ok(node_commit("n1", "vm.a", "1"));
  auto later = node_commit("n1", "vm.a", "1");
  later.set_timestamp_unix_ms(t0_ms + 1000);
  CHECK(h.ok(later) == 2);
  CHECK(h.sm.node("n1")->delta_expires_unix_ms() == t0_ms + 1000 + 3600'000);
}

TEST_CASE("rolling back to the current state writes nothing") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}})); // 1
  h.ok(overlay_apply("ml", {{"vm.a", "2"}})); // 2
  auto rb = make_cmd(COMMAND_KIND_ROLLBACK, vcluster_scope("ml"));
  rb.set_rollback_to(2);
  unchanged(h, rb, vcluster_scope("ml"), 2);
  rb.set_rollback_to(1);
  CHECK(h.ok(rb) == 3);
  unchanged(h, rb, vcluster_scope("ml"), 3);
  // Node and global scopes.
  h.ok(node_commit("n1", "vm.x", "1")); // 4
  auto nrb = make_cmd(COMMAND_KIND_ROLLBACK, node_scope("n1"));
  nrb.set_rollback_to(4);
  unchanged(h, nrb, node_scope("n1"), 4);
  auto g = make_cmd(COMMAND_KIND_COMMIT, global_scope());
  *g.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, "vm.g", "1");
  h.ok(g); // 5
  auto grb = make_cmd(COMMAND_KIND_ROLLBACK, global_scope());
  grb.set_rollback_to(5);
  unchanged(h, grb, global_scope(), 5);
}

TEST_CASE("setting a node's current state writes nothing") {
  harness h;
  h.ok(node_commit("n1", "vm.x", "1")); // n1 -> committed
  auto st = make_cmd(COMMAND_KIND_NODE_STATE_CHANGE, node_scope("n1"));
  st.set_node_state(NODE_STATE_COMMITTED);
  unchanged(h, st, node_scope("n1"), 1);
  st.set_node_state(NODE_STATE_OBSERVE_ONLY);
  CHECK(h.ok(st) == 2);
}

TEST_CASE("writes that must change something stay conflicts") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  auto bl = make_cmd(COMMAND_KIND_BLACKLIST_ADD, global_scope());
  bl.set_blacklist_pattern("/etc/x");
  h.ok(bl);
  h.refused(bl, STATUS_CODE_CONFLICT, "already on the blacklist");
  auto en = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  en.set_vcluster("ml");
  h.ok(en);
  h.refused(en, STATUS_CODE_CONFLICT, "already enrolled");
}
