// `pact watch` long polls at the replica actor: a single-voter replica
// holds a watch that has nothing new until an entry concerning it commits,
// answers it then with that entry, and answers a watch whose wait ends
// empty.

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/journal/replica.hpp"
#include "actors/supervision/health_registry.hpp"
#include "actors/supervision/supervisor.hpp"
#include "protocol/caf_types.hpp"
#include <pact/protocol/api.pb.h>

using namespace pact;
using namespace pact::protocol;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

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

/// Polls for up to 30 s (generous: CI runs other suites in parallel).
template <class Pred>
bool eventually(Pred p) {
  for (int i = 0; i < 1200; ++i) {
    if (p())
      return true;
    std::this_thread::sleep_for(milliseconds(25));
  }
  return false;
}

/// A single-voter replica under its supervisor, elected leader.
struct replica_fixture {
  std::string dir;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor registry;
  caf::actor sup;

  replica_fixture() {
    char tmpl[] = "/tmp/pact-watch-XXXXXX";
    dir = mkdtemp(tmpl);
    protocol::configure(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    auto wall = std::make_shared<system_clock>();
    registry = supervision::spawn_health_registry(*sys, {"t", "1", "0"}, wall);
    journal::replica_config rc;
    rc.node_id = 1;
    rc.listen
        = {"127.0.0.1", std::make_shared<std::atomic<uint16_t>>(0), nullptr};
    rc.data_dir = dir;
    rc.bootstrap.voters = {1};
    rc.tick = milliseconds(10);
    rc.metrics = std::make_shared<journal::raft_metrics>("1");
    rc.wall = wall;
    supervision::child_spec child{
        "journal/replica", "raft-replica",
        [rc](caf::event_based_actor* s, const supervision::health_handle& h) {
          return journal::spawn_replica(s, h, rc);
        }};
    sup = sys->spawn(
        supervision::supervisor,
        supervision::supervisor_spec{{registry, "journal"}, {child}, {}});
    caf::scoped_actor self{*sys};
    REQUIRE(eventually([&] {
      auto r = replica();
      if (!r)
        return false;
      RaftStatus s;
      self->request(r, seconds(5), raft_status_atom::value)
          .receive([&](const std::string& b) { s.ParseFromString(b); },
                   [&](caf::error&) {});
      return s.role() == "leader";
    }));
  }

  ~replica_fixture() {
    {
      caf::scoped_actor self{*sys};
      self->send_exit(sup, caf::exit_reason::user_shutdown);
      self->send_exit(registry, caf::exit_reason::user_shutdown);
    }
    // No handle may outlive the system.
    sup = nullptr;
    registry = nullptr;
    sys.reset();
    std::system(("rm -rf '" + dir + "'").c_str());
  }

  caf::actor replica() {
    return caf::actor_cast<caf::actor>(
        sys->registry().get(journal::replica_name));
  }

  /// Proposes `c`; returns its result.
  CommandResult propose(const JournalCommand& c) {
    caf::scoped_actor self{*sys};
    CommandResult out;
    self->request(replica(), seconds(10), propose_atom::value,
                  c.SerializeAsString())
        .receive(
            [&](uint64_t, const std::string& bytes) {
              REQUIRE(out.ParseFromString(bytes));
            },
            [&](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }

  uint64_t ok(const JournalCommand& c) {
    auto r = propose(c);
    INFO(r.status().message());
    REQUIRE(r.status().code() == STATUS_CODE_OK);
    REQUIRE(r.sequences_size() >= 1);
    return r.sequences(r.sequences_size() - 1);
  }
};

} // namespace

TEST_CASE("a held watch is answered with the entry once it commits") {
  replica_fixture f;
  REQUIRE(f.ok(overlay_apply("ml")) == 1);
  REQUIRE(f.ok(enroll("n1", "ml")) == 2);
  // Nothing after 2 yet: the replica holds the watch (up to 25 s; the
  // request gives up after 15 s, so an answer only at the deadline fails).
  caf::scoped_actor watcher{*f.sys};
  auto started = steady_clock::now();
  auto held = watcher->request(f.replica(), seconds(15), watch_atom::value,
                               watch(2, "ml", 25000).SerializeAsString());
  // An entry that does not concern ml (n9 is enrolled nowhere) does not
  // answer it; n1's commit does.
  REQUIRE(f.ok(node_commit("n9", "10")) == 3);
  REQUIRE(f.ok(node_commit("n1", "20")) == 4);
  WatchReply reply;
  held.receive(
      [&](const std::string& bytes) { REQUIRE(reply.ParseFromString(bytes)); },
      [&](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(steady_clock::now() - started < seconds(15));
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
  auto all = watcher->request(f.replica(), seconds(15), watch_atom::value,
                              watch(4, "", 25000).SerializeAsString());
  REQUIRE(f.ok(node_commit("n9", "30")) == 5);
  WatchReply next;
  all.receive(
      [&](const std::string& bytes) { REQUIRE(next.ParseFromString(bytes)); },
      [&](caf::error& err) { FAIL(caf::to_string(err)); });
  REQUIRE(next.entries_size() == 1);
  CHECK(next.entries(0).sequence() == 5);
  CHECK(next.entries(0).scope().node() == "n9");
}

TEST_CASE("entries already there answer a watch at once") {
  replica_fixture f;
  REQUIRE(f.ok(overlay_apply("ml")) == 1);
  REQUIRE(f.ok(node_commit("n1", "1")) == 2);
  caf::scoped_actor self{*f.sys};
  WatchReply reply;
  self->request(f.replica(), seconds(5), watch_atom::value,
                watch(0, "", 25000).SerializeAsString())
      .receive([&](const std::string& b) { REQUIRE(reply.ParseFromString(b)); },
               [&](caf::error& err) { FAIL(caf::to_string(err)); });
  REQUIRE(reply.entries_size() == 2);
  CHECK(reply.entries(0).sequence() == 1);
  CHECK(reply.entries(0).entry_type() == ENTRY_TYPE_OVERLAY_APPLY);
  CHECK(reply.entries(1).sequence() == 2);
  CHECK(reply.last_sequence() == 2);
}

TEST_CASE("a watch with nothing new is answered empty after its wait") {
  replica_fixture f;
  REQUIRE(f.ok(overlay_apply("ml")) == 1);
  caf::scoped_actor self{*f.sys};
  auto ask = [&](const WatchRequest& req, WatchReply& reply) {
    self->request(f.replica(), seconds(10), watch_atom::value,
                  req.SerializeAsString())
        .receive(
            [&](const std::string& b) { REQUIRE(reply.ParseFromString(b)); },
            [&](caf::error& err) { FAIL(caf::to_string(err)); });
  };
  auto started = steady_clock::now();
  WatchReply reply;
  ask(watch(1, "ml", 300), reply);
  auto waited = steady_clock::now() - started;
  CHECK(reply.entries_size() == 0);
  CHECK(reply.last_sequence() == 1);
  CHECK(waited >= milliseconds(300)); // held for the wait ...
  CHECK(waited < seconds(5));         // ... and not much longer
  // Entries of other vClusters do not answer it either.
  REQUIRE(f.ok(overlay_apply("ai")) == 2);
  started = steady_clock::now();
  WatchReply other;
  ask(watch(1, "ml", 300), other);
  CHECK(other.entries_size() == 0);
  CHECK(other.last_sequence() == 2);
  CHECK(steady_clock::now() - started >= milliseconds(300));
  // No wait at all, or from_now: at once.
  WatchReply now;
  ask(watch(2, "", 0), now);
  CHECK(now.entries_size() == 0);
  CHECK(now.last_sequence() == 2);
  auto req = watch(0, "", 25000);
  req.set_from_now(true);
  started = steady_clock::now();
  WatchReply from_now;
  ask(req, from_now);
  CHECK(from_now.entries_size() == 0);
  CHECK(from_now.last_sequence() == 2);
  CHECK(steady_clock::now() - started < seconds(5));
}
