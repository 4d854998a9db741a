#pragma once

/// State of the replica actor (see replica.hpp); in its own header so that
/// the actor's handlers stay short.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/journal/replica.hpp"
#include "runtime/journal/replica_driver.hpp"
#include "runtime/journal/state_machine.hpp"
#include "runtime/store/lmdb_store.hpp"

namespace pact::journal {

struct peer_link {
  endpoint ep;
  caf::actor handle;
  bool connecting = false;
  std::chrono::milliseconds backoff{100};
};

struct replica_state {
  supervision::health_handle h;
  replica_config cfg;
  std::unique_ptr<store::lmdb_store> store;
  digest_machine sm;
  std::unique_ptr<replica_driver> driver;
  std::map<uint64_t, peer_link> peers;
  /// Proposals and reads waiting for their outcome, by tag.
  std::map<uint64_t, caf::response_promise> waiting;
  uint64_t next_tag = 1;
  uint64_t elections_seen = 0;
  /// A flush message is queued.
  bool flush_pending = false;
  std::string listen_url;

  static inline const char* name = "pact.journal.replica";
};

} // namespace pact::journal
