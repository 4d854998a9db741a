// Keys and certificate issuance (pki.hpp). The CSR side is in pki_csr.cpp,
// reading and verifying in pki_verify.cpp.

#include "runtime/pki/pki.hpp"

#include <arpa/inet.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "runtime/pki/ossl.hpp"

namespace pact::pki {

using namespace detail;

namespace {

using bn_ptr = ossl_ptr<BIGNUM, BN_free>;
using names_ptr = ossl_ptr<GENERAL_NAMES, GENERAL_NAMES_free>;
using gen_ptr = ossl_ptr<GENERAL_NAME, GENERAL_NAME_free>;
using octets_ptr = ossl_ptr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;

/// Random serials of 128 bits: RFC 5280 §4.1.2.2 asks for positive and
/// unique, CA/Browser Forum BR §7.1 for at least 64 random bits, so that a
/// chosen-prefix collision cannot predict the signed bytes.
constexpr int serial_bytes = 16;

/// What a certificate is for: the extensions differ.
enum class cert_kind { ca, leaf };

/// Everything that goes into one certificate.
struct cert_plan {
  cert_kind kind = cert_kind::leaf;
  std::string common_name;
  EVP_PKEY* subject_key = nullptr;
  /// Null for a self-signed certificate.
  X509* issuer = nullptr;
  EVP_PKEY* issuer_key = nullptr;
  /// Leaf only: DNS or IP subjectAltNames.
  std::vector<std::string> alt_names;
  int64_t not_before = 0;
  int64_t not_after = 0;
};

/// "" or why `cn` cannot be a subject common name.
std::string common_name_problem(const std::string& cn) {
  if (cn.empty())
    return "empty common name";
  if (cn.size() > max_common_name_bytes)
    return "common name longer than 64 bytes";
  if (cn.find('\0') != std::string::npos)
    return "common name contains a NUL byte";
  return {};
}

/// Whether `name` fits a DNS subjectAltName (an IA5String, RFC 5280
/// §4.2.1.6) as pact names hosts: letters, digits, '.', '-', '_'. Limiting
/// the alphabet keeps a name from smuggling a second name or a wildcard.
bool host_name_ok(const std::string& name) {
  if (name.empty() || name.size() > 253)
    return false;
  for (unsigned char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    if (!ok)
      return false;
  }
  return true;
}

/// "" and `from`/`to` set, or why the validity window cannot be expressed.
std::string validity(int64_t now, int64_t seconds, int64_t& from, int64_t& to) {
  if (seconds <= 0)
    return "validity must be positive";
  if (now < backdate_seconds || now > max_x509_time - seconds)
    return "validity out of range";
  from = now - backdate_seconds;
  to = now + seconds;
  return {};
}

name_ptr name_of(const std::string& cn) {
  name_ptr name(X509_NAME_new());
  if (!name
      || X509_NAME_add_entry_by_NID(
           name.get(), NID_commonName, MBSTRING_UTF8,
           reinterpret_cast<const unsigned char*>(cn.data()),
           static_cast<int>(cn.size()), -1, 0)
           != 1)
    return nullptr;
  return name;
}

bool set_random_serial(X509* cert) {
  unsigned char bytes[serial_bytes];
  bn_ptr bn;
  // Zero is not a valid serial (RFC 5280 §4.1.2.2); 2^-128 odds, but free.
  do {
    if (RAND_bytes(bytes, serial_bytes) != 1)
      return false;
    bn.reset(BN_bin2bn(bytes, serial_bytes, nullptr));
    if (!bn)
      return false;
  } while (BN_is_zero(bn.get()));
  return BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

bool add_conf_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr)
    return false;
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1;
}

/// One subjectAltName entry: IP when `name` parses as an address, else DNS.
gen_ptr general_name(const std::string& name) {
  unsigned char ip[16];
  int ip_len = 0;
  if (inet_pton(AF_INET, name.c_str(), ip) == 1)
    ip_len = 4;
  else if (inet_pton(AF_INET6, name.c_str(), ip) == 1)
    ip_len = 16;
  gen_ptr gen(GENERAL_NAME_new());
  if (!gen)
    return nullptr;
  if (ip_len > 0) {
    octets_ptr value(ASN1_OCTET_STRING_new());
    if (!value || ASN1_OCTET_STRING_set(value.get(), ip, ip_len) != 1)
      return nullptr;
    GENERAL_NAME_set0_value(gen.get(), GEN_IPADD, value.release());
    return gen;
  }
  if (!host_name_ok(name))
    return nullptr;
  ASN1_IA5STRING* value = ASN1_IA5STRING_new();
  if (value == nullptr
      || ASN1_STRING_set(value, name.data(), static_cast<int>(name.size()))
           != 1) {
    ASN1_IA5STRING_free(value);
    return nullptr;
  }
  GENERAL_NAME_set0_value(gen.get(), GEN_DNS, value);
  return gen;
}

bool add_alt_names(X509* cert, const std::vector<std::string>& names) {
  names_ptr gens(sk_GENERAL_NAME_new_null());
  if (!gens)
    return false;
  for (const auto& name : names) {
    auto gen = general_name(name);
    if (!gen || sk_GENERAL_NAME_push(gens.get(), gen.get()) <= 0)
      return false;
    gen.release(); // owned by the stack now
  }
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, gens.get(), 0,
                           X509V3_ADD_DEFAULT)
         == 1;
}

