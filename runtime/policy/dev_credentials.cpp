#include "runtime/policy/dev_credentials.hpp"

#include "runtime/common/files.hpp"
#include "runtime/policy/token.hpp"

namespace pact::policy {

expected<dev_credentials>
ensure_dev_credentials(const std::string& dir, const std::string& issuer,
                       const std::string& audience, int64_t now_unix_seconds) {
  if (auto st = files::make_dirs(dir, 0700); !st)
    return st.err();
  dev_credentials out;
  out.secret_path = dir + "/hmac-secret";
  out.token_path = dir + "/admin.token";
  if (files::exists(out.secret_path)) {
    auto text = files::read_all(out.secret_path);
    if (!text)
      return text.err();
    out.secret = *text;
    while (!out.secret.empty() && out.secret.back() == '\n')
      out.secret.pop_back();
  }
  if (out.secret.empty()) {
    out.secret = generate_secret();
    if (out.secret.empty())
      return make_error("cannot generate a random development secret");
    if (auto st = files::write_atomic(out.secret_path, out.secret + "\n", 0600);
        !st)
      return st.err();
  }
  token_claims claims;
  claims.subject = "dev-admin";
  claims.issuer = issuer;
  claims.audience = audience;
  claims.groups = {"pact-platform-admin"};
  claims.issued_at = now_unix_seconds;
  claims.expires_at = now_unix_seconds + dev_token_lifetime_seconds;
  auto token = sign_hs256(claims, out.secret);
  if (token.empty())
    return make_error("cannot sign the development admin token");
  if (auto st = files::write_atomic(out.token_path, token + "\n", 0600); !st)
    return st.err();
  return out;
}

} // namespace pact::policy
