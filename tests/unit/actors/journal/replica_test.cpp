// The replica actor under its supervisor with a real actor system: a
// single-voter replica elects itself, commits proposals to LMDB, and after
// being killed is restarted by the supervisor from the same LMDB store with
// its state intact.

#include <doctest/doctest.h>

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

namespace {

/// The replica's status; empty when it does not answer (e.g. it is being
/// replaced at this moment), so that callers poll again.
protocol::RaftStatus status_of(caf::scoped_actor& self, caf::actor r) {
  protocol::RaftStatus s;
  self->request(r, std::chrono::seconds(5), protocol::raft_status_atom::value)
    .receive([&](const std::string& bytes) { s.ParseFromString(bytes); },
             [&](caf::error&) {});
  return s;
}

/// A node commit as the gateway would send it (author set, no time: the
/// leader stamps it).
std::string commit_command(int i) {
  protocol::JournalCommand c;
  c.set_kind(protocol::COMMAND_KIND_COMMIT);
  c.mutable_scope()->set_node("n" + std::to_string(i));
  c.mutable_author()->set_principal("tester");
  c.mutable_author()->set_principal_type(protocol::PRINCIPAL_TYPE_HUMAN);
  c.set_ttl_seconds(3600);
  auto* item = c.mutable_state_delta()->add_items();
  item->set_category(protocol::DELTA_CATEGORY_KERNEL);
  item->set_action(protocol::DELTA_ACTION_ADD);
  item->set_key("vm.swappiness");
  item->set_value(std::to_string(i));
  return c.SerializeAsString();
}

/// The newest ten entries, read linearizably.
protocol::JournalAnswer log_of(caf::scoped_actor& self, caf::actor r) {
  protocol::JournalQuery q;
  q.set_linearizable(true);
  q.mutable_log()->set_limit(10);
  protocol::JournalAnswer a;
  self
    ->request(r, std::chrono::seconds(5), protocol::query_atom::value,
              q.SerializeAsString())
    .receive([&](const std::string& bytes) { a.ParseFromString(bytes); },
             [&](caf::error& err) { FAIL(caf::to_string(err)); });
  return a;
}

caf::actor current(caf::actor_system& sys) {
  return caf::actor_cast<caf::actor>(
    sys.registry().get(journal::replica_name));
}

/// Polls for up to 30 s (generous: CI runs other suites in parallel).
template <class Pred>
bool eventually(Pred p) {
  for (int i = 0; i < 1200; ++i) {
    if (p())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

} // namespace

TEST_CASE("a killed replica actor is restarted from its LMDB store") {
  char tmpl[] = "/tmp/pact-replica-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  caf::actor_system_config cfg;
  protocol::configure(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  auto wall = std::make_shared<system_clock>();
  auto registry = supervision::spawn_health_registry(sys, {"t", "1", "0"},
                                                     wall);
  journal::replica_config rc;
  rc.node_id = 1;
  rc.listen = {"127.0.0.1", std::make_shared<std::atomic<uint16_t>>(0),
               nullptr};
  rc.data_dir = dir;
  rc.bootstrap.voters = {1};
  rc.tick = std::chrono::milliseconds(10);
  rc.metrics = std::make_shared<journal::raft_metrics>("1");
  rc.wall = wall;
  supervision::child_spec child{
    "journal/replica", "raft-replica",
    [rc](caf::event_based_actor* sup, const supervision::health_handle& h) {
      return journal::spawn_replica(sup, h, rc);
    }};
  auto sup = sys.spawn(supervision::supervisor,
                       supervision::supervisor_spec{{registry, "journal"},
                                                    {child}, {}});
  REQUIRE(eventually([&] {
    auto r = current(sys);
    return r && status_of(self, r).role() == "leader";
  }));
  auto first = current(sys);
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i)
    self
      ->request(first, std::chrono::seconds(5), protocol::propose_atom::value,
                commit_command(i))
      .receive(
        [&](uint64_t index, const std::string& result) {
          last = index;
          protocol::CommandResult r;
          REQUIRE(r.ParseFromString(result));
          CHECK(r.status().code() == protocol::STATUS_CODE_OK);
          REQUIRE(r.sequences_size() == 1);
          CHECK(r.sequences(0) == static_cast<uint64_t>(i + 1));
        },
        [&](caf::error& err) { FAIL(caf::to_string(err)); });
  auto before = status_of(self, first);
  auto head_before = log_of(self, first).log().entries(0).hash();
  REQUIRE(head_before.size() == 32);
  CHECK(before.applied_index() == last);
  self->send_exit(first, caf::exit_reason::kill);
  protocol::RaftStatus after;
  REQUIRE(eventually([&] {
    auto r = current(sys);
    if (!r || r == first)
      return false;
    after = status_of(self, r);
    return after.role() == "leader";
  }));
  CHECK(after.applied_index() >= last);
  CHECK(after.term() > before.term());
  // Every entry committed before the crash is there, through a
  // linearizable query, with the same hash chain head.
  auto a = log_of(self, current(sys));
  REQUIRE(a.log().entries_size() == 5);
  CHECK(a.log().entries(0).sequence() == 5);
  CHECK(a.log().entries(0).timestamp_unix_ms() > 0); // the leader stamped it
  CHECK(a.log().entries(0).hash() == head_before);
  self->send_exit(sup, caf::exit_reason::user_shutdown);
  self->send_exit(registry, caf::exit_reason::user_shutdown);
  std::system(("rm -rf '" + dir + "'").c_str());
}
