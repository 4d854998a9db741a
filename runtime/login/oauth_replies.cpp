#include "runtime/login/oauth_replies.hpp"

#include <nlohmann/json.hpp>

#include "runtime/common/http_client.hpp"
#include "runtime/common/terminal_text.hpp"
#include "runtime/policy/base64url.hpp"

namespace pact::login {

namespace {

using json = nlohmann::json;

/// Server text for a message: one line, no control bytes, bounded.
std::string server_text(const std::string& text) {
  auto safe = terminal_safe(text);
  if (safe.size() > 200)
    safe = safe.substr(0, 200) + "...";
  return safe;
}

std::string string_field(const json& j, const char* name) {
  auto i = j.find(name);
  return i != j.end() && i->is_string() ? i->get<std::string>() : std::string();
}

int64_t int_field(const json& j, const char* name, int64_t fallback) {
  auto i = j.find(name);
  if (i == j.end())
    return fallback;
  if (i->is_number_integer())
    return i->get<int64_t>();
  // Some servers send numbers as strings.
  if (i->is_string()) {
    try {
      return std::stoll(i->get<std::string>());
    } catch (const std::exception&) {
    }
  }
  return fallback;
}

/// The JSON object of `body`, or nothing.
bool parse_object(const std::string& body, json& out) {
  out = json::parse(body, nullptr, false);
  return !out.is_discarded() && out.is_object();
}

bool is_https(const std::string& url) {
  return url.rfind("https://", 0) == 0 && url.size() > 8;
}

} // namespace

expected<provider_endpoints> parse_discovery(const std::string& issuer,
                                             const std::string& body) {
  auto where = "the discovery document of " + server_text(issuer);
  json j;
  if (!parse_object(body, j))
    return make_error(where + " is not a JSON object");
  provider_endpoints p;
  p.issuer = string_field(j, "issuer");
  if (p.issuer != issuer)
    return make_error(where + " names another issuer ('" + server_text(p.issuer)
                      + "'); refusing it (OpenID Connect Discovery §4.3)");
  p.device_authorization_endpoint
    = string_field(j, "device_authorization_endpoint");
  p.token_endpoint = string_field(j, "token_endpoint");
  p.revocation_endpoint = string_field(j, "revocation_endpoint");
  if (p.token_endpoint.empty())
    return make_error(where + " names no token_endpoint");
  for (auto* url : {&p.device_authorization_endpoint, &p.token_endpoint,
                    &p.revocation_endpoint})
    if (!url->empty() && !is_https(*url))
      return make_error(where + " names an endpoint that is not https ('"
                        + server_text(*url)
                        + "'); tokens never travel in clear");
  return p;
}

expected<device_authorization>
parse_device_authorization(long http_status, const std::string& body) {
  json j;
  bool object = parse_object(body, j);
  if (http_status != 200) {
    if (object && j.contains("error"))
      return make_error("the identity provider refused the device login: "
                          + describe({string_field(j, "error"),
                                      string_field(j, "error_description")}),
                        exit_code::auth_failure);
    return make_error("the identity provider's device authorization "
                      "endpoint answered HTTP "
                      + std::to_string(http_status));
  }
  if (!object)
    return make_error("the device authorization answer is not a JSON object");
  device_authorization d;
  d.device_code = string_field(j, "device_code");
  d.user_code = string_field(j, "user_code");
  d.verification_uri = string_field(j, "verification_uri");
  // Early drafts and some providers spell it verification_url.
  if (d.verification_uri.empty())
    d.verification_uri = string_field(j, "verification_url");
  d.verification_uri_complete = string_field(j, "verification_uri_complete");
  d.expires_in_seconds = int_field(j, "expires_in", 0);
  d.interval_seconds = int_field(j, "interval", 5);
  if (d.device_code.empty() || d.user_code.empty() || d.verification_uri.empty()
      || d.expires_in_seconds <= 0)
    return make_error("the device authorization answer lacks device_code, "
                      "user_code, verification_uri or expires_in");
  if (d.interval_seconds < 1)
    d.interval_seconds = 5;
  return d;
}

expected<token_reply> parse_token_reply(long http_status,
                                        const std::string& body,
                                        const std::string& what) {
  json j;
  bool object = parse_object(body, j);
  token_reply r;
  if (object && http_status != 200 && j.contains("error")) {
    r.err = {string_field(j, "error"), string_field(j, "error_description")};
    return r;
  }
  if (http_status != 200)
    return make_error(what + ": the token endpoint answered HTTP "
                      + std::to_string(http_status));
  if (!object)
    return make_error(what + ": the token endpoint's answer is not JSON");
  r.tokens.access_token = string_field(j, "access_token");
  r.tokens.token_type = string_field(j, "token_type");
  r.tokens.refresh_token = string_field(j, "refresh_token");
  r.tokens.expires_in_seconds = int_field(j, "expires_in", 0);
  r.tokens.scope = string_field(j, "scope");
  if (r.tokens.access_token.empty())
    return make_error(what
                      + ": the token endpoint's answer has no "
                        "access_token");
  // RFC 6749 §7.1: the type is case-insensitive; pact sends bearer tokens
  // only.
  auto type = r.tokens.token_type;
  for (auto& c : type)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type != "bearer")
    return make_error(what + ": the token endpoint issued a token of type '"
                      + server_text(r.tokens.token_type)
                      + "', pact uses Bearer tokens only");
  r.ok = true;
  return r;
}

std::string
form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (auto& [k, v] : fields) {
    if (!out.empty())
      out += '&';
    out += http::form_encode(k) + "=" + http::form_encode(v);
  }
  return out;
}

std::string describe(const oauth_error& err) {
  auto text = err.code.empty() ? std::string("unknown error")
                               : server_text(err.code);
  if (!err.description.empty())
    text += " (" + server_text(err.description) + ")";
  return text;
}

std::string unverified_identity(const std::string& access_token) {
  auto first = access_token.find('.');
  auto second = first == std::string::npos ? first
                                           : access_token.find('.', first + 1);
  if (second == std::string::npos)
    return {};
  auto payload = policy::base64url_decode(
    std::string_view(access_token).substr(first + 1, second - first - 1));
  if (!payload)
    return {};
  json j;
  if (!parse_object(*payload, j))
    return {};
  auto sub = string_field(j, "sub");
  if (sub.empty())
    return {};
  std::string groups;
  if (auto g = j.find("groups"); g != j.end() && g->is_array())
    for (auto& v : *g)
      if (v.is_string())
        groups += (groups.empty() ? "" : ", ") + v.get<std::string>();
  return server_text(sub)
         + (groups.empty() ? "" : " (groups: " + server_text(groups) + ")");
}

} // namespace pact::login
