// `pact watch` long polls at the replica actor (journal_fixture.hpp: the
// test coordinator; time is actor time and moves only when the test says):
// a single-voter replica holds a watch that has nothing new until an entry
// concerning it commits, answers it then with that entry, and answers a
// watch whose wait ends empty.

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "tests/unit/actors/journal/journal_fixture.hpp"

using namespace pact;
using namespace pact::protocol;
using pact::journal::test::journal_fixture;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

/// A command as the gateway proposes it: author set, no time (the leader
/// stamps it).
JournalCommand authored(CommandKind k) {
  JournalCommand c;
  c.set_kind(k);
  c.mutable_author()->set_principal("tester");
  c.mutable_author()->set_principal_type(PRINCIPAL_TYPE_HUMAN);
  return c;
}

JournalCommand overlay_apply(const std::string& vc) {
  auto c = authored(COMMAND_KIND_OVERLAY_APPLY);
  auto* spec = c.add_overlays();
  spec->set_vcluster(vc);
  auto* item = spec->add_items();
  item->set_category(DELTA_CATEGORY_KERNEL);
  item->set_key("vm.a");
  item->set_value("1");
  return c;
}

JournalCommand enroll(const std::string& node, const std::string& vc) {
  auto c = authored(COMMAND_KIND_NODE_ENROLL);
  c.mutable_scope()->set_node(node);
  c.set_vcluster(vc);
  return c;
}

JournalCommand node_commit(const std::string& node, const std::string& v) {
  auto c = authored(COMMAND_KIND_COMMIT);
  c.mutable_scope()->set_node(node);
  c.set_ttl_seconds(3600);
  auto* item = c.mutable_state_delta()->add_items();
  item->set_category(DELTA_CATEGORY_KERNEL);
  item->set_action(DELTA_ACTION_MODIFY);
  item->set_key("vm.swappiness");
  item->set_value(v);
  return c;
}

WatchRequest watch(uint64_t after, const std::string& vc, uint32_t wait_ms) {
  WatchRequest w;
  w.set_after_sequence(after);
  w.set_vcluster(vc);
  w.set_wait_ms(wait_ms);
  return w;
}

/// A watch sent to the replica with the request deadline `within`.
std::shared_ptr<journal::test::answer<std::string>>
send_watch(journal_fixture& f, const WatchRequest& req, seconds within) {
  return f.ask_within<std::string>(caf::duration{within}, f.replica(),
                                   watch_atom::value, req.SerializeAsString());
}

/// The reply to a sent watch, once time brought it; fails the test when
/// it is an error or does not come within 60 s of actor time.
WatchReply reply_of(journal_fixture& f,
                    const journal::test::answer<std::string>& a) {
  REQUIRE(f.until([&] { return a.done; }, seconds(60)));
  REQUIRE_MESSAGE(!a.err, caf::to_string(a.err));
  WatchReply reply;
  REQUIRE(reply.ParseFromString(std::get<0>(a.value)));
  return reply;
}

} // namespace

TEST_CASE("a held watch is answered with the entry once it commits") {
  journal_fixture f;
  REQUIRE(f.ok(overlay_apply("ml")) == 1);
  REQUIRE(f.ok(enroll("n1", "ml")) == 2);
  // Nothing after 2 yet: the replica holds the watch (up to 25 s; the
  // request gives up after 15 s, so an answer only at the deadline fails).
  auto started = f.now();
  auto held = send_watch(f, watch(2, "ml", 25000), seconds(15));
  // An entry that does not concern ml (n9 is enrolled nowhere) does not
  // answer it; n1's commit does.
  REQUIRE(f.ok(node_commit("n9", "10")) == 3);
  REQUIRE(f.ok(node_commit("n1", "20")) == 4);
  auto reply = reply_of(f, *held);
  CHECK(f.now() - started < seconds(15));
  REQUIRE(reply.entries_size() == 1);
  const auto& e = reply.entries(0);
  CHECK(e.sequence() == 4);
  CHECK(e.entry_type() == ENTRY_TYPE_COMMIT);
  CHECK(e.scope().node() == "n1");
  REQUIRE(e.state_delta().items_size() == 1);
  CHECK(e.state_delta().items(0).value() == "20");
  CHECK(e.timestamp_unix_ms() > 0); // the leader stamped it
  CHECK(e.hash().size() == 32);
  CHECK(reply.last_sequence() == 4);

  // An unfiltered watch held across a commit gets it as well.
  auto all = send_watch(f, watch(4, "", 25000), seconds(15));
  REQUIRE(f.ok(node_commit("n9", "30")) == 5);
  auto next = reply_of(f, *all);
  REQUIRE(next.entries_size() == 1);
  CHECK(next.entries(0).sequence() == 5);
  CHECK(next.entries(0).scope().node() == "n9");
}

