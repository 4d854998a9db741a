#pragma once

/// pact's certificate authority and node certificates (issue 16, DESIGN.md
/// §5; docs/security.md). CAF-free, on OpenSSL's libcrypto. Pure apart from
/// the system's random source (key generation, serial numbers): the current
/// time is always a parameter. No exception leaves the API; every failure
/// is a `pki_error` whose message an operator can act on (never OpenSSL's
/// own text).
///
/// Keys are ECDSA P-256 (RFC 5480); certificates are X.509 v3 (RFC 5280)
/// signed with ecdsa-with-SHA256; everything crosses the API as PEM text.
///
/// A node certificate names the node in its subject common name and in a
/// DNS subjectAltName (so that a client asking for node N can check the
/// agent's certificate with ordinary hostname verification, RFC 6125), and
/// is good for TLS client and server authentication (extendedKeyUsage
/// clientAuth + serverAuth): the agent presents it to the journal and
/// serves its API with it.
///
/// Every function leaves the calling thread's OpenSSL error queue empty,
/// on success and on failure (libssl reads that queue to classify its own
/// errors; a stale entry once broke pact's TLS links). Thread-safe: no
/// shared state beyond libcrypto's own.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pact::pki {

/// A failure; `message` is short and says what is wrong ("malformed CSR",
/// "certificate expired", ...).
struct pki_error {
  std::string message;
};

/// Value or error, in the style of std::expected.
template <class T>
class result {
public:
  result(T value) : value_(std::move(value)) {
  }
  result(pki_error err) : error_(std::move(err)) {
  }
  explicit operator bool() const {
    return value_.has_value();
  }
  T& operator*() {
    return *value_;
  }
  const T& operator*() const {
    return *value_;
  }
  T* operator->() {
    return &*value_;
  }
  const T* operator->() const {
    return &*value_;
  }
  const pki_error& error() const {
    return error_;
  }

private:
  std::optional<T> value_;
  pki_error error_;
};

/// Certificates pact signs start this long before they are issued, so a
/// peer whose clock is a little behind accepts them (notBefore = issue
/// time - 5 min).
inline constexpr int64_t issue_backdate_seconds = 300;

/// A private key and its certificate, both PEM.
struct key_and_cert {
  std::string key_pem;
  std::string cert_pem;
};

/// A fresh ECDSA P-256 private key, PEM (PKCS#8, unencrypted).
result<std::string> generate_key();

/// A self-signed CA certificate for `key_pem` (basicConstraints CA:TRUE
/// critical, keyUsage keyCertSign+cRLSign critical), subject CN
/// `common_name`, valid from `now_unix_s` - 5 min until `now_unix_s` +
/// `validity_seconds`. Errors: "empty common name", "common name longer
/// than 64 bytes", "validity must be positive", "validity out of range"
/// (before 1970 or after 9999), "malformed CA key".
result<std::string> make_ca_cert(const std::string& key_pem,
                                 const std::string& common_name,
                                 int64_t now_unix_s, int64_t validity_seconds);

/// Generates a key and its self-signed CA certificate.
result<key_and_cert> make_ca(const std::string& common_name, int64_t now_unix_s,
                             int64_t validity_seconds);

/// A PKCS#10 certificate signing request (RFC 2986) for `key_pem`, subject
/// CN `common_name`, signed with the key (proof of possession).
result<std::string> make_csr(const std::string& key_pem,
                             const std::string& common_name);

/// What a well-formed CSR asks for.
struct csr_info {
  /// Subject CN (exactly one CN required).
  std::string common_name;
  /// SHA-256 of the DER encoding, lower-case hex: identifies the CSR for
  /// replay detection.
  std::string sha256_hex;
  /// The subject public key, PEM (SubjectPublicKeyInfo).
  std::string public_key_pem;
};

