// Certificate signing requests (pki.hpp: make_csr, parse_csr; RFC 2986).

#include <climits>
#include <cstring>

#include <openssl/pem.h>

#include "runtime/pki/ossl.hpp"
#include "runtime/pki/pki.hpp"

namespace pact::pki {

using namespace detail;

namespace {

/// A CSR is a few hundred bytes (P-256) or about 1 KiB (RSA 4096); the bound
/// keeps a hostile request from costing more than a glance.
constexpr size_t max_csr_bytes = 64 * 1024;

/// RSA moduli pact accepts: 2048 bits at least (NIST SP 800-57: 112-bit
/// security), 8192 at most, so a hostile key cannot make the signature
/// check expensive.
constexpr int min_rsa_bits = 2048;
constexpr int max_rsa_bits = 8192;

pki_error malformed(const std::string& why) {
  return pki_error{"malformed CSR: " + why};
}

/// The DER of the only PEM block of `pem`, or why there is not exactly one
/// CERTIFICATE REQUEST block.
std::string only_request_block(const std::string& pem, std::string& der) {
  auto bio = mem_in(pem);
  if (!bio)
    return "unreadable";
  int blocks = 0;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1)
      break; // end of input (or garbage after the blocks): stop reading
    ++blocks;
    bool request = std::strcmp(name, "CERTIFICATE REQUEST") == 0
                   || std::strcmp(name, "NEW CERTIFICATE REQUEST") == 0;
    bool plain = header == nullptr
                 || header[0] == '\0'; // no Proc-Type: an encrypted block
    if (blocks == 1 && len > 0)
      der.assign(reinterpret_cast<char*>(data), static_cast<size_t>(len));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (!request)
      return "PEM block is not a CERTIFICATE REQUEST";
    if (!plain)
      return "PEM block has headers";
  }
  if (blocks == 0)
    return "no PEM block";
  if (blocks > 1)
    return "more than one PEM block";
  return {};
}

/// "" or why the subject key is not one pact accepts (pki.hpp).
std::string key_problem(EVP_PKEY* key) {
  if (key == nullptr)
    return "unreadable public key";
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC:
      return is_p256(key) ? std::string() : "EC key not on P-256";
    case EVP_PKEY_RSA: {
      int bits = EVP_PKEY_get_bits(key);
      if (bits < min_rsa_bits)
        return "RSA key shorter than 2048 bits";
      if (bits > max_rsa_bits)
        return "RSA key longer than 8192 bits";
      return {};
    }
    default:
      return "key is neither EC P-256 nor RSA";
  }
}

std::string public_key_pem(EVP_PKEY* key) {
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
    return {};
  return mem_text(bio.get());
}

} // namespace

result<std::string> make_csr(const std::string& key_pem,
                             const std::string& common_name) {
  queue_guard guard;
  if (common_name.empty() || common_name.size() > max_common_name_bytes
      || common_name.find('\0') != std::string::npos)
    return pki_error{"common name must be 1 to 64 bytes without NUL"};
  auto key = read_key(key_pem);
  if (!key)
    return pki_error{"malformed key"};
  req_ptr req(X509_REQ_new());
  name_ptr subject(X509_NAME_new());
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!req || !subject || !bio
      || X509_NAME_add_entry_by_NID(
           subject.get(), NID_commonName, MBSTRING_UTF8,
           reinterpret_cast<const unsigned char*>(common_name.data()),
           static_cast<int>(common_name.size()), -1, 0)
           != 1
      || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1
      || X509_REQ_set_subject_name(req.get(), subject.get()) != 1
      || X509_REQ_set_pubkey(req.get(), key.get()) != 1
      || X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0
      || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1)
    return pki_error{"CSR could not be signed"};
  return mem_text(bio.get());
}

result<csr_info> parse_csr(const std::string& csr_pem) {
  queue_guard guard;
  if (csr_pem.size() > max_csr_bytes)
    return malformed("larger than 64 KiB");
  std::string der;
  if (auto why = only_request_block(csr_pem, der); !why.empty())
    return malformed(why);
  auto p = reinterpret_cast<const unsigned char*>(der.data());
  const auto* end = p + der.size();
  req_ptr req(der.empty()
                ? nullptr
                : d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!req || p != end)
    return malformed("not a PKCS#10 request");
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (auto why = key_problem(key); !why.empty())
    return malformed(why);
  // Proof of possession: the requester holds the private key (RFC 2986 §3).
  if (X509_REQ_verify(req.get(), key) != 1)
    return malformed("bad signature");
  csr_info info;
  info.common_name = only_common_name(X509_REQ_get_subject_name(req.get()));
  if (info.common_name.empty())
    return malformed("subject needs exactly one common name");
  if (info.common_name.size() > max_common_name_bytes)
    return malformed("common name longer than 64 bytes");
  info.sha256_hex = sha256_hex(der);
  info.public_key_pem = public_key_pem(key);
  if (info.sha256_hex.empty() || info.public_key_pem.empty())
    return malformed("unreadable");
  return info;
}

} // namespace pact::pki