bool add_extensions(X509* cert, const cert_plan& plan) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, plan.issuer != nullptr ? plan.issuer : cert, cert,
                 nullptr, nullptr, 0);
  X509V3_set_ctx_nodb(&ctx);
  if (plan.kind == cert_kind::ca)
    return add_conf_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE")
           && add_conf_ext(cert, &ctx, NID_key_usage,
                           "critical,keyCertSign,cRLSign")
           // The subject key id first: the authority key id of a
           // self-signed certificate copies it.
           && add_conf_ext(cert, &ctx, NID_subject_key_identifier, "hash")
           && add_conf_ext(cert, &ctx, NID_authority_key_identifier, "keyid");
  return add_conf_ext(cert, &ctx, NID_basic_constraints, "CA:FALSE")
         && add_conf_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature")
         && add_conf_ext(cert, &ctx, NID_ext_key_usage, "clientAuth,serverAuth")
         && add_conf_ext(cert, &ctx, NID_subject_key_identifier, "hash")
         && add_conf_ext(cert, &ctx, NID_authority_key_identifier, "keyid")
         && add_alt_names(cert, plan.alt_names);
}

/// The signed certificate as PEM, or "" when libcrypto failed.
std::string issue(const cert_plan& plan) {
  x509_ptr cert(X509_new());
  auto subject = name_of(plan.common_name);
  if (!cert || !subject || X509_set_version(cert.get(), X509_VERSION_3) != 1
      || !set_random_serial(cert.get())
      || X509_set_subject_name(cert.get(), subject.get()) != 1
      || X509_set_issuer_name(cert.get(), plan.issuer != nullptr
                                            ? X509_get_subject_name(plan.issuer)
                                            : subject.get())
           != 1
      || ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                       static_cast<time_t>(plan.not_before))
           == nullptr
      || ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                       static_cast<time_t>(plan.not_after))
           == nullptr
      || X509_set_pubkey(cert.get(), plan.subject_key) != 1
      || !add_extensions(cert.get(), plan)
      || X509_sign(cert.get(), plan.issuer_key, EVP_sha256()) <= 0)
    return {};
  return cert_pem(cert.get());
}

/// The issuing CA, loaded and checked, or why it cannot issue.
struct loaded_ca {
  pkey_ptr key;
  x509_ptr cert;
};

std::string load_ca(const key_and_cert& ca, loaded_ca& out) {
  out.key = read_key(ca.key_pem);
  if (!out.key)
    return "malformed CA key";
  out.cert = read_cert(ca.cert_pem);
  if (!out.cert)
    return "malformed CA certificate";
  if (EVP_PKEY_eq(X509_get0_pubkey(out.cert.get()), out.key.get()) != 1)
    return "CA key does not match the CA certificate";
  if (X509_check_ca(out.cert.get()) != 1)
    return "CA certificate is not a CA (basicConstraints CA:TRUE)";
  return {};
}

} // namespace