TEST_CASE("entries already there answer a watch at once") {
  journal_fixture f;
  REQUIRE(f.ok(overlay_apply("ml")) == 1);
  REQUIRE(f.ok(node_commit("n1", "1")) == 2);
  auto sent = send_watch(f, watch(0, "", 25000), seconds(5));
  REQUIRE(sent->done); // at once: no time passed
  auto reply = reply_of(f, *sent);
  REQUIRE(reply.entries_size() == 2);
  CHECK(reply.entries(0).sequence() == 1);
  CHECK(reply.entries(0).entry_type() == ENTRY_TYPE_OVERLAY_APPLY);
  CHECK(reply.entries(1).sequence() == 2);
  CHECK(reply.last_sequence() == 2);
}

TEST_CASE("a watch with nothing new is answered empty after its wait") {
  journal_fixture f;
  REQUIRE(f.ok(overlay_apply("ml")) == 1);
  auto ask = [&](const WatchRequest& req, WatchReply& reply) {
    reply = reply_of(f, *send_watch(f, req, seconds(10)));
  };
  auto started = f.now();
  WatchReply reply;
  ask(watch(1, "ml", 300), reply);
  auto waited = f.now() - started;
  CHECK(reply.entries_size() == 0);
  CHECK(reply.last_sequence() == 1);
  CHECK(waited >= milliseconds(300)); // held for the wait ...
  CHECK(waited < seconds(5));         // ... and not much longer
  // Entries of other vClusters do not answer it either.
  REQUIRE(f.ok(overlay_apply("ai")) == 2);
  started = f.now();
  WatchReply other;
  ask(watch(1, "ml", 300), other);
  CHECK(other.entries_size() == 0);
  CHECK(other.last_sequence() == 2);
  CHECK(f.now() - started >= milliseconds(300));
  // No wait at all, or from_now: at once.
  WatchReply now;
  ask(watch(2, "", 0), now);
  CHECK(now.entries_size() == 0);
  CHECK(now.last_sequence() == 2);
  auto req = watch(0, "", 25000);
  req.set_from_now(true);
  started = f.now();
  WatchReply from_now;
  ask(req, from_now);
  CHECK(from_now.entries_size() == 0);
  CHECK(from_now.last_sequence() == 2);
  CHECK(f.now() - started < seconds(5));
}

TEST_CASE("a watch far behind is answered at once when the scan bound stops "
          "it, and the client's next polls carry on from there") {
  // A sparse vCluster resuming from long ago: without the bound the replica
  // would read every entry since on its Raft loop (issue 10 item 2).
  journal_fixture f(std::nullopt, {1}, [](journal::replica_config& rc) {
    rc.watch_scan_entries = 4;
  });
  REQUIRE(f.ok(overlay_apply("ml")) == 1);
  for (int i = 0; i < 9; ++i)
    REQUIRE(f.ok(node_commit("n9", std::to_string(i))) > 1); // not ml's
  REQUIRE(f.ok(enroll("n1", "ml")) == 11);
  uint64_t after = 1;
  std::vector<uint64_t> stops;
  WatchReply reply;
  do {
    auto sent = send_watch(f, watch(after, "ml", 25000), seconds(5));
    REQUIRE(sent->done); // at once: no time passed
    reply = reply_of(f, *sent);
    stops.push_back(reply.last_sequence());
    after = reply.last_sequence();
  } while (reply.entries_size() == 0);
  CHECK(stops == std::vector<uint64_t>{5, 9, 11});
  REQUIRE(reply.entries_size() == 1);
  CHECK(reply.entries(0).sequence() == 11);
}

TEST_CASE("a watch resuming past a replica's end is held, and is never sent "
          "what it already had once the replica applies it") {
  // The client printed up to 3 on another replica; this one (restarted,
  // catching up) has only 1. Without the guard the held watch's resume
  // point fell back to 1 and entries 2 and 3 came again (CI, stop 22).
  journal_fixture f;
  REQUIRE(f.ok(overlay_apply("ml")) == 1);
  auto held = send_watch(f, watch(3, "", 25000), seconds(15));
  REQUIRE_FALSE(held->done);
  REQUIRE(f.ok(node_commit("n1", "2")) == 2);
  REQUIRE(f.ok(node_commit("n1", "3")) == 3);
  REQUIRE(f.ok(node_commit("n1", "4")) == 4);
  auto reply = reply_of(f, *held);
  REQUIRE(reply.entries_size() == 1);
  CHECK(reply.entries(0).sequence() == 4);
  CHECK(reply.last_sequence() == 4);
  // Asked with nothing to wait for, it answers its resume point back, not
  // its own (lower) end.
  auto ahead = reply_of(f, *send_watch(f, watch(9, "", 0), seconds(5)));
  CHECK(ahead.entries_size() == 0);
  CHECK(ahead.last_sequence() == 9);
}
