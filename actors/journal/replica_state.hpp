#pragma once

/// State of the replica actor (see replica.hpp); in its own header so that
/// the actor's handlers stay short.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <pact/protocol/api.pb.h>

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/journal/replica.hpp"
#include "runtime/journal/config_state_machine.hpp"
#include "runtime/journal/journal_query.hpp"
#include "runtime/journal/leader_stamp.hpp"
#include "runtime/replica/replica_driver.hpp"
#include "runtime/store/raft_store.hpp"

namespace pact::journal {

/// Time as the actor's clock tells it (`self->clock().now()`): real time in
/// the daemon, the test coordinator's manual time in tests. Every deadline
/// and rate limit of the replica reads it, never steady_clock directly.
using actor_time = caf::actor_clock::time_point;

struct peer_link {
  endpoint ep;
  caf::actor handle;
  bool connecting = false;
  std::chrono::milliseconds backoff{100};
  /// Why there is no connection (empty when connected), and since when;
  /// shown by /health and `pact status`, logged when it changes.
  std::string problem = "not connected yet";
  actor_time problem_since{};
  /// Last time the problem was logged (warnings repeat at most every 30 s).
  actor_time logged{};
};

/// A request waiting for the ready loop: a proposal (answered with its
/// index and result), a bare read index, or a query evaluated once the
/// state machine reached the read point.
struct waiter {
  enum class kind { propose, read_index, query };
  caf::response_promise rp;
  kind k = kind::propose;
  protocol::JournalQuery query;
};

/// A request that arrived while no leader was known (issue 8 item 2): held
/// until a leader is elected (then proposed, forwarded or read) or its wait
/// ends (then refused as never proposed, which is safe to retry).
struct parked_request {
  enum class kind { propose, query };
  kind k = kind::propose;
  caf::response_promise rp;
  /// The command, or the serialized JournalQuery.
  std::string bytes;
  actor_time deadline;
};

/// A `pact watch` long poll.
struct watcher {
  caf::response_promise rp;
  protocol::WatchRequest req;
  actor_time deadline;
};

struct replica_state {
  supervision::health_handle h;
  replica_config cfg;
  std::shared_ptr<store::raft_store> store;
  config_state_machine sm;
  journal_reader reader;
  leader_stamper stamper;
  std::vector<watcher> watchers;
  /// Requests waiting for a leader, oldest first (bounded).
  std::vector<parked_request> parked;
  /// Last sequence the watchers were checked against.
  uint64_t watched_sequence = 0;
  /// Applied index the reader's overlay cache was refreshed at.
  uint64_t reader_applied = ~uint64_t{0};
  std::unique_ptr<pact::replica::replica_driver> driver;
  std::map<uint64_t, peer_link> peers;
  /// Proposals and reads waiting for their outcome, by tag.
  std::map<uint64_t, waiter> waiting;
  uint64_t next_tag = 1;
  uint64_t elections_seen = 0;
  /// A flush message is queued.
  bool flush_pending = false;
  /// Last time a hello from a non-member was logged.
  actor_time stranger_logged{};
  /// The store failure was logged (it is logged once).
  bool fatal_logged = false;
  std::string listen_url;

  static inline const char* name = "pact.journal.replica";
};

using replica_ptr = caf::stateful_actor<replica_state>*;

/// Queues one flush message behind everything already in the mailbox
/// (group commit); replica.cpp.
void request_flush(replica_ptr self);

// Requests (replica_requests.cpp).

/// (propose_atom, bytes): proposes on the leader, forwards from a follower,
/// holds while no leader is known.
void on_propose(replica_ptr self, std::string& command);
/// Serves, forwards or refuses the requests held for a leader; call after
/// every ready loop and tick.
void release_parked(replica_ptr self);
/// The error of a replica whose store refused a write (full or failed).
caf::error store_error(replica_ptr self);

// Reads (replica_reads.cpp).

/// (query_atom, bytes): answers at once, or after a ReadIndex round (held
/// while no leader is known); from the last applied state, marked stale,
/// when the store refuses writes.
void on_query(replica_ptr self, const std::string& bytes);
/// on_query() with the promise already made (also for released requests).
void serve_query(replica_ptr self, caf::response_promise& rp,
                 protocol::JournalQuery q, actor_time deadline);
/// Holds `rp` until a leader is known; refuses it when the queue is full.
void park(replica_ptr self, parked_request::kind k, caf::response_promise& rp,
          std::string bytes, actor_time deadline);
/// (watch_atom, bytes): answers at once when entries are there, else holds.
void on_watch(replica_ptr self, const std::string& bytes);
/// Delivers a finished waiter (proposal, read index or query).
void finish(replica_ptr self, waiter& w, const pact::replica::completion& c);
/// Answers watchers that have new entries, or whose wait ended.
void check_watchers(replica_ptr self);

} // namespace pact::journal
