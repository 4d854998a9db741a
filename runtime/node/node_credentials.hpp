#pragma once

/// An enrolled agent's credentials (issue 16; docs/security.md "Node
/// enrollment"): its private key, the node certificate the journal signed,
/// and the CA that signed it. CAF-free and clock-free: times are arguments.
///
/// The certificate is renewed at two thirds of its life (3 days by default:
/// after 2 days), so a journal outage shorter than the last third never
/// lets it expire.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "runtime/common/error.hpp"
#include "runtime/pki/pki.hpp"

namespace pact::node {

struct node_credentials {
  std::string key_pem;
  std::string cert_pem;
  /// The node CA's certificate(s) as the journal gave them.
  std::string ca_pem;
  pki::cert_info info;
};

/// Reads the key and certificate files (`agent.tls.key`, `agent.tls.cert`)
/// and the CA next to the certificate (<cert>.ca). Nothing when the
/// certificate does not exist; an error naming the file when one is
/// unreadable, malformed, or the key does not match.
expected<std::optional<node_credentials>>
load_node_credentials(const std::string& cert_path,
                      const std::string& key_path);

/// Whether the credentials could be stored there: the directories exist or
/// can be made, and are writable. Checked before asking for a certificate,
/// so that a bad path does not use up the one-time token. Errors name the
/// setting (agent.tls.cert / agent.tls.key) and the directory.
status check_credential_paths(const std::string& cert_path,
                              const std::string& key_path);

/// Writes them (the key mode 0600, first), creating the directories.
status store_node_credentials(const std::string& cert_path,
                              const std::string& key_path,
                              const node_credentials& c);

/// When to renew: two thirds into the certificate's life since it was
/// issued (its notBefore plus pki::issue_backdate_seconds), Unix s.
int64_t renew_at(const pki::cert_info& info);

/// What to do with the credentials at hand.
enum class credential_action {
  /// Valid, signed by the journal's current CA, not yet due: use them.
  use,
  /// Valid and current but past two thirds of their life: renew (with the
  /// certificate's own token).
  renew,
  /// None, expired, or signed by a CA the journal no longer has (rotated):
  /// enroll anew.
  enroll,
};

/// Decides for `node`, given the journal's current node CA
/// (`current_ca_pem`; empty when it could not be asked, then the
/// certificate's own CA is trusted). A certificate naming another node
/// counts as none.
credential_action decide(const std::optional<node_credentials>& c,
                         const std::string& node,
                         const std::string& current_ca_pem, int64_t now_unix_s);

} // namespace pact::node