result<std::string> generate_key() {
  queue_guard guard;
  pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!key || !bio
      || PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), nullptr, nullptr,
                                       0, nullptr, nullptr)
           != 1)
    return pki_error{"key generation failed"};
  return mem_text(bio.get());
}

result<std::string> make_ca_cert(const std::string& key_pem,
                                 const std::string& common_name,
                                 int64_t now_unix_s, int64_t validity_seconds) {
  queue_guard guard;
  cert_plan plan;
  plan.kind = cert_kind::ca;
  if (auto why = common_name_problem(common_name); !why.empty())
    return pki_error{why};
  if (auto why = validity(now_unix_s, validity_seconds, plan.not_before,
                          plan.not_after);
      !why.empty())
    return pki_error{why};
  auto key = read_key(key_pem);
  if (!key)
    return pki_error{"malformed CA key"};
  plan.common_name = common_name;
  plan.subject_key = key.get();
  plan.issuer_key = key.get();
  auto pem = issue(plan);
  if (pem.empty())
    return pki_error{"CA certificate could not be signed"};
  return pem;
}

result<key_and_cert> make_ca(const std::string& common_name, int64_t now_unix_s,
                             int64_t validity_seconds) {
  auto key = generate_key();
  if (!key)
    return key.error();
  auto cert = make_ca_cert(*key, common_name, now_unix_s, validity_seconds);
  if (!cert)
    return cert.error();
  return key_and_cert{std::move(*key), std::move(*cert)};
}

result<std::string>
sign_node_cert(const key_and_cert& ca, const std::string& csr_pem,
               int64_t now_unix_s, int64_t validity_seconds) {
  queue_guard guard;
  cert_plan plan;
  if (auto why = validity(now_unix_s, validity_seconds, plan.not_before,
                          plan.not_after);
      !why.empty())
    return pki_error{why};
  loaded_ca issuer;
  if (auto why = load_ca(ca, issuer); !why.empty())
    return pki_error{why};
  auto csr = parse_csr(csr_pem);
  if (!csr)
    return csr.error();
  if (!host_name_ok(csr->common_name))
    return pki_error{"malformed CSR: common name is not a host name "
                     "(letters, digits, '.', '-', '_')"};
  auto bio = mem_in(csr->public_key_pem);
  pkey_ptr subject_key(
    bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!subject_key)
    return pki_error{"malformed CSR: unreadable public key"};
  plan.common_name = csr->common_name;
  plan.alt_names = {csr->common_name};
  plan.subject_key = subject_key.get();
  plan.issuer = issuer.cert.get();
  plan.issuer_key = issuer.key.get();
  auto pem = issue(plan);
  if (pem.empty())
    return pki_error{"node certificate could not be signed"};
  return pem;
}

result<std::string>
sign_server_cert(const key_and_cert& ca, const std::string& key_pem,
                 const std::vector<std::string>& names, int64_t now_unix_s,
                 int64_t validity_seconds) {
  queue_guard guard;
  cert_plan plan;
  if (names.empty())
    return pki_error{"server certificate needs at least one name"};
  if (auto why = common_name_problem(names[0]); !why.empty())
    return pki_error{why};
  for (const auto& name : names)
    if (!general_name(name))
      return pki_error{"server name '" + name
                       + "' is neither an IP address nor a host name"};
  if (auto why = validity(now_unix_s, validity_seconds, plan.not_before,
                          plan.not_after);
      !why.empty())
    return pki_error{why};
  loaded_ca issuer;
  if (auto why = load_ca(ca, issuer); !why.empty())
    return pki_error{why};
  auto key = read_key(key_pem);
  if (!key)
    return pki_error{"malformed server key"};
  plan.common_name = names[0];
  plan.alt_names = names;
  plan.subject_key = key.get();
  plan.issuer = issuer.cert.get();
  plan.issuer_key = issuer.key.get();
  auto pem = issue(plan);
  if (pem.empty())
    return pki_error{"server certificate could not be signed"};
  return pem;
}

} // namespace pact::pki
