#include "runtime/node/diag_sources.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include "runtime/common/terminal_text.hpp"
#include "runtime/node/exec_rules.hpp"

namespace pact::node {

namespace {

/// A file descriptor closed when it goes out of scope.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

/// Splits bytes that arrive in pieces into lines; a line longer than
/// diag_max_line_bytes is cut there and its rest skipped.
class line_splitter {
public:
  explicit line_splitter(std::function<void(std::string)> on_line)
    : on_line_(std::move(on_line)) {
  }
  void feed(std::string_view data) {
    while (!data.empty()) {
      auto nl = data.find('\n');
      auto part = data.substr(0, nl);
      if (!skipping_) {
        auto room = diag_max_line_bytes - partial_.size();
        partial_.append(part.substr(0, room));
        if (part.size() > room)
          skipping_ = true;
      }
      if (nl == std::string_view::npos)
        return;
      end_line();
      data.remove_prefix(nl + 1);
    }
  }
  /// The last line when the data did not end with a newline.
  void finish() {
    if (!partial_.empty() || skipping_)
      end_line();
  }

private:
  void end_line() {
    on_line_(std::move(partial_));
    partial_.clear();
    skipping_ = false;
  }
  std::function<void(std::string)> on_line_;
  std::string partial_;
  bool skipping_ = false;
};

std::string host_path(const std::string& root, const std::string& node_path) {
  auto r = root;
  while (r.size() > 1 && r.back() == '/')
    r.pop_back();
  return r == "/" || r.empty() ? node_path : r + node_path;
}

/// Opens node path `path` under `root` for reading, or sets b.note.
int open_source(const std::string& root, const std::string& path, int flags,
                diag_block& b) {
  auto resolved = resolve_in_root(root, path);
  if (!resolved) {
    b.note = "not readable: " + path + ": no such file";
    b.missing = true;
    return -1;
  }
  int fd = ::open(host_path(root, *resolved).c_str(),
                  O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0)
    b.note = "not readable: " + path + ": " + std::strerror(errno);
  return fd;
}

} // namespace

std::optional<std::string> kmsg_line(std::string_view record) {
  if (!record.empty() && record.front() == ' ')
    return std::nullopt; // dictionary data of the record before
  // PRI,SEQ,USEC,FLAGS;TEXT (Documentation/ABI/testing/dev-kmsg).
  auto semi = record.find(';');
  auto c1 = record.find(',');
  auto c2 = c1 == std::string_view::npos ? c1 : record.find(',', c1 + 1);
  auto c3 = c2 == std::string_view::npos ? c2 : record.find(',', c2 + 1);
  if (semi == std::string_view::npos || c3 == std::string_view::npos
      || c3 > semi)
    return std::string(record);
  auto usec_text = record.substr(c2 + 1, c3 - c2 - 1);
  if (usec_text.empty()
      || usec_text.find_first_not_of("0123456789") != std::string_view::npos
      || usec_text.size() > 18)
    return std::string(record);
  auto usec = std::stoull(std::string(usec_text));
  char stamp[48];
  std::snprintf(stamp, sizeof stamp, "[%5llu.%06llu] ",
                static_cast<unsigned long long>(usec / 1'000'000),
                static_cast<unsigned long long>(usec % 1'000'000));
  return stamp + std::string(record.substr(semi + 1));
}

diag_block read_kmsg(const std::string& root, const std::string& path,
                     const line_filter& f, size_t keep, size_t max_bytes) {
  diag_block b;
  b.source = "dmesg";
  fd_guard fd{open_source(root, path, O_NONBLOCK, b)};
  if (fd.fd < 0)
    return b;
  line_tail tail(keep);
  line_splitter split([&](std::string line) {
    auto shown = kmsg_line(line);
    if (shown && f.matches(*shown))
      tail.push(utf8_safe(*shown));
  });
  // /dev/kmsg hands out one record per read and refuses (EINVAL) a buffer
  // too small for the record; 8 KiB is more than the kernel's record size.
  std::string buf(8192, '\0');
  size_t total = 0;
  for (;;) {
    auto n = ::read(fd.fd, buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EPIPE))
      continue; // EPIPE: a record was overwritten while we read; go on
    if (n < 0 && errno != EAGAIN) {
      b.note = "read failed: " + path + ": " + std::strerror(errno);
      break;
    }
    if (n <= 0)
      break; // EAGAIN: no more records now; 0: the end of a file
    split.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
    total += static_cast<size_t>(n);
    if (total >= max_bytes) {
      b.truncated = true; // newer records were not read
      break;
    }
  }
  split.finish();
  b.truncated = b.truncated || tail.truncated();
  b.lines = tail.take();
  return b;
}

diag_block read_log_tail(const std::string& source, const std::string& root,
                         const std::string& path, const line_filter& f,
                         size_t keep, size_t max_bytes) {
  diag_block b;
  b.source = source;
  fd_guard fd{open_source(root, path, 0, b)};
  if (fd.fd < 0)
    return b;
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    b.note = "not readable: " + path + ": not a regular file";
    return b;
  }
  auto size = static_cast<size_t>(st.st_size);
  size_t offset = size > max_bytes ? size - max_bytes : 0;
  line_tail tail(keep);
  // Starting inside the file, the first piece is the end of a line whose
  // start was not read: it is dropped.
  bool drop_first = offset > 0;
  line_splitter split([&](std::string line) {
    if (drop_first) {
      drop_first = false;
      return;
    }
    if (f.matches(line))
      tail.push(utf8_safe(line));
  });
  std::string buf(64 * 1024, '\0');
  auto at = static_cast<off_t>(offset);
  for (;;) {
    auto n = ::pread(fd.fd, buf.data(), buf.size(), at);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      b.note = "read failed: " + path + ": " + std::strerror(errno);
      break;
    }
    if (n == 0 || static_cast<size_t>(at) >= size)
      break; // what was there when it was opened; a growing log is not chased
    split.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
    at += n;
  }
  split.finish();
  b.truncated = offset > 0 || tail.truncated();
  b.lines = tail.take();
  return b;
}

void fit_blocks(std::vector<diag_block>& blocks, size_t max_bytes) {
  auto bytes_of = [](const diag_block& b) {
    size_t n = 0;
    for (const auto& l : b.lines)
      n += l.size() + 1;
    return n;
  };
  std::vector<size_t> sizes;
  size_t total = 0;
  for (const auto& b : blocks) {
    sizes.push_back(bytes_of(b));
    total += sizes.back();
  }
  while (total > max_bytes) {
    size_t big = 0;
    for (size_t i = 1; i < blocks.size(); ++i)
      if (sizes[i] > sizes[big])
        big = i;
    auto& b = blocks[big];
    if (b.lines.empty())
      return; // nothing left to drop (max_bytes 0)
    // Drop a tenth at a time: few passes, and little more than needed.
    size_t drop = std::max<size_t>(1, b.lines.size() / 10);
    size_t freed = 0;
    for (size_t i = 0; i < drop; ++i)
      freed += b.lines[i].size() + 1;
    b.lines.erase(b.lines.begin(),
                  b.lines.begin() + static_cast<std::ptrdiff_t>(drop));
    b.truncated = true;
    sizes[big] -= freed;
    total -= freed;
  }
}

} // namespace pact::node
