#pragma once

/// The replicated state machine of the simulation: a map of registers with
/// client sessions for exactly-once writes (thesis §6.3), plus a hash chain
/// over every applied entry so that two replicas can be compared in O(1) at
/// any index (state-machine safety) and a snapshot carries its own digest.
/// It implements the shipped `pact::replica::state_machine` interface
/// (runtime/replica/state_machine.hpp).

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "runtime/common/error.hpp"
#include "runtime/raft/storage.hpp"
#include "runtime/raft/types.hpp"
#include "runtime/replica/state_machine.hpp"

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

/// Sees every entry a replica applies and every state it restores, so that
/// state-machine safety is checked as it happens.
class apply_observer {
public:
  virtual ~apply_observer() = default;
  /// `e` was applied; `chain` is the state machine's hash chain after it.
  virtual void
  on_apply(raft::node_id id, const raft::entry& e, std::uint64_t chain)
    = 0;
  /// The state machine was replaced by a snapshot image at `index`.
  virtual void
  on_restore(raft::node_id id, raft::index_t index, std::uint64_t chain)
    = 0;
  /// A batch became durable (before its messages are sent, and before a
  /// crash that may strike right after it).
  virtual void on_persisted(const class replica& r) = 0;
};

/// The kv machine behind the shipped state-machine interface, so that the
/// shipped `replica_driver` applies to it exactly as it applies to the
/// configuration state machine in pact-journal.
class kv_state_machine final : public pact::replica::state_machine {
public:
  /// `log` is the replica's store: the machine reads back the entry the
  /// driver applies (its term and kind, which the interface does not
  /// carry) to check it against the command and report it to `observer`.
  /// Both must outlive the machine.
  kv_state_machine(raft::node_id id, const raft::log_storage& log,
                   apply_observer& observer);

  /// Applies a client write. Precondition: index == applied() + 1 and
  /// `command` is the entry stored there. The session (thesis §6.3)
  /// applies each (client, seq) at most once; a duplicate is skipped (it
  /// took effect earlier). Returns nothing.
  std::string apply(std::uint64_t index, const std::string& command) override;
  /// A no-op or membership entry at `index`.
  void skip(std::uint64_t index) override;
  std::uint64_t applied() const override {
    return applied_;
  }
  std::string snapshot() const override;
  /// Errors name what is malformed; an empty image resets the machine.
  pact::status restore(const std::string& image) override;
  /// The hash chain, in hex.
  std::string digest() const override;

  /// Value of `key`, "" if never written.
  std::string get(const std::string& key) const;
  /// Hash chain over all entries applied so far.
  std::uint64_t chain() const {
    return chain_;
  }
  std::size_t size() const {
    return data_.size();
  }

private:
  /// The stored entry at `index`, checked to be the next one.
  raft::entry stored_entry(std::uint64_t index) const;
  void advance(const raft::entry& e);

  raft::node_id id_;
  const raft::log_storage* log_;
  apply_observer* observer_;
  std::map<std::string, std::string> data_;
  /// client -> highest applied seq (thesis §6.3 sessions).
  std::map<std::uint64_t, std::uint64_t> sessions_;
  raft::index_t applied_ = 0;
  std::uint64_t chain_ = 0;
};

} // namespace pact::sim
