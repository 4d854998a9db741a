#pragma once

/// Reading certificates, keys and CA bundles for TLS contexts, with errors
/// that name the configuration key and the file (docs/security.md).

#include <string>

#include "runtime/common/error.hpp"
#include "runtime/tls/tls_context.hpp"

namespace pact::tls {

/// Reads a PEM bundle of CA certificates. `key` names where the path came
/// from ("journal.raft.tls_ca", "PACT_CA_BUNDLE") for the messages:
/// "KEY: cannot read 'PATH'", "KEY: 'PATH' holds no PEM certificate".
expected<std::string> load_bundle(const std::string& key,
                                  const std::string& path);

/// Reads a certificate chain and its private key; checks that both are PEM
/// and that they belong together. Errors name the keys and files.
expected<identity>
load_identity(const std::string& cert_key, const std::string& cert_path,
              const std::string& key_key, const std::string& key_path);

} // namespace pact::tls
