// config_state_machine: a commit carries only the operator's intent (SET
// for `--set`, REMOVE for `--unset`); the state machine decides add or
// modify and the previous value from the state it applies the commit to,
// and returns the recorded delta with the result, so `pact commit` needs no
// read before or after its proposal (issue 9 item 5).

#include <doctest/doctest.h>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

DeltaItem set_item(const std::string& key, const std::string& value) {
  return make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_SET, key, value);
}

/// A commit of SET items to `scope` (a node commit gets a valid TTL).
JournalCommand
intent(const Scope& scope,
       std::initializer_list<std::pair<std::string, std::string>> kv) {
  auto c = make_cmd(COMMAND_KIND_COMMIT, scope);
  for (const auto& [k, v] : kv)
    *c.mutable_state_delta()->add_items() = set_item(k, v);
  if (scope.target_case() == Scope::kNode)
    c.set_ttl_seconds(3600);
  return c;
}

/// vCluster ml declaring vm.a=1, node n1 enrolled in it, n2 in nothing.
harness seeded() {
  return enrolled_in_ml("vm.a", "1");
}

const StateDelta& last_delta(const harness& h) {
  return last_of(h.sm).state_delta();
}

} // namespace

TEST_CASE("SET becomes MODIFY of a declared key and ADD of an undeclared "
          "one, with previous values, in entry and result alike") {
  auto h = seeded();
  for (const auto& scope : {vcluster_scope("ml"), node_scope("n1")}) {
    CAPTURE(scope_key(scope));
    // A key nobody declares yet (the vCluster commit declares its own).
    auto fresh = "vm.new_" + scope_key(scope).substr(0, 2);
    auto r = h.run(intent(scope, {{"vm.a", "2"}, {fresh, "5"}}));
    REQUIRE(r.status().code() == STATUS_CODE_OK);
    const auto& d = last_delta(h);
    REQUIRE(d.items_size() == 2);
    CHECK(d.items(0).key() == "vm.a");
    CHECK(d.items(0).action() == DELTA_ACTION_MODIFY);
    CHECK(d.items(0).value() == "2");
    CHECK(d.items(1).key() == fresh);
    CHECK(d.items(1).action() == DELTA_ACTION_ADD);
    CHECK(d.items(1).previous().empty());
    // The result carries exactly what the entry records.
    CHECK(deterministic_bytes(r.state_delta()) == deterministic_bytes(d));
  }
  // The vCluster commit replaced 1; the node commit replaced what the node
  // then saw through its overlay, 2.
  CHECK(entry_at(h.sm, 3).state_delta().items(0).previous() == "1");
  CHECK(last_delta(h).items(0).previous() == "2");
  // Global scope, and a node enrolled nowhere: nothing declared, so ADD.
  auto g = h.run(intent(global_scope(), {{"vm.g", "1"}}));
  CHECK(g.state_delta().items(0).action() == DELTA_ACTION_ADD);
  auto n2 = h.run(intent(node_scope("n2"), {{"vm.a", "3"}}));
  CHECK(n2.state_delta().items(0).action() == DELTA_ACTION_ADD);
  CHECK(n2.state_delta().items(0).previous().empty());
}

TEST_CASE("SET resolves against the state at apply time, not at proposal") {
  auto h = seeded();
  // Two operators each "add" vm.b, proposed before either applied.
  auto first = intent(vcluster_scope("ml"), {{"vm.b", "1"}});
  auto second = intent(vcluster_scope("ml"), {{"vm.b", "2"}});
  h.ok(first);
  CHECK(last_delta(h).items(0).action() == DELTA_ACTION_ADD);
  h.ok(second); // an explicit ADD would be refused: "already declared"
  CHECK(last_delta(h).items(0).action() == DELTA_ACTION_MODIFY);
  CHECK(last_delta(h).items(0).previous() == "1");
  // A node enrolled between proposal and apply: its overlay counts.
  auto node = intent(node_scope("n2"), {{"vm.a", "9"}});
  auto en = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n2"));
  en.set_vcluster("ml");
  h.ok(en);
  h.ok(node);
  CHECK(last_delta(h).items(0).action() == DELTA_ACTION_MODIFY);
  CHECK(last_delta(h).items(0).previous() == "1");
}

