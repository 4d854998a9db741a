// config_state_machine: the `previous` value of every recorded item is the
// one the entry actually replaced, computed at apply time, and conditional
// commits (expect_previous, `pact commit --if-previous`) are checked there
// too (issue 8 item 12).

#include <doctest/doctest.h>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

/// A node commit as a client that read `stale` as the previous value
/// would send it: the state machine must not believe it.
JournalCommand stale_node_commit(const std::string& value,
                                 const std::string& stale = "10") {
  auto c = node_commit("n1", "vm.swappiness", value);
  c.mutable_state_delta()->mutable_items(0)->set_previous(stale);
  return c;
}

ItemExpectation expect(const std::string& key,
                       std::optional<std::string> value) {
  ItemExpectation x;
  x.set_category(DELTA_CATEGORY_KERNEL);
  x.set_key(key);
  x.set_present(value.has_value());
  if (value)
    x.set_value(*value);
  return x;
}

/// A vCluster commit of one sysctl; `action` as the client computed it.
JournalCommand vc_commit(const std::string& key, const std::string& value,
                         DeltaAction action = DELTA_ACTION_MODIFY) {
  auto c = make_cmd(COMMAND_KIND_COMMIT, vcluster_scope("ml"));
  *c.mutable_state_delta()->add_items() = make_item(DELTA_CATEGORY_KERNEL,
                                                    action, key, value);
  return c;
}

/// A harness with vCluster ml declaring vm.swappiness=10 and node n1
/// enrolled in it.
harness enrolled() {
  return enrolled_in_ml("vm.swappiness", "10");
}

const DeltaItem& last_item(const harness& h) {
  return last_of(h.sm).state_delta().items(0);
}

} // namespace

TEST_CASE("interleaved node commits record the value each one replaced") {
  auto h = enrolled();
  // Four operators read 10 and commit 11..14; Raft orders them.
  std::string before = "10";
  for (const char* v : {"11", "12", "13", "14"}) {
    h.ok(stale_node_commit(v));
    CAPTURE(v);
    CHECK(last_item(h).previous() == before);
    CHECK(last_item(h).value() == v);
    before = v;
  }
  // The node record keeps what the entries say.
  REQUIRE(h.sm.node("n1")->items_size() == 1);
  CHECK(h.sm.node("n1")->items(0).previous() == "13");
}

TEST_CASE("a node commit's previous falls back to its overlay, else unset") {
  harness h;
  // Not enrolled: nothing declared, so there was no previous value.
  h.ok(stale_node_commit("11", "bogus"));
  CHECK(last_item(h).previous().empty());
  // A committed REMOVE makes the key unset on the node.
  auto h2 = enrolled();
  auto rm = make_cmd(COMMAND_KIND_COMMIT, node_scope("n1"));
  *rm.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_REMOVE, "vm.swappiness");
  rm.set_ttl_seconds(3600);
  h2.ok(rm);
  CHECK(last_item(h2).previous() == "10");
  h2.ok(stale_node_commit("12"));
  CHECK(last_item(h2).previous().empty());
}

TEST_CASE("interleaved vCluster commits record the value each replaced") {
  auto h = enrolled();
  for (const char* v : {"11", "12", "13"}) {
    auto c = vc_commit("vm.swappiness", v);
    c.mutable_state_delta()->mutable_items(0)->set_previous("10");
    h.ok(c);
  }
  CHECK(last_item(h).previous() == "12");
  CHECK(last_item(h).value() == "13");
  // Global scope too.
  auto add = make_cmd(COMMAND_KIND_COMMIT, global_scope());
  *add.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_ADD, "vm.g", "1");
  add.mutable_state_delta()->mutable_items(0)->set_previous("lie");
  h.ok(add);
  CHECK(last_item(h).previous().empty());
}

TEST_CASE("rollback and apply record previous values of the state they "
          "replaced") {
  auto h = enrolled();                                  // 1, 2
  h.ok(vc_commit("vm.swappiness", "20"));               // 3
  h.ok(overlay_apply("ml", {{"vm.swappiness", "30"}})); // 4
  CHECK(last_item(h).previous() == "20");
  auto rb = make_cmd(COMMAND_KIND_ROLLBACK, vcluster_scope("ml"));
  rb.set_rollback_to(1);
  h.ok(rb);
  CHECK(last_item(h).previous() == "30");
  CHECK(last_item(h).value() == "10");
}

