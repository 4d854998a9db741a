// Reads served by the replica actor (see replica.hpp): queries evaluated
// against the state machine after a ReadIndex round (or at once for stale
// reads), and `pact watch` long polls held until entries arrive.

#include <algorithm>

#include "actors/journal/replica_state.hpp"
#include "protocol/caf_types.hpp"
#include "protocol/errors.hpp"

namespace pact::journal {

namespace {

using namespace pact::protocol;

/// Longest a watch may be held.
constexpr uint32_t max_watch_wait_ms = 30000;

/// Answers `q` from the applied state; `stale_reason` non-empty marks the
/// answer as possibly stale (a linearizable read that could not be
/// confirmed).
void answer_query(replica_ptr self, caf::response_promise& rp,
                  const JournalQuery& q, const std::string& stale_reason = {}) {
  auto& st = self->state;
  auto a = st.reader.answer(st.sm, q);
  if (!a) {
    // The state machine's refusals (bad scope, unknown vCluster) are the
    // caller's mistake.
    rp.deliver(make_error(ERROR_REASON_INVALID_REQUEST, a.err().message));
    return;
  }
  if (!stale_reason.empty()) {
    if (a->has_log()) {
      a->mutable_log()->set_stale(true);
      a->mutable_log()->set_stale_reason(stale_reason);
    } else if (a->has_state()) {
      a->mutable_state()->set_stale(true);
      a->mutable_state()->set_stale_reason(stale_reason);
    }
  }
  rp.deliver(a->SerializeAsString());
}

/// Why a replica whose store refuses writes answers reads from its last
/// applied state (docs/storage.md: reads keep working on a full store).
std::string stale_because(replica_ptr self) {
  return "the journal replica refuses writes ("
         + protocol::message_of(store_error(self))
         + "); this answer is its last applied state and may be stale";
}

/// True when a watch answer has nothing to say yet: no entries, and it
/// read up to the journal's end (an answer cut short by the scan bound
/// goes back at once, and the client resumes where it stopped).
bool nothing_yet(replica_ptr self, const WatchReply& reply) {
  return reply.entries_size() == 0
         && reply.last_sequence() >= self->state.sm.last_sequence();
}

} // namespace

void on_query(replica_ptr self, const std::string& bytes) {
  auto rp = self->make_response_promise();
  JournalQuery q;
  if (!q.ParseFromString(bytes)) {
    rp.deliver(
      make_error(ERROR_REASON_INVALID_REQUEST, "malformed journal query"));
    return;
  }
  serve_query(self, rp, std::move(q),
              self->clock().now() + self->state.cfg.leader_wait);
}

void serve_query(replica_ptr self, caf::response_promise& rp, JournalQuery q,
                 actor_time deadline) {
  auto& st = self->state;
  if (!q.linearizable()) {
    // Asked for stale (`--stale`), and it may be staler than asked: a
    // replica whose store refuses writes stopped applying; say so.
    answer_query(self, rp, q,
                 st.driver->failed() ? stale_because(self) : std::string{});
    return;
  }
  if (st.driver->failed()) {
    // No ReadIndex round can complete on a replica that cannot persist:
    // answer from what it applied, and say so.
    answer_query(self, rp, q, stale_because(self));
    return;
  }
  // ReadIndex (Raft thesis §6.4): the answer reflects every write
  // acknowledged before the query arrived, from any replica.
  auto tag = st.next_tag++;
  auto rs = st.driver->read_index(tag);
  if (rs != raft::status::ok) {
    // No leader known yet (election): hold the read until one is.
    park(self, parked_request::kind::query, rp, q.SerializeAsString(),
         deadline);
    return;
  }
  st.waiting.emplace(tag,
                     waiter{std::move(rp), waiter::kind::query, std::move(q)});
  request_flush(self);
}

void finish(replica_ptr self, waiter& w, const pact::replica::completion& c) {
  if (!c.ok) {
    if (w.k == waiter::kind::query && self->state.driver->failed()) {
      answer_query(self, w.rp, w.query, stale_because(self));
      return;
    }
    auto reason = c.reason != ERROR_REASON_UNSPECIFIED ? c.reason
                  : w.k == waiter::kind::propose
                    ? ERROR_REASON_OUTCOME_UNKNOWN
                    : ERROR_REASON_READ_UNAVAILABLE;
    w.rp.deliver(make_error(reason, c.error));
    return;
  }
  switch (w.k) {
    case waiter::kind::propose:
      w.rp.deliver(c.index, c.result);
      break;
    case waiter::kind::read_index:
      w.rp.deliver(c.index);
      break;
    case waiter::kind::query:
      answer_query(self, w.rp, w.query);
      break;
  }
}

void on_watch(replica_ptr self, const std::string& bytes) {
  auto& st = self->state;
  auto rp = self->make_response_promise();
  WatchRequest req;
  if (!req.ParseFromString(bytes)) {
    rp.deliver(
      make_error(ERROR_REASON_INVALID_REQUEST, "malformed watch request"));
    return;
  }
  auto reply = st.reader.watch(st.sm, req);
  if (req.from_now() || req.wait_ms() == 0 || !nothing_yet(self, reply)) {
    rp.deliver(reply.SerializeAsString());
    return;
  }
  auto wait
    = std::chrono::milliseconds(std::min(req.wait_ms(), max_watch_wait_ms));
  // Everything up to the journal's end was read and none of it concerns
  // the watcher: later checks start there, not at its resume point again.
  req.set_after_sequence(reply.last_sequence());
  st.watchers.push_back(
    watcher{std::move(rp), std::move(req), self->clock().now() + wait});
}

void check_watchers(replica_ptr self) {
  auto& st = self->state;
  st.watched_sequence = st.sm.last_sequence();
  auto now = self->clock().now();
  auto done = [&](watcher& w) {
    auto reply = st.reader.watch(st.sm, w.req);
    if (nothing_yet(self, reply) && now < w.deadline) {
      w.req.set_after_sequence(reply.last_sequence());
      return false;
    }
    w.rp.deliver(reply.SerializeAsString());
    return true;
  };
  st.watchers.erase(std::remove_if(st.watchers.begin(), st.watchers.end(),
                                   done),
                    st.watchers.end());
}

} // namespace pact::journal