TEST_CASE("REMOVE of an undeclared key: a conflict for a vCluster or global, "
          "allowed on a node") {
  auto h = seeded();
  for (const auto& scope : {vcluster_scope("ml"), global_scope()}) {
    auto rm = make_cmd(COMMAND_KIND_COMMIT, scope);
    *rm.mutable_state_delta()->add_items()
      = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_REMOVE, "vm.zzz");
    h.refused(rm, STATUS_CODE_CONFLICT, "not declared");
    // Also when another category declares the key.
    rm.mutable_state_delta()->mutable_items(0)->set_category(
      DELTA_CATEGORY_GPU);
    rm.mutable_state_delta()->mutable_items(0)->set_key("vm.a");
    h.refused(rm, STATUS_CODE_CONFLICT, "not declared");
  }
  auto node = make_cmd(COMMAND_KIND_COMMIT, node_scope("n1"));
  *node.mutable_state_delta()->add_items()
    = make_item(DELTA_CATEGORY_KERNEL, DELTA_ACTION_REMOVE, "vm.zzz");
  node.set_ttl_seconds(3600);
  auto r = h.run(node);
  REQUIRE(r.status().code() == STATUS_CODE_OK);
  CHECK(r.state_delta().items(0).action() == DELTA_ACTION_REMOVE);
  CHECK(r.state_delta().items(0).previous().empty());
}

TEST_CASE("SET of the declared value is unchanged; conditions still apply") {
  auto h = seeded();
  auto before = h.sm.last_sequence();
  auto same = h.run(intent(vcluster_scope("ml"), {{"vm.a", "1"}}));
  REQUIRE(same.status().code() == STATUS_CODE_OK);
  CHECK(same.sequences_size() == 0);
  CHECK(same.unchanged_size() == 1);
  CHECK(same.state_delta().items_size() == 0);
  CHECK(h.sm.last_sequence() == before);
  // Partly unchanged: only the changed item is recorded and returned.
  auto part
    = h.run(intent(vcluster_scope("ml"), {{"vm.a", "1"}, {"vm.c", "3"}}));
  REQUIRE(part.state_delta().items_size() == 1);
  CHECK(part.state_delta().items(0).key() == "vm.c");
  // --if-previous with an intent: checked against the same state.
  auto cond = intent(vcluster_scope("ml"), {{"vm.a", "4"}});
  ItemExpectation x;
  x.set_category(DELTA_CATEGORY_KERNEL);
  x.set_key("vm.a");
  x.set_present(true);
  x.set_value("2");
  *cond.add_expect_previous() = x;
  h.refused(cond, STATUS_CODE_CONFLICT, "is '1', not '2'");
}

TEST_CASE("a retried commit gets its first result; the delta is in the "
          "entry, not remembered twice") {
  auto h = seeded();
  auto c = intent(vcluster_scope("ml"), {{"vm.a", "7"}});
  c.set_client_request_id("retry-1");
  auto first = h.run(c);
  REQUIRE(first.state_delta().items_size() == 1);
  auto again = h.run(c);
  CHECK(again.duplicate());
  CHECK(again.sequences(0) == first.sequences(0));
  CHECK(again.state_delta().items_size() == 0);
  for (const auto& r : h.sm.recent_requests())
    CHECK_FALSE(r.result().has_state_delta());
  auto e = entry_at(h.sm, first.sequences(0));
  CHECK(deterministic_bytes(e.state_delta())
        == deterministic_bytes(first.state_delta()));
}

TEST_CASE("only a commit takes SET; no entry records it") {
  auto h = seeded();
  auto drift = make_cmd(COMMAND_KIND_DRIFT_DETECTED, node_scope("n1"));
  *drift.mutable_state_delta()->add_items() = set_item("vm.a", "2");
  h.refused(drift, STATUS_CODE_INVALID_ARGUMENT, "only a commit takes");
  auto rec = make_cmd(COMMAND_KIND_RECORD, node_scope("n1"));
  rec.set_record_type(ENTRY_TYPE_EXEC_LOG);
  *rec.mutable_state_delta()->add_items() = set_item("vm.a", "2");
  h.refused(rec, STATUS_CODE_INVALID_ARGUMENT, "only a commit takes");
  h.ok(intent(node_scope("n1"), {{"vm.a", "2"}}));
  for (const auto& e : all_entries(h.sm))
    for (const auto& i : e.state_delta().items())
      CHECK(i.action() != DELTA_ACTION_SET);
}
