#pragma once

/// The agent's side of enrollment (issue 16; docs/security.md "Node
/// enrollment"):
///
///   * at start, before the journal link connects: asks the journal for its
///     node CA; uses the stored certificate when that CA signed it and it is
///     not yet due for renewal; renews it (with its own certificate-bound
///     token) when due; otherwise enrolls: a fresh P-256 key, a CSR naming
///     the node, the hardware identity, and the one-time token from
///     `--enroll-token-file` (or, when the token is used up or absent, the
///     node credential from `--token-file`: a node whose CA rotated
///     re-enrolls by itself on restart);
///   * afterwards a renewer actor renews at two thirds of the certificate's
///     life. New connections present the new certificate; the open one is
///     not dropped (its TLS session keeps the old one, its requests carry
///     tokens of the new one).
///
/// The certificate and key live at agent.tls.cert / agent.tls.key (the CA
/// beside the certificate, "<cert>.ca").

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "actors/supervision/health.hpp"
#include "runtime/common/clock.hpp"
#include "runtime/common/endpoint.hpp"
#include "runtime/node/node_credentials.hpp"
#include "runtime/tls/tls_context.hpp"

namespace pact::agent {

struct enrollment_settings {
  std::string node;
  /// What the agent presents as its hardware identity.
  std::string hardware_id;
  std::string cert_path;
  std::string key_path;
  /// --enroll-token-file (may be empty).
  std::string enroll_token_file;
  /// --token-file: the node credential (may be empty).
  std::string token_file;
  std::vector<endpoint> journals;
  /// agent.journal.tls_ca: verifies the journal's certificate.
  std::string journal_ca_path;
  std::string journal_ca_pem;
  std::chrono::milliseconds timeout{10000};
};

/// The node's current credentials, shared by the journal link (tokens),
/// its TLS middleman (client certificate) and the renewer. Thread-safe.
class node_identity {
public:
  /// `journal_trust`: the CA bundle verifying the journal, for the client
  /// context; the context presents the node certificate once there is one.
  node_identity(std::string journal_trust_pem, std::string trust_source);

  /// Installs new credentials: new connections present them.
  void set(node::node_credentials c);
  std::optional<node::node_credentials> get() const;
  /// The client context slot the journal link's TLS middleman dials with.
  std::shared_ptr<tls::context_slot> slot() const {
    return slot_;
  }
  /// The server context slot of an https:// agent API: the node
  /// certificate, no client certificates asked (operators authenticate
  /// with tokens). Empty until there are credentials.
  std::shared_ptr<tls::context_slot> server_slot() const {
    return server_slot_;
  }
  /// A certificate-bound token (five minutes, reused for one), or "" when
  /// there is no certificate.
  std::string token(int64_t now_unix_s);

private:
  std::shared_ptr<const tls::context> build(const node::node_credentials* c,
                                            std::string& why) const;
  mutable std::mutex mu_;
  std::string trust_pem_;
  std::string trust_source_;
  std::optional<node::node_credentials> creds_;
  std::shared_ptr<tls::context_slot> slot_;
  std::shared_ptr<tls::context_slot> server_slot_
    = std::make_shared<tls::context_slot>();
  std::string token_;
  int64_t token_minted_ = 0;
};

/// Runs the start-up decision (see above) once, blocking up to a few
/// timeouts. Returns the credentials in force, or an error saying why the
/// agent has none (it then runs with its token-file credential alone).
expected<node::node_credentials>
ensure_credentials(const enrollment_settings& s, const pact::clock& wall,
                   const std::optional<node::node_credentials>& held);

struct renewer_config {
  enrollment_settings enroll;
  std::shared_ptr<node_identity> identity;
  std::shared_ptr<const pact::clock> wall;
  /// Retry after a failed renewal.
  std::chrono::seconds retry{60};
};

/// Renews the certificate at two thirds of its life (detached: a renewal
/// blocks on the journal).
caf::behavior cert_renewer(caf::event_based_actor* self,
                           supervision::health_handle h, renewer_config cfg);

} // namespace pact::agent
