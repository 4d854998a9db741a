// `pact status` rendering: the tree is indented by depth, columns align, and
// the JSON form carries every field (docs/cli.md documents it).

#include <doctest/doctest.h>

#include <sstream>

#include "runtime/render/status_render.hpp"

using namespace pact;

namespace {

protocol::HealthTree journal_tree() {
  protocol::HealthTree t;
  t.set_component("journal");
  t.set_node_id("1");
  t.set_version("0.1.0");
  t.set_taken_unix_ms(10'000);
  auto* root = t.add_actors();
  root->set_name("journal");
  root->set_kind("supervisor");
  root->set_state(protocol::ACTOR_STATE_RUNNING);
  root->set_last_activity_unix_ms(9'000);
  auto* gw = t.add_actors();
  gw->set_name("journal/gateway");
  gw->set_kind("gateway");
  gw->set_parent("journal");
  gw->set_state(protocol::ACTOR_STATE_DEGRADED);
  gw->set_restarts(2);
  gw->set_mailbox_depth(17);
  gw->set_detail("listening");
  gw->set_last_activity_unix_ms(4'000);
  return t;
}

} // namespace

TEST_CASE("text output indents children and aligns columns") {
  protocol::StatusReply reply;
  *reply.mutable_self() = journal_tree();
  auto text = render::render_status_text(reply, 10'000);
  std::istringstream in(text);
  std::string header, cols, root, gw;
  std::getline(in, header);
  std::getline(in, cols);
  std::getline(in, root);
  std::getline(in, gw);
  CHECK(header == "journal 1 (pact 0.1.0)");
  CHECK(cols.find("ACTOR") == 2);
  CHECK(root.find("journal ") == 2);
  CHECK(gw.find("journal/gateway") == 4);
  // Columns line up: KIND starts at the same offset on every row.
  CHECK(cols.find("KIND") == root.find("supervisor"));
  CHECK(cols.find("KIND") == gw.find(" gateway ") + 1);
  CHECK(gw.find("degraded") == cols.find("STATE"));
  CHECK(gw.find("6s ago") != std::string::npos);
  CHECK(text.find("no nodes have reported") != std::string::npos);
}

TEST_CASE("json output carries every field of every tree") {
  protocol::StatusReply reply;
  *reply.mutable_self() = journal_tree();
  auto* n = reply.add_nodes();
  n->set_last_seen_age_ms(1500);
  n->mutable_report()->set_node_id("node-042");
  n->mutable_report()->set_vcluster("ml");
  *n->mutable_report()->mutable_health() = journal_tree();
  auto j = render::render_status_json(reply);
  auto& gw = j["journal"]["actors"][1];
  CHECK(gw["name"] == "journal/gateway");
  CHECK(gw["parent"] == "journal");
  CHECK(gw["state"] == "degraded");
  CHECK(gw["restarts"] == 2);
  CHECK(gw["mailbox_depth"] == 17);
  CHECK(gw["last_activity_unix_ms"] == 4000);
  CHECK(j["nodes"][0]["node_id"] == "node-042");
  CHECK(j["nodes"][0]["last_seen_age_ms"] == 1500);
  CHECK(j["nodes"][0]["agent"]["actors"].size() == 2);
}

TEST_CASE("ages read naturally") {
  CHECK(render::age_text(0) == "0s ago");
  CHECK(render::age_text(-5) == "0s ago");
  CHECK(render::age_text(119'000) == "119s ago");
  CHECK(render::age_text(600'000) == "10m ago");
  CHECK(render::age_text(3 * 3600'000) == "3h ago");
}

TEST_CASE("the replica's raft state is shown in text and json") {
  protocol::StatusReply reply;
  *reply.mutable_self() = journal_tree();
  auto* r = reply.mutable_raft();
  r->set_node_id(2);
  r->set_role("follower");
  r->set_term(5);
  r->set_leader_id(1);
  r->set_commit_index(40);
  r->set_applied_index(39);
  r->add_voters(1);
  r->add_voters(2);
  r->add_voters(3);
  auto text = render::render_status_text(reply, 10'000);
  CHECK(text.find("  raft: follower, term 5, leader 1, commit 40, applied "
                  "39, voters 1 2 3\n")
        != std::string::npos);
  auto j = render::render_status_json(reply);
  CHECK(j["raft"]["role"] == "follower");
  CHECK(j["raft"]["leader_id"] == 1);
  CHECK(j["raft"]["voters"].size() == 3);
}
