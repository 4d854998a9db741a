// The journal's node view in `pact status` (runtime/render/node_view.hpp):
// the commit window, committed deltas' expiry, the --vcluster table and the
// heterogeneity warning.

#include <doctest/doctest.h>

#include "runtime/render/node_view.hpp"
#include "runtime/render/status_view.hpp"

using namespace pact;
using namespace pact::render;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;

protocol::DeltaItem
kernel(const std::string& key, const std::string& value,
       protocol::DeltaAction a = protocol::DELTA_ACTION_ADD) {
  protocol::DeltaItem i;
  i.set_category(protocol::DELTA_CATEGORY_KERNEL);
  i.set_key(key);
  i.set_action(a);
  if (a != protocol::DELTA_ACTION_REMOVE)
    i.set_value(value);
  return i;
}

protocol::NodeRecord node(const std::string& name,
                          std::vector<protocol::DeltaItem> items = {},
                          int64_t expires = 0) {
  protocol::NodeRecord n;
  n.set_node(name);
  n.set_vcluster("ml");
  n.set_state(protocol::NODE_STATE_COMMITTED);
  for (auto& i : items)
    *n.add_items() = i;
  n.set_delta_expires_unix_ms(expires);
  return n;
}

protocol::StateReply vcluster() {
  protocol::StateReply st;
  auto* o = st.add_overlays();
  o->set_vcluster("ml");
  *o->add_items() = kernel("vm.swappiness", "60");
  *st.add_nodes() = node("n1", {kernel("vm.swappiness", "10")}, t0 + 3600'000);
  *st.add_nodes() = node("n2", {kernel("vm.swappiness", "60")});
  *st.add_nodes() = node("n3", {kernel("vm.swappiness", "10")}, t0 - 1);
  auto n4 = node("n4",
                 {kernel("vm.extra", "1"),
                  kernel("vm.swappiness", "", protocol::DELTA_ACTION_REMOVE)});
  n4.set_state(protocol::NODE_STATE_DRIFTED);
  n4.set_drift_items(2);
  n4.set_window_ends_unix_ms(t0 + 300'000);
  *st.add_nodes() = n4;
  return st;
}

} // namespace

TEST_CASE("the window: open, expired, ended, none") {
  auto n = node("n1");
  CHECK(window_text(n, t0) == "none open");
  n.set_window_ends_unix_ms(t0 + 720'000);
  CHECK(window_text(n, t0) == "open, ends in 12m (2023-11-14T22:25:20Z)");
  n.set_drift_items(1);
  CHECK(window_text(n, t0 + 780'000) == "ended 60s ago");
  n.set_window_expired_unix_ms(t0 + 720'000);
  CHECK(window_text(n, t0 + 900'000)
        == "expired 3m ago: drift flagged for review");
  // `pact extend` after the expiry: open again.
  n.set_window_ends_unix_ms(t0 + 2000'000);
  CHECK(window_text(n, t0 + 900'000).rfind("open, ends in 18m", 0) == 0);
}

TEST_CASE("committed deltas in force that differ from the overlay") {
  auto st = vcluster();
  std::vector<protocol::NodeRecord> nodes(st.nodes().begin(), st.nodes().end());
  auto keys = divergent_keys(st.overlays(0), nodes, t0);
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].key == "vm.extra");
  CHECK(keys[0].nodes == std::vector<std::string>{"n4"});
  // n2 matches the overlay, n3's delta expired; n4 removes the key.
  CHECK(keys[1].key == "vm.swappiness");
  CHECK(keys[1].nodes == std::vector<std::string>{"n1", "n4"});
  auto j = divergent_json(keys);
  CHECK(j[1]["category"] == "kernel");
  CHECK(j[1]["nodes"][1] == "n4");
  // n1's delta expired: only n4 (whose delta never expires) differs.
  auto later = divergent_keys(st.overlays(0), nodes, t0 + 3600'000 * 2);
  REQUIRE(later.size() == 2);
  CHECK(later[1].nodes == std::vector<std::string>{"n4"});
}

TEST_CASE("--vcluster lists nodes and warns, pointing at pact promote") {
  auto text = vcluster_nodes_text(vcluster(), "ml", t0);
  CHECK(text.find("journal: vcluster ml: 4 nodes\n") != std::string::npos);
  CHECK(text.find("NODE  STATE      DRIFTED  WINDOW") != std::string::npos);
  CHECK(text.find("n4    drifted    2        open, ends in 5m")
        != std::string::npos);
  CHECK(text.find("1 (expires in 60m)") != std::string::npos);
  CHECK(text.find("1 (expired 0s ago)") != std::string::npos);
  CHECK(text.find("warning: committed node deltas make vcluster ml "
                  "heterogeneous")
        != std::string::npos);
  CHECK(text.find("  kernel vm.swappiness: n1, n4\n") != std::string::npos);
  CHECK(text.find("`pact promote NODE`") != std::string::npos);
  // Nothing differs: no warning.
  auto st = vcluster();
  st.mutable_nodes()->DeleteSubrange(0, 4);
  *st.add_nodes() = node("n2", {kernel("vm.swappiness", "60")});
  CHECK(vcluster_nodes_text(st, "ml", t0).find("warning") == std::string::npos);
}

TEST_CASE("--vcluster lists a node that booted from the overlay without an "
          "enrollment, marked") {
  auto st = vcluster();
  auto n = node("n9");
  n.clear_vcluster();
  n.set_booted_vcluster("ml");
  n.set_state(protocol::NODE_STATE_OBSERVE_ONLY);
  *st.add_nodes() = n;
  auto other = node("n10");
  other.clear_vcluster();
  other.set_booted_vcluster("storage");
  *st.add_nodes() = other;
  auto text = vcluster_nodes_text(st, "ml", t0);
  CHECK(text.find("journal: vcluster ml: 5 nodes\n") != std::string::npos);
  CHECK(text.find("n9    observe-only (not enrolled)") != std::string::npos);
  CHECK(text.find("n10") == std::string::npos);
}

TEST_CASE("status NODE shows state, drift, delta expiry and window") {
  render::status_view v;
  v.node = "n4";
  v.declared = vcluster();
  auto text = status_view_text(v, t0);
  CHECK(text.find("journal: node n4 drifted, vcluster ml, 2 committed "
                  "changes, 2 drifted items\n")
        != std::string::npos);
  CHECK(text.find("journal: commit window open, ends in 5m")
        != std::string::npos);
  CHECK(text.find("journal: node n1") == std::string::npos);
  auto j = status_view_json(v, t0);
  CHECK(j["declared"]["nodes"][3]["commit_window"].get<std::string>().rfind(
          "open, ends in 5m", 0)
        == 0);
  CHECK(j["declared"]["nodes"][3]["drift_items"] == 2);
  CHECK(j["declared"]["overlays"][0]["heterogeneous"].size() == 2);
  v.node = "n1";
  CHECK(status_view_text(v, t0).find(
          "journal: node n1 committed, vcluster ml, 1 committed change "
          "(expire in 60m)\n")
        != std::string::npos);
}
