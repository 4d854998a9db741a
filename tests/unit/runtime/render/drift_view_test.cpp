// `pact diff NODE` from the agent (runtime/render/drift_view.hpp): text
// blocks per item, the window line, notes, terminal-safe keys and JSON.

#include <doctest/doctest.h>

#include "runtime/render/drift_view.hpp"

using namespace pact;

namespace {

constexpr int64_t t0 = 1'700'000'000'000;

protocol::DriftReply sample() {
  protocol::DriftReply r;
  r.set_node("node-042");
  r.set_declared_state_known(true);
  r.set_magnitude(1.7320508);
  r.set_window_state(protocol::DRIFT_WINDOW_STATE_OPEN);
  r.set_window_opened_unix_ms(t0);
  r.set_window_ends_unix_ms(t0 + 300'000);
  auto* f = r.add_items();
  f->set_category(protocol::DELTA_CATEGORY_FILES);
  f->set_key("/etc/app.conf");
  f->set_declared_present(true);
  f->set_declared("a\n");
  f->set_actual_present(true);
  f->set_actual("b\n");
  f->set_unified_diff("--- declared/etc/app.conf\n+++ actual/etc/app.conf\n"
                      "@@ -1,1 +1,1 @@\n-a\n+b\n");
  f->set_restorable(true);
  f->set_since_unix_ms(t0);
  auto* k = r.add_items();
  k->set_category(protocol::DELTA_CATEGORY_KERNEL);
  k->set_key("vm.swappiness\x1b[2J");
  k->set_declared_present(true);
  k->set_declared("60");
  k->set_actual_present(true);
  k->set_actual("10");
  k->set_restorable(true);
  auto* big = r.add_items();
  big->set_category(protocol::DELTA_CATEGORY_FILES);
  big->set_key("/opt/blob");
  big->set_declared_present(true);
  big->set_declared("sha256:00ff");
  big->set_restorable(false);
  return r;
}

} // namespace

TEST_CASE("text: header with the window, one block per item") {
  auto text = render::drift_text(sample(), t0 + 65'000);
  CHECK(text
        == "node node-042: 3 drifted items, magnitude 1.73, commit window "
           "open until 2023-11-14T22:18:20Z (3m 55s left)\n"
           "\n"
           "files  /etc/app.conf  modified\n"
           "  declared: (2 bytes)\n"
           "  actual:   (2 bytes)\n"
           "--- declared/etc/app.conf\n+++ actual/etc/app.conf\n"
           "@@ -1,1 +1,1 @@\n-a\n+b\n"
           "\n"
           "kernel  vm.swappiness\\x1b[2J  modified\n"
           "  declared: 60\n"
           "  actual:   10\n"
           "\n"
           "files  /opt/blob  missing\n"
           "  declared: sha256:00ff\n"
           "  actual:   (absent)\n"
           "  (only a hash of the declared content is known: rollback cannot "
           "restore it)\n");
}

TEST_CASE("text: no drift, notes on baseline-only and hash scans") {
  protocol::DriftReply r;
  r.set_node("n1");
  r.add_scan_fallback_paths("/srv");
  CHECK(render::drift_text(r, t0)
        == "node n1: no drift\n"
           "note: the agent has no declared state from the journal yet; "
           "drift is measured against its boot baseline\n"
           "note: inotify watch limit reached; periodic hash scans cover: "
           "/srv\n");
  auto expired = sample();
  expired.set_window_state(protocol::DRIFT_WINDOW_STATE_EXPIRED);
  CHECK(render::drift_text(expired, t0)
          .find("commit window expired: drift flagged for review")
        != std::string::npos);
}

TEST_CASE("a degraded watcher is said: never a bare \"no drift\"") {
  // Issue 11, a tester's finding (F6): with the agent's --root gone, `pact
  // diff` printed "no drift" (exit 0); only `pact status NODE` said the
  // watcher was degraded.
  protocol::DriftReply r;
  r.set_node("n1");
  r.set_declared_state_known(true);
  r.set_watcher_problem("the root /srv/root\x1b[2J is gone");
  auto text = render::drift_text(r, t0);
  CHECK(text
        == "node n1: no drift seen, but drift detection is degraded: the "
           "root /srv/root\\x1b[2J is gone\n");
  auto with_items = sample();
  with_items.set_watcher_problem("inotify could not start");
  CHECK(render::drift_text(with_items, t0 + 65'000)
          .find("warning: drift detection is degraded (inotify could not "
                "start): the list may be incomplete\n")
        != std::string::npos);
  CHECK(render::drift_json(r)["watcher_problem"]
        == "the root /srv/root\x1b[2J is gone");
  CHECK(render::drift_json(sample())["watcher_problem"].is_null());
}

TEST_CASE("json: exact values, absent ones null") {
  auto j = render::drift_json(sample());
  CHECK(j["node"] == "node-042");
  CHECK(j["window"]["state"] == "open");
  CHECK(j["window"]["ends"] == "2023-11-14T22:18:20Z");
  REQUIRE(j["items"].size() == 3);
  CHECK(j["items"][0]["dimension"] == "files");
  CHECK(j["items"][0]["change"] == "modified");
  CHECK(j["items"][0]["actual"] == "b\n");
  CHECK(j["items"][1]["key"] == "vm.swappiness\x1b[2J"); // exact in JSON
  CHECK(j["items"][1]["unified_diff"].is_null());
  CHECK(j["items"][2]["actual"].is_null());
  CHECK(j["items"][2]["restorable"] == false);
  CHECK(j["items"][2]["since"].is_null());
}

TEST_CASE("a file that is not UTF-8 shows the size of its bytes") {
  // Tester, issue 11: the size shown was the length of the UTF-8-safe
  // text the agent sends, where each such byte is four (\xNN).
  protocol::DriftReply r;
  r.set_node("n1");
  auto* f = r.add_items();
  f->set_category(protocol::DELTA_CATEGORY_FILES);
  f->set_key("/etc/bin");
  f->set_declared_present(true);
  f->set_declared("\\xff\\xfe\n"); // the bytes ff fe 0a
  f->set_declared_bytes(3);
  f->set_actual_present(true);
  f->set_actual("\\xff\n");
  f->set_actual_bytes(2);
  auto text = render::drift_text(r, t0);
  CHECK(text.find("  declared: (3 bytes)\n  actual:   (2 bytes)\n")
        != std::string::npos);
  auto j = render::drift_json(r);
  CHECK(j["items"][0]["declared_bytes"] == 3);
  CHECK(j["items"][0]["actual_bytes"] == 2);
  // An agent that sends no sizes: its text is the bytes (UTF-8 content).
  f->clear_declared_bytes();
  CHECK(render::drift_text(r, t0).find("  declared: (9 bytes)")
        != std::string::npos);
  CHECK(render::drift_json(r)["items"][0]["declared_bytes"].is_null());
}

TEST_CASE("rollback of a node: one line per restored item, keys escaped") {
  // Tester, issue 11: a file name holding a newline printed raw made a
  // line of its own in `pact rollback`'s output.
  protocol::NodeRollbackReply r;
  r.mutable_command()->mutable_result()->add_sequences(42);
  auto* f = r.add_restored();
  f->set_category(protocol::DELTA_CATEGORY_FILES);
  f->set_key("/etc/evil\n  applied  files /etc/passwd");
  f->set_outcome("applied");
  auto* k = r.add_restored();
  k->set_category(protocol::DELTA_CATEGORY_KERNEL);
  k->set_key("vm.swappiness");
  k->set_outcome("failed");
  k->set_detail("cannot write\nfake line");
  protocol::Scope node;
  node.set_node("n1");
  auto text = render::restored_text(r, node, 7);
  CHECK(text
        == "rolled node:n1 back to entry 7 as entry 42\n"
           "  applied  files /etc/evil\\n  applied  files /etc/passwd\n"
           "  failed  kernel vm.swappiness (cannot write\\nfake line)\n");
  auto j = render::restored_json(r, node, 7);
  CHECK(j["sequence"] == 42);
  CHECK(j["unchanged"] == false);
  CHECK(j["restored"][0]["key"] == "/etc/evil\n  applied  files /etc/passwd");
  // Nothing to record, nothing to restore.
  protocol::NodeRollbackReply same;
  CHECK(render::restored_text(same, node, 7)
        == "node:n1 already declares its state after entry 7\n"
           "the node already held that state\n");
}
