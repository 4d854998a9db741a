#include "runtime/login/https_client.hpp"

#include <memory>
#include <mutex>

#include <curl/curl.h>

#include "runtime/login/oauth_replies.hpp"

namespace pact::login {

namespace {

void init_curl() {
  // libcurl's global init is not thread-safe: once, before any transfer.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > max_body_bytes)
    return 0; // aborts the transfer: CURLE_WRITE_ERROR
  body->append(data, size * n);
  return size * n;
}

struct curl_deleter {
  void operator()(CURL* c) const {
    curl_easy_cleanup(c);
  }
};

struct slist_deleter {
  void operator()(curl_slist* l) const {
    curl_slist_free_all(l);
  }
};

expected<https_reply> perform(const std::string& url, const std::string* form,
                              const https_options& opts,
                              const std::string& user,
                              const std::string& password) {
  if (url.rfind("https://", 0) != 0)
    return make_error("refusing to send credentials to '" + url
                      + "': not an https URL");
  init_curl();
  std::unique_ptr<CURL, curl_deleter> c(curl_easy_init());
  if (!c)
    return make_error("cannot start an HTTPS request (out of memory)");
  https_reply reply;
  std::unique_ptr<curl_slist, slist_deleter> headers(
    curl_slist_append(nullptr, "Accept: application/json"));
  auto* h = c.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!opts.ca_bundle.empty())
    curl_easy_setopt(h, CURLOPT_CAINFO, opts.ca_bundle.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(opts.timeout.count()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "pact/" PACT_VERSION);
  if (form != nullptr) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form->c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(form->size()));
  }
  std::string userpwd;
  if (!user.empty()) {
    // RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
    userpwd = form_encode({{"u", user}}).substr(2) + ":"
              + form_encode({{"p", password}}).substr(2);
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERPWD, userpwd.c_str());
  }
  auto rc = curl_easy_perform(h);
  if (rc != CURLE_OK)
    return make_error(curl_failure_text(rc, url, opts), exit_code::unavailable);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

} // namespace

expected<https_reply> https_get(const std::string& url,
                                const https_options& opts) {
  return perform(url, nullptr, opts, {}, {});
}

expected<https_reply>
https_post_form(const std::string& url, const std::string& form,
                const https_options& opts, const std::string& basic_user,
                const std::string& basic_password) {
  return perform(url, &form, opts, basic_user, basic_password);
}

std::string curl_failure_text(int code, const std::string& url,
                              const https_options& opts) {
  auto what = "cannot reach " + url + ": ";
  auto trust = opts.ca_bundle.empty() ? std::string("the system's trusted CAs")
                                      : "the CA bundle " + opts.ca_bundle;
  switch (static_cast<CURLcode>(code)) {
    case CURLE_COULDNT_CONNECT:
      return what + "connection refused";
    case CURLE_OPERATION_TIMEDOUT:
      return what + "no answer within "
             + std::to_string(opts.timeout.count() / 1000) + " s";
    case CURLE_COULDNT_RESOLVE_HOST:
      return what + "host not found";
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return what + "not a valid https URL";
    case CURLE_PEER_FAILED_VERIFICATION:
      return what + "its TLS certificate is not trusted by " + trust
             + " or does not name the host (set oidc_ca_bundle or "
               "PACT_OIDC_CA_BUNDLE to the CA that signed it)";
    case CURLE_SSL_CACERT_BADFILE:
      return what + "cannot read " + trust;
    case CURLE_SSL_CONNECT_ERROR:
      return what + "TLS handshake failed";
    case CURLE_WRITE_ERROR:
      return what + "answer larger than "
             + std::to_string(max_body_bytes / 1024) + " KiB";
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return what + "connection closed before an answer";
    default:
      return what + "request failed (libcurl code " + std::to_string(code)
             + ")";
  }
}

} // namespace pact::login
