#include "runtime/node/node_credentials.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "runtime/common/files.hpp"

namespace pact::node {

namespace {

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? std::string{}
                                                  : path.substr(0, slash);
}

} // namespace

expected<std::optional<node_credentials>>
load_node_credentials(const std::string& cert_path,
                      const std::string& key_path) {
  struct stat st {};
  if (::stat(cert_path.c_str(), &st) != 0)
    return std::optional<node_credentials>{};
  auto cert = files::read_all(cert_path);
  if (!cert)
    return make_error("agent.tls.cert: " + cert.err().message);
  auto key = files::read_all(key_path);
  if (!key)
    return make_error("agent.tls.key: " + key.err().message);
  auto info = pki::parse_cert(*cert);
  if (!info)
    return make_error("agent.tls.cert: '" + cert_path
                      + "' holds no usable certificate: "
                      + info.error().message);
  if (!pki::key_matches_cert(*key, *cert))
    return make_error("agent.tls.key: '" + key_path
                      + "' is not the key of the certificate in '" + cert_path
                      + "'");
  node_credentials c{*key, *cert, "", *info};
  if (auto ca = files::read_all(cert_path + ".ca"))
    c.ca_pem = *ca;
  return std::optional<node_credentials>{std::move(c)};
}

status check_credential_paths(const std::string& cert_path,
                              const std::string& key_path) {
  for (auto [key, path] :
       {std::pair<const char*, const std::string&>{"agent.tls.cert", cert_path},
        {"agent.tls.key", key_path}}) {
    auto dir = parent_dir(path);
    if (dir.empty())
      dir = ".";
    if (auto st = files::make_dirs(dir, 0755); !st)
      return make_error(std::string(key) + ": cannot keep '" + path
                        + "': " + st.err().message);
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
      return make_error(std::string(key) + ": cannot keep '" + path
                        + "': directory '" + dir + "' is not writable");
  }
  return {};
}

status store_node_credentials(const std::string& cert_path,
                              const std::string& key_path,
                              const node_credentials& c) {
  for (auto& path : {cert_path, key_path})
    if (auto dir = parent_dir(path); !dir.empty())
      if (auto st = files::make_dirs(dir, 0755); !st)
        return st;
  // The key first: a certificate on disk always has its key beside it.
  if (auto st = files::write_atomic(key_path, c.key_pem, 0600); !st)
    return st;
  if (auto st = files::write_atomic(cert_path + ".ca", c.ca_pem, 0644); !st)
    return st;
  return files::write_atomic(cert_path, c.cert_pem, 0644);
}

int64_t renew_at(const pki::cert_info& info) {
  // The life counts from issue, not from the backdated notBefore: a 30 s
  // certificate is renewed 20 s after it was issued.
  auto issued = std::min(info.not_before_unix_s + pki::issue_backdate_seconds,
                         info.not_after_unix_s);
  return issued + (info.not_after_unix_s - issued) * 2 / 3;
}

credential_action
decide(const std::optional<node_credentials>& c, const std::string& node,
       const std::string& current_ca_pem, int64_t now_unix_s) {
  // Another node's certificate (a renamed node, a copied configuration)
  // is as good as none.
  if (!c || c->info.common_name != node)
    return credential_action::enroll;
  const auto& ca = current_ca_pem.empty() ? c->ca_pem : current_ca_pem;
  if (ca.empty() || !pki::verify_cert(c->cert_pem, ca, now_unix_s))
    return credential_action::enroll;
  return now_unix_s >= renew_at(c->info) ? credential_action::renew
                                         : credential_action::use;
}

} // namespace pact::node
