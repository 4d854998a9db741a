#pragma once

/// The baseline of watched files: what each file held when the agent first
/// saw it (or after it was committed or restored), so that the agent can
/// show what changed and put it back (issue 11 item 2).
///
/// Limits (STYLE.md: put a limit on everything): a file's content is kept
/// when it is at most `max_file_bytes` and the baseline's kept content is
/// under `max_total_bytes`; otherwise only its SHA-256 is kept, and the
/// file can be shown as changed but not diffed or restored (docs/drift.md).
///
/// Memory: the baseline itself holds, per file, its path and the SHA-256
/// of what it held; kept contents are in a `content_store` (on the agent,
/// a file under its state directory), read back only to diff or restore.
/// Whether a file still holds its baseline is decided by the digest alone.
///
/// File kinds: regular files are read (opened O_NONBLOCK|O_NOFOLLOW after an
/// lstat, so a FIFO or a device never blocks the agent); a symlink's value
/// is "symlink:" + its target; other kinds (sockets, FIFOs, devices) are not
/// items. Paths here are host paths (already prefixed with --root).

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/node/content_store.hpp"
#include "runtime/node/drift.hpp"

namespace pact::node {

struct baseline_limits {
  size_t max_file_bytes = 16 * 1024;
  size_t max_total_bytes = 8 * 1024 * 1024;
};

/// Prefix of a symlink's value.
inline constexpr const char* symlink_prefix = "symlink:";

/// Reads what a path holds now: absent (missing, or not a regular file or
/// symlink), its content when at most `keep_content_up_to` bytes, else
/// "sha256:HEX" of the streamed content. An error (naming the path) only
/// for a file that exists but cannot be read.
expected<item_value> read_file_value(const std::string& host_path,
                                     size_t keep_content_up_to);

/// What a node file holds, and where under the root it is.
struct node_file {
  item_value value;
  /// The node path the file was read at: `node_path` with its parent
  /// directories resolved inside the root as writes resolve them
  /// (root_fs.hpp; "/srv/conf/x.conf" for "/etc/conf.d/x.conf" when
  /// /etc/conf.d -> /srv/conf). Empty when a directory on the way is
  /// missing.
  std::string resolved;
};

/// read_file_value for node path `node_path` under `root`, its parent
/// directories resolved inside the root (a symlink among them followed
/// there, never out of it), the file itself never followed: what the
/// agent's writes (root_fs.hpp) wrote is what it reads back. An error,
/// not an absent file, when the root itself cannot be opened (moved away
/// or removed: the node's files are not known to be gone).
expected<node_file> read_node_file(const std::string& root,
                                   const std::string& node_path,
                                   size_t keep_content_up_to);

/// Whether `value` holds content an operator can read as text (not a hash,
/// no NUL byte).
bool is_text_value(const item_value& value);

/// A unified diff (diff -u style, 3 lines of context, via the dtl library)
/// from `from` to `to`, with "--- LABEL_FROM" / "+++ LABEL_TO" headers.
/// Empty when the texts are equal or either is not text or over
/// `max_bytes` (a diff of a huge or binary file helps nobody).
std::string unified_diff(const item_value& from, const item_value& to,
                         const std::string& label_from,
                         const std::string& label_to, size_t max_bytes);

class file_baseline {
public:
  /// Contents go to `contents`; a memory store when null.
  explicit file_baseline(baseline_limits l = {},
                         std::shared_ptr<content_store> contents = nullptr);

  const baseline_limits& limits() const {
    return limits_;
  }

  /// How much content `record` may keep for the next file: the per-file
  /// cap, or 0 once the total budget is spent.
  size_t content_allowance() const;

  /// Records `value` for `node_path` (replacing an earlier record). A
  /// present value whose content is over the allowance is reduced to its
  /// hash; an absent value forgets the path.
  void record(const std::string& node_path, const item_value& value);

  /// The recorded value; nullopt when the path was never recorded. Kept
  /// content is read from the store (a hash when the store lost it).
  std::optional<item_value> find(const std::string& node_path) const;

  /// Whether `actual` (content, "sha256:HEX" or a symlink's value) is what
  /// the baseline recorded for the path, by digest: no store read.
  bool holds(const std::string& node_path, const item_value& actual) const;

  /// Whether the baseline can put the file back (its content is kept).
  bool restorable(const std::string& node_path) const;

  /// Recorded paths equal to or below `dir`.
  std::vector<std::string> paths_under(const std::string& dir) const;

  size_t size() const {
    return files_.size();
  }
  size_t content_bytes() const {
    return content_bytes_;
  }

private:
  struct entry {
    std::array<unsigned char, 32> digest{};
    /// Where the content is in the store, when `kept`.
    content_ref ref;
    bool kept = false;
  };
  std::optional<entry> entry_of(const std::string& node_path) const;
  /// Rewrites the store once its dead bytes outweigh the live ones.
  void maybe_compact();

  baseline_limits limits_;
  std::shared_ptr<content_store> contents_;
  std::map<std::string, entry> files_;
  size_t content_bytes_ = 0;
};

} // namespace pact::node
