#pragma once

/// Recursive inotify(7) watching of the node's file tree under --root,
/// blacklist-first (troubleshooting guide, "Drift Detection False
/// Positives": everything is watched except excluded globs). CAF-free; the
/// drift watcher actor polls it on a timer (non-blocking reads).
///
/// Contract:
/// - Paths given to and reported by this class are node paths ("/etc/motd");
///   the --root prefix is added only to touch the file system.
/// - A directory whose whole subtree the blacklist covers is never watched
///   or listed; an excluded file inside a watched directory is never
///   reported. Symlinks are reported as files, never followed.
/// - New directories are watched as they appear, and the files already in
///   them are reported (they may have been written before the watch
///   existed).
/// - Queue overflow (IN_Q_OVERFLOW: events were lost) is reported as
///   `overflow`, never as an error: the caller calls `rescan`, which starts
///   a fresh inotify instance and reports every file, so nothing that
///   happened while events were lost goes unseen.
/// - When the watch limit is reached (inotify_add_watch fails with ENOSPC,
///   fs.inotify.max_user_watches, or `max_watches` of the options), the
///   directory that could not be watched becomes a fallback root: its
///   subtree is not watched, `walk_fallback` lists its files for the
///   caller's periodic hash scan, and `fallback_roots` says which they are
///   (the agent reports them in `pact status` and `pact diff`).
/// - inotify follows a watched directory wherever it goes: when a watch
///   root (or the --root above it) is renamed away, its events would name
///   paths that no longer hold those files. `poll` compares each watch
///   root's device and inode with what was walked; when a root no longer
///   names the directory watched (removed, moved, replaced) it reports
///   `lost_root` and nothing else, and the caller starts over (tester,
///   issue 11: `mv ROOT ROOT.old` reported every file as removed).
/// - Not thread-safe; one owner.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/common/path_glob.hpp"
#include "runtime/node/readiness_notifier.hpp"

namespace pact::node {

struct tree_options {
  /// Host prefix of every node path ("/" on a real node).
  std::string root = "/";
  /// Node paths of the subtrees to watch (agent.drift.watch_roots).
  std::vector<std::string> watch_roots{"/"};
  /// Excluded paths (config, journal and always-excluded directories).
  blacklist excluded;
  /// At most this many watches (0: as many as the kernel allows).
  size_t max_watches = 0;
};

/// What one poll found.
struct tree_poll {
  /// Files that may have changed (created, written, deleted, moved).
  std::set<std::string> files;
  /// Directories that went away or moved: everything the caller knows
  /// under them must be looked at again.
  std::set<std::string> gone_dirs;
  /// Events were lost: call `rescan`.
  bool overflow = false;
  /// A watch root (node path) no longer names the directory watched: its
  /// events are dropped; discard this tree and walk afresh.
  std::string lost_root;
};

class inotify_tree {
public:
  using file_fn = std::function<void(const std::string& node_path)>;

  /// Creates the inotify instance (no watches yet); an error names the
  /// reason (EMFILE: the per-user instance limit).
  static expected<std::unique_ptr<inotify_tree>> open(tree_options opts);

  ~inotify_tree();
  inotify_tree(const inotify_tree&) = delete;
  inotify_tree& operator=(const inotify_tree&) = delete;

  /// Watches every directory of the watch roots and calls `on_file` for
  /// every file (fallback subtrees included).
  void walk(const file_fn& on_file);

  /// After an overflow: a fresh inotify instance, then `walk`.
  status rescan(const file_fn& on_file);

  /// Reads the events pending now (at most `max_bytes` of them), without
  /// blocking.
  tree_poll poll(size_t max_bytes = 256 * 1024);

  /// From now on, calls `on_readable` (on a thread of its own, see
  /// readiness_notifier.hpp) when events are pending, once until
  /// `rearm_notify()`; follows the instance across `rescan`. Fails when no
  /// thread can be set up (the caller keeps polling on its timer).
  status notify_readable(std::function<void()> on_readable);
  /// After a poll that drained the queue: wake again on the next event.
  void rearm_notify();
  /// True while `on_readable` will be called for new events.
  bool notifying() const {
    return notifier_ != nullptr;
  }

  /// Lists the files of the fallback subtrees (for a periodic hash scan).
  void walk_fallback(const file_fn& on_file) const;

  /// Node paths of subtrees covered by periodic scans, not inotify.
  const std::set<std::string>& fallback_roots() const {
    return fallback_;
  }
  size_t watch_count() const {
    return dirs_.size();
  }

private:
  explicit inotify_tree(tree_options opts, int fd);
  std::string host(const std::string& node_path) const;
  /// Watches `dir` and its subdirectories, reporting files; a directory
  /// that cannot be watched becomes a fallback root and is only listed.
  void watch_tree(const std::string& dir, const file_fn& on_file);
  bool add_watch(const std::string& dir);
  void list_tree(const std::string& dir, const file_fn& on_file) const;
  void forget_tree(const std::string& dir);
  void on_event(int wd, uint32_t mask, const std::string& name, tree_poll& out);

  tree_options opts_;
  int fd_;
  std::function<void()> on_readable_;
  /// Polls fd_; stopped before fd_ is closed or replaced.
  std::unique_ptr<readiness_notifier> notifier_;
  /// The first watch root that no longer names the directory walked.
  std::string lost_root() const;

  /// (st_dev, st_ino) of each watch root as walked.
  std::map<std::string, std::pair<uint64_t, uint64_t>> root_ids_;
  std::map<int, std::string> dirs_;
  std::map<std::string, int> wds_;
  std::set<std::string> fallback_;
};

} // namespace pact::node
