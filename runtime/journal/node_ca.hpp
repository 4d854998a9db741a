#pragma once

/// The certificate authority that signs node certificates (issue 16;
/// DESIGN.md §5, docs/security.md). CAF-free: the gateway holds one
/// `node_ca` and reads it for every certificate request.
///
/// Where it comes from (journal.toml, docs/configuration.md):
///   * `journal.tls.ca_cert` + `journal.tls.ca_key` set: loaded from those
///     PEM files. Errors name the key and the file: unreadable, not a CA
///     certificate, key does not match the certificate, one set without
///     the other.
///   * neither set: an ephemeral CA generated at startup (CN
///     "pact ephemeral node CA", ten years), held in memory only. Every
///     start makes a new one, so nodes enrolled before a restart must enroll
///     again (the troubleshooting guide's "Ephemeral CA rotated"). Each
///     replica makes its own and the replicas of a cluster converge on the
///     oldest over their TLS raft links (prefer_shared below; the replica
///     actor exchanges them).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "runtime/common/config.hpp"
#include "runtime/common/error.hpp"
#include "runtime/pki/pki.hpp"

namespace pact::journal {

/// Common name of the ephemeral CA.
inline constexpr const char* ephemeral_ca_name = "pact ephemeral node CA";
/// Validity of the ephemeral CA: ten years (it dies with the process long
/// before).
inline constexpr int64_t ephemeral_ca_validity_seconds = 10LL * 365 * 24 * 3600;

/// One CA: its key and certificate, and what pact reads from it.
struct node_ca_material {
  pki::key_and_cert ca;
  /// SHA-256 of the certificate's DER, lower-case hex (NODE_ACTIVATE's
  /// ca_sha256).
  std::string cert_sha256_hex;
  /// Generated at startup, not loaded.
  bool ephemeral = false;
};

/// Loads the CA from PEM files. `cert_key` / `key_key` name the settings
/// in errors ("journal.tls.ca_cert: /etc/pact/ca.crt: not a CA
/// certificate").
expected<node_ca_material>
load_node_ca(const std::string& cert_path, const std::string& key_path,
             const std::string& cert_key, const std::string& key_key);

/// Generates an ephemeral CA valid from `now_unix_s`.
expected<node_ca_material> ephemeral_node_ca(int64_t now_unix_s);

/// The holder the gateway reads. Thread-safe: current() and replace() may
/// be called from any thread (a rotation will replace the CA while
/// requests are signed with the previous one, which stays alive for them
/// through its shared_ptr).
class node_ca {
public:
  node_ca(node_ca_material m, int64_t node_cert_validity_seconds);

  std::shared_ptr<const node_ca_material> current() const;
  void replace(node_ca_material m);

  /// `journal.tls.node_cert_validity_seconds`.
  int64_t node_cert_validity_seconds() const {
    return validity_;
  }

private:
  mutable std::mutex mu_;
  std::shared_ptr<const node_ca_material> cur_;
  int64_t validity_;
};

/// Ephemeral CAs shared between replicas (docs/security.md "The node CA"):
/// each replica makes one at start and offers it to its peers over their
/// mutually authenticated links; every replica keeps the oldest it has seen
/// (earliest notBefore, then the smaller certificate SHA-256), so a cluster
/// converges on one CA, and a replica that restarts alone adopts the one its
/// running peers hold (nodes keep their certificates). Returns the offered
/// CA when it is a usable CA certificate with its key and wins over `mine`;
/// nothing otherwise (also when `mine` is not ephemeral: a configured CA is
/// never replaced).
std::optional<node_ca_material> prefer_shared(const node_ca_material& mine,
                                              const std::string& cert_pem,
                                              const std::string& key_pem);

/// The node CA of a journal configuration: loaded from
/// `journal.tls.ca_cert` and `journal.tls.ca_key` when set, else ephemeral;
/// validity of node certificates from
/// `journal.tls.node_cert_validity_seconds` (at least 60 s).
expected<std::shared_ptr<node_ca>> node_ca_from_config(const config::values& v,
                                                       int64_t now_unix_s);

} // namespace pact::journal
