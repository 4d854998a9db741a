// The ready contract: what must be durable before messages are sent.

#include <doctest/doctest.h>

#include "tests/unit/runtime/raft/test_cluster.hpp"

using namespace pact::raft;
using namespace pact::raft::test;

TEST_CASE("a vote grant is handed out together with the hard state that "
          "records it (Figure 2: persist before responding)") {
  memory_storage s{conf_state{{1, 2, 3}, {}}};
  raw_node n{core_config(2, s)};
  message req;
  req.type = message_type::request_vote;
  req.from = 1;
  req.to = 2;
  req.term = 1;
  n.step(req);
  REQUIRE(n.has_ready());
  auto rd = n.get_ready();
  REQUIRE(rd.hard_state);
  CHECK(rd.hard_state->voted_for == 1);
  CHECK(rd.hard_state->current_term == 1);
  REQUIRE(rd.messages.size() == 1);
  CHECK(rd.must_persist());
  s.set_hard_state(*rd.hard_state);
  n.advance(rd);
  CHECK_FALSE(n.has_ready());
}

TEST_CASE("a new leader's no-op is handed out as an entry to persist, and "
          "committed entries only after a quorum acknowledged them") {
  memory_storage s{conf_state{{1, 2}, {}}};
  auto cfg = core_config(1, s);
  cfg.pre_vote = false;
  raw_node n{cfg};
  n.campaign();
  auto rd = n.get_ready();
  CHECK(rd.soft_state);
  s.set_hard_state(*rd.hard_state);
  n.advance(rd);
  message grant;
  grant.type = message_type::request_vote_response;
  grant.from = 2;
  grant.to = 1;
  grant.term = 1;
  n.step(grant);
  rd = n.get_ready();
  REQUIRE(rd.soft_state);
  CHECK(rd.soft_state->role == node_role::leader);
  REQUIRE(rd.entries.size() == 1);
  CHECK(rd.entries[0].kind == entry_kind::noop);
  CHECK(rd.committed_entries.empty());
  s.append(rd.entries);
  n.persisted(1, 1); // Step 1b: the leader counts itself from now on.
  n.advance(rd);
  message ack;
  ack.type = message_type::append_entries_response;
  ack.from = 2;
  ack.to = 1;
  ack.term = 1;
  ack.log_index = 1;
  n.step(ack);
  rd = n.get_ready();
  REQUIRE(rd.hard_state);
  CHECK(rd.hard_state->commit_index == 1);
  REQUIRE(rd.committed_entries.size() == 1);
  s.set_hard_state(*rd.hard_state);
  n.advance(rd);
  CHECK(n.core().log().applied() == 1);
}

TEST_CASE("committed entries per ready are bounded in bytes") {
  network net{{1}, [](config& cfg) {
                cfg.max_committed_bytes_per_ready
                  = 2 * (10 + entry_overhead_bytes);
              }};
  net.elect(1);
  for (int i = 0; i < 5; ++i)
    net.node(1).propose(std::string(10, 'x'));
  auto& n = net.node(1);
  auto& st = net.at(1).storage;
  int readies = 0;
  while (n.has_ready()) {
    auto rd = n.get_ready();
    CHECK(rd.committed_entries.size() <= 2);
    st.append(rd.entries);
    if (rd.hard_state)
      st.set_hard_state(*rd.hard_state);
    n.persisted(st.last_index(), st.term(st.last_index()).value());
    n.advance(rd);
    ++readies;
  }
  CHECK(readies >= 3);
  CHECK(n.core().log().applied() == 6);
}

TEST_CASE("config::validate names what is wrong") {
  memory_storage s;
  config cfg;
  CHECK(cfg.validate() != nullptr);
  cfg.id = 1;
  cfg.storage = &s;
  CHECK(cfg.validate() == nullptr);
  cfg.election_timeout_ticks = 1;
  CHECK(std::string(cfg.validate()).find("election") != std::string::npos);
}

#ifdef __linux__
#include <csignal>
#include <cstdio>

#include <sys/wait.h>
#include <unistd.h>

namespace {

/// Whether `f` aborts, run in a child process.
bool aborts(void (*f)()) {
  std::fflush(stdout);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // doctest catches SIGABRT; restore the default so the abort is seen.
    std::signal(SIGABRT, SIG_DFL);
    std::freopen("/dev/null", "w", stderr);
    std::freopen("/dev/null", "w", stdout);
    f();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

} // namespace

TEST_CASE("advance() aborts when the ready was not persisted "
          "(durability order is asserted)") {
  CHECK(aborts([] {
    // Acknowledge a ready without persisting its hard state.
    memory_storage s{conf_state{{1, 2}, {}}};
    raw_node n{core_config(2, s)};
    message req;
    req.type = message_type::request_vote;
    req.from = 1;
    req.to = 2;
    req.term = 1;
    n.step(req);
    auto rd = n.get_ready();
    n.advance(rd); // Must abort.
  }));
}

namespace {

/// A core over storage holding an entry of term 5 while its hard state
/// says term 1: a state no correct replica reaches. One tick.
void tick_corrupt_core(bool check) {
  memory_storage s{conf_state{{1, 2, 3}, {}}};
  s.append(entries_with_terms({5}));
  s.set_hard_state(hard_state{1, 0, 0});
  auto cfg = core_config(1, s);
  cfg.check_invariants = check;
  raw_node n{cfg};
  n.tick();
}

} // namespace

TEST_CASE("config::check_invariants: the state is checked after every "
          "input, and a broken one aborts") {
  CHECK(aborts([] { tick_corrupt_core(true); }));
#ifndef PACT_RAFT_INVARIANTS
  // Without the option (and outside Debug builds of pact_raft) the same
  // input goes unchecked: the check is what caught it.
  CHECK_FALSE(aborts([] { tick_corrupt_core(false); }));
#endif
}
#endif
