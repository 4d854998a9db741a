#pragma once

/// A hot copy of a journal replica's data directory (`pact-journal
/// --backup DIR`, docs/operations.md "Backup and restore"). CAF-free.
///
/// The replica's one LMDB environment (`DATA_DIR/raft`, docs/storage.md
/// "Layout") is copied with mdb_env_copy2(MDB_CP_COMPACT) from a read-only
/// open: LMDB lets a second process hold a read transaction while the
/// replica writes, so the copy is one consistent snapshot of the log, the
/// hard state and the state tables, taken without stopping the replica
/// (the replica's `owner.lock` is not taken; nothing is written to its
/// directory but LMDB's reader slot in `lock.mdb`). The development
/// credentials (`DATA_DIR/dev`, --dev only) are copied too, so a restored
/// dev journal still accepts the tokens it made.
///
/// The copy is made in `DEST.tmp` and renamed to DEST once complete and
/// synced, so DEST either holds a whole backup or does not exist.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::store {

/// What a backup holds: indexes read from the copy itself.
struct backup_report {
  std::string dest;
  uint64_t last_index = 0;   ///< last Raft log entry in the copy
  uint64_t commit_index = 0; ///< from the copy's hard state
  uint64_t term = 0;
  uint64_t bytes = 0;             ///< bytes written (all files)
  std::vector<std::string> files; ///< paths relative to dest
};

/// Copies DATA_DIR into DEST (created with mode 0700; it must not exist
/// or be an empty directory). Errors (never LMDB's raw text): DATA_DIR
/// holds no journal, DEST not empty or not a directory, DEST.tmp left
/// from an interrupted backup, no room on DEST's volume, any other I/O
/// failure named with its path. On error DEST is untouched and DEST.tmp
/// removed.
expected<backup_report> backup_data_dir(const std::string& data_dir,
                                        const std::string& dest);

} // namespace pact::store
