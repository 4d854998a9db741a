#include "runtime/tls/dev_certs.hpp"

#include <algorithm>

#include "runtime/common/files.hpp"
#include "runtime/pki/pki.hpp"

namespace pact::tls {

namespace {

constexpr int64_t year = 365 * 86400;

error dev_error(const std::string& what, const pki::pki_error& e) {
  return make_error("--dev: cannot make " + what + ": " + e.message);
}

/// Whether DIR/server.crt can stay: signed by `ca_pem`, valid for another
/// day, naming every name.
bool server_cert_usable(const std::string& cert_pem, const std::string& ca_pem,
                        const std::vector<std::string>& names, int64_t now) {
  auto info = pki::verify_cert(cert_pem, ca_pem, now + 86400);
  if (!info)
    return false;
  return std::all_of(names.begin(), names.end(), [&](const std::string& n) {
    return std::find(info->alt_names.begin(), info->alt_names.end(), n)
           != info->alt_names.end();
  });
}

} // namespace

expected<dev_tls_files> ensure_dev_tls(const std::string& dir,
                                       const std::vector<std::string>& names,
                                       int64_t now_unix_s) {
  if (auto st = files::make_dirs(dir, 0700); !st)
    return st.err();
  dev_tls_files out{dir + "/ca.crt", dir + "/server.crt", dir + "/server.key"};
  auto ca_key_path = dir + "/ca.key";
  pki::key_and_cert ca;
  auto old_cert = files::read_all(out.ca_cert);
  auto old_key = files::read_all(ca_key_path);
  auto old_info = old_cert ? pki::parse_cert(*old_cert)
                           : pki::result<pki::cert_info>(pki::pki_error{});
  if (old_cert && old_key && old_info && old_info->is_ca
      && old_info->not_after_unix_s > now_unix_s + 86400
      && pki::key_matches_cert(*old_key, *old_cert)) {
    ca = {*old_key, *old_cert};
  } else {
    auto made = pki::make_ca("pact development CA", now_unix_s, 10 * year);
    if (!made)
      return dev_error("the development CA", made.error());
    ca = *made;
    if (auto st = files::write_atomic(ca_key_path, ca.key_pem, 0600); !st)
      return st.err();
    if (auto st = files::write_atomic(out.ca_cert, ca.cert_pem, 0644); !st)
      return st.err();
  }
  auto cert = files::read_all(out.server_cert);
  auto key = files::read_all(out.server_key);
  if (cert && key && pki::key_matches_cert(*key, *cert)
      && server_cert_usable(*cert, ca.cert_pem, names, now_unix_s))
    return out;
  auto new_key = pki::generate_key();
  if (!new_key)
    return dev_error("a server key", new_key.error());
  auto signed_cert = pki::sign_server_cert(ca, *new_key, names, now_unix_s,
                                           year);
  if (!signed_cert)
    return dev_error("the server certificate", signed_cert.error());
  if (auto st = files::write_atomic(out.server_key, *new_key, 0600); !st)
    return st.err();
  if (auto st = files::write_atomic(out.server_cert, *signed_cert, 0644); !st)
    return st.err();
  return out;
}

} // namespace pact::tls
