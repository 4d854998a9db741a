#include "runtime/common/http_client.hpp"

#include <cctype>
#include <mutex>

#include <curl/curl.h>

#include "runtime/common/log_text.hpp"

namespace pact::http {

namespace {

/// Once per process, before any other thread uses libcurl (its global
/// init is not thread-safe).
void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct sink {
  std::string body;
  size_t limit = 0;
  bool overflow = false;
};

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<sink*>(user);
  size_t bytes = size * n;
  if (s->body.size() + bytes > s->limit) {
    s->overflow = true;
    return 0; // makes libcurl stop with CURLE_WRITE_ERROR
  }
  s->body.append(data, bytes);
  return bytes;
}

std::string describe(CURLcode rc, const client_request& req) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
      return "connection refused";
    case CURLE_OPERATION_TIMEDOUT:
      return "timed out after " + std::to_string(req.timeout.count()) + " ms";
    case CURLE_COULDNT_RESOLVE_HOST:
      return "host not found";
    case CURLE_UNSUPPORTED_PROTOCOL:
      return req.allow_plain_http ? "not an http or https URL"
                                  : "not an https URL";
    case CURLE_URL_MALFORMAT:
      return "malformed URL";
    case CURLE_PEER_FAILED_VERIFICATION:
      return "TLS certificate not trusted or not for this host ("
             + (req.ca_bundle.empty() ? std::string("system CA bundle")
                                      : "CA bundle " + req.ca_bundle)
             + ")";
    case CURLE_SSL_CACERT_BADFILE:
      return "cannot read the CA bundle " + req.ca_bundle;
    case CURLE_SSL_CONNECT_ERROR:
      return "TLS handshake failed";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return "connection closed without an answer";
    default:
      return "request failed (libcurl code " + std::to_string(rc) + ")";
  }
}

/// The URL as messages show it: URLs can come from another server's
/// answer (a discovery document), so they are cut and stripped of
/// control characters like any untrusted text.
std::string shown(const std::string& url) {
  return safe_text(url, 200);
}

} // namespace

expected<client_response> perform(const client_request& req) {
  init_curl();
  CURL* c = curl_easy_init();
  if (c == nullptr)
    return make_error(shown(req.url) + ": no HTTP client",
                      exit_code::unavailable);
  sink s;
  s.limit = req.max_response_bytes;
  curl_slist* headers = nullptr;
  for (const auto& h : req.headers)
    headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); // called off the main thread
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(req.timeout.count()));
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
                   req.allow_plain_http ? "http,https" : "https");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  if (headers != nullptr)
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (!req.ca_bundle.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, req.ca_bundle.c_str());
  if (req.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(req.body.size()));
  }
  auto rc = curl_easy_perform(c);
  client_response resp;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  if (s.overflow)
    return make_error(shown(req.url) + ": answer larger than "
                        + std::to_string(req.max_response_bytes) + " bytes",
                      exit_code::unavailable);
  if (rc != CURLE_OK)
    return make_error(shown(req.url) + ": " + describe(rc, req),
                      exit_code::unavailable);
  resp.body = std::move(s.body);
  return resp;
}

std::string form_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

} // namespace pact::http
