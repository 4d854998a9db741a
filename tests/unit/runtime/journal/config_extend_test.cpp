// config_state_machine: COMMAND_KIND_EXTEND_WINDOW (`pact extend`), which
// opens or lengthens a node's commit window within the bounds of one
// extension (60 s .. 1 day) and of the governing policy's emergency window.

#include <doctest/doctest.h>

#include "tests/unit/runtime/journal/config_test_util.hpp"

using namespace pact::journal;
using namespace pact::journal::test;

namespace {

constexpr int64_t s_ms = 1000;

JournalCommand extend(const std::string& node, uint32_t seconds,
                      int64_t ts = t0_ms) {
  auto c = make_cmd(COMMAND_KIND_EXTEND_WINDOW, node_scope(node), ts);
  c.set_extend_seconds(seconds);
  return c;
}

/// A vCluster whose emergency window is `window_s`, with `node` enrolled.
void vcluster_with_window(harness& h, const std::string& vc,
                          const std::string& node, uint32_t window_s) {
  auto apply = overlay_apply(vc, {{"vm.a", "1"}});
  apply.mutable_overlays(0)->mutable_policy()->set_emergency_window_seconds(
    window_s);
  h.ok(apply);
  auto enroll = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope(node));
  enroll.set_vcluster(vc);
  h.ok(enroll);
}

} // namespace

TEST_CASE("extend opens a window from the command time when none is open") {
  harness h;
  vcluster_with_window(h, "ml", "n1", 14400);
  auto seq = h.ok(extend("n1", 600));
  CHECK(seq == 3);
  auto e = entry_at(h.sm, seq);
  CHECK(e.entry_type() == ENTRY_TYPE_WINDOW_EXTENDED);
  CHECK(e.scope().node() == "n1");
  CHECK(e.timestamp_unix_ms() == t0_ms);
  CHECK(e.author().principal() == "alice@site");
  CHECK(e.message() == "test");
  CHECK(e.window_ends_unix_ms() == t0_ms + 600 * s_ms);
  const auto* rec = h.sm.node("n1");
  REQUIRE(rec != nullptr);
  CHECK(rec->window_ends_unix_ms() == t0_ms + 600 * s_ms);
  CHECK(rec->state() == NODE_STATE_OBSERVE_ONLY);
  CHECK(rec->items_size() == 0); // the committed delta is untouched
}

TEST_CASE("extend lengthens an open window, and reopens a closed one") {
  harness h;
  h.ok(node_commit("n1", "vm.a", "1"));
  h.ok(extend("n1", 600, t0_ms));
  // One minute later the window (ending at t0 + 600 s) is still open: the
  // extension counts from its end, not from now.
  auto seq = h.ok(extend("n1", 300, t0_ms + 60 * s_ms));
  CHECK(entry_at(h.sm, seq).window_ends_unix_ms() == t0_ms + 900 * s_ms);
  CHECK(h.sm.node("n1")->window_ends_unix_ms() == t0_ms + 900 * s_ms);
  // After it closed, a new one starts from the command's time.
  int64_t later = t0_ms + 2000 * s_ms;
  seq = h.ok(extend("n1", 120, later));
  CHECK(entry_at(h.sm, seq).window_ends_unix_ms() == later + 120 * s_ms);
  CHECK(h.sm.node("n1")->window_ends_unix_ms() == later + 120 * s_ms);
  // The node's commit and state are kept.
  CHECK(h.sm.node("n1")->state() == NODE_STATE_COMMITTED);
  CHECK(h.sm.node("n1")->items_size() == 1);
  // Entries of the node chain through `parent`.
  CHECK(entry_at(h.sm, seq).parent() == seq - 1);
  // Another node's window is its own.
  h.ok(node_commit("n2", "vm.a", "1"));
  h.ok(extend("n2", 60, later));
  CHECK(h.sm.node("n2")->window_ends_unix_ms() == later + 60 * s_ms);
  CHECK(h.sm.node("n1")->window_ends_unix_ms() == later + 120 * s_ms);
}

TEST_CASE("extend_seconds must lie in 60 .. 86400") {
  harness h;
  for (uint32_t bad : {0u, 1u, 59u, 86401u, 1000000u}) {
    CAPTURE(bad);
    h.refused(extend("n1", bad), STATUS_CODE_INVALID_ARGUMENT,
              std::to_string(bad) + " s is outside 60 s .. 86400 s");
  }
  CHECK(h.sm.node("n1") == nullptr);
  h.ok(node_commit("n1", "vm.a", "1"));
  h.ok(extend("n1", 60));
  CHECK(h.sm.node("n1")->window_ends_unix_ms() == t0_ms + 60 * s_ms);
}

TEST_CASE("extend applies to nodes only") {
  harness h;
  h.ok(overlay_apply("ml", {{"vm.a", "1"}}));
  auto vc = make_cmd(COMMAND_KIND_EXTEND_WINDOW, vcluster_scope("ml"));
  vc.set_extend_seconds(600);
  h.refused(vc, STATUS_CODE_INVALID_ARGUMENT, "vCluster scope");
  auto g = make_cmd(COMMAND_KIND_EXTEND_WINDOW, global_scope());
  g.set_extend_seconds(600);
  h.refused(g, STATUS_CODE_INVALID_ARGUMENT, "global scope");
  h.refused(extend("-bad", 600), STATUS_CODE_INVALID_ARGUMENT,
            "invalid node name");
  auto none = make_cmd(COMMAND_KIND_EXTEND_WINDOW, Scope{});
  none.set_extend_seconds(600);
  h.refused(none, STATUS_CODE_INVALID_ARGUMENT, "no scope");
}

