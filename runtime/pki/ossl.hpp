#pragma once

/// Private to runtime/pki: owning handles for libcrypto objects, PEM and
/// DER conversions, and the pieces that pki.cpp, pki_csr.cpp,
/// pki_verify.cpp and node_token.cpp share. Not installed, not for other
/// libraries.
///
/// Error queue rule: every public function of runtime/pki starts with a
/// `queue_guard`, which empties the calling thread's OpenSSL error queue on
/// return. libcrypto reports failures (and some successes: reading PEM
/// blocks until the end pushes "no start line") by pushing onto that
/// per-thread queue; a queue left full broke TLS in this project before,
/// because libssl reads the queue to classify its own failures.

#include <cstdint>
#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "runtime/pki/pki.hpp"

namespace pact::pki::detail {

template <class T, void (*Free)(T*)>
struct ossl_deleter {
  void operator()(T* p) const {
    Free(p);
  }
};

template <class T, void (*Free)(T*)>
using ossl_ptr = std::unique_ptr<T, ossl_deleter<T, Free>>;

using pkey_ptr = ossl_ptr<EVP_PKEY, EVP_PKEY_free>;
using x509_ptr = ossl_ptr<X509, X509_free>;
using req_ptr = ossl_ptr<X509_REQ, X509_REQ_free>;
using name_ptr = ossl_ptr<X509_NAME, X509_NAME_free>;
using bio_ptr = ossl_ptr<BIO, BIO_free_all>;
using store_ptr = ossl_ptr<X509_STORE, X509_STORE_free>;
using store_ctx_ptr = ossl_ptr<X509_STORE_CTX, X509_STORE_CTX_free>;
using md_ctx_ptr = ossl_ptr<EVP_MD_CTX, EVP_MD_CTX_free>;

/// Empties the thread's OpenSSL error queue when the scope ends (see the
/// file comment).
struct queue_guard {
  queue_guard() = default;
  queue_guard(const queue_guard&) = delete;
  queue_guard& operator=(const queue_guard&) = delete;
  ~queue_guard() {
    ERR_clear_error();
  }
};

/// Latest time X.509 can express (9999-12-31T23:59:59Z, RFC 5280
/// §4.1.2.5.2); every computed validity bound must stay within it.
constexpr int64_t max_x509_time = 253402300799;

/// Grace before `now` in notBefore, so that a peer whose clock is a little
/// behind accepts a certificate issued this instant (pki.hpp: "- 5 min").
constexpr int64_t backdate_seconds = issue_backdate_seconds;

/// Longest subject common name (RFC 5280 Appendix A, ub-common-name).
constexpr size_t max_common_name_bytes = 64;

/// A read-only memory BIO over `text` (which must outlive it).
bio_ptr mem_in(const std::string& text);

/// The private key of `key_pem`, or null. Encrypted keys are refused (no
/// passphrase prompt ever reaches a terminal).
pkey_ptr read_key(const std::string& key_pem);

/// Whether `key` is an EC key on P-256 (secp256r1, RFC 5480).
bool is_p256(EVP_PKEY* key);

/// The first CERTIFICATE block of `pem`, or null.
x509_ptr read_cert(const std::string& pem);

/// A certificate from DER bytes that must be consumed entirely, or null.
x509_ptr cert_from_der(const std::string& der);

/// Everything written to a memory BIO, as text.
std::string mem_text(BIO* bio);

std::string cert_der(X509* cert);
std::string cert_pem(X509* cert);

/// Lower-case hex of `bytes`.
std::string hex(const std::string& bytes);

/// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(const std::string& bytes);

/// The only common name of `name` as UTF-8, or "" when there is none, more
/// than one, or it holds a NUL byte.
std::string only_common_name(const X509_NAME* name);

/// What pact reads from a parsed certificate; false when a field it needs
/// cannot be read (a malformed certificate).
bool describe(X509* cert, cert_info& out);

/// verify_cert on a parsed certificate (pki.hpp).
result<cert_info> verify_x509(X509* cert, const std::string& ca_bundle_pem,
                              int64_t now_unix_s);

} // namespace pact::pki::detail
