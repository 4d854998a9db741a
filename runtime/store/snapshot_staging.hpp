#pragma once

/// `snapshot_staging`: a follower's receiver for the state snapshot stream
/// (runtime/store/state_stream.hpp, issue 10 item 2). The chunks go to a
/// file in the data directory as they arrive, so a snapshot larger than
/// memory can be received; the stream's framing and SHA-256 are checked
/// on the way, so a damaged stream is refused before anything is
/// installed; and the store installs it by reading the file back record by
/// record inside the write transaction that replaces the tables
/// (write_batch::state_from_staging). Nothing the size of the state is held
/// in memory at any point.
///
/// Files, in the data directory:
///   snapshot.incoming  the bytes of the transfer in progress
///   snapshot.received  a whole, checked stream awaiting installation
/// Neither needs to survive a crash: a restarted follower starts the
/// transfer over (the leader streams again from byte 0), so no chunk is
/// fsynced. The store removes both when it opens (remove_leftovers()).
///
/// With an empty directory the bytes are kept in memory instead (the
/// in-memory store, tests).
///
/// Errors: a write that fails (a full disk) makes append() false and the
/// core starts the transfer over; read errors at install time name the
/// file.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/common/error.hpp"
#include "runtime/raft/snapshot_receiver.hpp"
#include "runtime/store/state_stream.hpp"
#include "runtime/store/state_tables.hpp"

namespace pact::store {

class snapshot_staging final : public raft::snapshot_receiver {
public:
  /// Stages into files under `dir`, or in memory when `dir` is empty.
  explicit snapshot_staging(std::string dir);
  ~snapshot_staging() override;
  snapshot_staging(const snapshot_staging&) = delete;
  snapshot_staging& operator=(const snapshot_staging&) = delete;

  const raft::snapshot_meta& held_meta() const override {
    return meta_;
  }
  std::uint64_t held_bytes() const override {
    return bytes_;
  }
  void begin(const raft::snapshot_meta& meta) override;
  bool append(std::string_view bytes) override;
  bool complete() override;
  /// The snapshot's metadata with `staged` set; its stream stays in
  /// snapshot.received for replay() until clear_received().
  raft::snapshot take() override;
  void discard() override;

  /// Visits the records of the received stream in order, the checksum
  /// record excluded, with keyspace keys (table prefix first). Errors name
  /// the file (a read error, or bytes that changed since they were
  /// checked).
  pact::status replay(const state_visitor& fn) const;

  /// Removes the files a crashed process left (call once the directory is
  /// this process's).
  void remove_leftovers();

  /// Drops the received stream (after it was installed).
  void clear_received();

  /// Why the last append() failed; empty if none did.
  const std::string& failure() const {
    return failure_;
  }

private:
  /// Follows the record framing as bytes arrive, so that complete() knows
  /// whether the bytes form whole records of known tables ending in the
  /// checksum record, without reading them again.
  struct framing {
    int field = 0; // 0 key length, 1 key, 2 value length, 3 value
    std::uint32_t left = 4;
    std::uint32_t length = 0;
    bool key_started = false;
    bool empty_key = false;
    bool bad = false;
    std::uint64_t checksum_records = 0;
    bool last_was_checksum = false;
    void feed(std::string_view bytes);
  };

  void reset_incoming();
  bool write_incoming(std::string_view bytes);

  std::string dir_;
  raft::snapshot_meta meta_;
  std::uint64_t bytes_ = 0;
  /// The last stream_trailer_bytes seen, not yet hashed: the checksum
  /// record covers every byte before itself.
  std::string tail_;
  std::unique_ptr<stream_hasher> hash_;
  framing framing_;
  int fd_ = -1;
  /// Memory mode: the bytes of the transfer, and the received stream.
  std::string incoming_;
  std::string received_;
  std::string failure_;
};

} // namespace pact::store
