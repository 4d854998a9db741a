#pragma once

/// Writing node files under the agent's --root without ever leaving it
/// (issue 11: "every host path goes through --root"; docs/drift.md,
/// "What a restore replaces").
///
/// A node path is resolved one component at a time from an open
/// descriptor of the root, as chroot(2) would: a symlink among the parent
/// directories is followed, but an absolute target starts again at the
/// root and ".." never climbs above it, so no symlink — planted in a
/// temporary root or on a node — can make a write land outside --root.
/// Every operation then acts on the last component through the parent's
/// descriptor (the *at calls) and never follows it:
///
///   write / link   a temporary beside the item, renamed over it: a
///                  regular file, symlink, FIFO, socket or device in the
///                  way is replaced (a symlink is replaced, not written
///                  through). A directory in the way is removed when it
///                  holds nothing but empty directories; one that holds
///                  files is left alone and the error names a file in it
///                  (pact does not delete what it does not know).
///   remove         the item itself (a symlink, not what it points to);
///                  nothing there (or a directory, which no file item
///                  stands for) is success.
///
/// Errors name the node path and the reason; nothing is left half-written
/// (the temporary is removed on every failure).

#include <sys/stat.h>

#include <optional>
#include <string>

#include "runtime/common/error.hpp"

namespace pact::node {

/// A file descriptor, closed when the owner goes.
class owned_fd {
public:
  owned_fd() = default;
  explicit owned_fd(int fd) : fd_(fd) {
  }
  owned_fd(owned_fd&& o) noexcept : fd_(o.release()) {
  }
  owned_fd& operator=(owned_fd&& o) noexcept;
  owned_fd(const owned_fd&) = delete;
  owned_fd& operator=(const owned_fd&) = delete;
  ~owned_fd();
  int get() const {
    return fd_;
  }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

private:
  int fd_ = -1;
};

/// The node directory `dir` (absolute) under `root`, resolved as above
/// and opened (O_PATH). `create`: missing directories are made (0755).
/// Errors: "DIR is not a directory" (naming the component), "too many
/// symlinks", or the system's reason with the node path.
expected<owned_fd> open_dir_in_root(const std::string& root,
                                    const std::string& dir, bool create);

/// Where node path `path` lives under the root, resolved as writes
/// resolve it (above): so that reads find what writes wrote, a declared
/// file written through a symlinked directory included.
struct parent_in_root {
  /// The parent directory, open (O_PATH); -1 when a directory on the way
  /// does not exist (then nothing is at `path`).
  owned_fd dir;
  /// The node path of the resolved parent ("/srv/conf" for
  /// "/etc/conf.d/x.conf" when /etc/conf.d -> /srv/conf); empty with no
  /// parent.
  std::string node_dir;
  /// The last component of `path` (never followed).
  std::string name;
  /// node_dir + "/" + name: where the item is ("" with no parent).
  std::string node_path() const;
};

/// Resolves the parent of absolute node path `path` without creating
/// anything. Errors: the root itself cannot be opened (a root moved away
/// or removed is not a node whose files are all missing), `path` is not
/// absolute, a symlink loop or a directory that cannot be searched.
expected<parent_in_root> find_parent_in_root(const std::string& root,
                                             const std::string& path);

/// Ownership to give a written file; none = the writer's.
struct file_owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

/// Writes node file `path` = `content` with `mode` (exactly: no umask)
/// and, when given, `owner`, replacing what is in the way (see above).
status write_in_root(const std::string& root, const std::string& path,
                     const std::string& content, unsigned mode,
                     std::optional<file_owner> owner = std::nullopt);

/// Makes node path `path` a symlink to `target` (never resolved).
status link_in_root(const std::string& root, const std::string& path,
                    const std::string& target);

/// Removes node file `path` (see above).
status remove_in_root(const std::string& root, const std::string& path);

/// Writes `content` into node file `path` in place, never through a
/// symlink (the files of /proc/sys cannot be renamed over). `create`: a
/// missing file and its directories are made.
status overwrite_in_root(const std::string& root, const std::string& path,
                         const std::string& content, bool create);

/// lstat of node path `path` through its resolved parent; nullopt when
/// nothing is there or the parent cannot be resolved.
std::optional<struct stat> stat_in_root(const std::string& root,
                                        const std::string& path);

} // namespace pact::node
