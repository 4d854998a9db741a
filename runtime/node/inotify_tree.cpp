#include "runtime/node/inotify_tree.hpp"

#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "runtime/common/terminal_text.hpp"

namespace pact::node {

namespace {

constexpr uint32_t watch_mask = IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE
                                | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
                                | IN_ATTRIB | IN_ONLYDIR | IN_DONT_FOLLOW
                                | IN_EXCL_UNLINK;

enum class entry_kind { dir, file, other };

struct dir_entry {
  std::string name;
  entry_kind kind;
};

entry_kind kind_of(const std::string& host_path, unsigned char d_type) {
  if (d_type == DT_DIR)
    return entry_kind::dir;
  if (d_type == DT_REG || d_type == DT_LNK)
    return entry_kind::file;
  if (d_type != DT_UNKNOWN)
    return entry_kind::other;
  struct stat st {};
  if (::lstat(host_path.c_str(), &st) != 0)
    return entry_kind::other;
  if (S_ISDIR(st.st_mode))
    return entry_kind::dir;
  return S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? entry_kind::file
                                                    : entry_kind::other;
}

/// The entries of a directory; empty when it cannot be read (it vanished
/// or is not ours to read: nothing to watch there).
std::vector<dir_entry> list_dir(const std::string& host_dir) {
  std::vector<dir_entry> out;
  DIR* d = ::opendir(host_dir.c_str());
  if (!d)
    return out;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..")
      continue;
    out.push_back({name, kind_of(host_dir + "/" + name, e->d_type)});
  }
  ::closedir(d);
  return out;
}

std::string child(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

/// (st_dev, st_ino) of a directory; nullopt when `host_path` names none.
std::optional<std::pair<uint64_t, uint64_t>>
dir_id(const std::string& host_path) {
  struct stat st {};
  if (::stat(host_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return std::nullopt;
  return std::pair<uint64_t, uint64_t>{st.st_dev, st.st_ino};
}

bool under(const std::string& path, const std::string& dir) {
  return dir == "/"
         || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0
             && path[dir.size()] == '/');
}

} // namespace

expected<std::unique_ptr<inotify_tree>> inotify_tree::open(tree_options opts) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    return make_error(
      std::string("cannot start inotify: ") + std::strerror(errno)
      + (errno == EMFILE ? " (fs.inotify.max_user_instances)" : ""));
  return std::unique_ptr<inotify_tree>(new inotify_tree(std::move(opts), fd));
}

inotify_tree::inotify_tree(tree_options opts, int fd)
  : opts_(std::move(opts)), fd_(fd) {
}

inotify_tree::~inotify_tree() {
  notifier_.reset(); // its thread polls fd_
  ::close(fd_);
}

status inotify_tree::notify_readable(std::function<void()> on_readable) {
  notifier_.reset();
  auto n = readiness_notifier::start(fd_, on_readable);
  if (!n)
    return n.err();
  on_readable_ = std::move(on_readable);
  notifier_ = std::move(*n);
  return {};
}

void inotify_tree::rearm_notify() {
  if (notifier_)
    notifier_->rearm();
}

std::string inotify_tree::host(const std::string& node_path) const {
  if (opts_.root == "/" || opts_.root.empty())
    return node_path;
  return node_path == "/" ? opts_.root : opts_.root + node_path;
}

void inotify_tree::walk(const file_fn& on_file) {
  for (const auto& r : opts_.watch_roots) {
    // Identified before the walk: a move during it is then seen at the
    // next poll rather than missed.
    if (auto id = dir_id(host(r)))
      root_ids_[r] = *id;
    watch_tree(r, on_file);
  }
}

std::string inotify_tree::lost_root() const {
  for (const auto& [r, id] : root_ids_)
    if (dir_id(host(r)) != id)
      return r;
  return {};
}

status inotify_tree::rescan(const file_fn& on_file) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    return make_error(std::string("cannot restart inotify: ")
                      + std::strerror(errno));
  bool notify = notifier_ != nullptr;
  notifier_.reset(); // its thread polls the old instance
  ::close(fd_);
  fd_ = fd;
  // Without a notifier (no eventfd or thread now) the caller's timer is
  // the only wake-up: notifying() tells it to poll at the busy rate.
  if (notify)
    (void)notify_readable(on_readable_);
  dirs_.clear();
  wds_.clear();
  fallback_.clear();
  root_ids_.clear();
  walk(on_file);
  return {};
}

