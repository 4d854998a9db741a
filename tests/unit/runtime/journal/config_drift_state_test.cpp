// config_state_machine: a node's state follows its drift (issue 11 item 4):
// drift detected -> drifted (the agent's window deadline kept, items
// counted), window expired -> flagged, auto converge -> converging, drift
// resolved -> back to the state before the drift.

#include <doctest/doctest.h>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

JournalCommand drift(const std::string& node, int items, int64_t ends,
                     int64_t ts = t0_ms) {
  auto c = make_cmd(COMMAND_KIND_DRIFT_DETECTED, node_scope(node), ts);
  for (int i = 0; i < items; ++i)
    *c.mutable_state_delta()->add_items()
      = make_item(DELTA_CATEGORY_FILES, DELTA_ACTION_MODIFY,
                  "/etc/f" + std::to_string(i), "x");
  c.set_window_ends_unix_ms(ends);
  return c;
}

JournalCommand record(const std::string& node, EntryType type,
                      int64_t ts = t0_ms) {
  auto c = make_cmd(COMMAND_KIND_RECORD, node_scope(node), ts);
  c.set_record_type(type);
  return c;
}

const NodeRecord& rec_of(const harness& h, const std::string& node) {
  const auto* r = h.sm.node(node);
  REQUIRE(r != nullptr);
  return *r;
}

} // namespace

