#pragma once

/// The deterministic state machine a journal replica applies committed
/// entries to (DESIGN.md §4). Applying must depend only on the entry bytes
/// and the state (no clocks, no randomness): every replica reaches the same
/// state, and a snapshot taken on one restores byte-identical state on
/// another.

#include <cstdint>
#include <string>

#include "runtime/common/error.hpp"
#include "runtime/store/state_tables.hpp"

namespace pact::replica {

class state_machine {
public:
  virtual ~state_machine() = default;

  /// Applies the normal entry at `index`; returns the result for the
  /// proposer (empty when there is nothing to say). Indices increase by
  /// one from applied() + 1, skipping only no-op and membership entries.
  virtual std::string apply(uint64_t index, const std::string& command) = 0;

  /// Notes that `index` was consumed by a no-op or membership entry.
  virtual void skip(uint64_t index) = 0;

  /// Index of the last entry applied or skipped.
  virtual uint64_t applied() const = 0;

  /// Serialized state as of applied().
  virtual std::string snapshot() const = 0;

  /// Replaces the state with a snapshot; errors name what is malformed.
  virtual status restore(const std::string& image) = 0;

  /// A short fingerprint of the state, equal on replicas that applied the
  /// same entries.
  virtual std::string digest() const = 0;

  // -- durable state (issue 10 item 1) ---------------------------------------
  // A machine that keeps its state in the Raft store's state tables hands
  // its changes to the host, which persists them in the same write
  // transaction as the Raft batch that follows (replica_driver), so the
  // applied index and the state it describes become durable together.

  /// Whether the machine keeps its state in state tables.
  virtual bool durable() const {
    return false;
  }
  /// Rebuilds the state from the tables (after a restart; applied() is
  /// then the durable applied index) and leaves persisting to the host.
  virtual status load() {
    return {};
  }
  /// The changes since the last call, ending with the applied index (empty
  /// when not durable()). Reads keep seeing them until writes_persisted().
  virtual store::state_write take_writes() {
    return {};
  }
  /// The writes taken last are durable.
  virtual void writes_persisted() {
  }
};

/// A state machine that keeps a SHA-256 chain over every applied command
/// (digest_n = SHA-256(digest_{n-1} || index || command)) and the count of
/// commands. The journal runs it until the configuration state machine
/// lands (issue 4); tests and operators use its digest to check that
/// replicas applied identical logs.
class digest_machine final : public state_machine {
public:
  std::string apply(uint64_t index, const std::string& command) override;
  void skip(uint64_t index) override;
  uint64_t applied() const override {
    return applied_;
  }
  std::string snapshot() const override;
  status restore(const std::string& image) override;
  /// Hex of the chain head.
  std::string digest() const override;
  uint64_t commands() const {
    return commands_;
  }

private:
  uint64_t applied_ = 0;
  uint64_t commands_ = 0;
  std::string chain_ = std::string(32, '\0');
};

} // namespace pact::replica
