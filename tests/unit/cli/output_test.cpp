// The CLI's output buffers: write errors are kept with their errno, and in
// text mode every byte is neutralised, even when a character arrives in
// pieces (docs/cli.md "Output").

#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <ostream>
#include <unistd.h>

#include "cli/output.hpp"

using pact::cli::fd_output;

namespace {

/// What `write` printed through an fd_output into a pipe.
template <class Write>
std::string through_pipe(bool neutralise, Write write) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  {
    fd_output buf(fds[1], neutralise);
    std::ostream os(&buf);
    write(os);
    CHECK(buf.close());
    CHECK(buf.error() == 0);
  }
  ::close(fds[1]);
  std::string out;
  char chunk[256];
  ssize_t n;
  while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0)
    out.append(chunk, static_cast<size_t>(n));
  ::close(fds[0]);
  return out;
}

} // namespace

TEST_CASE("text mode neutralises control bytes but keeps lines") {
  auto out = through_pipe(true, [](std::ostream& os) {
    os << "SEQ  MESSAGE\n"
       << "1    \x1b[2K\r\x1b[32mall clear\n"
       << "tail";
  });
  CHECK(out == "SEQ  MESSAGE\n1    \\x1b[2K\\r\\x1b[32mall clear\ntail");
}

TEST_CASE("a character flushed in pieces is judged whole") {
  auto out = through_pipe(true, [](std::ostream& os) {
    os << "a\xe2\x80" << std::flush << "\xae"
       << "b\n"
       << std::flush;
    os << "\xc2" << std::flush << "\x9b" << std::flush;
  });
  CHECK(out == "a\\u202eb\n\\u009b");
}

TEST_CASE("JSON mode passes bytes unchanged") {
  std::string exact = "{\"m\": \"\\u001b[2K\"}\n\xc2\x9b";
  auto out = through_pipe(false, [&](std::ostream& os) { os << exact; });
  CHECK(out == exact);
}

TEST_CASE("a full device is an error that keeps its errno") {
  int fd = ::open("/dev/full", O_WRONLY);
  REQUIRE(fd >= 0);
  fd_output buf(fd, true);
  std::ostream os(&buf);
  os << "entry 1\n";
  CHECK(os.bad());
  CHECK(buf.error() == ENOSPC);
  os << "more\n";
  CHECK_FALSE(buf.close());
  CHECK(buf.error() == ENOSPC);
  ::close(fd);
}

TEST_CASE("output to a closed pipe is EPIPE, and so is a bare flush") {
  std::signal(SIGPIPE, SIG_IGN);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);
  fd_output buf(fds[1], false);
  std::ostream os(&buf);
  os << "no newline yet";
  CHECK(buf.error() == 0); // buffered
  os.flush();
  CHECK(os.bad());
  CHECK(buf.error() == EPIPE);
  ::close(fds[1]);
}
