#pragma once

/// Small, careful file helpers for daemons' state folders.

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/common/error.hpp"

namespace pact::files {

/// Creates `dir` and its parents (like mkdir -p) with `mode` for new ones.
status make_dirs(const std::string& dir, unsigned mode = 0755);

/// Writes `content` to `path` atomically: a temporary file in the same
/// directory, fsync, rename. `mode` applies from creation (secrets are never
/// briefly world-readable).
status write_atomic(const std::string& path, const std::string& content,
                    unsigned mode = 0644);

/// Reads a whole file; an error names the path.
expected<std::string> read_all(const std::string& path);

/// True if `path` exists.
bool exists(const std::string& path);

/// An error naming `path` when it exists but is a directory (streams open
/// a directory and then fail, or throw, on the first read); ok otherwise.
status not_a_directory(const std::string& path);

/// Takes `dir`/owner.lock exclusively (flock(2), not blocking) for as long
/// as the returned descriptor stays open: one process per state directory.
/// The kernel drops the lock when the process dies, so a crash leaves no
/// stale lock. Errors: held by another process ("the directory is in use
/// by another process (`holder` holds PATH)"), or it cannot be created.
expected<int> lock_directory(const std::string& dir, const std::string& holder);

/// Bytes an unprivileged writer may still use on the volume holding `dir`
/// (statvfs(3) f_bavail x f_frsize); nothing when it cannot be read.
std::optional<std::uint64_t> free_bytes(const std::string& dir);

/// Below this much room a volume counts as full (full_volume_errno).
inline constexpr std::uint64_t full_volume_bytes = std::uint64_t{1} << 20;

/// The errno an operator should read for a failed write `rc` on a volume
/// with `free` bytes left: a write cut short because the volume filled up
/// comes back from LMDB as EIO (mdb_page_flush turns a short pwrite(2)
/// into EIO, "short write, filesystem full?"), which with under
/// full_volume_bytes left is ENOSPC. Any other `rc` is returned as it is.
int full_volume_errno(int rc, std::optional<std::uint64_t> free);

} // namespace pact::files
