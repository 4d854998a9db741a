// `pact diff` and pact_diff share one view (runtime/render/diff_view.hpp).

#include <doctest/doctest.h>

#include "runtime/render/diff_view.hpp"

using namespace pact;

namespace {

protocol::DeltaItem
item(const std::string& key, const std::string& value,
     protocol::DeltaAction action = protocol::DELTA_ACTION_ADD) {
  protocol::DeltaItem i;
  i.set_category(protocol::DELTA_CATEGORY_KERNEL);
  i.set_key(key);
  i.set_value(value);
  i.set_action(action);
  return i;
}

/// Node n1 of vCluster ml: vm.a promoted into overlay v4, vm.b not.
render::node_diff sample() {
  render::node_diff d;
  d.node = "n1";
  d.record.set_node("n1");
  d.record.set_vcluster("ml");
  *d.record.add_items() = item("vm.a", "1");
  *d.record.add_items() = item("vm.b", "2");
  d.overlay.set_vcluster("ml");
  d.overlay.set_version(4);
  *d.overlay.add_items() = item("vm.a", "1");
  return d;
}

} // namespace

TEST_CASE("each committed change is marked promoted or not") {
  auto d = sample();
  auto text = render::node_diff_text(d);
  CHECK(text.rfind("node n1 (vcluster ml overlay v4, ", 0) == 0);
  CHECK(text.find("vm.a = 1  [in overlay]\n") != std::string::npos);
  CHECK(text.find("vm.b = 2  [committed]\n") != std::string::npos);
  auto j = render::node_diff_json(d);
  CHECK(j["node"] == "n1");
  CHECK(j["vcluster"] == "ml");
  CHECK(j["overlay_version"] == 4);
  CHECK(j["actual"].is_null());
  REQUIRE(j["committed"].size() == 2);
  CHECK(j["committed"][0]["promoted"] == true);
  CHECK(j["committed"][1]["promoted"] == false);
}

TEST_CASE("committed_only shows the changes awaiting promotion") {
  auto d = sample();
  d.committed_only = true;
  auto text = render::node_diff_text(d);
  CHECK(text.find("vm.a") == std::string::npos);
  CHECK(text.find("vm.b = 2  [committed]") != std::string::npos);
  CHECK(render::node_diff_json(d)["committed"].size() == 1);
  d.record.mutable_items()->DeleteSubrange(1, 1);
  CHECK(render::node_diff_text(d).find(
          "  no committed changes awaiting promotion\n")
        != std::string::npos);
}

TEST_CASE("a node without changes or vCluster") {
  render::node_diff d;
  d.node = "n2";
  d.record.set_node("n2");
  auto text = render::node_diff_text(d);
  CHECK(text.rfind("node n2 (no vcluster, ", 0) == 0);
  CHECK(text.find("  no differences from the overlay\n") != std::string::npos);
  CHECK(render::node_diff_json(d)["committed"].empty());
}

TEST_CASE("overlay_of finds the vCluster's overlay or an empty one") {
  protocol::StateReply st;
  auto* o = st.add_overlays();
  o->set_vcluster("ml");
  o->set_version(9);
  CHECK(render::overlay_of(st, "ml").version() == 9);
  auto none = render::overlay_of(st, "other");
  CHECK(none.vcluster() == "other");
  CHECK(none.version() == 0);
}

TEST_CASE("the table of every node counts unpromoted changes") {
  protocol::StateReply st;
  CHECK(render::diff_table_text(st, "ml")
        == "no nodes with journal records in vcluster ml\n");
  CHECK(render::diff_table_text(st, "") == "no nodes with journal records\n");
  auto d = sample();
  *st.add_nodes() = d.record;
  *st.add_overlays() = d.overlay;
  auto text = render::diff_table_text(st, "");
  CHECK(text.find("UNPROMOTED") != std::string::npos);
  auto j = render::diff_table_json(st);
  REQUIRE(j["nodes"].size() == 1);
  CHECK(j["nodes"][0]["committed"] == 2);
  CHECK(j["nodes"][0]["unpromoted"] == 1);
}
