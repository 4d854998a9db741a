#include "runtime/tls/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace pact::tls {

namespace {

struct bio_free {
  void operator()(BIO* b) const {
    BIO_free(b);
  }
};
using bio_ptr = std::unique_ptr<BIO, bio_free>;

bio_ptr memory_bio(const std::string& pem) {
  return bio_ptr{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
}

/// TLS 1.2 suites offered: ECDHE key exchange with AEAD ciphers only.
/// Excludes every anonymous (aNULL), null-cipher, static-RSA, PSK, SRP,
/// CBC and SHA-1 suite. TLS 1.3 suites are all authenticated AEAD.
constexpr const char* tls12_ciphers
  = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!PSK:!SRP";

/// Adds every certificate of `pem` to the context's trust store; returns
/// how many there were.
int add_trust(SSL_CTX* ctx, const std::string& pem) {
  auto bio = memory_bio(pem);
  auto* store = SSL_CTX_get_cert_store(ctx);
  int n = 0;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, x); // duplicates are harmless
    X509_free(x);
    ++n;
  }
  ERR_clear_error(); // the read that ended the loop left an "no start line"
  return n;
}

bool use_identity(SSL_CTX* ctx, const identity& id, std::string& error) {
  auto bio = memory_bio(id.cert_chain_pem);
  X509* leaf = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr) {
    error = "no certificate in the certificate file";
    return false;
  }
  bool ok = SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  if (!ok) {
    error = "the certificate cannot be used (key too weak or malformed)";
    return false;
  }
  while (
    X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) { // takes ownership
      X509_free(extra);
      break;
    }
  }
  ERR_clear_error();
  auto kbio = memory_bio(id.key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr,
                                          nullptr);
  if (key == nullptr) {
    error = "no private key in the key file (an encrypted key is not "
            "supported)";
    return false;
  }
  ok = SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!ok || SSL_CTX_check_private_key(ctx) != 1) {
    error = "the certificate and key do not match";
    return false;
  }
  return true;
}

SSL_CTX* new_context(bool server) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method()
                                    : TLS_client_method());
  if (ctx == nullptr)
    return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx, tls12_ciphers);
  // No compression, no renegotiation, no session tickets: nothing to keep
  // between connections, nothing that weakens a long-lived link.
  // A peer that closes without close_notify (pact's own clients when
  // their process ends, health checks) has closed, not failed: BASP frames
  // its messages itself, so no truncation can go unnoticed.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION
                             | SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // Partial writes and moving buffers: the multiplexer retries a write
  // with the same bytes at a possibly different address.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

} // namespace

context::context(SSL_CTX* ctx, bool server, std::string trust_source)
  : ctx_(ctx), server_(server), trust_source_(std::move(trust_source)) {
}

context::~context() {
  SSL_CTX_free(ctx_);
}

std::shared_ptr<const context> context::client(const client_settings& s,
                                               std::string& error) {
  SSL_CTX* ctx = new_context(false);
  if (ctx == nullptr) {
    error = "cannot create a TLS context";
    ERR_clear_error();
    return nullptr;
  }
  std::shared_ptr<const context> out{new context(ctx, false, s.trust_source)};
  if (add_trust(ctx, s.trust_pem) == 0) {
    error = "no CA certificate in " + s.trust_source;
    return nullptr;
  }
  if (!s.own.empty() && !use_identity(ctx, s.own, error)) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  ERR_clear_error();
  return out;
}

std::shared_ptr<const context> context::server(const server_settings& s,
                                               std::string& error) {
  SSL_CTX* ctx = new_context(true);
  if (ctx == nullptr) {
    error = "cannot create a TLS context";
    ERR_clear_error();
    return nullptr;
  }
  std::shared_ptr<const context> out{new context(ctx, true, "")};
  if (!use_identity(ctx, s.own, error)) {
    ERR_clear_error();
    return nullptr;
  }
  if (s.clients != client_certs::none) {
    if (add_trust(ctx, s.client_trust_pem) == 0) {
      error = "no CA certificate to verify client certificates with";
      return nullptr;
    }
    // Tell clients which CAs we accept, so one with several certificates
    // picks the right one.
    auto bio = memory_bio(s.client_trust_pem);
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(x)));
      X509_free(x);
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    int mode = SSL_VERIFY_PEER;
    if (s.clients == client_certs::required)
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  ERR_clear_error();
  return out;
}

std::string verify_error_text(long code) {
  switch (code) {
    case X509_V_OK:
      return "ok";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "the certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the certificate is not yet valid (check the clocks)";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the certificate does not name the host";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "the certificate is signed by a CA that is not trusted here";
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return "the certificate's signature is invalid";
    case X509_V_ERR_INVALID_PURPOSE:
      return "the certificate is not meant for this use";
    case X509_V_ERR_CERT_REVOKED:
      return "the certificate is revoked";
    default:
      // OpenSSL's own wording stays out of operators' messages; the code
      // is enough to look it up.
      return "the certificate was refused (X.509 verify error "
             + std::to_string(code) + ")";
  }
}

} // namespace pact::tls
