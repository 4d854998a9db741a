#include "runtime/login/renewal.hpp"

#include "runtime/login/oauth_flows.hpp"

namespace pact::login {

namespace {

expected<token_set> renew(const login_record& r, const renewal_inputs& in) {
  if (!r.refresh_token.empty())
    return refresh_login(r, in.http);
  if (r.grant == "client_credentials" && !in.client_id.empty()
      && in.client_id == r.client_id && !in.client_secret.empty()) {
    provider_endpoints p;
    p.issuer = r.issuer;
    p.token_endpoint = r.token_endpoint;
    return client_credentials_login(p, r.client_id, in.client_secret, {},
                                    in.http);
  }
  return make_error("the login has no refresh token", exit_code::auth_failure);
}

} // namespace

expected<std::string> current_token(const token_cache& cache, login_record r,
                                    const renewal_inputs& in) {
  if (!needs_refresh(r, in.now_unix))
    return r.access_token;
  auto t = renew(r, in);
  if (t) {
    apply_tokens(r, *t, in.now_unix);
    if (auto stored = cache.store(r); !stored)
      return stored.err();
    return r.access_token;
  }
  if (!expired(r, in.now_unix)) {
    if (in.warn)
      in.warn("could not renew the login to " + r.server + ": "
              + t.err().message
              + "; using the current token until it "
                "expires");
    return r.access_token;
  }
  auto code = t.err().code == exit_code::unavailable ? exit_code::unavailable
                                                     : exit_code::auth_failure;
  return make_error(
    "the login to " + r.server + " has expired and could not be renewed ("
      + t.err().message + "); run pact login --server " + r.server,
    code);
}

} // namespace pact::login
