// Writes served by the replica actor (see replica.hpp): proposals on the
// leader, forwarding from followers, and the requests held while no leader
// is known (issue 8 item 2). Reads are in replica_reads.cpp.

#include "actors/journal/replica_state.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"
#include "runtime/common/assert.hpp"

namespace pact::journal {

namespace {

using namespace pact::protocol;

/// Requests held for a leader at once (STYLE.md: a limit on everything).
constexpr size_t max_parked = 4096;

/// The leader's replica handle when this replica follows a known, connected
/// leader; null otherwise.
caf::actor leader_handle(replica_ptr self) {
  auto& st = self->state;
  auto leader = st.driver->leader();
  if (leader == 0 || leader == st.cfg.node_id)
    return nullptr;
  auto i = st.peers.find(leader);
  return i == st.peers.end() ? nullptr : i->second.handle;
}

/// Whether a request can be served or forwarded now.
bool leader_reachable(replica_ptr self) {
  return self->state.driver->role() == raft::node_role::leader
         || leader_handle(self) != nullptr;
}

void propose_now(replica_ptr self, caf::response_promise& rp,
                 std::string command, actor_time deadline) {
  auto& st = self->state;
  auto& d = *st.driver;
  if (auto why = command_size_refusal(command.size()); !why.empty()) {
    rp.deliver(make_error(ERROR_REASON_INVALID_REQUEST, why));
    return;
  }
  if (d.role() != raft::node_role::leader) {
    // Forwarding needs no local storage: a follower whose store is full
    // still passes writes to a healthy leader.
    if (auto h = leader_handle(self)) {
      st.cfg.metrics->forwarded->Increment();
      rp.delegate(h, propose_atom::value, std::move(command));
      return;
    }
    if (d.failed())
      rp.deliver(store_error(self));
    else
      park(self, parked_request::kind::propose, rp, std::move(command),
           deadline);
    return;
  }
  if (d.failed()) {
    rp.deliver(store_error(self));
    return;
  }
  auto tag = st.next_tag++;
  if (st.cfg.wall)
    command = st.stamper.stamp(std::move(command), st.cfg.wall->now_unix_ms(),
                               st.sm);
  auto rs = d.propose(tag, command);
  if (rs == raft::status::not_leader || rs == raft::status::no_leader
      || rs == raft::status::transferring) {
    // Leadership is moving: nothing was appended; wait for the next leader.
    park(self, parked_request::kind::propose, rp, std::move(command), deadline);
    return;
  }
  if (rs != raft::status::ok) {
    rp.deliver(
      make_error(ERROR_REASON_INVALID_REQUEST,
                 std::string("proposal refused: ") + raft::to_string(rs)));
    return;
  }
  st.waiting.emplace(tag, waiter{std::move(rp), waiter::kind::propose, {}});
  request_flush(self);
}

void dispatch(replica_ptr self, parked_request& p) {
  if (p.k == parked_request::kind::propose) {
    propose_now(self, p.rp, std::move(p.bytes), p.deadline);
    return;
  }
  JournalQuery q;
  PACT_ASSERT(q.ParseFromString(p.bytes),
              "parked query bytes were parsed once already, in on_query");
  serve_query(self, p.rp, std::move(q), p.deadline);
}

std::string never_proposed(replica_ptr self, parked_request::kind k) {
  auto wait = std::to_string(self->state.cfg.leader_wait.count());
  if (k == parked_request::kind::propose)
    return "no leader is known (election in progress) after waiting " + wait
           + " ms; the write was not proposed and can be retried";
  return "no leader is known (election in progress) after waiting " + wait
         + " ms; retry, or read stale (--stale)";
}

} // namespace

caf::error store_error(replica_ptr self) {
  auto& d = *self->state.driver;
  if (d.store_full())
    return make_error(
      ERROR_REASON_STORE_FULL,
      "journal storage is full: writes are refused, reads still answer ("
        + d.failure()
        + "). Free or expand the data directory's volume and raise "
          "journal.raft.map_size_mb, then restart the replica; a lower "
          "journal.raft.snapshot_interval compacts the log sooner "
          "(docs/operations.md, \"When the journal's store is full\")");
  return make_error(ERROR_REASON_STORE_FAILED,
                    "replica stopped accepting writes: " + d.failure()
                      + " (fix the cause and restart the replica)");
}

void on_propose(replica_ptr self, std::string& command) {
  auto rp = self->make_response_promise();
  propose_now(self, rp, std::move(command),
              self->clock().now() + self->state.cfg.leader_wait);
}

void park(replica_ptr self, parked_request::kind k, caf::response_promise& rp,
          std::string bytes, actor_time deadline) {
  auto& st = self->state;
  if (st.parked.size() >= max_parked) {
    rp.deliver(make_error(ERROR_REASON_OVERLOADED,
                          "no leader is known and " + std::to_string(max_parked)
                            + " requests already wait for one; retry later"));
    return;
  }
  st.parked.push_back(
    parked_request{k, std::move(rp), std::move(bytes), deadline});
}

void release_parked(replica_ptr self) {
  auto& st = self->state;
  if (st.parked.empty())
    return;
  bool ready = leader_reachable(self) || st.driver->failed();
  auto now = self->clock().now();
  auto held = std::move(st.parked);
  st.parked.clear();
  for (auto& p : held) {
    if (ready)
      dispatch(self, p); // may park again, keeping its deadline
    else if (now >= p.deadline)
      p.rp.deliver(
        make_error(ERROR_REASON_NO_LEADER, never_proposed(self, p.k)));
    else
      st.parked.push_back(std::move(p));
  }
}

} // namespace pact::journal
