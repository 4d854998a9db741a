#include "runtime/node/root_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

namespace pact::node {

owned_fd& owned_fd::operator=(owned_fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

owned_fd::~owned_fd() {
  if (fd_ >= 0)
    ::close(fd_);
}

namespace {

/// The kernel's own limit on symlinks in one resolution (MAXSYMLINKS).
constexpr int max_links = 40;
/// Deepest directory tree cleared out of a file's way.
constexpr int max_clear_depth = 64;

error sys_error(const std::string& what, int err) {
  return make_error(what + ": " + std::strerror(err));
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= path.size()) {
    auto to = path.find('/', from);
    if (to == std::string::npos)
      to = path.size();
    auto part = path.substr(from, to - from);
    if (!part.empty() && part != ".")
      out.push_back(std::move(part));
    from = to + 1;
  }
  return out;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += "/" + n;
  return out.empty() ? "/" : out;
}

/// One resolution under the root (see the header): the open directories
/// from the root down, their names, and the components still to walk.
struct walk {
  std::vector<owned_fd> stack;
  std::vector<std::string> names; // the node path of stack.back()
  std::deque<std::string> todo;
  int links = 0;
  /// The errno that stopped the walk (ENOTDIR: a non-directory on it).
  int err = 0;

  error fail(const std::string& what, int e) {
    err = e;
    return sys_error(what, e);
  }
  std::string shown(const std::string& part) const {
    return joined(names) + (names.empty() ? "" : "/") + part;
  }
  /// lstat of `part`, made as a directory first when missing and `create`.
  status stat_or_make(const std::string& part, bool create, struct stat& st) {
    int at = stack.back().get();
    if (::fstatat(at, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      return {};
    if (errno != ENOENT || !create)
      return fail(shown(part), errno);
    if (::mkdirat(at, part.c_str(), 0755) != 0 && errno != EEXIST)
      return fail("cannot create directory " + shown(part), errno);
    if (::fstatat(at, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return fail(shown(part), errno);
    return {};
  }
  /// Puts the target of symlink `part` in front of what is left to walk;
  /// an absolute one starts again at the root, not at the host's /.
  status follow(const std::string& part) {
    std::vector<char> buf(4096);
    auto n = ::readlinkat(stack.back().get(), part.c_str(), buf.data(),
                          buf.size());
    if (++links > max_links || n <= 0) {
      err = n <= 0 ? errno : ELOOP;
      return make_error(shown(part)
                        + ": a symlink that cannot be resolved inside the "
                          "root");
    }
    std::string target(buf.data(), static_cast<size_t>(n));
    if (target[0] == '/') {
      stack.resize(1);
      names.clear();
    }
    auto parts = components(target);
    todo.insert(todo.begin(), parts.begin(), parts.end());
    return {};
  }
  /// Walks one component.
  status step(std::string part, bool create) {
    if (part == "..") { // never above the root
      if (stack.size() > 1) {
        stack.pop_back();
        names.pop_back();
      }
      return {};
    }
    struct stat st {};
    if (auto s = stat_or_make(part, create, st); !s)
      return s;
    if (S_ISLNK(st.st_mode))
      return follow(part);
    if (!S_ISDIR(st.st_mode)) {
      err = ENOTDIR;
      return make_error(shown(part) + " is not a directory");
    }
    owned_fd next(::openat(stack.back().get(), part.c_str(),
                           O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) // replaced since fstatat: refuse, never follow
      return fail(shown(part), errno);
    stack.push_back(std::move(next));
    names.push_back(std::move(part));
    return {};
  }
};

owned_fd open_root(const std::string& root) {
  return owned_fd(::open(root.empty() ? "/" : root.c_str(),
                         O_PATH | O_DIRECTORY | O_CLOEXEC));
}

/// Resolves `dir` from the open root `rfd` (see the header); on failure
/// `err` holds the errno that stopped it (ENOTDIR for a non-directory in
/// the path). `node_dir`, when given, gets the node path reached.
expected<owned_fd> resolve_from(owned_fd rfd, const std::string& dir,
                                bool create, int& err,
                                std::string* node_dir = nullptr) {
  walk w;
  w.stack.push_back(std::move(rfd));
  for (auto& c : components(dir))
    w.todo.push_back(std::move(c));
  while (!w.todo.empty()) {
    auto part = std::move(w.todo.front());
    w.todo.pop_front();
    if (auto st = w.step(std::move(part), create); !st) {
      err = w.err;
      return st.err();
    }
  }
  err = 0;
  if (node_dir)
    *node_dir = joined(w.names);
  return std::move(w.stack.back());
}

/// Resolves `dir` under `root` (see the header).
expected<owned_fd> resolve(const std::string& root, const std::string& dir,
                           bool create, int& err) {
  auto rfd = open_root(root);
  if (rfd.get() < 0) {
    err = errno;
    return sys_error(root, err);
  }
  return resolve_from(std::move(rfd), dir, create, err);
}

/// The parent directory and last name of absolute node path `path`.
expected<std::pair<std::string, std::string>>
split_path(const std::string& path) {
  auto parts = components(path);
  if (path.empty() || path[0] != '/' || parts.empty() || parts.back() == "..")
    return make_error("'" + path + "' is not an absolute file path");
  auto slash = path.find_last_of('/');
  return std::pair<std::string, std::string>{
    slash == 0 ? "/" : path.substr(0, slash), parts.back()};
}

/// Removes directory `name` in `at` when all it holds is empty
/// directories; else an error naming the first file found (`shown` is the
/// node path of `name`).
status remove_empty_tree(int at, const std::string& name,
                         const std::string& shown, int depth) {
  if (depth > max_clear_depth)
    return make_error(shown + " is nested too deep to clear");
  int fd = ::openat(at, name.c_str(),
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return sys_error(shown, errno);
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    int e = errno;
    ::close(fd);
    return sys_error(shown, e);
  }
  status result;
  while (auto* e = ::readdir(d)) {
    std::string entry = e->d_name;
    if (entry == "." || entry == "..")
      continue;
    struct stat st {};
    if (::fstatat(fd, entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      result = sys_error(shown + "/" + entry, errno);
      break;
    }
    if (!S_ISDIR(st.st_mode)) {
      result = make_error("a directory is in its place and holds " + shown + "/"
                          + entry
                          + "; pact removes only empty directories, move it "
                            "away by hand");
      break;
    }
    if (result = remove_empty_tree(fd, entry, shown + "/" + entry, depth + 1);
        !result)
      break;
  }
  ::closedir(d);
  if (!result)
    return result;
  if (::unlinkat(at, name.c_str(), AT_REMOVEDIR) != 0)
    return sys_error(shown, errno);
  return {};
}

/// Makes way for a rename onto `name`: renameat replaces any non-directory
/// itself; a directory must go first, and only when it is empty.
status clear_way(int at, const std::string& name, const std::string& shown) {
  struct stat st {};
  if (::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0
      || !S_ISDIR(st.st_mode))
    return {};
  return remove_empty_tree(at, name, shown, 0);
}

std::string temp_name(const std::string& name) {
  return "." + name.substr(0, 200) + ".pact-tmp." + std::to_string(::getpid());
}

status write_all(int fd, const std::string& content, const std::string& shown) {
  size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sys_error("cannot write " + shown, errno);
    done += static_cast<size_t>(n);
  }
  return {};
}

/// `make` creates temporary `tmp` in `at`; then the way is cleared and it
/// is renamed over `name`. The temporary never outlives a failure.
template <class Make>
status place(const std::string& root, const std::string& path, Make make) {
  auto where = split_path(path);
  if (!where)
    return where.err();
  const auto& [dir_path, name] = *where;
  int err = 0;
  auto dir = resolve(root, dir_path, true, err);
  if (!dir)
    return make_error("cannot write " + path + ": " + dir.err().message);
  int at = dir->get();
  auto tmp = temp_name(name);
  ::unlinkat(at, tmp.c_str(), 0); // a leftover of a killed agent
  if (auto st = make(at, tmp); !st) {
    ::unlinkat(at, tmp.c_str(), 0);
    return st;
  }
  auto st = clear_way(at, name, path);
  if (st && ::renameat(at, tmp.c_str(), at, name.c_str()) != 0)
    st = sys_error("cannot rename into place " + path, errno);
  if (!st) {
    ::unlinkat(at, tmp.c_str(), 0);
    return make_error("cannot write " + path + ": " + st.err().message);
  }
  return {};
}

} // namespace

expected<owned_fd> open_dir_in_root(const std::string& root,
                                    const std::string& dir, bool create) {
  int err = 0;
  return resolve(root, dir, create, err);
}

expected<parent_in_root> find_parent_in_root(const std::string& root,
                                             const std::string& path) {
  auto where = split_path(path);
  if (!where)
    return where.err();
  // The root first, on its own: a root that is gone (moved away, removed)
  // is an error, never a node whose files are all missing.
  auto rfd = open_root(root);
  if (rfd.get() < 0)
    return sys_error(root.empty() ? "/" : root, errno);
  parent_in_root out;
  out.name = where->second;
  int err = 0;
  auto dir = resolve_from(std::move(rfd), where->first, false, err,
                          &out.node_dir);
  if (!dir) {
    if (err != ENOENT && err != ENOTDIR)
      return dir.err();
    out.node_dir.clear(); // nothing there: no directory, no file
    return out;
  }
  out.dir = std::move(*dir);
  return out;
}

std::string parent_in_root::node_path() const {
  if (node_dir.empty())
    return {};
  return node_dir == "/" ? "/" + name : node_dir + "/" + name;
}

status write_in_root(const std::string& root, const std::string& path,
                     const std::string& content, unsigned mode,
                     std::optional<file_owner> owner) {
  return place(root, path, [&](int at, const std::string& tmp) -> status {
    int fd = ::openat(at, tmp.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      0600);
    if (fd < 0)
      return sys_error("cannot create a temporary beside " + path, errno);
    auto st = write_all(fd, content, path);
    // fchmod: the declared mode exactly, not through the umask.
    if (st && ::fchmod(fd, static_cast<mode_t>(mode & 07777)) != 0)
      st = sys_error(path, errno);
    if (st && owner && ::fchown(fd, owner->uid, owner->gid) != 0)
      st = sys_error(path, errno);
    if (st && ::fsync(fd) != 0)
      st = sys_error("cannot flush " + path, errno);
    ::close(fd);
    return st;
  });
}

status link_in_root(const std::string& root, const std::string& path,
                    const std::string& target) {
  return place(root, path, [&](int at, const std::string& tmp) -> status {
    if (::symlinkat(target.c_str(), at, tmp.c_str()) != 0)
      return sys_error("cannot create a symlink beside " + path, errno);
    return {};
  });
}

status remove_in_root(const std::string& root, const std::string& path) {
  auto where = split_path(path);
  if (!where)
    return where.err();
  int err = 0;
  auto dir = resolve(root, where->first, false, err);
  if (!dir) // no parent directory: no file either
    return err == ENOENT || err == ENOTDIR
             ? status{}
             : make_error("cannot remove " + path + ": " + dir.err().message);
  if (::unlinkat(dir->get(), where->second.c_str(), 0) != 0 && errno != ENOENT
      && errno != EISDIR) // a directory is no file item
    return sys_error("cannot remove " + path, errno);
  return {};
}

std::optional<struct stat> stat_in_root(const std::string& root,
                                        const std::string& path) {
  auto where = split_path(path);
  if (!where)
    return std::nullopt;
  int err = 0;
  auto dir = resolve(root, where->first, false, err);
  struct stat st {};
  if (!dir
      || ::fstatat(dir->get(), where->second.c_str(), &st, AT_SYMLINK_NOFOLLOW)
           != 0)
    return std::nullopt;
  return st;
}

status overwrite_in_root(const std::string& root, const std::string& path,
                         const std::string& content, bool create) {
  auto where = split_path(path);
  if (!where)
    return where.err();
  int err = 0;
  auto dir = resolve(root, where->first, create, err);
  if (!dir)
    return make_error("cannot write " + path + ": " + dir.err().message);
  int fd = ::openat(
    dir->get(), where->second.c_str(),
    O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
  if (fd < 0)
    return sys_error(path, errno);
  auto st = write_all(fd, content, path);
  ::close(fd);
  return st;
}

} // namespace pact::node
