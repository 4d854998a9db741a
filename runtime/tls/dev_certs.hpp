#pragma once

/// TLS material for development mode (`pact-journal --dev` with an
/// https:// listen endpoint; issue 16 item 6): a site CA and a server
/// certificate for this host, kept in the dev directory so that the CLI's
/// CA bundle stays valid across restarts. Never for production
/// (docs/security.md "Bootstrapping a site CA").

#include <string>
#include <vector>

#include "runtime/common/error.hpp"

namespace pact::tls {

struct dev_tls_files {
  /// The CA bundle clients trust (DIR/ca.crt).
  std::string ca_cert;
  /// The gateway's certificate and key (DIR/server.crt, DIR/server.key).
  std::string server_cert;
  std::string server_key;
};

/// Keeps DIR/ca.crt, ca.key, server.crt and server.key: made when missing,
/// the server certificate made again when it expires within a day or does
/// not name every entry of `names` (DNS names and IP addresses). Keys are
/// written mode 0600. Valid for a year.
expected<dev_tls_files> ensure_dev_tls(const std::string& dir,
                                       const std::vector<std::string>& names,
                                       int64_t now_unix_s);

} // namespace pact::tls
