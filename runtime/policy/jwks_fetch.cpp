#include "runtime/policy/jwks_fetch.hpp"

#include <nlohmann/json.hpp>

#include "runtime/common/http_client.hpp"
#include "runtime/common/log_text.hpp"

namespace pact::policy {

namespace {

/// GETs `url` and returns the body of a 200 answer.
expected<std::string> get(const std::string& url, const jwks_settings& s) {
  http::client_request req;
  req.url = url;
  req.ca_bundle = s.ca_bundle;
  req.timeout = std::chrono::milliseconds(s.timeout_ms);
  req.max_response_bytes = max_jwks_bytes;
  req.headers = {"Accept: application/json"};
  auto resp = http::perform(req);
  if (!resp)
    return resp.err();
  if (resp->status != 200)
    return make_error(
      safe_text(url, 200) + ": status " + std::to_string(resp->status)
        + (resp->status >= 300 && resp->status < 400
             ? " (a redirect: pact does not follow them; configure the "
               "final URL)"
             : ""),
      exit_code::unavailable);
  return std::move(resp->body);
}

} // namespace

std::string discovery_url(const std::string& issuer) {
  auto base = issuer;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base + "/.well-known/openid-configuration";
}

expected<std::string> jwks_uri_from_discovery(std::string_view document,
                                              const std::string& issuer) {
  auto doc = nlohmann::json::parse(document, nullptr, false);
  if (!doc.is_object())
    return make_error("discovery document is not a JSON object");
  auto iss = doc.find("issuer");
  if (iss == doc.end() || !iss->is_string() || *iss != issuer)
    return make_error("discovery document names issuer "
                      + (iss != doc.end() && iss->is_string()
                           ? in_quotes(iss->get_ref<const std::string&>())
                           : std::string("(none)"))
                      + ", not the configured " + in_quotes(issuer));
  auto uri = doc.find("jwks_uri");
  if (uri == doc.end() || !uri->is_string())
    return make_error("discovery document has no jwks_uri");
  const auto& text = uri->get_ref<const std::string&>();
  if (text.rfind("https://", 0) != 0)
    return make_error("discovery document's jwks_uri " + in_quotes(text)
                      + " is not an https URL");
  return text;
}

expected<key_set> fetch_jwks(const jwks_settings& s) {
  auto url = s.jwks_url;
  if (url.empty()) {
    auto where = discovery_url(s.issuer);
    auto doc = get(where, s);
    if (!doc)
      return doc.err();
    auto uri = jwks_uri_from_discovery(*doc, s.issuer);
    if (!uri)
      return make_error(safe_text(where, 200) + ": " + uri.err().message,
                        exit_code::unavailable);
    url = *uri;
  }
  auto doc = get(url, s);
  if (!doc)
    return doc.err();
  auto keys = parse_jwks(*doc);
  if (!keys)
    return make_error(safe_text(url, 200) + ": " + keys.err().message,
                      exit_code::unavailable);
  return keys;
}

} // namespace pact::policy
