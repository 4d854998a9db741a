// Reads served by the replica actor (see replica.hpp): queries evaluated
// against the state machine after a ReadIndex round (or at once for stale
// reads), and `pact watch` long polls held until entries arrive.

#include <algorithm>

#include "actors/journal/replica_state.hpp"
#include "protocol/caf_types.hpp"

namespace pact::journal {

namespace {

using namespace pact::protocol;

/// Longest a watch may be held.
constexpr uint32_t max_watch_wait_ms = 30000;

caf::error failure(const std::string& why) {
  return caf::make_error(caf::sec::runtime_error, why);
}

void answer_query(replica_ptr self, caf::response_promise& rp,
                  const JournalQuery& q) {
  auto& st = self->state;
  auto a = st.reader.answer(st.sm, q);
  if (!a)
    rp.deliver(failure(a.err().message));
  else
    rp.deliver(a->SerializeAsString());
}

} // namespace

void on_query(replica_ptr self, const std::string& bytes) {
  auto& st = self->state;
  auto rp = self->make_response_promise();
  JournalQuery q;
  if (!q.ParseFromString(bytes)) {
    rp.deliver(failure("malformed journal query"));
    return;
  }
  if (!q.linearizable()) {
    answer_query(self, rp, q);
    return;
  }
  // ReadIndex (Raft thesis §6.4): the answer reflects every write
  // acknowledged before the query arrived, from any replica.
  auto tag = st.next_tag++;
  auto rs = st.driver->read_index(tag);
  if (rs != raft::status::ok) {
    rp.deliver(failure(std::string("linearizable read refused (")
                       + raft::to_string(rs)
                       + "): no leader is known; retry, or read stale"));
    return;
  }
  st.waiting.emplace(tag, waiter{std::move(rp), waiter::kind::query,
                                 std::move(q)});
  request_flush(self);
}

void finish(replica_ptr self, waiter& w, const completion& c) {
  if (!c.ok) {
    w.rp.deliver(failure(c.error));
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
    rp.deliver(failure("malformed watch request"));
    return;
  }
  auto reply = st.reader.watch(st.sm, req);
  if (req.from_now() || reply.entries_size() > 0 || req.wait_ms() == 0) {
    rp.deliver(reply.SerializeAsString());
    return;
  }
  auto wait = std::chrono::milliseconds(
    std::min(req.wait_ms(), max_watch_wait_ms));
  st.watchers.push_back(
    watcher{std::move(rp), std::move(req),
            std::chrono::steady_clock::now() + wait});
}

void check_watchers(replica_ptr self) {
  auto& st = self->state;
  st.watched_sequence = st.sm.last_sequence();
  auto now = std::chrono::steady_clock::now();
  auto done = [&](watcher& w) {
    auto reply = st.reader.watch(st.sm, w.req);
    if (reply.entries_size() == 0 && now < w.deadline)
      return false;
    w.rp.deliver(reply.SerializeAsString());
    return true;
  };
  st.watchers.erase(
    std::remove_if(st.watchers.begin(), st.watchers.end(), done),
    st.watchers.end());
}

} // namespace pact::journal
