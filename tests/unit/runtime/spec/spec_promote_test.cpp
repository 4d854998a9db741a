// plan_promote, unpromoted, and parse_policy_text's three accepted forms.

#include <doctest/doctest.h>

#include "runtime/journal/journal_items.hpp"
#include "runtime/journal/journal_policy.hpp"
#include "runtime/spec/promote.hpp"
#include "tests/unit/runtime/spec/spec_test_util.hpp"

using namespace pact::spec;
using namespace pact::spec::test;
using pact::journal::deterministic_bytes;

namespace {

DeltaItem item(DeltaCategory c, DeltaAction a, const std::string& key,
               const std::string& value = {}) {
  DeltaItem i;
  i.set_category(c);
  i.set_action(a);
  i.set_key(key);
  i.set_value(value);
  return i;
}

constexpr auto K = DELTA_CATEGORY_KERNEL;
constexpr auto M = DELTA_CATEGORY_MOUNTS;

VClusterOverlay overlay() {
  VClusterOverlay o;
  o.set_vcluster("ml");
  *o.add_items() = item(M, DELTA_ACTION_ADD, "/scratch", "{}");
  *o.add_items() = item(K, DELTA_ACTION_ADD, "vm.a", "1");
  *o.add_items() = item(K, DELTA_ACTION_ADD, "vm.b", "2");
  *o.mutable_policy() = pact::journal::default_policy();
  o.set_version(12);
  o.set_checksum("feed");
  return o;
}

NodeRecord node(const std::string& id, std::vector<DeltaItem> items) {
  NodeRecord n;
  n.set_node(id);
  n.set_vcluster("ml");
  n.set_state(NODE_STATE_COMMITTED);
  pact::journal::item_map m;
  for (auto& i : items)
    m[pact::journal::key_of(i)] = i;
  pact::journal::to_list(m, n.mutable_items());
  return n;
}

} // namespace

TEST_CASE("plan_promote merges the node's delta into the overlay") {
  auto n1 = node("n1", {item(K, DELTA_ACTION_MODIFY, "vm.a", "10"),
                        item(K, DELTA_ACTION_ADD, "vm.c", "3"),
                        item(M, DELTA_ACTION_REMOVE, "/scratch"),
                        item(K, DELTA_ACTION_REMOVE, "vm.absent"),
                        item(K, DELTA_ACTION_MODIFY, "vm.b", "2")});
  auto plan = plan_promote(overlay(), n1, {});
  const auto& o = plan.overlay;
  CHECK(o.vcluster() == "ml");
  CHECK(o.version() == 12);
  CHECK(o.checksum().empty());
  REQUIRE(o.items_size() == 3);
  CHECK(deterministic_bytes(o.items(0))
        == deterministic_bytes(item(K, DELTA_ACTION_ADD, "vm.a", "10")));
  CHECK(deterministic_bytes(o.items(1))
        == deterministic_bytes(item(K, DELTA_ACTION_ADD, "vm.b", "2")));
  CHECK(deterministic_bytes(o.items(2))
        == deterministic_bytes(item(K, DELTA_ACTION_ADD, "vm.c", "3")));
  // Changes: REMOVE /scratch, MODIFY vm.a, ADD vm.c; vm.b unchanged.
  REQUIRE(plan.changes.items_size() == 3);
  CHECK(plan.changes.items(0).action() == DELTA_ACTION_REMOVE);
  CHECK(plan.changes.items(0).key() == "/scratch");
  CHECK(plan.changes.items(0).previous() == "{}");
  CHECK(plan.changes.items(1).action() == DELTA_ACTION_MODIFY);
  CHECK(plan.changes.items(1).key() == "vm.a");
  CHECK(plan.changes.items(1).value() == "10");
  CHECK(plan.changes.items(1).previous() == "1");
  CHECK(plan.changes.items(2).action() == DELTA_ACTION_ADD);
  CHECK(plan.changes.items(2).key() == "vm.c");
  CHECK(plan.conflicts.empty());
  // The changes are a valid vCluster commit against the old overlay.
  auto declared = pact::journal::to_map(overlay().items());
  CHECK(pact::journal::validate_delta(plan.changes).empty());
  CHECK(pact::journal::check_declared(declared, plan.changes).empty());
  pact::journal::apply_declared(declared, plan.changes);
  VClusterOverlay applied;
  pact::journal::to_list(declared, applied.mutable_items());
  CHECK(deterministic_bytes(applied) == [&] {
    VClusterOverlay only_items;
    *only_items.mutable_items() = o.items();
    return deterministic_bytes(only_items);
  }());
}