bool inotify_tree::add_watch(const std::string& dir) {
  if (opts_.max_watches != 0 && dirs_.size() >= opts_.max_watches)
    return false;
  int wd = ::inotify_add_watch(fd_, host(dir).c_str(), watch_mask);
  if (wd < 0) {
    if (errno == ENOSPC)
      return false;
    // Vanished or unreadable: nothing to watch, not a fallback either.
    return true;
  }
  dirs_[wd] = dir;
  wds_[dir] = wd;
  return true;
}

void inotify_tree::watch_tree(const std::string& dir, const file_fn& on_file) {
  if (opts_.excluded.excludes_subtree(dir))
    return;
  // A directory inside a fallback subtree is listed by the periodic scan.
  for (const auto& f : fallback_)
    if (dir == f || under(dir, f)) {
      list_tree(dir, on_file);
      return;
    }
  // The watch first, then the listing: a file created in between is
  // reported twice rather than never.
  if (!add_watch(dir)) {
    spdlog::warn("drift: inotify watch limit reached at {}: its subtree is "
                 "covered by periodic hash scans",
                 terminal_safe(dir));
    fallback_.insert(dir);
    list_tree(dir, on_file);
    return;
  }
  for (const auto& e : list_dir(host(dir))) {
    auto path = child(dir, e.name);
    if (e.kind == entry_kind::dir)
      watch_tree(path, on_file);
    else if (e.kind == entry_kind::file && !opts_.excluded.excludes(path))
      on_file(path);
  }
}

void inotify_tree::list_tree(const std::string& dir,
                             const file_fn& on_file) const {
  if (opts_.excluded.excludes_subtree(dir))
    return;
  for (const auto& e : list_dir(host(dir))) {
    auto path = child(dir, e.name);
    if (e.kind == entry_kind::dir)
      list_tree(path, on_file);
    else if (e.kind == entry_kind::file && !opts_.excluded.excludes(path))
      on_file(path);
  }
}

void inotify_tree::walk_fallback(const file_fn& on_file) const {
  for (const auto& f : fallback_)
    list_tree(f, on_file);
}

void inotify_tree::forget_tree(const std::string& dir) {
  for (auto it = wds_.begin(); it != wds_.end();) {
    if (it->first == dir || under(it->first, dir)) {
      ::inotify_rm_watch(fd_, it->second);
      dirs_.erase(it->second);
      it = wds_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = fallback_.begin(); it != fallback_.end();)
    it = (*it == dir || under(*it, dir)) ? fallback_.erase(it) : std::next(it);
}

void inotify_tree::on_event(int wd, uint32_t mask, const std::string& name,
                            tree_poll& out) {
  if (mask & IN_Q_OVERFLOW) {
    out.overflow = true;
    return;
  }
  auto it = dirs_.find(wd);
  if (it == dirs_.end())
    return; // a watch removed a moment ago
  if (mask & IN_IGNORED) {
    wds_.erase(it->second);
    dirs_.erase(it);
    return;
  }
  if (name.empty())
    return; // an event on the directory itself
  auto path = child(it->second, name);
  if (!(mask & IN_ISDIR)) {
    if (!opts_.excluded.excludes(path))
      out.files.insert(path);
    return;
  }
  if (mask & (IN_DELETE | IN_MOVED_FROM)) {
    forget_tree(path);
    out.gone_dirs.insert(path);
  }
  if (mask & (IN_CREATE | IN_MOVED_TO))
    watch_tree(path, [&](const std::string& f) { out.files.insert(f); });
}

tree_poll inotify_tree::poll(size_t max_bytes) {
  tree_poll out;
  alignas(struct inotify_event) char buf[64 * 1024];
  size_t read_total = 0;
  while (read_total < max_bytes && !out.overflow) {
    auto n = ::read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; // EAGAIN: nothing more now
    read_total += static_cast<size_t>(n);
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      std::string name = ev->len ? std::string(ev->name) : std::string();
      on_event(ev->wd, ev->mask, name, out);
      p += sizeof(struct inotify_event) + ev->len;
    }
  }
  // After reading: events of a root moved away meanwhile name paths that
  // are not there; none of them is reported.
  if (auto lost = lost_root(); !lost.empty()) {
    out = tree_poll{};
    out.lost_root = std::move(lost);
  }
  return out;
}

} // namespace pact::node
