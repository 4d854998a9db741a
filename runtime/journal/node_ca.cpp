#include "runtime/journal/node_ca.hpp"

#include "runtime/common/files.hpp"

namespace pact::journal {

namespace {

/// "KEY: PATH: WHAT".
error bad(const std::string& key, const std::string& path,
          const std::string& what) {
  return make_error(key + ": " + path + ": " + what);
}

} // namespace

expected<node_ca_material>
load_node_ca(const std::string& cert_path, const std::string& key_path,
             const std::string& cert_key, const std::string& key_key) {
  auto cert = files::read_all(cert_path);
  if (!cert)
    return bad(cert_key, cert_path, "cannot be read");
  auto key = files::read_all(key_path);
  if (!key)
    return bad(key_key, key_path, "cannot be read");
  auto info = pki::parse_cert(*cert);
  if (!info)
    return bad(cert_key, cert_path, "not a PEM certificate");
  if (!info->is_ca)
    return bad(cert_key, cert_path,
               "not a CA certificate (basicConstraints CA:TRUE is missing)");
  if (!pki::key_matches_cert(*key, *cert))
    return bad(key_key, key_path,
               "is not the private key of " + cert_key + " (" + cert_path
                 + ")");
  node_ca_material m;
  m.ca = {std::move(*key), std::move(*cert)};
  m.cert_sha256_hex = info->sha256_hex;
  return m;
}

expected<node_ca_material> ephemeral_node_ca(int64_t now_unix_s) {
  auto made = pki::make_ca(ephemeral_ca_name, now_unix_s,
                           ephemeral_ca_validity_seconds);
  if (!made)
    return make_error("cannot create the ephemeral node CA: "
                      + made.error().message);
  auto info = pki::parse_cert(made->cert_pem);
  if (!info)
    return make_error("cannot create the ephemeral node CA: "
                      + info.error().message);
  node_ca_material m;
  m.ca = std::move(*made);
  m.cert_sha256_hex = info->sha256_hex;
  m.ephemeral = true;
  return m;
}

std::optional<node_ca_material> prefer_shared(const node_ca_material& mine,
                                              const std::string& cert_pem,
                                              const std::string& key_pem) {
  if (!mine.ephemeral)
    return std::nullopt;
  auto theirs = pki::parse_cert(cert_pem);
  auto ours = pki::parse_cert(mine.ca.cert_pem);
  if (!theirs || !ours || !theirs->is_ca
      || !pki::key_matches_cert(key_pem, cert_pem))
    return std::nullopt;
  bool older = theirs->not_before_unix_s < ours->not_before_unix_s
               || (theirs->not_before_unix_s == ours->not_before_unix_s
                   && theirs->sha256_hex < ours->sha256_hex);
  if (!older)
    return std::nullopt;
  node_ca_material m;
  m.ca = {key_pem, cert_pem};
  m.cert_sha256_hex = theirs->sha256_hex;
  m.ephemeral = true;
  return m;
}

node_ca::node_ca(node_ca_material m, int64_t node_cert_validity_seconds)
  : cur_(std::make_shared<const node_ca_material>(std::move(m))),
    validity_(node_cert_validity_seconds) {
}

std::shared_ptr<const node_ca_material> node_ca::current() const {
  std::lock_guard<std::mutex> guard(mu_);
  return cur_;
}

void node_ca::replace(node_ca_material m) {
  auto next = std::make_shared<const node_ca_material>(std::move(m));
  std::lock_guard<std::mutex> guard(mu_);
  cur_ = std::move(next);
}

expected<std::shared_ptr<node_ca>> node_ca_from_config(const config::values& v,
                                                       int64_t now_unix_s) {
  const std::string cert_key = "journal.tls.ca_cert";
  const std::string key_key = "journal.tls.ca_key";
  const auto& cert = v.get_string(cert_key);
  const auto& key = v.get_string(key_key);
  if (cert.empty() != key.empty())
    return make_error(cert.empty() ? key_key + " is set without " + cert_key
                                   : cert_key + " is set without " + key_key);
  auto m = cert.empty() ? ephemeral_node_ca(now_unix_s)
                        : load_node_ca(cert, key, cert_key, key_key);
  if (!m)
    return m.err();
  return std::make_shared<node_ca>(
    std::move(*m), v.get_int("journal.tls.node_cert_validity_seconds"));
}

} // namespace pact::journal