TEST_CASE("drift keeps the agent's window; an extension lengthens it") {
  harness h;
  h.ok(drift("n1", 2, t0_ms + 60'000));
  const auto& r = rec_of(h, "n1");
  CHECK(r.state() == NODE_STATE_DRIFTED);
  CHECK(r.state_before_drift() == NODE_STATE_OBSERVE_ONLY);
  CHECK(r.drift_items() == 2);
  CHECK(r.window_ends_unix_ms() == t0_ms + 60'000);
  // A later episode record of the same drift adds its items; an earlier
  // deadline does not shorten the window.
  h.ok(drift("n1", 1, t0_ms + 30'000, t0_ms + 1));
  CHECK(rec_of(h, "n1").drift_items() == 3);
  CHECK(rec_of(h, "n1").window_ends_unix_ms() == t0_ms + 60'000);
  // `pact extend` counts from the agent's deadline.
  auto ext = make_cmd(COMMAND_KIND_EXTEND_WINDOW, node_scope("n1"), t0_ms + 2);
  ext.set_extend_seconds(900);
  h.ok(ext);
  CHECK(rec_of(h, "n1").window_ends_unix_ms() == t0_ms + 960'000);
}

TEST_CASE("expiry flags, converge, resolution returns the earlier state") {
  harness h;
  h.ok(node_commit("n1", "vm.a", "1"));
  h.ok(drift("n1", 1, t0_ms + 60'000));
  CHECK(rec_of(h, "n1").state_before_drift() == NODE_STATE_COMMITTED);
  auto seq = h.ok(record("n1", ENTRY_TYPE_WINDOW_EXPIRED, t0_ms + 60'000));
  CHECK(entry_at(h.sm, seq).entry_type() == ENTRY_TYPE_WINDOW_EXPIRED);
  CHECK(rec_of(h, "n1").state() == NODE_STATE_DRIFTED);
  CHECK(rec_of(h, "n1").window_expired_unix_ms() == t0_ms + 60'000);
  h.ok(make_cmd(COMMAND_KIND_AUTO_CONVERGE, node_scope("n1"), t0_ms + 60'001));
  CHECK(rec_of(h, "n1").state() == NODE_STATE_CONVERGING);
  // Still the state before the drift, not "drifted".
  CHECK(rec_of(h, "n1").state_before_drift() == NODE_STATE_COMMITTED);
  seq = h.ok(record("n1", ENTRY_TYPE_DRIFT_RESOLVED, t0_ms + 60'002));
  CHECK(entry_at(h.sm, seq).entry_type() == ENTRY_TYPE_DRIFT_RESOLVED);
  const auto& r = rec_of(h, "n1");
  CHECK(r.state() == NODE_STATE_COMMITTED);
  CHECK(r.drift_items() == 0);
  CHECK(r.window_expired_unix_ms() == 0);
  CHECK(r.state_before_drift() == NODE_STATE_UNSPECIFIED);
  CHECK(r.items_size() == 1); // the committed delta is untouched
}

TEST_CASE("the window's deadline ends with its episode: no carry-over") {
  // Tester, issue 11: an extension of one episode's window applied to the
  // next episode's (the record kept the later deadline).
  harness h;
  h.ok(drift("n1", 1, t0_ms + 60'000));
  auto ext = make_cmd(COMMAND_KIND_EXTEND_WINDOW, node_scope("n1"), t0_ms + 1);
  ext.set_extend_seconds(3600);
  h.ok(ext);
  REQUIRE(rec_of(h, "n1").window_ends_unix_ms() == t0_ms + 3'660'000);
  h.ok(record("n1", ENTRY_TYPE_DRIFT_RESOLVED, t0_ms + 2));
  CHECK(rec_of(h, "n1").window_ends_unix_ms() == 0);
  // The next episode's window is the agent's, and an extension counts
  // from it.
  h.ok(drift("n1", 1, t0_ms + 660'000, t0_ms + 600'000));
  CHECK(rec_of(h, "n1").window_ends_unix_ms() == t0_ms + 660'000);
  ext.set_timestamp_unix_ms(t0_ms + 600'001);
  ext.set_extend_seconds(900);
  h.ok(ext);
  CHECK(rec_of(h, "n1").window_ends_unix_ms() == t0_ms + 1'560'000);
}

TEST_CASE("a resolution after a commit keeps committed; nothing to resolve "
          "appends nothing") {
  harness h;
  h.ok(drift("n1", 1, t0_ms + 60'000));
  h.ok(node_commit("n1", "/etc/f0", "x"));
  CHECK(rec_of(h, "n1").state() == NODE_STATE_COMMITTED);
  h.ok(record("n1", ENTRY_TYPE_DRIFT_RESOLVED));
  CHECK(rec_of(h, "n1").state() == NODE_STATE_COMMITTED);
  CHECK(rec_of(h, "n1").drift_items() == 0);
  auto before = h.sm.last_sequence();
  auto r = h.run(record("n1", ENTRY_TYPE_DRIFT_RESOLVED));
  CHECK(r.status().code() == STATUS_CODE_OK);
  CHECK(r.sequences_size() == 0);
  CHECK(r.unchanged_size() == 1);
  CHECK(h.sm.last_sequence() == before);
  // An unknown node has nothing to resolve either.
  CHECK(h.run(record("n7", ENTRY_TYPE_DRIFT_RESOLVED)).sequences_size() == 0);
  CHECK(h.sm.node("n7") == nullptr);
}

TEST_CASE("a convergence without recorded drift still resolves back") {
  harness h; // n1 is new: observe-only
  h.ok(make_cmd(COMMAND_KIND_AUTO_CONVERGE, node_scope("n1")));
  CHECK(rec_of(h, "n1").state() == NODE_STATE_CONVERGING);
  CHECK(rec_of(h, "n1").state_before_drift() == NODE_STATE_OBSERVE_ONLY);
  h.ok(record("n1", ENTRY_TYPE_DRIFT_RESOLVED));
  CHECK(rec_of(h, "n1").state() == NODE_STATE_OBSERVE_ONLY);
}

TEST_CASE("a changed declaration put in place leaves the node's state as "
          "it is") {
  // Issue 11, a tester's finding (F5): the agent's put-back of a dropped
  // declaration set a drifting node to "converging" until its window
  // expired; it is the operator's change taking effect, not convergence.
  harness h;
  h.ok(drift("n1", 1, t0_ms + 60'000));
  auto put = make_cmd(COMMAND_KIND_AUTO_CONVERGE, node_scope("n1"), t0_ms + 1);
  put.set_declared_change(true);
  auto seq = h.ok(put);
  CHECK(entry_at(h.sm, seq).entry_type() == ENTRY_TYPE_AUTO_CONVERGE);
  CHECK(rec_of(h, "n1").state() == NODE_STATE_DRIFTED);
  CHECK(rec_of(h, "n1").drift_items() == 1);
  // A node with no drift stays where it was too.
  h.ok(node_commit("n2", "vm.a", "1"));
  put.mutable_scope()->set_node("n2");
  h.ok(put);
  CHECK(rec_of(h, "n2").state() == NODE_STATE_COMMITTED);
  // The window's convergence still converges.
  h.ok(make_cmd(COMMAND_KIND_AUTO_CONVERGE, node_scope("n1"), t0_ms + 2));
  CHECK(rec_of(h, "n1").state() == NODE_STATE_CONVERGING);
}

TEST_CASE("drift during an emergency is remembered for after it") {
  harness h;
  h.ok(node_commit("n1", "vm.a", "1"));
  auto start = make_cmd(COMMAND_KIND_EMERGENCY_START, node_scope("n1"));
  start.set_emergency_reason("ecc");
  h.ok(start);
  h.ok(drift("n1", 1, 0));
  CHECK(rec_of(h, "n1").state() == NODE_STATE_EMERGENCY);
  CHECK(rec_of(h, "n1").state_before_emergency() == NODE_STATE_DRIFTED);
  CHECK(rec_of(h, "n1").state_before_drift() == NODE_STATE_COMMITTED);
  h.ok(record("n1", ENTRY_TYPE_DRIFT_RESOLVED));
  CHECK(rec_of(h, "n1").state() == NODE_STATE_EMERGENCY);
  CHECK(rec_of(h, "n1").state_before_emergency() == NODE_STATE_COMMITTED);
}

TEST_CASE("window fields and drift records are refused where they do not "
          "belong") {
  harness h;
  auto commit = node_commit("n1", "vm.a", "1");
  commit.set_window_ends_unix_ms(t0_ms);
  h.refused(commit, STATUS_CODE_INVALID_ARGUMENT,
            "belongs only to a drift-detected command");
  h.refused(drift("n1", 1, -1), STATUS_CODE_INVALID_ARGUMENT,
            "is not negative");
  for (auto t : {ENTRY_TYPE_WINDOW_EXPIRED, ENTRY_TYPE_DRIFT_RESOLVED}) {
    auto c = make_cmd(COMMAND_KIND_RECORD, vcluster_scope("ml"));
    c.set_record_type(t);
    h.refused(c, STATUS_CODE_INVALID_ARGUMENT, "belong to a node");
  }
  // Validation comes before any change, for every record type.
  h.ok(drift("n1", 1, t0_ms + 60'000));
  auto bad = record("n1", ENTRY_TYPE_DRIFT_RESOLVED);
  bad.set_agent_endpoint("http://x:1");
  h.refused(bad, STATUS_CODE_INVALID_ARGUMENT, "agent endpoint");
}
