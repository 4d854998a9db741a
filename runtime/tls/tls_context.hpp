#pragma once

/// TLS contexts with per-endpoint policy (issue 16; DESIGN.md §5;
/// docs/security.md). CAF-free, on OpenSSL's libssl.
///
/// Stock caf::openssl has one policy per actor system: mutual
/// authentication or anonymous ECDH. pact needs a policy per endpoint:
///
///   endpoint                      server presents   client presents
///   CLI/MCP -> gateway (9443)     site certificate  nothing (bearer token)
///   agent   -> gateway (9443)     site certificate  node certificate
///   replica <-> replica (9444)    replica cert      replica cert (required)
///   CLI     -> agent API (9445)   node certificate  nothing (bearer token)
///
/// A `context` is one side's fixed policy: what it presents, what it
/// trusts, and what it demands of the peer. Every context speaks TLS 1.2 or
/// 1.3 only, with authenticated (ECDHE or TLS 1.3) suites only: anonymous
/// and export suites are never offered, whatever the caller asks.
///
/// Certificates and keys cross this API as PEM text; the caller reads the
/// files, so its errors can name them.

#include <memory>
#include <mutex>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace pact::tls {

/// A certificate chain (leaf first) and its private key, PEM.
struct identity {
  std::string cert_chain_pem;
  std::string key_pem;
  bool empty() const {
    return cert_chain_pem.empty() && key_pem.empty();
  }
};

/// What a listener asks of its clients.
enum class client_certs {
  /// Never asks (agent API: operators authenticate with tokens).
  none,
  /// Asks; a client without one is served, one with a certificate that does
  /// not verify is refused (gateway: agents present node certificates, the
  /// CLI presents none).
  optional,
  /// Refuses clients without a verified certificate (replica links).
  required,
};

struct client_settings {
  /// PEM bundle of the CAs that may sign the server's certificate.
  std::string trust_pem;
  /// Where `trust_pem` came from ("/etc/pact/ca.crt"), for messages.
  std::string trust_source;
  /// Presented when the server asks (agents, replicas); may be empty.
  identity own;
};

struct server_settings {
  /// Presented to every client (required).
  identity own;
  client_certs clients = client_certs::none;
  /// PEM bundle of the CAs that may sign client certificates (required
  /// unless `clients` is none).
  std::string client_trust_pem;
};

/// An immutable SSL_CTX built from settings. Shared by every connection
/// made with it; OpenSSL's SSL_CTX is safe to use from several threads
/// once built.
class context {
public:
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  SSL_CTX* native() const {
    return ctx_;
  }
  bool is_server() const {
    return server_;
  }
  /// What trust_source said (client contexts).
  const std::string& trust_source() const {
    return trust_source_;
  }

  /// A client context. Errors (nullptr and `error` set): "no CA
  /// certificate in <source>", "the certificate and key do not match", ...
  static std::shared_ptr<const context> client(const client_settings& s,
                                               std::string& error);
  /// A server context; errors as for `client`.
  static std::shared_ptr<const context> server(const server_settings& s,
                                               std::string& error);

private:
  context(SSL_CTX* ctx, bool server, std::string trust_source);
  SSL_CTX* ctx_;
  bool server_;
  std::string trust_source_;
};

/// A context that can be replaced while connections made with the old one
/// continue (certificate renewal: docs/security.md). Thread-safe.
class context_slot {
public:
  explicit context_slot(std::shared_ptr<const context> initial = nullptr)
    : current_(std::move(initial)) {
  }
  std::shared_ptr<const context> get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return current_;
  }
  void set(std::shared_ptr<const context> next) {
    std::lock_guard<std::mutex> guard{mtx_};
    current_ = std::move(next);
  }

private:
  mutable std::mutex mtx_;
  std::shared_ptr<const context> current_;
};

/// The X.509 verification result `code` (X509_V_ERR_*) in an operator's
/// words, e.g. "the certificate has expired".
std::string verify_error_text(long code);

} // namespace pact::tls
