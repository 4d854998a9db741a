#include "runtime/tls/tls_files.hpp"

#include "runtime/common/files.hpp"

namespace pact::tls {

namespace {

constexpr const char* cert_marker = "-----BEGIN CERTIFICATE-----";

expected<std::string> read_pem(const std::string& key,
                               const std::string& path) {
  if (path.empty())
    return make_error(key + " is not set");
  auto text = files::read_all(path);
  if (!text)
    return make_error(key + ": cannot read '" + path + "'");
  return *text;
}

} // namespace

expected<std::string> load_bundle(const std::string& key,
                                  const std::string& path) {
  auto text = read_pem(key, path);
  if (!text)
    return text;
  if (text->find(cert_marker) == std::string::npos)
    return make_error(key + ": '" + path + "' holds no PEM certificate");
  return text;
}

expected<identity>
load_identity(const std::string& cert_key, const std::string& cert_path,
              const std::string& key_key, const std::string& key_path) {
  auto cert = load_bundle(cert_key, cert_path);
  if (!cert)
    return cert.err();
  auto key = read_pem(key_key, key_path);
  if (!key)
    return key.err();
  if (key->find("PRIVATE KEY-----") == std::string::npos)
    return make_error(key_key + ": '" + key_path
                      + "' holds no PEM private key");
  identity id{std::move(*cert), std::move(*key)};
  // Building a throwaway context checks that they parse and match.
  std::string why;
  server_settings probe;
  probe.own = id;
  if (!context::server(probe, why))
    return make_error(cert_key + " '" + cert_path + "' and " + key_key + " '"
                      + key_path + "': " + why);
  return id;
}

} // namespace pact::tls
