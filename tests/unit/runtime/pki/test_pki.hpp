#pragma once

/// Test-only helpers for runtime/pki: a fixed clock, a CA and nodes made
/// once per process, raw libcrypto builders for inputs pact itself never
/// produces (a CSR with two CNs, an over-long CN, a tampered signature), and
/// an ES256 signer for hand-made node tokens.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "runtime/pki/base64.hpp"
#include "runtime/pki/pki.hpp"

namespace pact::pki::testing {

/// 2026-05-28T20:26:40Z: a fixed "now", so that no test reads the clock.
constexpr int64_t now = 1780000000;
constexpr int64_t hour = 3600;
constexpr int64_t day = 24 * hour;

/// The calling thread's OpenSSL error queue holds nothing (ossl.hpp: every
/// pki function leaves it empty, on failure too).
inline bool queue_empty() {
  return ERR_peek_error() == 0;
}

inline key_and_cert must(result<key_and_cert> r) {
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  return *r;
}

inline std::string must(result<std::string> r) {
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  return *r;
}

/// The CA of most tests: valid ten years from `now` - 5 min.
inline const key_and_cert& test_ca() {
  static const key_and_cert ca = must(make_ca("pact test CA", now, 3650 * day));
  return ca;
}

inline const key_and_cert& other_ca() {
  static const key_and_cert ca
    = must(make_ca("someone else's CA", now, 3650 * day));
  return ca;
}

/// A node key and a certificate from `ca` via a CSR, valid `validity`.
inline key_and_cert enroll(const std::string& name,
                           const key_and_cert& ca = test_ca(),
                           int64_t validity = day) {
  auto key = must(generate_key());
  auto csr = must(make_csr(key, name));
  return {key, must(sign_node_cert(ca, csr, now, validity))};
}

/// The DER of the first PEM block of `pem` and its name.
inline std::string der_of(const std::string& pem, std::string* name = nullptr) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  char* n = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  std::string out;
  if (PEM_read_bio(bio, &n, &header, &data, &len) == 1) {
    out.assign(reinterpret_cast<char*>(data), static_cast<size_t>(len));
    if (name != nullptr)
      *name = n;
  }
  OPENSSL_free(n);
  OPENSSL_free(header);
  OPENSSL_free(data);
  BIO_free(bio);
  ERR_clear_error();
  return out;
}

inline std::string pem_of(const std::string& name, const std::string& der) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio(bio, name.c_str(), "",
                reinterpret_cast<const unsigned char*>(der.data()),
                static_cast<long>(der.size()));
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

/// `pem` with the last byte of its DER flipped: for a certificate or CSR
/// that is the end of the signature, so the structure still parses.
inline std::string flip_last_byte(const std::string& pem) {
  std::string name;
  auto der = der_of(pem, &name);
  REQUIRE(!der.empty());
  der.back() = static_cast<char>(der.back() ^ 0x01);
  return pem_of(name, der);
}

inline EVP_PKEY* load_key(const std::string& key_pem) {
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

inline X509* load_cert(const std::string& cert_pem) {
  BIO* bio = BIO_new_mem_buf(cert_pem.data(),
                             static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

inline std::string key_pem_of(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(bio, key, nullptr, nullptr, 0, nullptr,
                                nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

/// A CSR signed by `key_pem` whose subject has the given (NID, UTF-8 value)
/// entries, set without OpenSSL's length limits: pact's make_csr never
/// builds these.
inline std::string
raw_csr(const std::string& key_pem,
        const std::vector<std::pair<int, std::string>>& rdn) {
  EVP_PKEY* key = load_key(key_pem);
  X509_REQ* req = X509_REQ_new();
  X509_NAME* name = X509_NAME_new();
  for (const auto& [nid, value] : rdn)
    X509_NAME_add_entry_by_NID(
      name, nid, V_ASN1_UTF8STRING,
      reinterpret_cast<const unsigned char*>(value.data()),
      static_cast<int>(value.size()), -1, 0);
  X509_REQ_set_subject_name(req, name);
  X509_REQ_set_pubkey(req, key);
  X509_REQ_sign(req, key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_NAME_free(name);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return out;
}

/// An intermediate CA certificate for `key_pem` ("sub CA") issued by
/// `ca`, valid a day from `now`: pki.hpp makes no such thing.
inline std::string sub_ca_cert(const key_and_cert& ca,
                               const std::string& key_pem) {
  EVP_PKEY* key = load_key(key_pem);
  EVP_PKEY* ca_key = load_key(ca.key_pem);
  X509* issuer = load_cert(ca.cert_pem);
  X509* cert = X509_new();
  X509_set_version(cert, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242);
  X509_NAME_add_entry_by_NID(X509_get_subject_name(cert), NID_commonName,
                             MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("sub CA"),
                             -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(issuer));
  ASN1_TIME_set(X509_getm_notBefore(cert), now - 300);
  ASN1_TIME_set(X509_getm_notAfter(cert), now + day);
  X509_set_pubkey(cert, key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* bc = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints,
                                           "CA:TRUE");
  X509_add_ext(cert, bc, -1);
  X509_EXTENSION_free(bc);
  X509_sign(cert, ca_key, EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_free(cert);
  X509_free(issuer);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(key);
  return out;
}

/// A compact JWS of `header` and `payload` signed ES256 with `key_pem`:
/// node tokens with claims that mint_node_token would never write.
inline std::string sign_token(const std::string& key_pem,
                              const nlohmann::json& header,
                              const nlohmann::json& payload) {
  using detail::base64url_encode;
  auto input = base64url_encode(header.dump()) + "."
               + base64url_encode(payload.dump());
  EVP_PKEY* key = load_key(key_pem);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key);
  auto data = reinterpret_cast<const unsigned char*>(input.data());
  EVP_DigestSign(md, nullptr, &len, data, input.size());
  std::vector<unsigned char> der(len);
  EVP_DigestSign(md, der.data(), &len, data, input.size());
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  return input + "." + base64url_encode(raw);
}

} // namespace pact::pki::testing
