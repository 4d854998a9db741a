#pragma once

/// Small, careful file helpers for daemons' state folders.

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

} // namespace pact::files
