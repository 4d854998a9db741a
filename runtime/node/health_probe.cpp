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

#include <curl/curl.h>

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

/// Once per process, before any other thread uses libcurl (its global
/// init is not thread-safe).
void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t discard(char*, size_t size, size_t n, void*) {
  return size * n;
}

std::string probe_http(const std::string& url,
                       std::chrono::milliseconds timeout) {
  init_curl();
  auto what = "http " + url + ": ";
  CURL* c = curl_easy_init();
  if (c == nullptr)
    return what + "no HTTP client";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); // called off the main thread
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  auto rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  switch (rc) {
    case CURLE_OK:
      return status >= 200 && status < 400
               ? std::string()
               : what + "status " + std::to_string(status);
    case CURLE_COULDNT_CONNECT:
      return what + "connection refused";
    case CURLE_OPERATION_TIMEDOUT:
      return what + "timed out after " + std::to_string(timeout.count())
             + " ms";
    case CURLE_COULDNT_RESOLVE_HOST:
      return what + "host not found";
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return what + "not an http or https URL";
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
      return what + "TLS handshake failed";
    default:
      return what + "request failed (libcurl code " + std::to_string(rc) + ")";
  }
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
