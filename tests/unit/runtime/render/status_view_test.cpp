// `pact status` and pact_status share one view
// (runtime/render/status_view.hpp): only the node asked about, and the
// journal's declared view of it.

#include <doctest/doctest.h>

#include "runtime/render/status_view.hpp"

using namespace pact;

namespace {

render::status_view sample() {
  render::status_view v;
  v.node = "n1";
  v.vcluster = "ml";
  for (auto name : {"n1", "n2"}) {
    auto* n = v.reply.add_nodes();
    n->mutable_report()->set_node_id(name);
  }
  protocol::StateReply st;
  auto* rec = st.add_nodes();
  rec->set_node("n1");
  rec->set_vcluster("ml");
  auto* i = rec->add_items();
  i->set_category(protocol::DELTA_CATEGORY_KERNEL);
  i->set_key("vm.a");
  i->set_value("1");
  auto* o = st.add_overlays();
  o->set_vcluster("ml");
  o->set_version(3);
  o->set_checksum("0123456789abcdef");
  v.declared = st;
  return v;
}

} // namespace

TEST_CASE("only the node asked about is kept") {
  auto v = sample();
  render::keep_only_node(v.reply, "n1");
  REQUIRE(v.reply.nodes_size() == 1);
  CHECK(v.reply.nodes(0).report().node_id() == "n1");
  auto all = sample();
  render::keep_only_node(all.reply, "");
  CHECK(all.reply.nodes_size() == 2);
}

TEST_CASE("the declared view follows the health report") {
  auto v = sample();
  auto text = render::status_view_text(v, 0);
  CHECK(text.find("journal: node n1 ") != std::string::npos);
  CHECK(text.find("1 committed change\n") != std::string::npos);
  CHECK(text.find("vm.a = 1") != std::string::npos);
  CHECK(text.find("journal: vcluster ml overlay version 3, 0 declared items, "
                  "checksum 0123456789ab\n")
        != std::string::npos);
  auto j = render::status_view_json(v, 0);
  CHECK(j["declared"]["nodes"][0]["node"] == "n1");
  CHECK(j["declared"]["overlays"][0]["version"] == 3);
  CHECK(j["declared"]["overlays"][0]["items"] == 0);
  v.declared.reset();
  CHECK(render::status_view_text(v, 0).find("journal: node")
        == std::string::npos);
  CHECK_FALSE(render::status_view_json(v, 0).contains("declared"));
}

TEST_CASE("a node not enrolled shows the vCluster its agent asks for") {
  // Tester, issue 11: an unenrolled node whose agent runs with --vcluster ml
  // showed "vcluster -".
  auto v = sample();
  v.declared->mutable_nodes(0)->clear_vcluster();
  v.declared->mutable_nodes(0)->set_state(protocol::NODE_STATE_OBSERVE_ONLY);
  v.reply.mutable_nodes(0)->mutable_report()->set_vcluster("ml");
  CHECK(render::status_view_text(v, 0).find(
          "journal: node n1 observe-only, vcluster ml (not enrolled; its "
          "agent asks for it),")
        != std::string::npos);
  // No report either: "-".
  v.reply.mutable_nodes(0)->mutable_report()->clear_vcluster();
  CHECK(render::status_view_text(v, 0).find("observe-only, vcluster -,")
        != std::string::npos);
}
