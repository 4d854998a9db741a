#pragma once

/// Where a follower keeps the bytes of a snapshot it receives in chunks
/// (§7, Figure 13: "Create new snapshot file if first chunk", "Write data
/// into snapshot file at given offset", "Save snapshot file ... if done is
/// false, reply and wait for more data chunks").
///
/// The core calls the receiver from step() when an InstallSnapshot chunk
/// arrives; it is the one place where bytes leave the core other than
/// through `ready`, because a snapshot may be far larger than any message
/// or memory bound (issue 10: nothing on the Raft loop grows with the
/// journal's size). By default (`config::receiver` null) the core gathers
/// the chunks in memory (`memory_snapshot_receiver`); a host whose
/// snapshots are large gives one that writes them to disk
/// (store::snapshot_staging) and installs the snapshot from there when the
/// core hands it over in `ready::snapshot` with `staged` set.
///
/// Chunks arrive in order: the core asks the leader for the offset it needs
/// (the bytes held) when one does not follow on. A receiver need not keep
/// its bytes across a restart; a transfer interrupted by one starts over.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "runtime/raft/types.hpp"

namespace pact::raft {

class snapshot_receiver {
public:
  virtual ~snapshot_receiver() = default;

  /// Metadata of the snapshot whose bytes are held (last_included_index 0
  /// when none).
  virtual const snapshot_meta& held_meta() const = 0;

  /// Bytes held of that snapshot.
  virtual std::uint64_t held_bytes() const = 0;

  /// Drops whatever is held and starts `meta` at byte 0.
  virtual void begin(const snapshot_meta& meta) = 0;

  /// Appends the next bytes. False when they cannot be kept (e.g. the disk
  /// is full): nothing is held afterwards and the transfer starts over.
  virtual bool append(std::string_view bytes) = 0;

  /// Called after the last chunk: whether the bytes held form a whole,
  /// undamaged snapshot (e.g. its checksum matches). False drops them.
  virtual bool complete() = 0;

  /// Hands over the snapshot held after complete() returned true and holds
  /// nothing afterwards. `data` is the image when the receiver kept it in
  /// memory; a receiver that staged it elsewhere returns empty data with
  /// `staged` true, and the host installs it from there.
  virtual snapshot take() = 0;

  /// Drops whatever is held.
  virtual void discard() = 0;
};

/// The default receiver: the image in memory, judged by an optional
/// predicate (e.g. the checksum its image carries).
class memory_snapshot_receiver : public snapshot_receiver {
public:
  explicit memory_snapshot_receiver(std::function<bool(const snapshot&)> accept
                                    = {})
    : accept_(std::move(accept)) {
  }

  const snapshot_meta& held_meta() const override {
    return held_.meta;
  }
  std::uint64_t held_bytes() const override {
    return held_.data.size();
  }
  void begin(const snapshot_meta& meta) override {
    held_ = snapshot{};
    held_.meta = meta;
  }
  bool append(std::string_view bytes) override {
    held_.data.append(bytes.data(), bytes.size());
    return true;
  }
  bool complete() override {
    if (!accept_ || accept_(held_))
      return true;
    held_ = snapshot{};
    return false;
  }
  snapshot take() override {
    snapshot out = std::move(held_);
    held_ = snapshot{};
    return out;
  }
  void discard() override {
    held_ = snapshot{};
  }

private:
  std::function<bool(const snapshot&)> accept_;
  snapshot held_;
};

} // namespace pact::raft
