#include "runtime/login/oauth_flows.hpp"

namespace pact::login {

namespace {

constexpr const char* device_grant
  = "urn:ietf:params:oauth:grant-type:device_code";

/// A token answer as tokens, or the provider's refusal (exit 2).
expected<token_set> tokens_or_refusal(const expected<https_reply>& reply,
                                      const std::string& what) {
  if (!reply)
    return reply.err();
  auto parsed = parse_token_reply(reply->status, reply->body, what);
  if (!parsed)
    return parsed.err();
  if (!parsed->ok)
    return make_error(what + ": the identity provider refused: "
                        + describe(parsed->err),
                      exit_code::auth_failure);
  return parsed->tokens;
}

} // namespace

expected<provider_endpoints> discover(const std::string& issuer,
                                      const https_options& opts) {
  auto base = issuer;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  auto url = base + "/.well-known/openid-configuration";
  auto reply = https_get(url, opts);
  if (!reply)
    return reply.err();
  if (reply->status != 200)
    return make_error(url + " answered HTTP " + std::to_string(reply->status)
                      + " (is " + issuer + " an OpenID Connect provider?)");
  return parse_discovery(issuer, reply->body);
}

expected<device_authorization>
start_device_login(const provider_endpoints& p, const std::string& client_id,
                   const std::string& scope, const https_options& opts) {
  if (p.device_authorization_endpoint.empty())
    return make_error("the identity provider " + p.issuer
                      + " does not offer the device flow (no "
                        "device_authorization_endpoint); use pact login "
                        "--service-account or a token file");
  auto reply = https_post_form(
    p.device_authorization_endpoint,
    form_encode({{"client_id", client_id}, {"scope", scope}}), opts);
  if (!reply)
    return reply.err();
  return parse_device_authorization(reply->status, reply->body);
}

expected<token_reply>
poll_device_token(const provider_endpoints& p, const std::string& client_id,
                  const std::string& device_code, const https_options& opts) {
  auto reply = https_post_form(p.token_endpoint,
                               form_encode({{"grant_type", device_grant},
                                            {"device_code", device_code},
                                            {"client_id", client_id}}),
                               opts);
  if (!reply)
    return reply.err();
  return parse_token_reply(reply->status, reply->body, "device login");
}

expected<token_set>
poll_device_login(device_poll& poll,
                  const std::function<expected<token_reply>()>& ask,
                  const std::function<int64_t()>& now_ms,
                  const std::function<void(int64_t)>& sleep_until_ms) {
  while (poll.current() == device_poll::state::waiting) {
    sleep_until_ms(poll.next_poll_ms());
    if (poll.expire_if_due(now_ms()))
      break;
    auto reply = ask();
    if (!reply)
      return reply.err();
    poll.on_reply(*reply, now_ms());
  }
  if (poll.current() == device_poll::state::failed)
    return poll.failure();
  return poll.tokens();
}

expected<token_set> client_credentials_login(const provider_endpoints& p,
                                             const std::string& client_id,
                                             const std::string& secret,
                                             const std::string& scope,
                                             const https_options& opts) {
  std::vector<std::pair<std::string, std::string>> form{
    {"grant_type", "client_credentials"}};
  if (!scope.empty())
    form.emplace_back("scope", scope);
  return tokens_or_refusal(https_post_form(p.token_endpoint, form_encode(form),
                                           opts, client_id, secret),
                           "service-account login");
}

expected<token_set> refresh_login(const login_record& r,
                                  const https_options& opts) {
  if (r.refresh_token.empty())
    return make_error("the login to " + r.server
                        + " has no refresh token; run pact login again",
                      exit_code::auth_failure);
  auto t = tokens_or_refusal(
    https_post_form(r.token_endpoint,
                    form_encode({{"grant_type", "refresh_token"},
                                 {"refresh_token", r.refresh_token},
                                 {"client_id", r.client_id}}),
                    opts),
    "renewing the login to " + r.server);
  if (t && t->refresh_token.empty())
    t->refresh_token = r.refresh_token;
  return t;
}

expected<revocation>
revoke_token(const login_record& r, const std::string& token,
             const std::string& hint, const https_options& opts,
             const std::string& client_secret) {
  if (r.revocation_endpoint.empty())
    return make_error("the identity provider publishes no revocation "
                      "endpoint");
  std::vector<std::pair<std::string, std::string>> form{
    {"token", token}, {"token_type_hint", hint}};
  if (client_secret.empty())
    form.emplace_back("client_id", r.client_id);
  auto reply = https_post_form(
    r.revocation_endpoint, form_encode(form), opts,
    client_secret.empty() ? std::string() : r.client_id, client_secret);
  if (!reply)
    return reply.err();
  // RFC 7009 §2.2: 200 whether or not the token was valid.
  if (reply->status == 200)
    return revocation::revoked;
  auto answer = parse_token_reply(reply->status, reply->body, "revocation");
  if (answer && !answer->ok && answer->err.code == "unsupported_token_type")
    return revocation::unsupported;
  return make_error(
    r.revocation_endpoint + " answered HTTP " + std::to_string(reply->status)
    + (answer && !answer->ok ? ": " + describe(answer->err) : std::string()));
}

void apply_tokens(login_record& r, const token_set& t, int64_t now_unix) {
  r.access_token = t.access_token;
  r.refresh_token = t.refresh_token;
  r.obtained_at_unix = now_unix;
  r.expires_at_unix = t.expires_in_seconds > 0 ? now_unix + t.expires_in_seconds
                                               : 0;
}

} // namespace pact::login