TEST_CASE("plan_promote reports other nodes that disagree") {
  auto n1 = node("n1", {item(K, DELTA_ACTION_MODIFY, "vm.a", "10"),
                        item(K, DELTA_ACTION_ADD, "vm.c", "3"),
                        item(M, DELTA_ACTION_REMOVE, "/scratch")});
  std::vector<NodeRecord> others = {
    // Itself: never a conflict.
    n1,
    // Same value and action: agrees.
    node("n2", {item(K, DELTA_ACTION_MODIFY, "vm.a", "10")}),
    // Different value.
    node("n4", {item(K, DELTA_ACTION_MODIFY, "vm.a", "20"),
                item(K, DELTA_ACTION_ADD, "vm.other", "1")}),
    // Sets what n1 removes; different action on vm.c.
    node("n3", {item(M, DELTA_ACTION_MODIFY, "/scratch", "{\"x\":1}"),
                item(K, DELTA_ACTION_MODIFY, "vm.c", "3")}),
  };
  auto plan = plan_promote(overlay(), n1, others);
  REQUIRE(plan.conflicts.size() == 3);
  const auto& c0 = plan.conflicts[0];
  CHECK(c0.category == M);
  CHECK(c0.key == "/scratch");
  CHECK(c0.node_value.empty());
  CHECK(c0.node_action == DELTA_ACTION_REMOVE);
  CHECK(c0.other_node == "n3");
  CHECK(c0.other_value == "{\"x\":1}");
  CHECK(c0.other_action == DELTA_ACTION_MODIFY);
  CHECK(plan.conflicts[1].key == "vm.a");
  CHECK(plan.conflicts[1].other_node == "n4");
  CHECK(plan.conflicts[1].node_value == "10");
  CHECK(plan.conflicts[1].other_value == "20");
  CHECK(plan.conflicts[2].key == "vm.c");
  CHECK(plan.conflicts[2].other_node == "n3");
  CHECK(plan.conflicts[2].node_action == DELTA_ACTION_ADD);
  CHECK(plan.conflicts[2].other_action == DELTA_ACTION_MODIFY);
}

TEST_CASE("unpromoted lists what the overlay does not reflect yet") {
  auto n1 = node("n1", {item(K, DELTA_ACTION_MODIFY, "vm.a", "10"),
                        item(K, DELTA_ACTION_MODIFY, "vm.b", "2"),
                        item(K, DELTA_ACTION_ADD, "vm.c", "3"),
                        item(M, DELTA_ACTION_REMOVE, "/scratch"),
                        item(K, DELTA_ACTION_REMOVE, "vm.gone")});
  auto left = unpromoted(overlay(), n1);
  REQUIRE(left.size() == 3);
  CHECK(left[0].key() == "/scratch");
  CHECK(left[1].key() == "vm.a");
  CHECK(left[2].key() == "vm.c");
  // After promotion, nothing is left.
  auto plan = plan_promote(overlay(), n1, {});
  CHECK(unpromoted(plan.overlay, n1).empty());
  CHECK(plan_promote(plan.overlay, n1, {}).changes.items().empty());
}

TEST_CASE("parse_policy_text accepts three forms with the same result") {
  const char* keys = "enforcement_mode = \"enforce\"\n"
                     "two_person_approval = true\n"
                     "exec_whitelist = [\"ls\"]\n";
  auto top = parse_policy_text(keys, "p.toml", "ml");
  auto table = parse_policy_text(std::string("[policy]\n") + keys, "p.toml",
                                 "ml");
  auto scoped = parse_policy_text(std::string("[vcluster.ml.policy]\n") + keys,
                                  "p.toml", "ml");
  for (auto* r : {&top, &table, &scoped}) {
    if (!*r)
      FAIL_CHECK(r->err().message);
    REQUIRE(r->has_value());
  }
  CHECK((*top).enforcement_mode() == ENFORCEMENT_MODE_ENFORCE);
  CHECK((*top).two_person_approval());
  CHECK((*top).base_commit_window_seconds() == 900);
  CHECK(deterministic_bytes(*top) == deterministic_bytes(*table));
  CHECK(deterministic_bytes(*top) == deterministic_bytes(*scoped));
}

TEST_CASE("parse_policy_text errors name file, line and key") {
  auto err = [](const std::string& text) {
    auto r = parse_policy_text(text, "p.toml", "ml");
    REQUIRE_FALSE(r.has_value());
    return r.err().message;
  };
  CHECK(err("[vcluster.gpu.policy]\nregulated = true\n")
        == "p.toml:1: key 'vcluster.gpu': the file is for vCluster \"gpu\", "
           "not \"ml\"");
  CHECK(err("regulated = true\nwindow = 3\n")
        == "p.toml:2: unknown key 'window' (allowed: drift_sensitivity, "
           "base_commit_window_seconds, emergency_window_seconds, "
           "enforcement_mode, auto_converge_categories, "
           "require_ack_categories, regulated, two_person_approval, "
           "approval_timeout_seconds, emergency_allowed, ai_exec_allowed, "
           "ai_write_allowed, "
           "audit_retention_days, exec_whitelist, shell_whitelist, "
           "blacklist, read_only_commands)");
  CHECK(err("[policy]\nemergency_window_seconds = 59\n")
        == "p.toml:2: key 'policy.emergency_window_seconds': must be >= 60");
  CHECK(err("[policy]\nregulated = true\n[other]\n")
        == "p.toml:3: unknown key 'other' (allowed: policy)");
  CHECK(err("[vcluster.ml]\nbase_image = \"x\"\n")
        == "p.toml:2: unknown key 'vcluster.ml.base_image' (allowed: "
           "policy)");
  CHECK(err("[vcluster.ml.policy]\nenforcement_mode = \"never\"\n")
        == "p.toml:2: key 'vcluster.ml.policy.enforcement_mode': invalid "
           "value \"never\" (allowed: observe, warn, enforce)");
  CHECK(err("")
        == "p.toml:1: key 'policy': the file sets no policy (expected policy "
           "keys, a [policy] table or a [vcluster.ml.policy] table)");
  CHECK(err("regulated = \n").rfind("p.toml:1: ", 0) == 0);
  auto missing = parse_policy_file("/nonexistent/p.toml", "ml");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.err().message.rfind("/nonexistent/p.toml: cannot open", 0)
        == 0);
}
