#pragma once

/// The replicated state machine of the simulation: a map of registers with
/// client sessions for exactly-once writes (thesis §6.3), plus a hash chain
/// over every applied entry so that two replicas can be compared in O(1) at
/// any index (state-machine safety) and a snapshot carries its own digest.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "runtime/raft/types.hpp"

namespace pact::sim {

/// A client write as carried in a log entry.
struct command {
  std::uint64_t client = 0;
  /// Per-client sequence number; a session applies each at most once.
  std::uint64_t seq = 0;
  std::string key;
  std::string value;
};

/// "w <client> <seq> <key> <value>"; key and value are single tokens.
std::string encode(const command& c);
std::optional<command> decode_command(const std::string& data);

/// Digest of one entry (index, term, kind, payload).
std::uint64_t entry_digest(const raft::entry& e);

class kv_state_machine {
public:
  /// Applies the next committed entry. Precondition: e.index ==
  /// applied_index() + 1. Returns the command of a normal entry (even a
  /// duplicate that the session skipped: it took effect earlier).
  std::optional<command> apply(const raft::entry& e);

  /// Value of `key`, "" if never written.
  std::string get(const std::string& key) const;

  raft::index_t applied_index() const {
    return applied_;
  }
  /// Hash chain over all entries applied so far.
  std::uint64_t chain() const {
    return chain_;
  }
  std::size_t size() const {
    return data_.size();
  }

  /// Serialized image for raft snapshots.
  std::string encode_snapshot() const;
  /// Inverse of encode_snapshot(); nullopt if malformed.
  static std::optional<kv_state_machine>
  decode_snapshot(const std::string& image);

private:
  std::map<std::string, std::string> data_;
  /// client -> highest applied seq (thesis §6.3 sessions).
  std::map<std::uint64_t, std::uint64_t> sessions_;
  raft::index_t applied_ = 0;
  std::uint64_t chain_ = 0;
};

} // namespace pact::sim
