// The replica actor under its supervisor (journal_fixture.hpp: the test
// coordinator, an in-memory store standing in for the disk): a
// single-voter replica elects itself, commits proposals to its store, and
// after being killed is restarted by the supervisor from the same store
// with its state intact.

#include <doctest/doctest.h>

#include "protocol/errors.hpp"
#include "tests/unit/actors/journal/journal_fixture.hpp"

using namespace pact;
using pact::journal::test::journal_fixture;

namespace {

/// A node commit as the gateway would send it (author set, no time: the
/// leader stamps it).
protocol::JournalCommand commit_command(int i) {
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
  return c;
}

/// The newest ten entries, read linearizably.
protocol::JournalAnswer log_of(journal_fixture& fx) {
  protocol::JournalQuery q;
  q.set_linearizable(true);
  q.mutable_log()->set_limit(10);
  return fx.query(q);
}

} // namespace

TEST_CASE("a killed replica actor is restarted from its store") {
  journal_fixture fx;
  auto first = fx.replica();
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) {
    auto [index, r] = fx.propose(commit_command(i));
    last = index;
    CHECK(r.status().code() == protocol::STATUS_CODE_OK);
    REQUIRE(r.sequences_size() == 1);
    CHECK(r.sequences(0) == static_cast<uint64_t>(i + 1));
  }
  auto before = fx.status();
  auto head_before = log_of(fx).log().entries(0).hash();
  REQUIRE(head_before.size() == 32);
  CHECK(before.applied_index() == last);
  fx.reopenable(fx.rc.listen.port->load());
  caf::anon_send_exit(first, caf::exit_reason::kill);
  protocol::RaftStatus after;
  REQUIRE(fx.until([&] {
    auto r = fx.replica();
    if (!r || r == first)
      return false;
    after = fx.status();
    return after.role() == "leader";
  }));
  CHECK(after.applied_index() >= last);
  CHECK(after.term() > before.term());
  // Every entry committed before the crash is there, through a
  // linearizable query, with the same hash chain head.
  auto a = log_of(fx);
  REQUIRE(a.log().entries_size() == 5);
  CHECK(a.log().entries(0).sequence() == 5);
  CHECK(a.log().entries(0).timestamp_unix_ms() > 0); // the leader stamped it
  CHECK(a.log().entries(0).hash() == head_before);
}

TEST_CASE("requests that find no leader wait leader_wait of actor time, "
          "then are refused as never proposed") {
  // Replica 2 never runs: replica 1 can never be elected.
  journal::test::journal_fixture fx{std::nullopt, {1, 2}};
  REQUIRE(fx.replica());
  protocol::JournalQuery q;
  q.set_linearizable(true);
  q.mutable_log()->set_limit(1);
  auto read = fx.ask<std::string>(fx.replica(), protocol::query_atom::value,
                                  q.SerializeAsString());
  auto write
    = fx.ask<uint64_t, std::string>(fx.replica(), protocol::propose_atom::value,
                                    commit_command(1).SerializeAsString());
  auto started = fx.now();
  // Held for the wait (4 s by default) ...
  fx.advance(fx.rc.leader_wait - std::chrono::milliseconds(100));
  CHECK_FALSE(read->done);
  CHECK_FALSE(write->done);
  // ... and refused within a tick or two of its end.
  REQUIRE(fx.until([&] { return read->done && write->done; },
                   std::chrono::seconds(1)));
  CHECK(fx.now() - started >= fx.rc.leader_wait);
  CHECK(fx.now() - started
        <= fx.rc.leader_wait + std::chrono::milliseconds(100));
  CHECK(protocol::reason_of(read->err) == protocol::ERROR_REASON_NO_LEADER);
  CHECK(protocol::reason_of(write->err) == protocol::ERROR_REASON_NO_LEADER);
  CHECK(protocol::message_of(write->err).find("was not proposed")
        != std::string::npos);
}

TEST_CASE("a burst of linearizable queries is answered, each after every "
          "write acknowledged before it") {
  journal_fixture fx;
  auto r = fx.replica();
  REQUIRE(r);
  // Queries sent together, with writes
  // between them: each query sees at least the writes before it.
  struct asked {
    std::shared_ptr<journal::test::answer<std::string>> a;
    int writes_before;
  };
  std::vector<asked> queries;
  int writes = 0;
  for (int i = 0; i < 40; ++i) {
    if (i % 10 == 0) {
      auto [index, res] = fx.propose(commit_command(writes));
      REQUIRE(res.status().code() == protocol::STATUS_CODE_OK);
      ++writes;
    }
    auto a = std::make_shared<journal::test::answer<std::string>>();
    protocol::JournalQuery q;
    q.set_linearizable(true);
    q.mutable_log()->set_limit(100);
    fx.sys.spawn(
      [a, r, bytes = q.SerializeAsString()](caf::event_based_actor* self) {
        self->request(r, caf::infinite, protocol::query_atom::value, bytes)
          .then(
            [a](std::string& s) {
              a->done = true;
              a->value = std::make_tuple(s);
            },
            [a](caf::error& err) {
              a->done = true;
              a->err = err;
            });
      });
    queries.push_back({a, writes});
  }
  fx.run();
  for (auto& q : queries) {
    REQUIRE(q.a->done);
    REQUIRE_FALSE(q.a->err);
    protocol::JournalAnswer ans;
    REQUIRE(ans.ParseFromString(std::get<0>(q.a->value)));
    CHECK(ans.log().entries_size() >= q.writes_before);
  }
}
