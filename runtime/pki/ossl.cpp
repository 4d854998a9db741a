#include "runtime/pki/ossl.hpp"

#include <climits>

#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

namespace pact::pki::detail {

namespace {

/// Refuses to decrypt: pact's keys are unencrypted PKCS#8 (pki.hpp), and
/// without a callback OpenSSL would prompt on the controlling terminal.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

} // namespace

bio_ptr mem_in(const std::string& text) {
  if (text.size() > static_cast<size_t>(INT_MAX))
    return nullptr;
  return bio_ptr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

pkey_ptr read_key(const std::string& key_pem) {
  auto bio = mem_in(key_pem);
  if (!bio)
    return nullptr;
  return pkey_ptr(
    PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
}

bool is_p256(EVP_PKEY* key) {
  char group[64] = {0};
  size_t len = 0;
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC
      || EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1)
    return false;
  int nid = OBJ_sn2nid(group);
  if (nid == NID_undef)
    nid = EC_curve_nist2nid(group);
  return nid == NID_X9_62_prime256v1;
}

x509_ptr read_cert(const std::string& pem) {
  auto bio = mem_in(pem);
  if (!bio)
    return nullptr;
  return x509_ptr(
    PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
}

x509_ptr cert_from_der(const std::string& der) {
  if (der.empty() || der.size() > static_cast<size_t>(LONG_MAX))
    return nullptr;
  auto p = reinterpret_cast<const unsigned char*>(der.data());
  const auto* end = p + der.size();
  x509_ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  // Trailing bytes would let two different strings name one certificate.
  if (cert && p != end)
    return nullptr;
  return cert;
}

std::string cert_der(X509* cert) {
  unsigned char* buf = nullptr;
  int len = i2d_X509(cert, &buf);
  if (len <= 0)
    return {};
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
  OPENSSL_free(buf);
  return out;
}

std::string mem_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::string cert_pem(X509* cert) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return {};
  return mem_text(bio.get());
}

std::string hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xf]);
  }
  return out;
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr)
      != 1)
    return {};
  return hex(std::string(reinterpret_cast<char*>(md), len));
}

std::string only_common_name(const X509_NAME* name) {
  if (name == nullptr)
    return {};
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0)
    return {};
  const ASN1_STRING* data
    = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = data != nullptr ? ASN1_STRING_to_UTF8(&utf8, data) : -1;
  if (len < 0)
    return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  // An embedded NUL would let "a\0.evil" pass as "a" in C string checks.
  if (out.find('\0') != std::string::npos)
    return {};
  return out;
}

} // namespace pact::pki::detail
