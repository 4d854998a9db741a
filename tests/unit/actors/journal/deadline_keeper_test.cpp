// The deadline keeper (actors/journal/deadline_keeper; issue 14 items 1
// and 4): on the leader it keeps one approval actor per pending approval
// and one emergency session actor per emergency, each proposing the expiry
// once its replicated deadline has passed by the injected wall clock —
// never before, however much actor time passes.

#include <doctest/doctest.h>

#include "actors/journal/deadline_keeper.hpp"
#include "tests/unit/actors/journal/journal_fixture.hpp"

using namespace pact;
using namespace pact::protocol;
using namespace std::chrono_literals;

namespace {

JournalCommand by(const std::string& who, CommandKind kind, Scope scope) {
  JournalCommand c;
  c.set_kind(kind);
  *c.mutable_scope() = std::move(scope);
  c.mutable_author()->set_principal(who);
  c.mutable_author()->set_principal_type(PRINCIPAL_TYPE_HUMAN);
  c.set_message("m");
  return c;
}

Scope vc(const std::string& name) {
  Scope s;
  s.set_vcluster(name);
  return s;
}

struct fixture : journal::test::journal_fixture {
  caf::actor keeper;

  fixture() {
    // ml: two-person, requests expire after 1 s; emergencies last 60 s.
    auto p = by("root", COMMAND_KIND_POLICY_UPDATE, vc("ml"));
    p.mutable_policy()->set_two_person_approval(true);
    p.mutable_policy()->set_approval_timeout_seconds(1);
    p.mutable_policy()->set_emergency_window_seconds(60);
    ok(p);
    journal::deadline_keeper_config dk;
    dk.wall = wall;
    dk.poll = 100ms;
    keeper = sys.spawn(journal::deadline_keeper,
                       supervision::health_handle{registry, "t/deadlines"}, dk);
  }
  ~fixture() {
    caf::anon_send_exit(keeper, caf::exit_reason::user_shutdown);
    run();
  }

  /// The approval `id` as the replica holds it.
  ApprovalState state_of(const std::string& id) {
    JournalQuery q;
    q.mutable_state()->set_approval_id(id);
    auto a = query(q);
    REQUIRE(a.state().approvals_size() == 1);
    return a.state().approvals(0).state();
  }

  size_t emergencies() {
    JournalQuery q;
    q.mutable_deadlines();
    return static_cast<size_t>(query(q).state().emergencies_size());
  }
};

} // namespace

TEST_CASE("an approval expires when the wall clock passes its deadline") {
  fixture f;
  auto c = by("alice", COMMAND_KIND_COMMIT, vc("ml"));
  auto* item = c.mutable_state_delta()->add_items();
  item->set_category(DELTA_CATEGORY_KERNEL);
  item->set_action(DELTA_ACTION_SET);
  item->set_key("vm.a");
  item->set_value("1");
  c.mutable_author_roles()->add_groups("pact-ops-ml");
  c.set_approval_id("ap-k7qz2m4x");
  auto held = f.propose(c).second;
  REQUIRE(held.approval().state() == APPROVAL_STATE_PENDING);
  // Actor time alone does not expire it: the deadline is wall time.
  f.advance(3s);
  CHECK(f.state_of("ap-k7qz2m4x") == APPROVAL_STATE_PENDING);
  // The wall clock passes the deadline: the approval actor records it.
  f.wall->advance_ms(1000);
  f.advance(500ms);
  CHECK(f.state_of("ap-k7qz2m4x") == APPROVAL_STATE_EXPIRED);
}

TEST_CASE("an emergency's session actor ends it when its window runs out") {
  fixture f;
  auto start = by("alice", COMMAND_KIND_EMERGENCY_START, vc("ml"));
  start.set_emergency_reason("fabric down");
  f.ok(start);
  REQUIRE(f.emergencies() == 1);
  f.wall->advance_ms(59'000);
  f.advance(1s);
  CHECK(f.emergencies() == 1);
  f.wall->advance_ms(1000);
  // The actor slept until its deadline in actor time (60 s from when it
  // started); it then finds the wall clock past the window too.
  f.advance(60s);
  CHECK(f.emergencies() == 0);
}