TEST_CASE("expect_previous: a matching condition lets the commit land") {
  auto h = enrolled();
  auto c = node_commit("n1", "vm.swappiness", "11");
  *c.add_expect_previous() = expect("vm.swappiness", "10");
  *c.add_expect_previous() = expect("vm.other", std::nullopt);
  h.ok(c);
  CHECK(last_item(h).previous() == "10");
  // Now the node holds 11: the same condition no longer holds.
  auto again = node_commit("n1", "vm.swappiness", "12");
  *again.add_expect_previous() = expect("vm.swappiness", "11");
  h.ok(again);
  auto vc = vc_commit("vm.swappiness", "15");
  *vc.add_expect_previous() = expect("vm.swappiness", "10");
  h.ok(vc);
}

TEST_CASE("expect_previous: a moved value refuses with CONFLICT, writing "
          "nothing") {
  auto h = enrolled();
  h.ok(node_commit("n1", "vm.swappiness", "11"));
  auto c = node_commit("n1", "vm.swappiness", "12");
  *c.add_expect_previous() = expect("vm.swappiness", "10");
  h.refused(c, STATUS_CODE_CONFLICT,
            "kernel:vm.swappiness of node:n1 is '11', not '10' as expected");
  // Expected unset, but set.
  auto unset = node_commit("n1", "vm.swappiness", "12");
  *unset.add_expect_previous() = expect("vm.swappiness", std::nullopt);
  h.refused(unset, STATUS_CODE_CONFLICT, "is '11', not unset");
  // Expected a value, but the key is absent: a condition on another key.
  auto absent = node_commit("n1", "vm.swappiness", "12");
  *absent.add_expect_previous() = expect("vm.absent", "1");
  h.refused(absent, STATUS_CODE_CONFLICT,
            "kernel:vm.absent of node:n1 is unset, not '1'");
  // vCluster scope: one failing condition among several refuses it all.
  auto vc = vc_commit("vm.swappiness", "15");
  *vc.add_expect_previous() = expect("vm.x", std::nullopt);
  *vc.add_expect_previous() = expect("vm.swappiness", "9");
  h.refused(vc, STATUS_CODE_CONFLICT, "of vc:ml is '10', not '9'");
}

TEST_CASE("expect_previous: malformed conditions are invalid arguments") {
  auto h = enrolled();
  auto twice = node_commit("n1", "vm.swappiness", "12");
  *twice.add_expect_previous() = expect("vm.swappiness", "10");
  *twice.add_expect_previous() = expect("vm.swappiness", "11");
  h.refused(twice, STATUS_CODE_INVALID_ARGUMENT, "given twice");
  auto no_cat = node_commit("n1", "vm.swappiness", "12");
  auto x = expect("vm.swappiness", "10");
  x.set_category(DELTA_CATEGORY_UNSPECIFIED);
  *no_cat.add_expect_previous() = x;
  h.refused(no_cat, STATUS_CODE_INVALID_ARGUMENT, "no category");
  auto no_key = node_commit("n1", "vm.swappiness", "12");
  *no_key.add_expect_previous() = expect("", "10");
  h.refused(no_key, STATUS_CODE_INVALID_ARGUMENT, "needs a key");
  auto unset_value = node_commit("n1", "vm.swappiness", "12");
  x = expect("vm.swappiness", std::nullopt);
  x.set_value("10");
  *unset_value.add_expect_previous() = x;
  h.refused(unset_value, STATUS_CODE_INVALID_ARGUMENT, "carries a value");
  // Only commits take conditions.
  auto pol = make_cmd(COMMAND_KIND_POLICY_UPDATE, vcluster_scope("ml"));
  *pol.add_expect_previous() = expect("vm.swappiness", "10");
  h.refused(pol, STATUS_CODE_INVALID_ARGUMENT, "only to commits");
}
