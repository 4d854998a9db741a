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
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/journal/replica.hpp"
#include "runtime/journal/replica_driver.hpp"
#include "runtime/journal/config_state_machine.hpp"
#include "runtime/journal/journal_query.hpp"
#include "runtime/journal/leader_stamp.hpp"
#include "runtime/store/lmdb_store.hpp"

namespace pact::journal {

struct peer_link {
  endpoint ep;
  caf::actor handle;
  bool connecting = false;
  std::chrono::milliseconds backoff{100};
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

/// A `pact watch` long poll.
struct watcher {
  caf::response_promise rp;
  protocol::WatchRequest req;
  std::chrono::steady_clock::time_point deadline;
};

struct replica_state {
  supervision::health_handle h;
  replica_config cfg;
  std::unique_ptr<store::lmdb_store> store;
  config_state_machine sm;
  journal_reader reader;
  leader_stamper stamper;
  std::vector<watcher> watchers;
  /// Last sequence the watchers were checked against.
  uint64_t watched_sequence = 0;
  /// Applied index the reader's overlay cache was refreshed at.
  uint64_t reader_applied = ~uint64_t{0};
  std::unique_ptr<replica_driver> driver;
  std::map<uint64_t, peer_link> peers;
  /// Proposals and reads waiting for their outcome, by tag.
  std::map<uint64_t, waiter> waiting;
  uint64_t next_tag = 1;
  uint64_t elections_seen = 0;
  /// A flush message is queued.
  bool flush_pending = false;
  std::string listen_url;

  static inline const char* name = "pact.journal.replica";
};

using replica_ptr = caf::stateful_actor<replica_state>*;

/// Queues one flush message behind everything already in the mailbox
/// (group commit); replica.cpp.
void request_flush(replica_ptr self);

// Reads (replica_reads.cpp).

/// (query_atom, bytes): answers at once, or after a ReadIndex round.
void on_query(replica_ptr self, const std::string& bytes);
/// (watch_atom, bytes): answers at once when entries are there, else holds.
void on_watch(replica_ptr self, const std::string& bytes);
/// Delivers a finished waiter (proposal, read index or query).
void finish(replica_ptr self, waiter& w, const completion& c);
/// Answers watchers that have new entries, or whose wait ended.
void check_watchers(replica_ptr self);

} // namespace pact::journal
