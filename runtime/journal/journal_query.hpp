#pragma once

/// Read side of the journal service (issue 4): answers the gateway's
/// queries — `pact log`, declared state, `pact watch`, boot configuration —
/// from a config_state_machine. Pure and CAF-free; the replica actor calls
/// it after a ReadIndex round (linearizable) or at once (stale reads).
///
/// Boot configuration is served from a cache of deterministically encoded
/// overlays that refresh() rebuilds only when an overlay's version changed
/// (that is, when a vCluster commit landed), never per request.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <pact/protocol/api.pb.h>

#include "runtime/common/error.hpp"
#include "runtime/journal/config_state_machine.hpp"

namespace pact::journal {

/// Default and largest boot-config chunk.
inline constexpr uint32_t default_boot_chunk_bytes = 64 * 1024;
/// Smaller chunks are raised to this: each chunk repeats the vCluster name
/// and checksum, so tiny chunks would multiply the stream.
inline constexpr uint32_t min_boot_chunk_bytes = 1024;
inline constexpr uint32_t max_boot_chunk_bytes = 1024 * 1024;
/// Bounds on query sizes (STYLE.md: a limit on everything).
inline constexpr uint32_t max_log_entries = 10000;
inline constexpr uint32_t max_watch_entries = 1000;
/// Entries one watch answer reads at most (issue 10 item 2: no request
/// reads the whole journal). A watch of a vCluster resuming far behind,
/// with few entries of its own, gets an answer with no entries and
/// `last_sequence` at the last entry read; the client resumes from there.
inline constexpr uint32_t max_watch_scan_entries = 10000;

/// Parses the CLI's scope syntax: "global", "vc:NAME" or "node:NAME".
expected<protocol::Scope> parse_scope(const std::string& text);

class journal_reader {
public:
  /// `watch_scan` bounds the entries one watch answer reads (tests lower
  /// it).
  explicit journal_reader(uint32_t watch_scan = max_watch_scan_entries)
    : watch_scan_(std::max<uint32_t>(watch_scan, 1)) {
  }

  /// Re-encodes every overlay whose version changed since the last call
  /// and drops those that vanished. Cheap when nothing changed.
  void refresh(const config_state_machine& sm);

  /// Answers a query; the status is set on refusal (bad scope, unknown
  /// vCluster for boot config, …).
  expected<protocol::JournalAnswer>
  answer(const config_state_machine& sm, const protocol::JournalQuery& q) const;

  /// Entries after `req.after_sequence` that concern `req.vcluster` (all
  /// when empty): its own, those of its nodes and global ones. Empty when
  /// none yet. Reads at most the scan bound: when it stopped there,
  /// `last_sequence` is the last entry read (below the journal's last),
  /// and the caller answers at once instead of waiting. `last_sequence`
  /// is never below `req.after_sequence`, even on a replica that has not
  /// yet applied that far (a client's resume point only moves forward).
  protocol::WatchReply watch(const config_state_machine& sm,
                             const protocol::WatchRequest& req) const;

  /// The boot stream of `req`: overlay chunks, the node's delta, the
  /// completion marker (only the marker when the agent is current).
  expected<protocol::BootConfigAnswer>
  boot(const config_state_machine& sm,
       const protocol::BootConfigRequest& req) const;

  /// Encodings rebuilt so far (tests: proves requests do not rebuild).
  uint64_t rebuilds() const {
    return rebuilds_;
  }

private:
  struct cached_overlay {
    uint64_t version = 0;
    std::string checksum;
    std::string bytes;
  };

  expected<protocol::LogReply> log(const config_state_machine& sm,
                                   const protocol::LogRequest& req) const;
  protocol::StateReply state(const config_state_machine& sm,
                             const protocol::StateRequest& req) const;

  std::map<std::string, cached_overlay> overlays_;
  uint64_t rebuilds_ = 0;
  uint32_t watch_scan_;
};

/// True when `entry` concerns `vcluster`: its scope is that vCluster, a node
/// enrolled in it, or global; or the entry is an overlay-apply/enrollment
/// naming it.
bool concerns(const config_state_machine& sm,
              const protocol::ConfigEntry& entry, const std::string& vcluster);

} // namespace pact::journal
