#include "cli/output.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>

#include <unistd.h>

#include "runtime/common/terminal_text.hpp"

namespace pact::cli {

namespace {

/// Pending bytes beyond which an unfinished line is written out anyway.
constexpr size_t max_pending_bytes = 64 * 1024;

} // namespace

fd_output::fd_output(int fd, bool neutralise)
  : fd_(fd), neutralise_(neutralise) {
}

fd_output::~fd_output() {
  close();
}

fd_output::int_type fd_output::overflow(int_type ch) {
  if (traits_type::eq_int_type(ch, traits_type::eof()))
    return sync() == 0 ? traits_type::not_eof(ch) : traits_type::eof();
  char c = traits_type::to_char_type(ch);
  return xsputn(&c, 1) == 1 ? ch : traits_type::eof();
}

std::streamsize fd_output::xsputn(const char* s, std::streamsize n) {
  if (error_ != 0)
    return 0;
  pending_.append(s, static_cast<size_t>(n));
  bool line = std::memchr(s, '\n', static_cast<size_t>(n)) != nullptr;
  if ((line || pending_.size() > max_pending_bytes)
      && !drain(drain_mode::lines))
    return 0;
  return n;
}

int fd_output::sync() {
  return drain(drain_mode::partial) ? 0 : -1;
}

bool fd_output::drain(drain_mode mode) {
  if (error_ != 0)
    return false;
  std::string_view text(pending_);
  size_t n = text.size();
  if (mode == drain_mode::lines && n <= max_pending_bytes) {
    auto nl = text.rfind('\n');
    n = nl == std::string_view::npos ? 0 : nl + 1;
  } else if (mode != drain_mode::everything && neutralise_) {
    // A flush in the middle of a character keeps its first bytes back, so
    // that the filter sees the character whole.
    n = terminal_safe_prefix(text);
  }
  if (n == 0)
    return true;
  auto chunk = pending_.substr(0, n);
  pending_.erase(0, n);
  return write_all(neutralise_ ? terminal_safe(chunk, line_mode::multi)
                               : chunk);
}

bool fd_output::close() {
  return drain(drain_mode::everything);
}

bool fd_output::write_all(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    auto w = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      error_ = w < 0 ? errno : EIO;
      pending_.clear();
      return false;
    }
    done += static_cast<size_t>(w);
  }
  return true;
}

output_guard::output_guard()
  : out_(STDOUT_FILENO, true), err_(STDERR_FILENO, true),
    old_out_(std::cout.rdbuf(&out_)), old_err_(std::cerr.rdbuf(&err_)) {
  // A closed pipe must be an error we can see (EPIPE), not a silent death
  // by signal that skips the exit path.
  std::signal(SIGPIPE, SIG_IGN);
}

output_guard::~output_guard() {
  std::cout.flush();
  std::cerr.flush();
  std::cout.rdbuf(old_out_);
  std::cerr.rdbuf(old_err_);
}

int output_guard::finish(int rc) {
  std::cout.flush();
  out_.close();
  int err = out_.error();
  if (err == 0 && std::cout.bad())
    err = EIO;
  if (err == 0)
    return rc;
  // When the command itself succeeded (a write landed), say so: the
  // operator must not run it again because its output was lost.
  if (err != EPIPE)
    std::cerr << "pact: cannot write output: " << std::strerror(err)
              << (rc == 0 ? " (the command itself completed)" : "") << "\n";
  return rc == 0 ? 1 : rc;
}

} // namespace pact::cli
