#include "runtime/common/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace pact::files {

namespace {

error sys_error(const std::string& what, const std::string& path) {
  return make_error(path + ": " + what + ": " + std::strerror(errno));
}

} // namespace

status make_dirs(const std::string& dir, unsigned mode) {
  if (dir.empty())
    return {};
  struct stat st {};
  // Usually the directory is there: one stat instead of a mkdir per
  // component (each a walk of the whole path so far).
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return make_error(dir + ": exists but is not a directory");
    return {};
  }
  // Else create from the deepest ancestor that exists, downwards.
  std::vector<std::string> missing{dir};
  for (auto cut = dir.rfind('/'); cut != std::string::npos && cut > 0;
       cut = dir.rfind('/', cut - 1)) {
    auto parent = dir.substr(0, cut);
    if (::stat(parent.c_str(), &st) == 0)
      break;
    missing.push_back(parent);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    if (::mkdir(it->c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST)
      return sys_error("cannot create directory", *it);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(dir + ": exists but is not a directory");
  return {};
}

status write_atomic(const std::string& path, const std::string& content,
                    unsigned mode) {
  auto tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  static_cast<mode_t>(mode));
  if (fd < 0)
    return sys_error("cannot create", tmp);
  size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto err = sys_error("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return sys_error("cannot flush", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return sys_error("cannot rename into place", path);
  }
  return {};
}

status not_a_directory(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return make_error(path + ": is a directory, not a file");
  return {};
}

expected<std::string> read_all(const std::string& path) {
  if (auto st = not_a_directory(path); !st)
    return st.err();
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return make_error(path + ": cannot open: " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::uint64_t> free_bytes(const std::string& dir) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0)
    return std::nullopt;
  return std::uint64_t{fs.f_bavail} * fs.f_frsize;
}

int full_volume_errno(int rc, std::optional<std::uint64_t> free) {
  if (rc == EIO && free && *free < full_volume_bytes)
    return ENOSPC;
  return rc;
}

expected<int> lock_directory(const std::string& dir,
                             const std::string& holder) {
  auto path = dir + "/owner.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return make_error("cannot create " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    return make_error(e == EWOULDBLOCK
                        ? "the directory is in use by another process ("
                            + holder + " holds " + path + ")"
                        : "cannot lock " + path + ": " + std::strerror(e));
  }
  return fd;
}

} // namespace pact::files
