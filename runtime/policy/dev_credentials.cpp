#include "runtime/policy/dev_credentials.hpp"

#include "runtime/common/files.hpp"
#include "runtime/policy/token.hpp"

namespace pact::policy {

namespace {

/// Signs `claims` with `secret` and writes the token to `path` (0600).
status write_token(const std::string& path, const token_claims& claims,
                   const std::string& secret, const std::string& what) {
  auto token = sign_hs256(claims, secret);
  if (token.empty())
    return make_error("cannot sign the development " + what);
  return files::write_atomic(path, token + "\n", 0600);
}

} // namespace

expected<dev_credentials>
ensure_dev_credentials(const std::string& dir, const std::string& issuer,
                       const std::string& audience, int64_t now_unix_seconds,
                       const std::string& node_id) {
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
  if (auto st = write_token(out.token_path, claims, out.secret, "admin token");
      !st)
    return st.err();
  if (node_id.empty())
    return out;
  out.node_token_path = dir + "/node.token";
  claims.subject = node_id;
  claims.groups = {"pact-node"};
  claims.principal_type = "service";
  if (auto st = write_token(out.node_token_path, claims, out.secret,
                            "node token");
      !st)
    return st.err();
  return out;
}

} // namespace pact::policy
