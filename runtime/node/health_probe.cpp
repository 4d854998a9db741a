#include "runtime/node/health_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "runtime/common/http_client.hpp"

namespace pact::node {

namespace {

std::string probe_tcp(int port, std::chrono::milliseconds timeout) {
  auto what = "tcp port " + std::to_string(port) + ": ";
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return what + "no socket: " + std::strerror(errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string why;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (errno != EINPROGRESS) {
      why = what + std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
      int err = 0;
      socklen_t len = sizeof err;
      if (r == 0)
        why = what + "timed out after " + std::to_string(timeout.count())
              + " ms";
      else if (r < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        why = what + std::strerror(errno);
      else if (err != 0)
        why = what + std::strerror(err);
    }
  }
  ::close(fd);
  return why;
}

std::string probe_http(const std::string& url,
                       std::chrono::milliseconds timeout) {
  http::client_request req;
  req.url = url;
  req.timeout = timeout;
  req.allow_plain_http = true;
  req.max_response_bytes = 64 * 1024; // a health answer, not a download
  auto resp = http::perform(req);
  if (!resp)
    return "http " + resp.err().message;
  auto status = resp->status;
  return status >= 200 && status < 400
           ? std::string()
           : "http " + url + ": status " + std::to_string(status);
}

} // namespace

std::string probe_health(const health_check_spec& h,
                         std::chrono::milliseconds timeout) {
  if (h.type == "tcp")
    return probe_tcp(h.port, timeout);
  if (h.type == "http")
    return probe_http(h.url, timeout);
  return {};
}

} // namespace pact::node
