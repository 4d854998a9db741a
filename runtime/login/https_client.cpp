#include "runtime/login/https_client.hpp"

#include <openssl/evp.h>

#include "runtime/common/http_client.hpp"

namespace pact::login {

namespace {

/// Standard base64 (RFC 4648 §4), for HTTP Basic credentials.
std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

expected<https_reply> send(http::client_request req, const https_options& opts,
                           const std::string& user,
                           const std::string& password) {
  req.ca_bundle = opts.ca_bundle;
  req.timeout = opts.timeout;
  req.max_response_bytes = max_body_bytes;
  req.headers.push_back("Accept: application/json");
  if (!user.empty())
    // RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
    req.headers.push_back(
      "Authorization: Basic "
      + base64(http::form_encode(user) + ":" + http::form_encode(password)));
  auto resp = http::perform(req);
  if (!resp) {
    auto message = "cannot reach " + resp.err().message;
    if (message.find("TLS certificate not trusted") != std::string::npos)
      message += "; set oidc_ca_bundle or PACT_OIDC_CA_BUNDLE to the CA "
                 "that signed the identity provider's certificate";
    return make_error(message, exit_code::unavailable);
  }
  return https_reply{resp->status, std::move(resp->body)};
}

} // namespace

expected<https_reply> https_get(const std::string& url,
                                const https_options& opts) {
  http::client_request req;
  req.url = url;
  return send(std::move(req), opts, {}, {});
}

expected<https_reply>
https_post_form(const std::string& url, const std::string& form,
                const https_options& opts, const std::string& basic_user,
                const std::string& basic_password) {
  http::client_request req;
  req.method = "POST";
  req.url = url;
  req.body = form;
  req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  return send(std::move(req), opts, basic_user, basic_password);
}

} // namespace pact::login
