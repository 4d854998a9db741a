#include "runtime/common/staged_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/common/files.hpp"

namespace pact::files {

namespace {

constexpr std::size_t buffer_bytes = std::size_t{1} << 20;

error sys_error(const std::string& what, const std::string& path) {
  return make_error(path + ": " + what + ": " + std::strerror(errno));
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

expected<std::unique_ptr<staged_file>>
staged_file::create(const std::string& path, unsigned mode) {
  if (exists(path))
    return make_error(path
                      + ": exists; an export never replaces a file "
                        "(remove it or choose another name)");
  auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  static_cast<mode_t>(mode));
  if (fd < 0 && errno == EEXIST)
    return make_error(tmp
                      + ": exists (another export is writing it, or one "
                        "was interrupted: remove it)");
  if (fd < 0)
    return sys_error("cannot create", tmp);
  return std::unique_ptr<staged_file>(new staged_file(path, fd));
}

staged_file::staged_file(std::string path, int fd)
  : path_(std::move(path)), tmp_(path_ + ".tmp"), fd_(fd) {
  buf_.reserve(buffer_bytes);
}

staged_file::~staged_file() {
  if (!committed_)
    discard();
}

void staged_file::discard() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
}

status staged_file::write(std::string_view data) {
  buf_.append(data);
  return buf_.size() >= buffer_bytes ? flush() : status{};
}

status staged_file::flush() {
  std::size_t done = 0;
  while (done < buf_.size()) {
    auto n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sys_error("cannot write", tmp_);
    done += static_cast<std::size_t>(n);
  }
  buf_.clear();
  return {};
}

status staged_file::commit() {
  PACT_ASSERT(fd_ >= 0 && !committed_, "commit() once, on an open file");
  if (auto st = flush(); !st) {
    discard();
    return st;
  }
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    auto err = sys_error("cannot flush", tmp_);
    fd_ = -1;
    discard();
    return err;
  }
  fd_ = -1;
  // link(2), unlike rename(2), refuses to replace a file that appeared
  // at PATH meanwhile.
  if (::link(tmp_.c_str(), path_.c_str()) != 0) {
    auto err = errno == EEXIST
                 ? make_error(path_
                              + ": appeared while exporting; not "
                                "replaced (the export was discarded)")
                 : sys_error("cannot put in place", path_);
    discard();
    return err;
  }
  ::unlink(tmp_.c_str());
  committed_ = true;
  int dir = ::open(parent_of(path_).c_str(),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    // Best effort: the data itself is already durable.
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

} // namespace pact::files
