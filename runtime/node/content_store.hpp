#pragma once

/// Where the file baseline keeps the contents it can restore (issue 11
/// item 2; item 7's memory target): an append-only blob of file contents,
/// addressed by `content_ref`. The baseline's in-memory index holds each
/// file's ref; the bytes are read back only to show a diff or restore a
/// file.
///
/// Two stores:
/// - `memory_content_store()`: the blob in the heap (unit tests).
/// - `file_content_store(path)`: the blob in a file the agent writes with
///   pwrite and reads with pread (<state-dir>/baseline.contents). The
///   contents then live in the page cache, not in the agent's memory: the
///   kernel can write them back and drop them under memory pressure, and
///   they count in no process's resident set. On a diskless node whose
///   state directory is a tmpfs they still take RAM there (docs/drift.md).
///   The file is scratch: truncated when opened (the baseline is taken
///   anew at each agent start) and never synced.
///
/// Replacing a file's content appends; the old bytes are dead until
/// `compact`, which the baseline calls once dead bytes outweigh live ones.
/// Not thread-safe: the drift state that owns it is used by one actor at a
/// time.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::node {

struct content_ref {
  uint64_t offset = 0;
  uint32_t size = 0;
};

class content_store {
public:
  virtual ~content_store() = default;

  /// Appends `content`; nullopt when it cannot be written (a full disk):
  /// the caller then keeps only a hash, and the file can be shown as
  /// changed but not restored.
  virtual std::optional<content_ref> put(const std::string& content) = 0;

  /// The bytes at `ref`; nullopt when they cannot be read back.
  virtual std::optional<std::string> get(content_ref ref) const = 0;

  /// Marks `ref`'s bytes dead.
  void release(content_ref ref) {
    dead_bytes_ += ref.size;
  }
  uint64_t dead_bytes() const {
    return dead_bytes_;
  }

  /// Rewrites the store with only `live` (the refs still in use), in that
  /// order, and returns their new refs; nullopt (the store unchanged) when
  /// the rewrite fails.
  virtual std::optional<std::vector<content_ref>>
  compact(const std::vector<content_ref>& live) = 0;

protected:
  uint64_t dead_bytes_ = 0;
};

std::unique_ptr<content_store> memory_content_store();

/// Creates (or truncates) `path` (mode 0600) as an empty store. An error
/// names the path and the reason.
expected<std::unique_ptr<content_store>>
file_content_store(const std::string& path);

} // namespace pact::node