TEST_CASE("a window may not reach past the default emergency window") {
  harness h;
  // Unenrolled nodes (known by a commit): the default policy, 14400 s.
  h.ok(node_commit("n1", "vm.a", "1"));
  h.ok(node_commit("n2", "vm.a", "1"));
  h.ok(extend("n1", 14400));
  CHECK(h.sm.node("n1")->window_ends_unix_ms() == t0_ms + 14400 * s_ms);
  // Any more at the same moment would end 14460 s from now.
  h.refused(extend("n1", 60), STATUS_CODE_POLICY_REJECTED,
            "beyond the policy's emergency window of 14400 s");
  CHECK(h.sm.node("n1")->window_ends_unix_ms() == t0_ms + 14400 * s_ms);
  // An hour later there is room for an hour more.
  h.ok(extend("n1", 3600, t0_ms + 3600 * s_ms));
  CHECK(h.sm.node("n1")->window_ends_unix_ms() == t0_ms + 18000 * s_ms);
  // The single largest extension exceeds the default window outright.
  h.refused(extend("n2", 86400), STATUS_CODE_POLICY_REJECTED,
            "86400 s from now");
}

TEST_CASE("the governing policy is the one of the node's vCluster") {
  harness h;
  vcluster_with_window(h, "tight", "n1", 600);
  h.refused(extend("n1", 601), STATUS_CODE_POLICY_REJECTED,
            "emergency window of 600 s");
  h.ok(extend("n1", 600));
  h.refused(extend("n1", 60, t0_ms + 30 * s_ms), STATUS_CODE_POLICY_REJECTED,
            "emergency window of 600 s");
  // A vCluster with a day-long emergency window admits the largest single
  // extension.
  vcluster_with_window(h, "long", "n2", 86400);
  h.ok(extend("n2", 86400));
  CHECK(h.sm.node("n2")->window_ends_unix_ms() == t0_ms + 86400 * s_ms);
  // A node moved to the tight vCluster is bound by its window at once.
  auto move = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n2"));
  move.set_vcluster("tight");
  h.ok(move);
  h.refused(extend("n2", 60, t0_ms + 1000 * s_ms), STATUS_CODE_POLICY_REJECTED,
            "emergency window of 600 s");
}

TEST_CASE("extend is deterministic across replicas and survives a snapshot") {
  std::vector<JournalCommand> log;
  int64_t ts = t0_ms;
  log.push_back(overlay_apply("ml", {{"vm.a", "1"}}));
  auto enroll = make_cmd(COMMAND_KIND_NODE_ENROLL, node_scope("n1"));
  enroll.set_vcluster("ml");
  log.push_back(enroll);
  log.push_back(node_commit("n1", "vm.a", "2"));
  log.push_back(extend("n1", 600));
  log.push_back(extend("n1", 59));    // refused
  log.push_back(extend("n1", 86400)); // refused by the policy
  log.push_back(extend("n1", 1200));
  log.push_back(extend("n9", 60)); // refused: not known
  for (auto& c : log)
    c.set_timestamp_unix_ms(ts += 7000);
  harness a;
  harness b;
  for (const auto& c : log) {
    auto ra = a.run(c);
    auto rb = b.run(c);
    CHECK(deterministic_bytes(ra) == deterministic_bytes(rb));
  }
  REQUIRE(a.sm.last_sequence() == 5);
  CHECK(a.sm.node("n9") == nullptr);
  CHECK(a.sm.snapshot() == b.sm.snapshot());
  CHECK(a.sm.digest() == b.sm.digest());
  // 600 s from the 4th command, then 1200 s more (the window was open).
  CHECK(a.sm.node("n1")->window_ends_unix_ms()
        == t0_ms + 4 * 7000 + 600 * s_ms + 1200 * s_ms);
  config_state_machine c;
  REQUIRE(c.restore(a.sm.snapshot()));
  CHECK(c.node("n1")->window_ends_unix_ms()
        == a.sm.node("n1")->window_ends_unix_ms());
  CHECK(entry_at(c, 5).window_ends_unix_ms()
        == entry_at(a.sm, 5).window_ends_unix_ms());
  CHECK(c.digest() == a.sm.digest());
  // The restored machine continues exactly like the original.
  auto more = extend("n1", 60, ts + 1000);
  CHECK(deterministic_bytes(c.execute(more))
        == deterministic_bytes(a.sm.execute(more)));
  CHECK(c.snapshot() == a.sm.snapshot());
}

TEST_CASE("extend refuses a node the journal does not know, and records "
          "nothing") {
  // It made up a node record for a typo (tester, issue 11).
  harness h;
  h.refused(extend("nosuch", 600), STATUS_CODE_INVALID_ARGUMENT,
            "extend: node 'nosuch' is not known to this journal");
  CHECK(h.sm.node("nosuch") == nullptr);
  CHECK(h.sm.last_sequence() == 0);
}
