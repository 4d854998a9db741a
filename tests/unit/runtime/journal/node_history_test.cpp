// runtime/journal/node_history.hpp: a node's items after an entry, folded
// from its entries as the state machine's rollback replays them. Checked
// against the state machine itself: the rollback it records must restore
// exactly what the fold computes.

#include <doctest/doctest.h>

#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/node_history.hpp"
#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

JournalCommand rollback(const Scope& scope, uint64_t to) {
  auto c = make_cmd(COMMAND_KIND_ROLLBACK, scope);
  c.set_rollback_to(to);
  return c;
}

JournalCommand node_remove(const std::string& node, const std::string& key) {
  auto c = make_cmd(COMMAND_KIND_COMMIT, node_scope(node));
  *c.mutable_state_delta()->add_items() = make_item(DELTA_CATEGORY_KERNEL,
                                                    DELTA_ACTION_REMOVE, key);
  c.set_ttl_seconds(3600);
  return c;
}

std::string bytes_of(const StateDelta& d) {
  return deterministic_bytes(d);
}

StateDelta node_items(const config_state_machine& sm, const std::string& n) {
  StateDelta d;
  *d.mutable_items() = sm.node(n)->items();
  return d;
}

} // namespace

std::vector<JournalCommand> story() {
  return {
    node_commit("n1", "vm.a", "1"), // 1
    node_commit("n2", "vm.a", "9"), // 2, another node
    node_commit("n1", "vm.b", "2"), // 3
    node_commit("n1", "vm.a", "3"), // 4
    node_remove("n1", "vm.b"),      // 5
    rollback(node_scope("n1"), 3),  // 6
    node_commit("n1", "vm.c", "4"), // 7
  };
}

TEST_CASE("the fold of a node's entries equals what its rollback restores") {
  harness h;
  for (const auto& c : story())
    h.ok(c);
  auto history = newest_of(h.sm, 100, node_scope("n1"));
  REQUIRE(history.size() == 6);
  for (uint64_t upto : {1, 3, 4, 5, 6, 7}) {
    CAPTURE(upto);
    // The state machine's own rollback to `upto`, on the same history.
    harness back;
    for (const auto& c : story())
      back.ok(c);
    auto r = back.run(rollback(node_scope("n1"), upto));
    REQUIRE(r.status().code() == STATUS_CODE_OK);
    CHECK(bytes_of(node_items_at(history, upto))
          == bytes_of(node_items(back.sm, "n1")));
  }
  // Entries above `upto` are skipped; a read may stop at the newest
  // rollback at or below `upto` (history[1] is entry 6).
  CHECK(starts_node_history(history[1], 7));
  CHECK_FALSE(starts_node_history(history[1], 5));
  std::vector<ConfigEntry> upto_rollback(history.begin(), history.begin() + 2);
  CHECK(bytes_of(node_items_at(upto_rollback, 7))
        == bytes_of(node_items_at(history, 7)));
}
