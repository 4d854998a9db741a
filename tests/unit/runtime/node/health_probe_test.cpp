// health_probe: tcp and http checks of a service against real loopback
// sockets (issue 12 item 5).

#include "runtime/node/health_probe.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace pact::node;
using ms = std::chrono::milliseconds;

namespace {

/// A listening loopback socket; its port.
struct listener {
  int fd = -1;
  int port = 0;
  listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~listener() {
    if (fd >= 0)
      ::close(fd);
  }
  /// Answers one HTTP request with `status_line`.
  std::thread answer_once(std::string status_line) {
    return std::thread([this, status_line] {
      int c = ::accept(fd, nullptr, nullptr);
      char buf[2048];
      (void)::read(c, buf, sizeof buf);
      auto r = "HTTP/1.1 " + status_line + "\r\nContent-Length: 0\r\n"
               + "Connection: close\r\n\r\n";
      (void)::write(c, r.data(), r.size());
      ::close(c);
    });
  }
};

health_check_spec tcp(int port) {
  health_check_spec h;
  h.type = "tcp";
  h.port = port;
  return h;
}

health_check_spec http(const std::string& url) {
  health_check_spec h;
  h.type = "http";
  h.url = url;
  return h;
}

} // namespace

TEST_CASE("tcp: a listening port is healthy, a closed one is refused") {
  int port;
  {
    listener l;
    port = l.port;
    CHECK(probe_health(tcp(port), ms(1000)).empty());
  }
  CHECK(probe_health(tcp(port), ms(1000))
        == "tcp port " + std::to_string(port) + ": Connection refused");
}

TEST_CASE("http: 2xx/3xx healthy, other statuses and errors named") {
  listener l;
  auto url = "http://127.0.0.1:" + std::to_string(l.port) + "/health";
  auto t = l.answer_once("200 OK");
  CHECK(probe_health(http(url), ms(2000)).empty());
  t.join();
  t = l.answer_once("503 Service Unavailable");
  CHECK(probe_health(http(url), ms(2000)) == "http " + url + ": status 503");
  t.join();
  // Nobody answers: the listener accepts nothing more, so the request
  // times out.
  CHECK(probe_health(http(url), ms(300))
        == "http " + url + ": timed out after 300 ms");
  int closed = l.port;
  ::close(l.fd);
  l.fd = -1;
  auto gone = "http://127.0.0.1:" + std::to_string(closed) + "/";
  CHECK(probe_health(http(gone), ms(1000))
        == "http " + gone + ": connection refused");
  CHECK(probe_health(http("ftp://127.0.0.1/x"), ms(1000))
        == "http ftp://127.0.0.1/x: not an http or https URL");
}