/// Parses and checks a CSR: PEM of exactly one CERTIFICATE REQUEST, its
/// self-signature valid, a P-256 or RSA >= 2048 key, one subject CN of 1 to
/// 64 bytes. Errors: "malformed CSR: <why>" (no PEM block, more than one
/// PEM block, PEM block is not a CERTIFICATE REQUEST, bad signature, EC key
/// not on P-256, RSA key shorter than 2048 bits, subject needs exactly one
/// common name, ...). Also refused: input over 64 KiB, RSA over 8192 bits
/// (bounds on what a hostile request may cost). The CSR's other subject
/// attributes and requested extensions are read past, never copied.
result<csr_info> parse_csr(const std::string& csr_pem);

/// What pact reads from a certificate.
struct cert_info {
  /// Subject CN as UTF-8; empty when there is none or more than one.
  std::string common_name;
  /// DNS and IP subjectAltNames, as text.
  std::vector<std::string> alt_names;
  /// Serial number, lower-case hex without leading zeros.
  std::string serial_hex;
  int64_t not_before_unix_s = 0;
  int64_t not_after_unix_s = 0;
  /// SHA-256 of the DER encoding, lower-case hex.
  std::string sha256_hex;
  bool is_ca = false;
};

/// Parses the first certificate of a PEM text. Errors: "malformed
/// certificate".
result<cert_info> parse_cert(const std::string& cert_pem);

/// Signs a node certificate for a CSR that `parse_csr` accepted: subject CN
/// = the CSR's CN, subjectAltName DNS = the CN, EKU clientAuth+serverAuth,
/// keyUsage digitalSignature critical, a random 128-bit serial, valid from
/// `now_unix_s` - 5 min until `now_unix_s` + `validity_seconds`, issued by
/// the CA (`ca` = its key and certificate). The CN must also be a host
/// name: letters, digits, '.', '-', '_' (pact's node names are; anything
/// else could not be a DNS subjectAltName). The notAfter is not clipped to
/// the CA's. Errors: parse_csr's, "malformed CSR: common name is not a host
/// name (...)", "malformed CA key", "malformed CA certificate", "CA key does
/// not match the CA certificate", "CA certificate is not a CA
/// (basicConstraints CA:TRUE)", the validity errors of make_ca_cert.
result<std::string>
sign_node_cert(const key_and_cert& ca, const std::string& csr_pem,
               int64_t now_unix_s, int64_t validity_seconds);

/// A server certificate (EKU serverAuth + clientAuth, so replicas can use it
/// on their mutual links) for `key_pem` with subject CN `names[0]` and
/// every entry of `names` as a subjectAltName (IP when it parses as an IPv4
/// or IPv6 address, else DNS: letters, digits, '.', '-', '_'). Used by
/// `--dev` and by the tests. Errors as sign_node_cert's, and "server name
/// '<name>' is neither an IP address nor a host name".
result<std::string>
sign_server_cert(const key_and_cert& ca, const std::string& key_pem,
                 const std::vector<std::string>& names, int64_t now_unix_s,
                 int64_t validity_seconds);

/// Checks that `cert_pem`'s first certificate was issued by one of the CA
/// certificates in `ca_bundle_pem` and is valid at `now_unix_s`. Errors:
/// "certificate verify failed: <reason>" with the reason in words
/// ("certificate has expired", "certificate is not yet valid", "CA
/// certificate has expired" / "is not yet valid" when the CA is the
/// culprit, "unknown issuer", "bad signature", "issuer is not a CA",
/// "malformed CA bundle", "no CA certificate in the bundle"); "malformed
/// certificate" when `cert_pem` is not one.
///
/// Every certificate of the bundle is a trust anchor, an intermediate CA as
/// well as a root (X509_V_FLAG_PARTIAL_CHAIN); the chain must have at least
/// two links, so a certificate that is itself in the bundle is not thereby
/// trusted ("unknown issuer"). No purpose (EKU) is required here; TLS
/// contexts check that. No revocation check.
result<cert_info> verify_cert(const std::string& cert_pem,
                              const std::string& ca_bundle_pem,
                              int64_t now_unix_s);

/// Whether `key_pem` is the private key of `cert_pem`'s public key (false
/// when either does not parse).
bool key_matches_cert(const std::string& key_pem, const std::string& cert_pem);

} // namespace pact::pki
